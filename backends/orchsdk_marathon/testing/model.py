"""How Marathon reads an app definition: known fields, defaults, and the deprecated API.

Marathon reads only the fields it knows (its Play readers are generated from the RAML
types), fills the RAML defaults while reading, translates the deprecated fields
(``ports``, ``uris``, ``ipAddress``, ``container.docker.network`` and
``container.docker.portMappings``) to the current ones, and normalizes ports and
networks (``AppNormalization.scala``). The emulator does the same steps in the same
order, so that a definition read back with ``GET`` looks like Marathon's.

Two of those normalizations drop what a client sent, silently, exactly as Marathon
does: ``container.portMappings`` of an app with host networking, and
``portDefinitions`` of an app with container or bridge networking.
"""

from __future__ import annotations

import copy
from typing import Any

from orchsdk_marathon.testing import paths

__all__ = [
    "APP_FIELDS",
    "READ_ONLY_FIELDS",
    "NormalizationError",
    "apply_defaults",
    "assign_service_ports",
    "clean",
    "config_of",
    "migrate",
]

Json = dict[str, Any]

APP_FIELDS = frozenset(
    {
        "id", "acceptedResourceRoles", "args", "backoffFactor", "backoffSeconds", "cmd",
        "constraints", "container", "cpus", "dependencies", "disk", "env", "executor",
        "executorResources", "fetch", "healthChecks", "check", "instances", "labels",
        "maxLaunchDelaySeconds", "mem", "gpus", "ipAddress", "networks", "ports",
        "portDefinitions", "readinessChecks", "residency", "resourceLimits", "requirePorts",
        "secrets", "taskKillGracePeriodSeconds", "upgradeStrategy", "uris", "user", "version",
        "versionInfo", "killSelection", "unreachableStrategy", "tty", "role",
    }
)  # fmt: skip
"""The fields of RAML ``App`` (``raml/v2/types/app.raml``); Marathon ignores all others."""

READ_ONLY_FIELDS = frozenset(
    {
        "tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy", "deployments",
        "tasks", "lastTaskFailure", "readinessCheckResults", "tasksStats", "taskStats",
    }
)  # fmt: skip
"""What ``GET`` adds to an app (AppInfo); sent back in a write, Marathon ignores it."""

TOP_LEVEL_DEFAULTS: Json = {
    "instances": 1,
    "cpus": 1,
    "mem": 128,
    "disk": 0,
    "gpus": 0,
    "executor": "",
    "backoffSeconds": 1,
    "backoffFactor": 1.15,
    "maxLaunchDelaySeconds": 300,
    "env": {},
    "labels": {},
    "constraints": [],
    "dependencies": [],
    "fetch": [],
    "healthChecks": [],
    "readinessChecks": [],
    "secrets": {},
    "requirePorts": False,
    "upgradeStrategy": {"minimumHealthCapacity": 1, "maximumOverCapacity": 1},
    "unreachableStrategy": {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0},
    "killSelection": "YOUNGEST_FIRST",
    "role": "*",
}
"""RAML defaults of ``App`` (and Marathon 1.10's for ``role`` and ``unreachableStrategy``)."""

HEALTH_CHECK_DEFAULTS: Json = {
    "protocol": "HTTP",
    "gracePeriodSeconds": 300,
    "intervalSeconds": 60,
    "timeoutSeconds": 20,
    "maxConsecutiveFailures": 3,
    "delaySeconds": 15,
}

READINESS_CHECK_DEFAULTS: Json = {
    "name": "readinessCheck",
    "protocol": "HTTP",
    "path": "/",
    "portName": "http-api",
    "intervalSeconds": 30,
    "timeoutSeconds": 10,
    "httpStatusCodesForReady": [200],
    "preserveLastResponse": False,
}

DEFAULT_PORT_DEFINITION: Json = {"port": 0, "name": "default", "protocol": "tcp"}
DEFAULT_PORT_MAPPING: Json = {"containerPort": 0, "name": "default", "protocol": "tcp"}

_DOCKER_NETWORKS = {
    "BRIDGE": [{"mode": "container/bridge"}],
    "HOST": [{"mode": "host"}],
    "USER": [{"mode": "container"}],
    "NONE": [],
}


class NormalizationError(Exception):
    """A definition Marathon cannot normalize; Marathon answers these with a bare 500."""


def clean(body: Json) -> Json:
    """Only the fields Marathon reads, without ``null`` values (read as "not given")."""
    return {
        key: copy.deepcopy(value)
        for key, value in body.items()
        if key in APP_FIELDS and value is not None
    }


def config_of(definition: Json) -> Json:
    """The definition without what changes on every write (``version``, ``versionInfo``)."""
    return {
        key: value for key, value in definition.items() if key not in ("version", "versionInfo")
    }


def apply_defaults(app: Json) -> Json:
    """Fills the RAML defaults that Marathon's readers fill, top level and nested."""
    result = {"id": app.get("id"), **copy.deepcopy(TOP_LEVEL_DEFAULTS), **app}
    result["healthChecks"] = [
        {**HEALTH_CHECK_DEFAULTS, **check} for check in result.get("healthChecks") or []
    ]
    for check in result["healthChecks"]:
        if check["protocol"] in ("HTTP", "HTTPS", "MESOS_HTTP", "MESOS_HTTPS"):
            check.setdefault("path", "/")
            check.setdefault("ipProtocol", "IPv4")
        if check["protocol"] in ("HTTP", "HTTPS"):
            check.setdefault("ignoreHttp1xx", False)
    result["readinessChecks"] = [
        {**copy.deepcopy(READINESS_CHECK_DEFAULTS), **check}
        for check in result.get("readinessChecks") or []
    ]
    container = result.get("container")
    if isinstance(container, dict):
        container.setdefault("type", "DOCKER")
        container.setdefault("volumes", [])
        docker = container.get("docker")
        if isinstance(docker, dict):
            docker.setdefault("forcePullImage", False)
            docker.setdefault("privileged", False)
            docker.setdefault("parameters", [])
        for key in ("portMappings",):
            if isinstance(container.get(key), list):
                container[key] = [_port_mapping(mapping) for mapping in container[key]]
        if isinstance(docker, dict) and isinstance(docker.get("portMappings"), list):
            docker["portMappings"] = [_port_mapping(mapping) for mapping in docker["portMappings"]]
    if isinstance(result.get("portDefinitions"), list):
        result["portDefinitions"] = [
            {"protocol": "tcp", **definition} for definition in result["portDefinitions"]
        ]
    return result


