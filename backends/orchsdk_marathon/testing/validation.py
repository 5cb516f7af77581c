"""Marathon's checks of a written app, with its exact error bodies, plus the optional schema.

Three layers, in the order Marathon applies them:

1. **JSON reading** (:func:`type_errors`): a field of the wrong JSON type, a missing
   required field or an unknown enum literal is a Play ``JsResultException``, answered
   ``422 {"message": "Invalid JSON", "details": [{"path": "/id", "errors":
   ["error.expected.jsstring"]}]}``. Malformed JSON is ``400`` with ``details`` as a
   string (:func:`parse_json`).
2. **Deprecated-API rules** (:func:`old_api_errors`) and, for ``PUT``/``PATCH`` bodies,
   the update rules (:func:`update_errors`).
3. **Canonical rules** (:func:`app_errors`) on the full, normalized app: the id rules,
   ``cmd`` xor ``args``, ranges, networks, ports, health and readiness checks,
   secrets, constraints (``AppValidation.scala``, ``SchedulingValidation.scala``,
   ``NetworkValidation.scala``, ``EnvVarValidation.scala``, ``PathId.scala``).

Layers 2 and 3 answer ``422 {"message": "Object is not valid", "details": [...]}``,
where a rule about the whole app has the path ``/`` and list items are written
``/healthChecks(0)``, as Marathon's accord-based messages do.

:class:`SchemaCheck` adds Marathon's published ``AppDefinition.json`` (Draft 4) on top,
for tests that want to know a client sends only what the schema allows. It runs last, on
the body as sent, so a body Marathon itself refuses gets Marathon's answer.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from orchsdk_marathon.testing import paths

__all__ = [
    "NEWER_FIELDS",
    "Rejection",
    "SchemaCheck",
    "app_errors",
    "invalid",
    "invalid_json",
    "old_api_errors",
    "parse_json",
    "type_errors",
    "update_errors",
]

Json = dict[str, Any]
Detail = tuple[str, str]
"""One error: (path, message)."""


class Rejection(Exception):
    """An HTTP error answer: status, JSON body (or ``None`` for an empty one), headers."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}


def _grouped(message: str, details: Iterable[Detail]) -> Rejection:
    by_path: dict[str, list[str]] = {}
    for path, error in details:
        errors = by_path.setdefault(path, [])
        if error not in errors:
            errors.append(error)
    body = {
        "message": message,
        "details": [{"path": path, "errors": errors} for path, errors in by_path.items()],
    }
    return Rejection(422, body)


def invalid(details: Iterable[Detail]) -> Rejection:
    """``422 Object is not valid`` with the details grouped by path, as Marathon writes it."""
    return _grouped("Object is not valid", details)


def invalid_json(details: Iterable[Detail]) -> Rejection:
    """``422 Invalid JSON``: what Marathon answers to JSON of the wrong shape."""
    return _grouped("Invalid JSON", details)


def parse_json(body: bytes) -> Any:
    """The body as JSON, or a ``400 Invalid JSON`` :class:`Rejection` with the parser's text."""
    if not body.strip():
        raise Rejection(
            400, {"message": "Invalid JSON", "details": "No content to map due to end-of-input"}
        )
    try:
        return json.loads(body)
    except ValueError as error:
        raise Rejection(400, {"message": "Invalid JSON", "details": str(error)}) from error


# -- 1. JSON reading ------------------------------------------------------------------

_STR, _INT, _NUM, _BOOL, _ANY, _OBJ = "string", "int", "number", "boolean", "any", "object"


def _arr(item: Any) -> tuple[str, Any]:
    return ("array", item)


def _map(value: Any) -> tuple[str, Any]:
    return ("map", value)


def _obj(fields: dict[str, Any], *required: str) -> tuple[str, dict[str, Any], frozenset[str]]:
    return ("fields", fields, frozenset(required))


def _enum(*values: str) -> tuple[str, frozenset[str]]:
    return ("enum", frozenset(values))


