"""Marathon documents back to specs: pure functions on plain dicts, no I/O.

For an app this backend wrote, :func:`parse_app` gives back exactly the spec that was
rendered: ``parse_app(render_app(spec)) == spec`` (the property tests check it), reading
the ``orchsdk.*`` labels for what Marathon has no field for. Each such label is checked
against the fields it describes and ignored when they disagree (someone changed the app
another way), so a read always reports what Marathon runs.

Apps written by other tools are read as well as the spec can say them: a ``cmd`` becomes
``command=["/bin/sh", "-c", cmd]``; constraints, health checks, secrets from outside the
namespace and non-secret volumes that the spec cannot express are kept whole in
``native["marathon"]``, so that applying the spec back keeps them.

A body of the wrong shape raises :class:`~orchsdk_marathon.errors.UnexpectedResponse`,
never ``KeyError`` or ``TypeError``.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from orchsdk import (
    Constraint,
    Deployment,
    FileMount,
    HealthCheck,
    Port,
    Resources,
    Rollout,
    SecretRef,
)
from orchsdk.quantity import cpu_cores, memory_mib
from orchsdk_marathon import labels as L
from orchsdk_marathon.errors import UnexpectedResponse
from orchsdk_marathon.render import (
    DEFAULT_CPUS,
    DEFAULT_MEM,
    shell_command,
    upgrade_strategy,
)
from orchsdk_marathon.services import without_services

__all__ = ["close", "parse_app", "split_app_id", "user_labels"]

Json = dict[str, Any]

_LITERALS = re.compile(r"(?:[-A-Za-z0-9_]|\\.)+(?:\|(?:[-A-Za-z0-9_]|\\.)+)*")
_UNESCAPE = re.compile(r"\\(.)")


def close(a: float, b: float) -> bool:
    """Equal as Marathon's doubles come back from JSON (a relative 1e-9)."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def split_app_id(app_id: str) -> tuple[str, str] | None:
    """``/<namespace>/<name>`` -> ``(namespace, name)``; ``None`` for other shapes."""
    parts = app_id.strip("/").split("/")
    if len(parts) != 2 or not all(parts):
        return None
    return parts[0], parts[1]


def user_labels(app: Mapping[str, Any]) -> dict[str, str]:
    """An app's labels less the backend's own (pass an app without its service labels)."""
    labels = app.get("labels")
    if not isinstance(labels, Mapping):
        return {}
    return {
        key: value
        for key, value in labels.items()
        if isinstance(key, str) and isinstance(value, str) and not key.startswith(L.PREFIX)
    }