def _port_mapping(mapping: Json) -> Json:
    return {"containerPort": 0, "protocol": "tcp", "servicePort": 0, **mapping}


def migrate(app: Json, default_network_name: str) -> Json:
    """Translates the deprecated fields and normalizes networks and ports.

    Raises :class:`NormalizationError` where Marathon throws ``NormalizationException``
    (which it does not map, so the client gets a 500).
    """
    result = copy.deepcopy(app)
    result["id"] = paths.canonical(str(result.get("id", "/")))
    container = result.get("container")
    docker = container.get("docker") if isinstance(container, dict) else None

    uris = result.pop("uris", None) or []
    if uris and not result.get("fetch"):
        result["fetch"] = [{"uri": uri, "extract": _extractable(uri)} for uri in uris]

    networks = result.get("networks") or []
    ip_address = result.pop("ipAddress", None)
    if isinstance(docker, dict) and "network" in docker:
        network = docker.pop("network")
        if not networks:
            networks = copy.deepcopy(_DOCKER_NETWORKS.get(str(network), []))
            name = (ip_address or {}).get("networkName")
            if network == "USER" and name:
                networks[0]["name"] = name
    if ip_address is not None and not networks:
        network = {"mode": "container"}
        if ip_address.get("networkName"):
            network["name"] = ip_address["networkName"]
        if ip_address.get("labels"):
            network["labels"] = ip_address["labels"]
        networks = [network]
        if not isinstance(container, dict):
            container = result["container"] = {"type": "MESOS", "volumes": []}
        discovery = (ip_address.get("discovery") or {}).get("ports") or []
        if discovery:
            container["portMappings"] = [
                _port_mapping(
                    {
                        "containerPort": port.get("number", 0),
                        "name": port.get("name"),
                        "protocol": port.get("protocol", "tcp"),
                    }
                )
                for port in discovery
            ]
    networks = [dict(network) for network in networks] or [{"mode": "host"}]
    for network in networks:
        if network.get("mode") == "container" and not network.get("name"):
            network["name"] = default_network_name
    result["networks"] = networks
    host = any(network.get("mode") == "host" for network in networks)

    if isinstance(container, dict) and isinstance(docker, dict) and "portMappings" in docker:
        legacy = docker.pop("portMappings")
        if legacy and container.get("portMappings"):
            raise NormalizationError("cannot specify both portMappings and docker.portMappings")
        if not container.get("portMappings"):
            container["portMappings"] = legacy

    ports = result.pop("ports", None)
    if ports is not None and result.get("portDefinitions") is None:
        result["portDefinitions"] = [{"port": port, "protocol": "tcp"} for port in ports]

    if not host and not isinstance(container, dict):
        container = result["container"] = {"type": "MESOS", "volumes": []}
    if isinstance(container, dict):
        if host:
            container.pop("portMappings", None)
        elif container.get("portMappings") is None:
            container["portMappings"] = [_port_mapping(DEFAULT_PORT_MAPPING)]
        if not host and any(net.get("mode") == "container/bridge" for net in networks):
            for mapping in container["portMappings"]:
                mapping.setdefault("hostPort", 0)
    if host:
        if result.get("portDefinitions") is None:
            result["portDefinitions"] = [dict(DEFAULT_PORT_DEFINITION)]
    else:
        result.pop("portDefinitions", None)
        result["requirePorts"] = False

    port_count = len(container.get("portMappings") or []) if isinstance(container, dict) else 0
    port_count = port_count or len(result.get("portDefinitions") or [])
    for check in result.get("healthChecks") or []:
        needs_port = "port" not in check and "portIndex" not in check
        if check.get("protocol") != "COMMAND" and port_count and needs_port:
            check["portIndex"] = 0
    return result


def _extractable(uri: str) -> bool:
    return uri.endswith((".tgz", ".tar.gz", ".tbz2", ".tar.bz2", ".txz", ".tar.xz", ".zip"))


def assign_service_ports(app: Json, previous: Json | None, allocate: Any) -> None:
    """Gives every ``servicePort``/``port`` of 0 a port from 10000 up, keeping old ones.

    ``allocate(wanted)`` returns ``wanted`` or, for 0, a fresh port. A port the app had
    at the same index before is kept, as Marathon keeps service ports across updates.
    """
    container = app.get("container") or {}
    mappings = container.get("portMappings")
    if mappings:
        old = ((previous or {}).get("container") or {}).get("portMappings") or []
        for index, mapping in enumerate(mappings):
            if not mapping.get("servicePort"):
                kept = old[index].get("servicePort") if index < len(old) else 0
                mapping["servicePort"] = kept or allocate(0)
            else:
                allocate(mapping["servicePort"])
    definitions = app.get("portDefinitions")
    if definitions:
        old = (previous or {}).get("portDefinitions") or []
        for index, definition in enumerate(definitions):
            if not definition.get("port"):
                kept = old[index].get("port") if index < len(old) else 0
                definition["port"] = kept or allocate(0)
            else:
                allocate(definition["port"])