_ENV = "env"
_PORT_PROTOCOL = _enum("tcp", "udp", "udp,tcp")
_PORT_MAPPINGS = _arr(
    _obj(
        {
            "containerPort": _INT,
            "hostPort": _INT,
            "servicePort": _INT,
            "name": _STR,
            "protocol": _PORT_PROTOCOL,
            "labels": _map(_STR),
            "networkNames": _arr(_STR),
        }
    )
)
_APP_FIELDS: dict[str, Any] = {
    "id": _STR,
    "cmd": _STR,
    "args": _arr(_STR),
    "user": _STR,
    "env": _map(_ENV),
    "instances": _INT,
    "cpus": _NUM,
    "mem": _NUM,
    "disk": _NUM,
    "gpus": _INT,
    "executor": _STR,
    "constraints": _arr(_arr(_STR)),
    "uris": _arr(_STR),
    "fetch": _arr(
        _obj(
            {"uri": _STR, "extract": _BOOL, "executable": _BOOL, "cache": _BOOL, "destPath": _STR},
            "uri",
        )
    ),
    "ports": _arr(_INT),
    "portDefinitions": _arr(
        _obj({"port": _INT, "protocol": _PORT_PROTOCOL, "name": _STR, "labels": _map(_STR)})
    ),
    "requirePorts": _BOOL,
    "backoffSeconds": _INT,
    "backoffFactor": _NUM,
    "maxLaunchDelaySeconds": _INT,
    "container": _obj(
        {
            "type": _enum("DOCKER", "MESOS"),
            "docker": _obj(
                {
                    "image": _STR,
                    "network": _enum("BRIDGE", "HOST", "NONE", "USER"),
                    "forcePullImage": _BOOL,
                    "privileged": _BOOL,
                    "parameters": _arr(_obj({"key": _STR, "value": _STR}, "key", "value")),
                    "portMappings": _PORT_MAPPINGS,
                    "pullConfig": _obj({"secret": _STR}, "secret"),
                },
                "image",
            ),
            "portMappings": _PORT_MAPPINGS,
            "volumes": _arr(_OBJ),
            "linuxInfo": _OBJ,
        }
    ),
    "healthChecks": _arr(
        _obj(
            {
                "protocol": _enum(
                    "HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"
                ),
                "path": _STR,
                "portIndex": _INT,
                "port": _INT,
                "gracePeriodSeconds": _INT,
                "intervalSeconds": _INT,
                "timeoutSeconds": _INT,
                "maxConsecutiveFailures": _INT,
                "delaySeconds": _INT,
                "ignoreHttp1xx": _BOOL,
                "ipProtocol": _enum("IPv4", "IPv6"),
                "command": _obj({"value": _STR}, "value"),
            }
        )
    ),
    "readinessChecks": _arr(
        _obj(
            {
                "name": _STR,
                "protocol": _enum("HTTP", "HTTPS"),
                "path": _STR,
                "portName": _STR,
                "intervalSeconds": _INT,
                "timeoutSeconds": _INT,
                "httpStatusCodesForReady": _arr(_INT),
                "preserveLastResponse": _BOOL,
            }
        )
    ),
    "check": _OBJ,
    "dependencies": _arr(_STR),
    "upgradeStrategy": _obj(
        {"minimumHealthCapacity": _NUM, "maximumOverCapacity": _NUM},
        "minimumHealthCapacity",
        "maximumOverCapacity",
    ),
    "labels": _map(_STR),
    "acceptedResourceRoles": _arr(_STR),
    "ipAddress": _OBJ,
    "networks": _arr(
        _obj(
            {
                "mode": _enum("container", "container/bridge", "host"),
                "name": _STR,
                "labels": _map(_STR),
            }
        )
    ),
    "secrets": _map(_obj({"source": _STR}, "source")),
    "taskKillGracePeriodSeconds": _INT,
    "killSelection": _enum("YOUNGEST_FIRST", "OLDEST_FIRST"),
    "unreachableStrategy": _ANY,
    "residency": _OBJ,
    "tty": _BOOL,
    "role": _STR,
    "resourceLimits": _OBJ,
    "executorResources": _OBJ,
    "version": _STR,
    "versionInfo": _ANY,
}


