"""Marathon documents back to specs: pure functions on plain dicts, no I/O.

For an app this backend wrote, :func:`parse_app` gives back exactly the spec that was
rendered: ``parse_app(render_app(spec)) == spec`` (the property tests check it), reading
the ``orchsdk.*`` labels for what Marathon has no field for. Each such label is checked
against the fields it describes and ignored when they disagree (someone changed the app
another way), so a read always reports what Marathon runs.

**Apps written by other tools** are read losslessly: applying the spec back changes
nothing. The spec says what it can (a ``cmd`` is ``command=["/bin/sh", "-c", cmd]``, a
mapping with ``containerPort`` 0 is not a port of the app but Marathon's default one...),
as long as the spec stays valid and portable: a label, port name, health check... that
the core's validation or this backend refuses is left out of the spec. Then the spec is
rendered again and ``native["marathon"]`` keeps the difference to the stored app, as a
merge patch (:func:`orchsdk_marathon.fields.patch`): every field of the app that

- is not read-only or status (``version``, ``versionInfo``, ``tasks*``, ``deployments``,
  ``lastTaskFailure``, ``readinessCheckResults``, ``taskStats``...), nor a deprecated
  field next to its replacement (``ports`` with ``portDefinitions``...), nor one of the
  ``orchsdk.*`` bookkeeping labels (the renderer's alone),
- and differs from what the renderer writes (for a field it writes: ``instances``,
  ``container.portMappings``, ``healthChecks``... see :data:`~orchsdk_marathon.fields.RENDERED`)
  or from Marathon's default (for any other: ``fetch``, ``user``, ``backoffSeconds``,
  ``container.docker.parameters``... see :data:`~orchsdk_marathon.fields.DEFAULTS`).

So a host-network app keeps ``networks``, ``portDefinitions`` and ``container:
{"portMappings": null}`` there; a user's own ``VIP_0`` on a port mapping, or a fixed
``hostPort``, keeps the port mappings whole; a health check with Marathon's 15 s delay
(the renderer writes 0) keeps the health checks whole, while ``health`` says the check
for other orchestrators. :func:`~orchsdk_marathon.render.render_app` refuses a patch
that contradicts a spec field changed since.

A body of the wrong shape raises :class:`~orchsdk.UnexpectedResponse`,
never ``KeyError`` or ``TypeError``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

import orchsdk
from orchsdk import (
    Constraint,
    Deployment,
    FileMount,
    HealthCheck,
    OrchestratorError,
    Port,
    Resources,
    Rollout,
    SecretRef,
    UnexpectedResponse,
    UnsupportedFeature,
    ValidationError,
)
from orchsdk.native import merge_patch
from orchsdk.quantity import cpu_cores, memory_mib
from orchsdk_marathon import fields as F
from orchsdk_marathon import labels as L
from orchsdk_marathon.render import (
    DEFAULT_CPUS,
    DEFAULT_MEM,
    SHELL,
    own_words,
    render_fields,
    upgrade_strategy,
)
from orchsdk_marathon.rules import rule_errors
from orchsdk_marathon.services import without_services
from orchsdk_marathon.support import unsupported_fields

__all__ = ["close", "hint_is_redundant", "parse_app", "split_app_id", "user_labels"]

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
    words = own_words(cmd)
    if words is None:
        return (*SHELL, cmd), ()
    count = int(hint) if hint is not None and hint.isdigit() else len(words)
    if not 1 <= count <= len(words):
        count = len(words)
    return tuple(words[:count]), tuple(words[count:])


def hint_is_redundant(app: Mapping[str, Any], key: str) -> bool:
    """Whether the bookkeeping label ``key`` (``orchsdk.command``, ``.resources`` or
    ``.rollout``) of a rendered app reads back the same as its fields alone."""
    labels = app.get("labels")
    hint = labels.get(key) if isinstance(labels, Mapping) else None
    try:
        if key == L.COMMAND:
            cmd, args = app.get("cmd"), app.get("args") or []
            if not isinstance(cmd, str) or not isinstance(args, list):
                return False
            return _command(cmd, args, hint) == _command(cmd, args, None)
        if key == L.RESOURCES:
            cpus, mem, gpus = app.get("cpus"), app.get("mem"), app.get("gpus") or 0
            if not (
                isinstance(cpus, (int, float))
                and isinstance(mem, (int, float))
                and _finite(cpus)
                and _finite(mem)
                and isinstance(gpus, int)
            ):
                return False
            amounts = (float(cpus), float(mem), int(gpus))
            return _resources(*amounts, hint) == _resources(*amounts, None)
        if key == L.ROLLOUT:
            strategy = app.get("upgradeStrategy")
            if not isinstance(strategy, Mapping):
                return False
            return _rollout(strategy, hint) == _rollout(strategy, None)
    except (UnexpectedResponse, ValueError, ArithmeticError):
        return False
    return False


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


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


@functools.lru_cache(maxsize=1024, typed=True)
def _resources(cpus: float, mem: float, gpus: int, hint: str | None) -> Resources:
    """The resources an app's amounts and ``orchsdk.resources`` hint read as (a pure
    function of few distinct inputs, called for every app rendered and read: cached)."""
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


def _health(check: Any, ports: Sequence[Port | None], hint: str | None) -> HealthCheck | None:
    """The spec's health check for Marathon's only one, or None if the spec cannot say it
    (``ports`` are the ports of the port mappings, by index; None where one is no port)."""
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
        words = own_words(value)
        return attrs.evolve(timed, command=words if words is not None else [*SHELL, value])
    if protocol not in ("MESOS_HTTP", "MESOS_TCP") or "port" in check:
        return None
    index = _int(check.get("portIndex", 0))
    if index is None or not 0 <= index < len(ports):
        return None
    target = ports[index]
    if target is None:
        return None
    port = _health_port(target, hint)
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


def _ports(r: _Reader, mappings: list[Any]) -> list[Port | None]:
    """The port of each port mapping; None for a mapping that is no port of the app:
    ``containerPort`` 0 (the host port, whatever it is: Marathon's default mapping for a
    bridge app that gives none is one) or both protocols (``udp,tcp``)."""
    ports: list[Port | None] = []
    for index, mapping in enumerate(mappings):
        path = f"container.portMappings[{index}]"
        if not isinstance(mapping, Mapping):
            raise r.fail(path, "an object", mapping)
        number = _int(mapping.get("containerPort", 0))
        if number is None:
            raise r.fail(f"{path}.containerPort", "an integer", mapping.get("containerPort"))
        name = r.get(mapping, "name", f"{path}.name", str, None)
        protocol = r.get(mapping, "protocol", f"{path}.protocol", str, "tcp")
        if number <= 0 or protocol not in ("tcp", "udp"):
            ports.append(None)
            continue
        ports.append(Port(number, name=name, protocol="UDP" if protocol == "udp" else "TCP"))
    return ports


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


def parse_app(
    app: Any,
    namespace: str | None = None,
    *,
    containerizer: str | None = None,
    rendered: tuple[Deployment, Json] | None = None,
) -> Deployment:
    """The :class:`~orchsdk.Deployment` a Marathon app definition (or AppInfo) describes.

    ``containerizer`` is the backend's (``"docker"`` or ``"mesos"``): an app of the other
    ``container.type`` keeps its type in ``native["marathon"]``. None: the app's own.
    ``rendered`` is a spec and its :func:`~orchsdk_marathon.render.render_fields` app, known
    to be valid: when the fields read as that spec, the read uses that app instead of
    checking and rendering the spec again (an apply reads back the app it just rendered).
    """
    try:
        return _parse_app(app, namespace, containerizer, rendered)
    except RecursionError:
        raise UnexpectedResponse("Marathon app: nested too deeply to read") from None


def _parse_app(
    app: Any,
    namespace: str | None,
    containerizer: str | None,
    known: tuple[Deployment, Json] | None,
) -> Deployment:
    r = _Reader(app, "Marathon app")
    identifier = r.get(app, "id", "id", str, None)
    split = split_app_id(identifier) if identifier else None
    if split is None:
        raise UnexpectedResponse(f"Marathon app id {identifier!r} is not /<namespace>/<name>")
    namespace = namespace or split[0]
    name = split[1]
    r.what = f"Marathon app {identifier}"
    base, _ = without_services(dict(app), namespace)
    stored = F.config(base)
    labels = r.strings(stored, "labels", "labels")
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
    if not isinstance(native.get("marathon", {}), Mapping):
        native.pop("marathon")

    container = r.get(stored, "container", "container", Mapping, {})
    docker = r.get(container, "docker", "container.docker", Mapping, {})
    image = r.get(docker, "image", "container.docker.image", str, None)
    if image is None:
        raise UnexpectedResponse(f"{r.what} has no container.docker.image: not a container app")
    engine = "mesos" if container.get("type") == "MESOS" else "docker"
    mappings = r.get(container, "portMappings", "container.portMappings", list, [])
    mapped = _ports(r, mappings)

    secrets = r.get(stored, "secrets", "secrets", Mapping, {})
    app_env = r.get(stored, "env", "env", Mapping, {})
    env: dict[str, Any] = {}
    for key, value in app_env.items():
        if isinstance(value, str):
            env[key] = value
        elif isinstance(value, Mapping):
            ref = _secret_ref(secrets, value.get("secret"), namespace)
            if ref is not None:  # else a secret outside <namespace>/: the spec cannot name it
                env[key] = ref
        else:
            raise r.fail(f"env.{key}", "a string or a secret reference", value)
    files: list[FileMount] = []
    volumes = r.get(container, "volumes", "container.volumes", list, [])
    for volume in volumes:
        ref = None
        if isinstance(volume, Mapping) and isinstance(volume.get("containerPath"), str):
            ref = _secret_ref(secrets, volume.get("secret"), namespace)
        if ref is None:  # a host, persistent or external volume: the spec says none of them
            files = []
            break
        files.append(FileMount(volume["containerPath"], ref))

    cmd = r.get(stored, "cmd", "cmd", str, None)
    args = r.get(stored, "args", "args", list, [])
    command, arguments = _command(cmd, args, hints.get(L.COMMAND))

    cpus = r.get(stored, "cpus", "cpus", (int, float), DEFAULT_CPUS)
    mem = r.get(stored, "mem", "mem", (int, float), DEFAULT_MEM)
    gpus = _int(r.get(stored, "gpus", "gpus", (int, float), 0)) or 0
    for field, amount in (("cpus", cpus), ("mem", mem)):
        if not math.isfinite(amount):
            raise r.fail(field, "a finite number", amount)
    resources = _resources(float(cpus), float(mem), gpus, hints.get(L.RESOURCES))

    checks = r.get(stored, "healthChecks", "healthChecks", list, [])
    health = _health(checks[0], mapped, hints.get(L.HEALTH_PORT)) if len(checks) == 1 else None

    constraints = r.get(stored, "constraints", "constraints", list, [])
    placement = [_constraint(item) for item in constraints]
    if any(item is None for item in placement):
        placement = []  # kept whole, with those the spec could say

    strategy = r.get(stored, "upgradeStrategy", "upgradeStrategy", Mapping, {})
    rollout = _rollout(strategy, hints.get(L.ROLLOUT))
    # Counts are fractions of the replicas they were rendered for (the label says how
    # many): after a scale the stored fractions are still the spec's, until an apply
    # recomputes them. So the strategy is the spec's, not a difference to keep.
    said = {"upgradeStrategy"} if rollout != _rollout(strategy, None) else set()
    instances = _int(r.get(stored, "instances", "instances", (int, float), 1))
    if instances is None:
        raise r.fail("instances", "an integer", stored.get("instances"))
    spec = Deployment(
        name,
        namespace=namespace,
        labels=user_labels,
        annotations=annotations,
        native=native,
        image=image,
        replicas=instances,
        command=command,
        args=arguments,
        ports=[port for port in mapped if port is not None],
        env=env,
        resources=resources,
        health=health,
        rollout=rollout,
        placement=[item for item in placement if item is not None],
        files=files,
    )
    if known is not None and known[0] == spec and _engine(known[1]) == engine:
        rendered = known[1]
    else:
        spec, rendered = _portable(spec, engine, r.what)
    if hints.get(L.HEALTH_PORT) != "number":
        spec = _health_by_name(spec)
    return _keeping(spec, rendered, stored, said, engine, containerizer, r.what)


def _engine(app: Mapping[str, Any]) -> str:
    """``"mesos"`` for an app of ``container.type`` ``MESOS``, else ``"docker"``."""
    container = app.get("container")
    kind = container.get("type") if isinstance(container, Mapping) else None
    return "mesos" if kind == "MESOS" else "docker"


# -- what the spec cannot say -----------------------------------------------------------


def _portable(spec: Deployment, engine: str, what: str) -> tuple[Deployment, dict[str, Any]]:
    """``spec`` less what the core's validation or this backend refuses (which then stays
    in the app, and so in the patch), and the app it renders to."""
    for _ in range(100):
        problems = _refused(spec)
        if not problems:
            try:
                return spec, render_fields(spec, containerizer=engine)
            except ValidationError as error:
                problems = list(error.fields)
            except UnsupportedFeature as error:
                problems = [error.field]
            except (ValueError, ArithmeticError) as error:
                raise UnexpectedResponse(f"{what} cannot be read: {error}") from None
        changed = spec
        for path in problems:
            changed = _leave_out(changed, path)
        if changed == spec:
            break
        spec = changed
    raise UnexpectedResponse(f"{what} cannot be read as a spec: {', '.join(problems)}")


def _refused(spec: Deployment) -> list[str]:
    """The paths of the fields the spec cannot carry that :func:`_leave_out` can leave out."""
    try:
        orchsdk.validate(spec)
        errors: list[str] = []
    except ValidationError as error:
        errors = list(error.fields)
    except (ValueError, ArithmeticError):
        errors = ["resources"]  # a quantity past what validation can read
    errors += [error.path for error in rule_errors(spec)]
    errors += [gap.field for gap in unsupported_fields(spec)]
    return [path for path in errors if _leave_out(spec, path) != spec]


_PORT = re.compile(r"ports\[(\d+)\](\.name)?")


def _leave_out(spec: Deployment, path: str) -> Deployment:
    """``spec`` without the field at ``path`` (or its nearest part that can go): a label,
    an annotation, an env var, a port (or just its name), the health check, the
    placement, the files, one resource, the rollout (back to the default). The name,
    namespace, image and replicas cannot go: a spec invalid there stays invalid."""
    head = re.match(r"[a-z_]*", path)
    field = head.group() if head else ""
    if field in ("labels", "annotations", "env"):
        mapping: Mapping[str, Any] = getattr(spec, field)
        keys = [
            key for key in mapping if path == f"{field}.{key}" or path.startswith(f"{field}.{key}.")
        ]
        if not keys and path != field:
            return spec
        kept = {key: value for key, value in mapping.items() if keys and key not in keys}
        changes: dict[str, Any] = {field: kept}
        return attrs.evolve(spec, **changes)
    if field == "ports":
        match = _PORT.match(path)
        if match is None:
            return attrs.evolve(spec, ports=(), health=None)
        index = int(match.group(1))
        if index >= len(spec.ports):
            return spec
        port = spec.ports[index]
        if match.group(2):
            named = [*spec.ports[:index], attrs.evolve(port, name=None), *spec.ports[index + 1 :]]
            health = spec.health
            if health is not None and port.name is not None and health.port == port.name:
                health = attrs.evolve(health, port=port.port)
            return attrs.evolve(spec, ports=named, health=health)
        return attrs.evolve(spec, ports=[*spec.ports[:index], *spec.ports[index + 1 :]])
    if field == "resources":
        part = path.partition(".")[2].partition(".")[0]
        if part in ("cpu", "memory", "gpu"):
            return attrs.evolve(spec, resources=attrs.evolve(spec.resources, **{part: None}))
        return attrs.evolve(spec, resources=Resources())
    defaults: dict[str, Any] = {"health": None, "rollout": Rollout(), "placement": (), "files": ()}
    if field in defaults:
        return attrs.evolve(spec, **{field: defaults[field]})
    return spec


def _health_by_name(spec: Deployment) -> Deployment:
    """A check on a port by number names it when the port it finds has a name, as a check
    read without ``orchsdk.health-port`` does: the same port, read the same way again."""
    health = spec.health
    if health is None or not isinstance(health.port, int):
        return spec
    for port in spec.ports:
        if health.port in (port.name, port.port):
            if port.name is None:
                return spec
            return attrs.evolve(spec, health=attrs.evolve(health, port=port.name))
    return spec


def _keeping(
    spec: Deployment,
    rendered: dict[str, Any],
    stored: dict[str, Any],
    said: set[str],
    engine: str,
    containerizer: str | None,
    what: str,
) -> Deployment:
    """``spec`` with ``native["marathon"]`` keeping what it does not say of ``stored``
    (the fields ``said`` are the spec's even where they differ from what it renders)."""
    engine_patch: dict[str, Any] = {}
    if containerizer is not None and containerizer != engine:
        engine_patch = {"container": {"type": "MESOS" if engine == "mesos" else "DOCKER"}}
    difference = {k: v for k, v in F.patch(rendered, stored).items() if k not in said}
    others = {key: value for key, value in spec.native.items() if key != "marathon"}
    if difference:  # the app changed since orchsdk wrote it, or another tool wrote it
        if "marathon" in spec.native:  # read the difference from what the fields render
            try:
                rendered = render_fields(attrs.evolve(spec, native=others), containerizer=engine)
            except OrchestratorError as error:
                raise UnexpectedResponse(f"{what} cannot be read: {error}") from None
            difference = {k: v for k, v in F.patch(rendered, stored).items() if k not in said}
        patch = merge_patch(difference, engine_patch) if engine_patch else difference
    else:  # the labelled patch gives the app: keep it as it was written
        patch = L.plain(spec.native.get("marathon", {}))
        patch = merge_patch(patch, engine_patch) if engine_patch else patch
    native = {**others, "marathon": patch} if patch else others
    return attrs.evolve(spec, native=native)