class _Reader:
    """Typed access to one app document; a wrong type names the field, never raises KeyError."""

    def __init__(self, app: Any, what: str) -> None:
        if not isinstance(app, Mapping):
            raise UnexpectedResponse(f"{what}: expected a JSON object, got {type(app).__name__}")
        self.app = app
        self.what = what

    def fail(self, path: str, expected: str, value: Any) -> UnexpectedResponse:
        return UnexpectedResponse(
            f"{self.what}: {path} should be {expected}, got {type(value).__name__}"
        )

    def get(
        self, mapping: Any, key: str, path: str, kind: type | tuple[type, ...], default: Any
    ) -> Any:
        value = mapping.get(key) if isinstance(mapping, Mapping) else None
        if value is None:
            return default
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise self.fail(path, "a number", value)
        if not isinstance(value, kind):
            raise self.fail(path, getattr(kind, "__name__", "the right type"), value)
        return value

    def strings(self, mapping: Any, key: str, path: str) -> dict[str, str]:
        value = self.get(mapping, key, path, Mapping, {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise self.fail(path, "a map of strings", value)
        return dict(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _command(
    cmd: str | None, args: list[Any], hint: str | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if cmd is None:
        return (), tuple(str(arg) for arg in args)
    words = _own_words(cmd)
    if words is None:
        return ("/bin/sh", "-c", cmd), ()
    count = int(hint) if hint is not None and hint.isdigit() else len(words)
    if not 1 <= count <= len(words):
        count = len(words)
    return tuple(words[:count]), tuple(words[count:])


def _own_words(line: str) -> list[str] | None:
    """The words of a command line :func:`~orchsdk_marathon.render.shell_command` wrote."""
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    if len(words) < 2 or words[0] != "exec" or shell_command(words[1:]) != line:
        return None
    return words[1:]


def _decimal(number: float) -> str:
    """A float in plain decimal notation (a quantity has no room for ``1e-05``)."""
    return format(Decimal(repr(number)), "f")


def _quantity_cpu(cpus: float) -> str:
    millis = cpus * 1000
    if close(millis, round(millis)):
        return f"{round(millis)}m"
    return _decimal(cpus)


def _quantity_mem(mem: float) -> str:
    if close(mem, round(mem)):
        return f"{round(mem)}Mi"
    return f"{_decimal(mem)}Mi"


def _resources(cpus: float, mem: float, gpus: int, hint: str | None) -> Resources:
    if hint is not None:
        try:
            data = L.loads(hint)
            cpu, memory, gpu = data["cpu"], data["memory"], data["gpu"]
            if (
                close(cpu_cores(cpu) if cpu is not None else DEFAULT_CPUS, cpus)
                and close(memory_mib(memory) if memory is not None else DEFAULT_MEM, mem)
                and (gpu or 0) == gpus
            ):
                return Resources(cpu=cpu, memory=memory, gpu=gpu)
        except (ValueError, KeyError, TypeError):
            pass
    if close(cpus, DEFAULT_CPUS) and close(mem, DEFAULT_MEM) and gpus == 0:
        return Resources()  # Marathon's defaults: what an unset Resources() renders
    return Resources(cpu=_quantity_cpu(cpus), memory=_quantity_mem(mem), gpu=gpus or None)


def _percent(fraction: float) -> str:
    return f"{min(100, max(0, round(fraction * 100)))}%"


def _rollout(strategy: Mapping[str, Any], hint: str | None) -> Rollout:
    surge = strategy.get("maximumOverCapacity", 1.0)
    healthy = strategy.get("minimumHealthCapacity", 1.0)
    if not isinstance(surge, (int, float)) or not isinstance(healthy, (int, float)):
        raise UnexpectedResponse(f"upgradeStrategy {dict(strategy)} does not hold numbers")
    if hint is not None:
        try:
            data = L.loads(hint)
            rollout = Rollout(max_surge=data["max_surge"], max_unavailable=data["max_unavailable"])
            expected = upgrade_strategy(rollout, int(data["replicas"]))
            if close(expected["maximumOverCapacity"], surge) and close(
                expected["minimumHealthCapacity"], healthy
            ):
                return rollout
        except (ValueError, KeyError, TypeError, AttributeError):
            pass
    return Rollout(max_surge=_percent(surge), max_unavailable=_percent(1.0 - healthy))


def _constraint(item: Any) -> Constraint | None:
    """One Marathon constraint as a spec constraint, or ``None`` if the spec cannot say it."""
    if not isinstance(item, list) or not 2 <= len(item) <= 3:
        return None
    if not all(isinstance(part, str) for part in item):
        return None
    key, operator = item[0], item[1]
    value = item[2] if len(item) == 3 else ""
    if operator == "UNIQUE" and value == "":
        return Constraint(key, "unique")
    if operator == "IS" and value:
        return Constraint(key, "in", [value])
    if operator == "LIKE" and value == ".*":
        return Constraint(key, "exists")
    if operator in ("LIKE", "UNLIKE") and _LITERALS.fullmatch(value):
        values = [_UNESCAPE.sub(r"\1", part) for part in re.split(r"(?<!\\)\|", value)]
        return Constraint(key, "in" if operator == "LIKE" else "not_in", values)
    return None


def _health(check: Any, ports: Sequence[Port], hint: str | None) -> HealthCheck | None:
    """The spec's health check for Marathon's only one, or None if the spec cannot say it."""
    if not isinstance(check, Mapping):
        return None
    interval = _int(check.get("intervalSeconds", 60))
    timeout = _int(check.get("timeoutSeconds", 20))
    grace = _int(check.get("gracePeriodSeconds", 300))
    failures = _int(check.get("maxConsecutiveFailures", 3))
    if interval is None or timeout is None or grace is None or failures is None:
        return None
    timed = HealthCheck(interval=interval, timeout=timeout, grace=grace, failures=failures)
    protocol = check.get("protocol")
    if protocol == "COMMAND":
        command = check.get("command")
        value = command.get("value") if isinstance(command, Mapping) else None
        if not isinstance(value, str):
            return None
        words = _own_words(value)
        return attrs.evolve(timed, command=words if words is not None else ["/bin/sh", "-c", value])
    if protocol not in ("MESOS_HTTP", "MESOS_TCP") or "port" in check:
        return None
    index = _int(check.get("portIndex", 0))
    if index is None or not 0 <= index < len(ports):
        return None
    port = _health_port(ports[index], hint)
    if protocol == "MESOS_TCP":
        return attrs.evolve(timed, tcp=True, port=port)
    path = check.get("path", "/")
    if not isinstance(path, str):
        return None
    return attrs.evolve(timed, http_path=path, port=port)


def _health_port(port: Port, hint: str | None) -> int | str:
    """``HealthCheck.port`` as written: by name or by number (by name when unknown)."""
    if hint == "name" and port.name is not None:
        return port.name
    if hint == "number":
        return port.port
    return port.name if port.name is not None else port.port


def _ports(r: _Reader, mappings: list[Any]) -> tuple[Port, ...]:
    ports = []
    for index, mapping in enumerate(mappings):
        path = f"container.portMappings[{index}]"
        if not isinstance(mapping, Mapping):
            raise r.fail(path, "an object", mapping)
        number = _int(mapping.get("containerPort"))
        if number is None:
            raise r.fail(f"{path}.containerPort", "an integer", mapping.get("containerPort"))
        name = r.get(mapping, "name", f"{path}.name", str, None)
        protocol = r.get(mapping, "protocol", f"{path}.protocol", str, "tcp")
        ports.append(Port(number, name=name, protocol="UDP" if protocol == "udp" else "TCP"))
    return tuple(ports)


def _secret_ref(secrets: Mapping[str, Any], declared: Any, namespace: str) -> SecretRef | None:
    """The spec reference behind a secret declaration whose source is ``<ns>/<secret>/<key>``."""
    if not isinstance(declared, str):
        return None
    entry = secrets.get(declared)
    source = entry.get("source") if isinstance(entry, Mapping) else None
    if not isinstance(source, str):
        return None
    parts = source.split("/")
    if len(parts) != 3 or parts[0] != namespace or not parts[1] or not parts[2]:
        return None
    return SecretRef(parts[1], parts[2])


def parse_app(app: Any, namespace: str | None = None) -> Deployment:
    """The :class:`~orchsdk.Deployment` a Marathon app definition (or AppInfo) describes."""
    r = _Reader(app, "Marathon app")
    identifier = r.get(app, "id", "id", str, None)
    split = split_app_id(identifier) if identifier else None
    if split is None:
        raise UnexpectedResponse(f"Marathon app id {identifier!r} is not /<namespace>/<name>")
    namespace = namespace or split[0]
    name = split[1]
    r.what = f"Marathon app {identifier}"
    base, _ = without_services(dict(app), namespace)
    labels = r.strings(base, "labels", "labels")
    hints = {key: value for key, value in labels.items() if key.startswith(L.PREFIX)}
    user_labels = {key: value for key, value in labels.items() if not key.startswith(L.PREFIX)}
    annotations = {
        key[len(L.ANNOTATION) :]: value
        for key, value in hints.items()
        if key.startswith(L.ANNOTATION)
    }
    native: dict[str, Any] = {}
    if L.NATIVE in hints:
        try:
            loaded = L.loads(hints[L.NATIVE])
            native = dict(loaded) if isinstance(loaded, Mapping) else {}
        except ValueError:
            native = {}
    kept: dict[str, Any] = {}

    container = r.get(app, "container", "container", Mapping, {})
    docker = r.get(container, "docker", "container.docker", Mapping, {})
    image = r.get(docker, "image", "container.docker.image", str, None)
    if image is None:
        raise UnexpectedResponse(f"{r.what} has no container.docker.image: not a container app")
    mappings = r.get(container, "portMappings", "container.portMappings", list, [])
    ports = _ports(r, mappings)

    secrets = r.get(app, "secrets", "secrets", Mapping, {})
    app_env = r.get(app, "env", "env", Mapping, {})
    env: dict[str, Any] = {}
    for key, value in app_env.items():
        if isinstance(value, str):
            env[key] = value
        elif isinstance(value, Mapping):
            ref = _secret_ref(secrets, value.get("secret"), namespace)
            if ref is None:  # a secret outside <namespace>/: the spec cannot name it
                kept.update(env=dict(app_env), secrets=dict(secrets))
            else:
                env[key] = ref
        else:
            raise r.fail(f"env.{key}", "a string or a secret reference", value)
    files: list[FileMount] = []
    volumes = r.get(container, "volumes", "container.volumes", list, [])
    for volume in volumes:
        ref = None
        if isinstance(volume, Mapping) and isinstance(volume.get("containerPath"), str):
            ref = _secret_ref(secrets, volume.get("secret"), namespace)
        if ref is None:  # a host, persistent or external volume: kept as it is
            kept["container"] = {"volumes": list(volumes)}
            kept["secrets"] = dict(secrets)
            files = []
            break
        files.append(FileMount(volume["containerPath"], ref))

    cmd = r.get(app, "cmd", "cmd", str, None)
    args = r.get(app, "args", "args", list, [])
    command, arguments = _command(cmd, args, hints.get(L.COMMAND))

    cpus = r.get(app, "cpus", "cpus", (int, float), DEFAULT_CPUS)
    mem = r.get(app, "mem", "mem", (int, float), DEFAULT_MEM)
    gpus = _int(r.get(app, "gpus", "gpus", (int, float), 0)) or 0
    resources = _resources(float(cpus), float(mem), gpus, hints.get(L.RESOURCES))

    checks = r.get(app, "healthChecks", "healthChecks", list, [])
    health = _health(checks[0], ports, hints.get(L.HEALTH_PORT)) if len(checks) == 1 else None
    if checks and health is None:
        kept["healthChecks"] = checks

    constraints = r.get(app, "constraints", "constraints", list, [])
    placement = [_constraint(item) for item in constraints]
    if any(item is None for item in placement):
        kept["constraints"] = constraints
        placement = []

    strategy = r.get(app, "upgradeStrategy", "upgradeStrategy", Mapping, {})
    instances = _int(r.get(app, "instances", "instances", (int, float), 1))
    if instances is None:
        raise r.fail("instances", "an integer", app.get("instances"))
    if kept:
        marathon = native.get("marathon")
        patch = dict(marathon) if isinstance(marathon, Mapping) else {}
        native["marathon"] = {**patch, **kept}
    return Deployment(
        name,
        namespace=namespace,
        labels=user_labels,
        annotations=annotations,
        native=native,
        image=image,
        replicas=instances,
        command=command,
        args=arguments,
        ports=ports,
        env=env,
        resources=resources,
        health=health,
        rollout=_rollout(strategy, hints.get(L.ROLLOUT)),
        placement=[item for item in placement if item is not None],
        files=files,
    )