def type_errors(body: Any, *, id_required: bool) -> list[Detail]:
    """Play's reading errors for an app body (``error.expected.jsstring``, ...).

    ``null`` reads as "not given" for an optional field. Unknown fields are ignored, as
    Marathon's generated readers ignore them.
    """
    if not isinstance(body, dict):
        return [("/", "error.expected.jsobject")]
    required = ("id",) if id_required else ()
    errors: list[Detail] = []
    _check(body, _obj(_APP_FIELDS, *required), "", errors)
    return errors


def _check(value: Any, spec: Any, path: str, errors: list[Detail]) -> None:
    where = path or "/"
    if spec == _ANY:
        return
    if spec == _STR:
        if not isinstance(value, str):
            errors.append((where, "error.expected.jsstring"))
    elif spec == _BOOL:
        if not isinstance(value, bool):
            errors.append((where, "error.expected.jsboolean"))
    elif spec in (_INT, _NUM):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append((where, "error.expected.jsnumber"))
        elif spec == _INT and not float(value).is_integer():
            errors.append((where, "error.expected.int"))
    elif spec == _OBJ:
        if not isinstance(value, dict):
            errors.append((where, "error.expected.jsobject"))
    elif spec == _ENV:
        if isinstance(value, dict):
            if not isinstance(value.get("secret"), str):
                errors.append((f"{path}/secret", "error.expected.jsstring"))
        elif not isinstance(value, str):
            errors.append((where, "error.expected.jsstring"))
    elif spec[0] == "enum":
        if not isinstance(value, str):
            errors.append((where, "error.expected.jsstring"))
        elif value not in spec[1]:
            errors.append((where, "error.unknown.enum.literal"))
    elif spec[0] == "array":
        if not isinstance(value, list):
            errors.append((where, "error.expected.jsarray"))
            return
        for index, item in enumerate(value):
            _check(item, spec[1], f"{path}({index})", errors)
    elif spec[0] == "map":
        if not isinstance(value, dict):
            errors.append((where, "error.expected.jsobject"))
            return
        for key, item in value.items():
            _check(item, spec[1], f"{path}/{key}", errors)
    elif spec[0] == "fields":
        if not isinstance(value, dict):
            errors.append((where, "error.expected.jsobject"))
            return
        for name, field_spec in spec[1].items():
            if value.get(name) is None:
                if name in spec[2]:
                    errors.append((f"{path}/{name}", "error.path.missing"))
                continue
            _check(value[name], field_spec, f"{path}/{name}", errors)


# -- 2. deprecated API and update rules ---------------------------------------------------


def old_api_errors(body: Json) -> list[Detail]:
    """``AppValidation.validateOldAppAPI``: how the deprecated fields may be combined."""
    errors: list[Detail] = []
    container = body.get("container") or {}
    docker = container.get("docker") or {}
    ports = body.get("ports")
    definitions = body.get("portDefinitions")
    if docker.get("network") is not None and body.get("networks"):
        errors.append(("/", "must not specify both container.docker.network and networks"))
    if body.get("ipAddress") is not None and body.get("networks"):
        errors.append(("/", "must not specify both networks and ipAddress"))
    nonzero = [port for port in ports or [] if port != 0]
    if len(nonzero) != len(set(nonzero)):
        errors.append(("/", "ports must be unique"))
    if body.get("ipAddress") is not None and (ports or definitions):
        errors.append(("/", "cannot specify both an IP address and port"))
    if ports and definitions and [item.get("port") for item in definitions] != ports:
        errors.append(("/", "cannot specify both ports and port definitions"))
    if body.get("uris") and body.get("fetch"):
        errors.append(("/uris", "may not be set in conjunction with fetch"))
    ip_address = body.get("ipAddress") or {}
    if ip_address.get("discovery") and container.get("type", "DOCKER") == "DOCKER" and container:
        errors.append(("/ipAddress", "ipAddress/discovery is not allowed for Docker containers"))
    return errors


def update_errors(body: Json) -> list[Detail]:
    """``validateCanonicalAppUpdateAPI`` rules that read a ``PUT``/``PATCH`` body alone.

    Marathon checks these on the update as sent: ``networks`` together with
    ``container.portMappings`` or ``portDefinitions`` that do not fit them, and a
    ``version`` (rollback) combined with anything but ``id``.
    """
    errors: list[Detail] = []
    networks = body.get("networks") or []
    mappings = (body.get("container") or {}).get("portMappings")
    if any(net.get("mode") == "host" for net in networks) and mappings:
        errors.append(("/", "portMappings are not allowed with host-networking"))
    if any(net.get("mode") != "host" for net in networks) and body.get("portDefinitions"):
        errors.append(("/", "portDefinitions are only allowed with host-networking"))
    if "version" in body and set(body) - {"version", "id"}:
        errors.append(("/", "The 'version' field may only be combined with the 'id' field."))
    if isinstance(body.get("cmd"), str) and len(body["cmd"]) <= 1:
        errors.append(("/", "must not be an empty string"))
    return errors


# -- 3. canonical rules -------------------------------------------------------------------

_MESOS_CHECKS = {"COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"}

MESSAGES = {
    "operator": "Constraint operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, "
    "LIKE, MAX_PER or UNLIKE",
    "feature_secrets": "Feature secrets is not enabled. Enable with --enable_features secrets)",
    "env_secrets": "use of secret-references in the environment requires the secrets feature "
    "to be enabled",
    "cmd_args": "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.",
    "health_port": "Health check port indices must address an element of the ports array or "
    "container port mappings.",
    "ipv6": "IPv6 can only be used for container type DOCKER and Mesos http/https/tcp health "
    "checks",
    "one_mesos_check": "AppDefinition can contain at most one Mesos health check",
    "network_modes": "May specify a single host network, single bridge network, or else 1-to-n "
    "container networks",
    "docker_one_network": "may only specify a single container network when using the Docker "
    "container engine",
    "pull_config_docker": "pullConfig is not supported with Docker containerizer",
    "pull_config_secret": "pullConfig.secret must refer to an existing secret",
    "volume_secret": "volume.secret must refer to an existing secret",
}
"""Marathon's longer validation messages, verbatim (the shorter ones are inline)."""


def app_errors(app: Json, *, secrets_feature: bool) -> list[Detail]:
    """Every canonical rule Marathon applies to a full app, after normalization."""
    errors: list[Detail] = []
    errors += _id_errors(app)
    errors += _command_errors(app)
    errors += _range_errors(app)
    errors += _network_errors(app)
    errors += _port_errors(app)
    errors += _health_errors(app)
    errors += _readiness_errors(app)
    errors += _secret_errors(app, secrets_feature)
    errors += _constraint_errors(app)
    if app.get("acceptedResourceRoles") == []:
        errors.append(("/acceptedResourceRoles", "must not be empty"))
    return errors


def _id_errors(app: Json) -> list[Detail]:
    app_id = str(app.get("id", "/"))
    errors = [("/id", message) for message in paths.id_errors(app_id)]
    if app_id == "/":
        errors.append(("/id", "Path must contain at least one path element"))
        errors.append(("/", "must not be root"))
    return errors


def _command_errors(app: Json) -> list[Detail]:
    errors: list[Detail] = []
    cmd = app.get("cmd")
    if isinstance(cmd, str) and len(cmd) <= 1:
        errors.append(("/", "must not be an empty string"))
    has_cmd, has_args = bool(cmd), bool(app.get("args"))
    container = app.get("container") or {}
    has_image = bool(container.get("docker")) or (
        container.get("type") == "MESOS" and bool(container.get("appc"))
    )
    if not ((has_cmd != has_args) or (not (has_cmd and has_args) and has_image)):
        errors.append(("/", MESSAGES["cmd_args"]))
    if container and container.get("type", "DOCKER") == "DOCKER":
        docker = container.get("docker")
        if not docker:
            errors.append(("/container/docker", "not defined"))
        elif not docker.get("image"):
            errors.append(("/container/docker/image", "must not be empty"))
        elif docker.get("pullConfig"):
            errors.append(("/container/docker/pullConfig", MESSAGES["pull_config_docker"]))
    return errors


def _at_least(path: str, value: Any, minimum: float, shown: str) -> list[Detail]:
    if isinstance(value, (int, float)) and value < minimum:
        return [(path, f"got {value}, expected {shown} or more")]
    return []


def _range_errors(app: Json) -> list[Detail]:
    errors = _at_least("/instances", app.get("instances"), 0, "0")
    errors += _at_least("/cpus", app.get("cpus"), 0.001, "0.001")
    errors += _at_least("/mem", app.get("mem"), 0, "0.0")
    errors += _at_least("/disk", app.get("disk"), 0, "0.0")
    errors += _at_least("/gpus", app.get("gpus"), 0, "0")
    errors += _at_least("/backoffSeconds", app.get("backoffSeconds"), 0, "0")
    errors += _at_least("/backoffFactor", app.get("backoffFactor"), 1, "1.0")
    errors += _at_least("/maxLaunchDelaySeconds", app.get("maxLaunchDelaySeconds"), 0, "0")
    strategy = app.get("upgradeStrategy") or {}
    for name in ("minimumHealthCapacity", "maximumOverCapacity"):
        value = strategy.get(name)
        if isinstance(value, (int, float)) and value > 1:
            errors.append((f"/upgradeStrategy/{name}", "is greater than 1"))
        if isinstance(value, (int, float)) and value < 0:
            errors.append((f"/upgradeStrategy/{name}", "is less than 0"))
    return errors


def _network_errors(app: Json) -> list[Detail]:
    errors: list[Detail] = []
    networks: list[Json] = app.get("networks") or []
    by_mode: dict[str, list[Json]] = {"host": [], "container/bridge": [], "container": []}
    for network in networks:
        by_mode.setdefault(network.get("mode", "container"), []).append(network)
    if any(net.get("name") or net.get("labels") for net in by_mode["host"]):
        errors.append(("/networks", "Host networks may not have names or labels"))
    if any(net.get("name") for net in by_mode["container/bridge"]):
        errors.append(("/networks", "Bridge networks may not have names"))
    names = [net.get("name") for net in networks if net.get("name")]
    if len(names) != len(set(names)):
        errors.append(("/networks", "Duplicate networks are not allowed"))
    host, bridge = len(by_mode["host"]), len(by_mode["container/bridge"])
    container = len(by_mode["container"])
    if not (
        (host <= 1 and bridge == 0 and container == 0)
        or (host == 0 and bridge <= 1 and container == 0)
        or (host == 0 and bridge == 0 and container > 0)
    ):
        errors.append(("/networks", MESSAGES["network_modes"]))
    if (app.get("container") or {}).get("type") == "DOCKER" and container > 1:
        errors.append(("/", MESSAGES["docker_one_network"]))
    return errors


def _port_errors(app: Json) -> list[Detail]:
    errors: list[Detail] = []
    definitions: list[Json] = app.get("portDefinitions") or []
    names = [item["name"] for item in definitions if item.get("name")]
    if len(names) != len(set(names)):
        errors.append(("/portDefinitions", "Port names must be unique."))
    numbers = [item.get("port") for item in definitions if item.get("port")]
    if len(numbers) != len(set(numbers)):
        errors.append(("/portDefinitions", "Ports must be unique."))
    mappings: list[Json] = (app.get("container") or {}).get("portMappings") or []
    names = [item["name"] for item in mappings if item.get("name")]
    if len(names) != len(set(names)):
        errors.append(("/container/portMappings", "Port names must be unique."))
    return errors


def _health_errors(app: Json) -> list[Detail]:
    errors: list[Detail] = []
    checks: list[Json] = app.get("healthChecks") or []
    container = app.get("container") or {}
    mappings = container.get("portMappings") or []
    port_count = len(mappings) or len(app.get("portDefinitions") or [])
    for index, check in enumerate(checks):
        if check.get("protocol") == "COMMAND" or check.get("command"):
            continue
        port_index = check.get("portIndex")
        if port_index is not None:
            valid = 0 <= port_index < port_count
        else:
            valid = check.get("port") is not None or port_count == 1
        if not valid:
            errors.append((f"/healthChecks({index})", MESSAGES["health_port"]))
        mesos_on_docker = (
            check.get("protocol") in _MESOS_CHECKS and container.get("type") == "DOCKER"
        )
        if check.get("ipProtocol", "IPv4") != "IPv4" and not mesos_on_docker:
            errors.append((f"/healthChecks({index})", MESSAGES["ipv6"]))
    mesos = [check for check in checks if check.get("protocol") in _MESOS_CHECKS]
    if sum(1 for check in mesos if not check.get("command")) > 1:
        errors.append(("/", MESSAGES["one_mesos_check"]))
    return errors


def _readiness_errors(app: Json) -> list[Detail]:
    errors: list[Detail] = []
    checks: list[Json] = app.get("readinessChecks") or []
    if len(checks) > 1:
        errors.append(("/readinessChecks", f"has size {len(checks)}, expected 1 or less"))
    mappings = (app.get("container") or {}).get("portMappings")
    ports = mappings if mappings else app.get("portDefinitions") or []
    port_names = {port.get("name") for port in ports if port.get("name")}
    for index, check in enumerate(checks):
        where = f"/readinessChecks({index})"
        name = check.get("portName")
        if name not in port_names:
            message = f"No port definition reference for portName {name}"
            errors.append((f"{where}/portName", message))
        timeout, interval = check.get("timeoutSeconds"), check.get("intervalSeconds")
        if isinstance(timeout, int) and isinstance(interval, int) and timeout >= interval:
            message = f"got {timeout}, expected less than {interval}"
            errors.append((f"{where}/timeoutSeconds", message))
    return errors


def _secret_errors(app: Json, secrets_feature: bool) -> list[Detail]:
    errors: list[Detail] = []
    secrets: Json = app.get("secrets") or {}
    if secrets and not secrets_feature:
        errors.append(("/secrets", MESSAGES["feature_secrets"]))
    for key, secret in secrets.items():
        if not key:
            errors.append(("/secrets", "must not be empty"))
        if not secret.get("source"):
            errors.append((f"/secrets/{key}/source", "must not be empty"))
    env: Json = app.get("env") or {}
    references = {name: value for name, value in env.items() if isinstance(value, dict)}
    if references and not secrets_feature:
        errors.append(("/env", MESSAGES["env_secrets"]))
    for name, reference in references.items():
        if reference.get("secret") not in secrets:
            errors.append((f"/env/{name}/secret", "references an undefined secret"))
    container = app.get("container") or {}
    volumes: list[Json] = container.get("volumes") or []
    if any("secret" in volume for volume in volumes) and not secrets_feature:
        errors.append(("/container", MESSAGES["feature_secrets"]))
    for index, volume in enumerate(volumes):
        if "secret" in volume and volume["secret"] not in secrets:
            errors.append((f"/container/volumes({index})", MESSAGES["volume_secret"]))
    pull = (container.get("docker") or {}).get("pullConfig")
    if pull and container.get("type") == "MESOS":
        if not secrets_feature:
            errors.append(("/container/docker/pullConfig", MESSAGES["feature_secrets"]))
        if pull.get("secret") not in secrets:
            errors.append(("/container/docker/pullConfig", MESSAGES["pull_config_secret"]))
    return errors


def _constraint_errors(app: Json) -> list[Detail]:
    errors: list[Detail] = []
    for index, constraint in enumerate(app.get("constraints") or []):
        message = _constraint_error(constraint)
        if message:
            errors.append((f"/constraints({index})", message))
    return errors


def _constraint_error(constraint: list[str]) -> str | None:
    if len(constraint) < 2 or len(constraint) > 3:
        return "Each constraint must have either 2 or 3 fields"
    operator = constraint[1]
    value = constraint[2] if len(constraint) == 3 else None
    if operator == "UNIQUE":
        return "Value specified but not used" if value is not None else None
    if operator in ("CLUSTER", "IS"):
        return None if value else "Missing value"
    if operator == "GROUP_BY":
        if value is not None and not _is_int(value):
            return "Value was specified but is not a number"
        return None
    if operator == "MAX_PER":
        if value is None or not _is_int(value):
            return "Value was not specified or is not a number"
        return None
    if operator in ("LIKE", "UNLIKE"):
        if value is None:
            return "A regular expression value must be provided"
        try:
            re.compile(value)
        except re.error:
            return f"'{value}' is not a valid regular expression"
        return None
    return MESSAGES["operator"]


def _is_int(value: str) -> bool:
    try:
        int(value)
    except ValueError:
        return False
    return True


# -- the published schema ---------------------------------------------------------------

NEWER_FIELDS: dict[str, Any] = {
    "role": {"type": "string", "minLength": 1},
    "tty": {"type": "boolean"},
    "check": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "http": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "portIndex": {"type": "integer", "minimum": 0},
                    "port": {"type": "integer", "minimum": 0, "maximum": 65535},
                    "path": {"type": "string"},
                    "scheme": {"enum": ["HTTP", "HTTPS"]},
                },
            },
            "tcp": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "portIndex": {"type": "integer", "minimum": 0},
                    "port": {"type": "integer", "minimum": 0, "maximum": 65535},
                },
            },
            "exec": {
                "type": "object",
                "additionalProperties": False,
                "required": ["command"],
                "properties": {"command": {"type": "object"}},
            },
            "intervalSeconds": {"type": "integer", "minimum": 0},
            "timeoutSeconds": {"type": "integer", "minimum": 0},
            "delaySeconds": {"type": "integer", "minimum": 0},
        },
    },
    "resourceLimits": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "cpus": {"oneOf": [{"type": "number", "minimum": 0}, {"enum": ["unlimited"]}]},
            "mem": {"oneOf": [{"type": "number", "minimum": 0}, {"enum": ["unlimited"]}]},
        },
    },
}
"""Top-level app fields newer than the 2018 schema, allowed with these types (from the RAML).

Besides these, :class:`SchemaCheck` allows ``container.linuxInfo`` (any object) and a
secret volume (``container.volumes[].secret``, a non-empty string). ``networks``,
``container.portMappings``, ``secrets`` and secret references in ``env`` need nothing:
the 2018 schema has them already.
"""

SCHEMA_BASE_URI = (
    "https://raw.githubusercontent.com/mesosphere/marathon/master/docs/docs/rest-api/"
    "public/api/v2/schema/AppDefinition.json"
)


class SchemaCheck:
    """Validates app bodies against Marathon's ``AppDefinition.json`` plus :data:`NEWER_FIELDS`.

    Uses ``jsonschema.Draft4Validator`` with a ``referencing.Registry`` that holds the
    schema itself, so nothing is ever fetched from the network.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        import jsonschema  # type: ignore[import-untyped]
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT4

        schema = json.loads(Path(path).read_text())
        self.schema = self.extended(schema)
        resource = Resource.from_contents(self.schema, default_specification=DRAFT4)
        registry: Registry[Any] = Registry().with_resource(SCHEMA_BASE_URI, resource)
        self._validator = jsonschema.Draft4Validator(self.schema, registry=registry)

    @staticmethod
    def extended(schema: Json) -> Json:
        """A copy of ``schema`` that also allows the newer fields listed above."""
        result = copy.deepcopy(schema)
        result["properties"].update(copy.deepcopy(NEWER_FIELDS))
        container = result["properties"]["container"]["properties"]
        container["linuxInfo"] = {"type": "object"}
        volume = container["volumes"]["items"]["properties"]
        volume["secret"] = {"type": "string", "minLength": 1}
        return result

    def errors(self, body: Json) -> list[Detail]:
        """The schema violations of ``body``, with Marathon-style paths."""
        found: list[Detail] = []
        for error in self._validator.iter_errors(body):
            path = ""
            for part in error.absolute_path:
                path += f"({part})" if isinstance(part, int) else f"/{part}"
            found.append((path or "/", error.message))
        return found
