"""Specs to Marathon documents: pure functions on plain dicts, no I/O.

:func:`render_app` turns a :class:`~orchsdk.Deployment` into the app definition that
``PUT /v2/apps/{id}?partialUpdate=false`` sends. Every field the backend manages is
written explicitly (empty lists and maps included, Marathon's defaults where the spec
leaves a value unset) so that the definition replaces the app completely and can be
compared field by field with what Marathon stores. What Marathon has no field for goes
into ``orchsdk.*`` labels (see :mod:`orchsdk_marathon.labels`), so that
:func:`orchsdk_marathon.parse.parse_app` gives the spec back exactly; a bookkeeping
label is written only when the fields alone would read back differently, so that an
app written by another tool and read back is applied unchanged.

The mapping, in short (``docs/backends/marathon.md`` has the table):

- id ``/<namespace>/<name>``; ``container.type`` ``DOCKER`` (``MESOS``, the UCR, when the
  backend is told ``containerizer="mesos"``) with ``docker.image``; ``container/bridge``
  networking with one ``portMappings`` entry per port (``hostPort: 0``: dynamic);
- ``args`` alone -> ``args``; a ``command`` -> ``cmd: "exec <command + args, shell-quoted>"``
  (``["/bin/sh", "-c", line]`` -> ``cmd: line``, how a hand-written ``cmd`` reads);
- ``cpus``/``mem`` (MiB)/``gpus`` from the quantities, Marathon's 1 / 128 / 0 when unset;
- env values, secrets as ``secrets`` + ``env: {"secret": ...}``, files as secret volumes;
- the health check as one ``MESOS_HTTP``/``MESOS_TCP``/``COMMAND`` check;
- the rollout as ``upgradeStrategy`` fractions; placement (sorted) as ``constraints``;
- then the ``native["marathon"]`` merge patch, then the services that select the
  deployment (so that their labels land on the port mappings the patch leaves).

A ``native["marathon"]`` patch may add what the spec cannot say (a read keeps there what
it could not translate) but not contradict what the spec says: a patch that would make
the app read back with other ports, env, health check... than the spec is refused with
:class:`~orchsdk.ValidationError`, as applying it would drop the spec's value silently.
"""

from __future__ import annotations

import functools
import shlex
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from orchsdk import (
    ConfigRef,
    Constraint,
    Deployment,
    FieldError,
    HealthCheck,
    OrchestratorError,
    Port,
    Resources,
    Rollout,
    Secret,
    SecretRef,
    Service,
    UnsupportedFeature,
    ValidationError,
)
from orchsdk.native import apply_native
from orchsdk.quantity import cpu_cores, memory_mib
from orchsdk_marathon import labels as L
from orchsdk_marathon.services import selects, with_services

__all__ = [
    "DEFAULT_CPUS",
    "DEFAULT_GPUS",
    "DEFAULT_MEM",
    "MIN_CPUS",
    "RESERVED_NAMES",
    "app_id",
    "command_line",
    "cpus_of",
    "escape",
    "marathon_errors",
    "mem_of",
    "own_words",
    "render_app",
    "render_fields",
    "render_secret",
    "secret_name",
    "secret_path",
    "upgrade_strategy",
]

Json = dict[str, Any]

BACKEND = "marathon"
DEFAULT_CPUS = 1.0
DEFAULT_MEM = 128.0
DEFAULT_GPUS = 0
MIN_CPUS = 0.001
"""Marathon rejects less (``cpus`` minimum in ``app.raml``)."""
RESERVED_NAMES = ("restart", "tasks", "versions")
"""The last segment of an app id may not be one of these (they are app sub-resources)."""
_REGEX_SPECIAL = set(".^$*+?()[]{}|\\")


def app_id(name: str, namespace: str) -> str:
    """The app id of a deployment: ``/<namespace>/<name>`` (namespaces are groups)."""
    return f"/{namespace}/{name}"


def secret_path(namespace: str, secret: str, key: str) -> str:
    """Where one key of a secret lives in the DC/OS secret store: ``<namespace>/<secret>/<key>``."""
    return f"{namespace}/{secret}/{key}"


def secret_name(ref: SecretRef) -> str:
    """The name of the app's secret declaration for a reference: ``<secret>/<key>``."""
    return f"{ref.secret}/{ref.key}"


def escape(value: str) -> str:
    """A literal for Marathon's (Java) regular expressions in ``LIKE``/``UNLIKE``."""
    return "".join(f"\\{char}" if char in _REGEX_SPECIAL else char for char in value)


def cpus_of(resources: Resources | None) -> float:
    """``cpus``: the CPU quantity in cores, or Marathon's default (1) when unset."""
    if resources is None or resources.cpu is None:
        return DEFAULT_CPUS
    return cpu_cores(resources.cpu)


def mem_of(resources: Resources | None) -> float:
    """``mem``: the memory quantity in MiB, or Marathon's default (128) when unset."""
    if resources is None or resources.memory is None:
        return DEFAULT_MEM
    return memory_mib(resources.memory)


def _fraction(amount: int | str, replicas: int) -> float:
    """A rollout amount as a fraction of the replicas: ``"25%"`` -> 0.25, ``1`` of 4 -> 0.25."""
    if isinstance(amount, str):
        return int(amount.rstrip("%")) / 100
    if replicas <= 0:
        return 1.0 if amount > 0 else 0.0
    return min(amount, replicas) / replicas


def upgrade_strategy(rollout: Rollout, replicas: int) -> Json:
    """``upgradeStrategy`` for a rollout: surge -> ``maximumOverCapacity``,
    ``1 - unavailable`` -> ``minimumHealthCapacity``. Percentages are exact fractions;
    counts are divided by the replicas (and capped at all of them: more cannot be
    replaced at once anyway)."""
    surge = _fraction(rollout.max_surge, replicas)
    unavailable = _fraction(rollout.max_unavailable, replicas)
    return {"maximumOverCapacity": surge, "minimumHealthCapacity": 1.0 - unavailable}


def _constraint(constraint: Constraint) -> list[str]:
    if constraint.operator == "unique":
        return [constraint.key, "UNIQUE"]
    if constraint.operator == "exists":
        return [constraint.key, "LIKE", ".*"]
    pattern = "|".join(escape(value) for value in constraint.values)
    if constraint.operator == "not_in":
        return [constraint.key, "UNLIKE", pattern]
    if len(constraint.values) == 1:
        return [constraint.key, "IS", constraint.values[0]]
    return [constraint.key, "LIKE", pattern]


def _port_index(health: HealthCheck, ports: Sequence[Port]) -> int:
    if health.port is None:
        return 0
    for index, port in enumerate(ports):
        if health.port in (port.name, port.port):
            return index
    return 0


def _health_check(health: HealthCheck, ports: Sequence[Port]) -> Json:
    check: Json = {
        "intervalSeconds": health.interval,
        "timeoutSeconds": health.timeout,
        "gracePeriodSeconds": health.grace,
        "maxConsecutiveFailures": health.failures,
        "delaySeconds": 0,
    }
    if health.kind == "http":
        check.update(protocol="MESOS_HTTP", path=health.http_path)
        check["portIndex"] = _port_index(health, ports)
    elif health.kind == "tcp":
        check.update(protocol="MESOS_TCP", portIndex=_port_index(health, ports))
    else:
        check.update(protocol="COMMAND", command={"value": command_line(health.command)})
    return check


def shell_command(words: Iterable[str]) -> str:
    """Words as one ``/bin/sh -c`` command line that runs exactly them: ``exec 'a b' c``.

    Marathon runs ``cmd`` and command checks through a shell; quoting keeps every word
    whole, and ``exec`` makes the program the task's process (it gets the signals).
    """
    return "exec " + shlex.join(words)


def own_words(line: str) -> list[str] | None:
    """The words of a command line :func:`shell_command` wrote, or None for another line."""
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    if len(words) < 2 or words[0] != "exec" or shell_command(words[1:]) != line:
        return None
    return words[1:]


SHELL = ("/bin/sh", "-c")
"""How a command line someone else wrote reads: ``["/bin/sh", "-c", line]``."""


def command_line(words: Sequence[str]) -> str:
    """The command line for ``cmd`` or a command check: :func:`shell_command`, except
    that ``["/bin/sh", "-c", line]`` is ``line`` itself. Marathon runs it with
    ``/bin/sh -c``: the same program, written as the app's own author wrote it (unless
    ``line`` reads as :func:`shell_command`'s, or is too short for Marathon)."""
    if len(words) == 3 and tuple(words[:2]) == SHELL:
        line = words[2]
        if len(line) > 1 and own_words(line) is None:
            return line
    return shell_command(words)


def marathon_errors(spec: Deployment) -> list[FieldError]:
    """What the core's validation lets through but Marathon would reject (HTTP 422)."""
    errors = []
    if spec.name in RESERVED_NAMES:
        reserved = ", ".join(RESERVED_NAMES)
        errors.append(FieldError("name", f"{spec.name!r} is reserved by Marathon ({reserved})"))
    cpu = spec.resources.cpu
    if cpu is not None and cpu_cores(cpu) < MIN_CPUS:
        message = f"Marathon needs at least 1m (0.001 CPUs), got {cpu!r}"
        errors.append(FieldError("resources.cpu", message))
    seen: dict[tuple[str, ...], int] = {}
    for index, constraint in enumerate(spec.placement):
        rendered = tuple(_constraint(constraint))
        if rendered in seen:
            errors.append(
                FieldError(
                    f"placement[{index}]",
                    f"is the same Marathon constraint as placement[{seen[rendered]}]; "
                    "Marathon needs every constraint once",
                )
            )
        seen.setdefault(rendered, index)
    return errors


def _secret_refs(
    spec: Deployment, namespace: str, containerizer: str
) -> tuple[Json, Json, list[Json]]:
    env: Json = {}
    secrets: Json = {}
    volumes: list[Json] = []
    subject = f"Deployment {spec.name!r}"
    for name, value in spec.env.items():
        if isinstance(value, SecretRef):
            declared = secret_name(value)
            secrets[declared] = {"source": secret_path(namespace, value.secret, value.key)}
            env[name] = {"secret": declared}
        elif isinstance(value, ConfigRef):
            raise UnsupportedFeature(BACKEND, subject, f"env.{name}", "Marathon has no config maps")
        else:
            env[name] = value
    for index, mount in enumerate(spec.files):
        if not isinstance(mount.source, SecretRef):
            raise UnsupportedFeature(
                BACKEND, subject, f"files[{index}]", "Marathon has no config maps"
            )
        if containerizer != "mesos":
            raise UnsupportedFeature(
                BACKEND, subject, f"files[{index}]", "secret files need containerizer='mesos'"
            )
        declared = secret_name(mount.source)
        secrets[declared] = {
            "source": secret_path(namespace, mount.source.secret, mount.source.key)
        }
        volumes.append({"containerPath": mount.path, "secret": declared})
    return env, secrets, volumes


@functools.lru_cache(maxsize=1024)
def _resources_hint(resources: Resources) -> str:
    """The ``orchsdk.resources`` label of an amount (few distinct ones: cached)."""
    return L.dumps({"cpu": resources.cpu, "memory": resources.memory, "gpu": resources.gpu})


def _hints(spec: Deployment) -> dict[str, str]:
    hints: dict[str, str] = {}
    if spec.command:
        hints[L.COMMAND] = str(len(spec.command))
    resources = spec.resources
    if resources != Resources():
        hints[L.RESOURCES] = _resources_hint(resources)
    if spec.health is not None and spec.health.port is not None:
        hints[L.HEALTH_PORT] = "name" if isinstance(spec.health.port, str) else "number"
    amounts = (spec.rollout.max_surge, spec.rollout.max_unavailable)
    if not all(isinstance(amount, str) for amount in amounts):  # counts depend on replicas
        hints[L.ROLLOUT] = L.dumps(
            {
                "max_surge": spec.rollout.max_surge,
                "max_unavailable": spec.rollout.max_unavailable,
                "replicas": spec.replicas,
            }
        )
    if spec.native:
        hints[L.NATIVE] = L.dumps(L.plain(spec.native))
    for key, value in spec.annotations.items():
        hints[L.ANNOTATION + key] = value
    return hints


def render_app(
    spec: Deployment, *, services: Iterable[Service] = (), containerizer: str = "docker"
) -> Json:
    """The Marathon app definition of a deployment (whose namespace is set).

    ``services`` are the namespace's services; those whose selector matches the
    deployment's labels put their labels on it (this is how a canary joins a service).
    Raises :class:`~orchsdk.ValidationError` for what Marathon would reject (or a
    ``native["marathon"]`` patch that contradicts the spec) and
    :class:`~orchsdk.UnsupportedFeature` for what it cannot carry.
    """
    app = render_fields(spec, containerizer=containerizer)
    app = _needed_bookkeeping(app, spec, containerizer)
    return with_services(app, [s for s in services if selects(s, spec.labels)])


def render_fields(spec: Deployment, *, containerizer: str = "docker") -> Json:
    """The app of a deployment before its services, with every bookkeeping label and the
    ``native["marathon"]`` patch applied: what :func:`render_app` starts from, and what a
    read compares a stored app with (:mod:`orchsdk_marathon.fields`)."""
    namespace = spec.namespace or "default"
    errors = marathon_errors(spec)
    if errors:
        raise ValidationError(f"Deployment {spec.name!r}", errors)
    gpus = spec.resources.gpu or 0
    if gpus and containerizer != "mesos":
        raise UnsupportedFeature(
            BACKEND, f"Deployment {spec.name!r}", "resources.gpu", "GPUs need containerizer='mesos'"
        )
    env, secrets, volumes = _secret_refs(spec, namespace, containerizer)
    mappings = []
    for port in spec.ports:
        mapping: Json = {
            "containerPort": port.port,
            "hostPort": 0,
            "protocol": port.protocol.lower(),
            "labels": {},
        }
        if port.name is not None:
            mapping["name"] = port.name
        mappings.append(mapping)
    app: Json = {
        "id": app_id(spec.name, namespace),
        "instances": spec.replicas,
        "cpus": cpus_of(spec.resources),
        "mem": mem_of(spec.resources),
        "gpus": gpus,
        "container": {
            "type": "MESOS" if containerizer == "mesos" else "DOCKER",
            "docker": {"image": spec.image},
            "portMappings": mappings,
            "volumes": volumes,
        },
        "networks": [{"mode": "container/bridge"}],
        "env": env,
        "secrets": secrets,
        "labels": {**spec.labels, **_hints(spec)},
        "healthChecks": [] if spec.health is None else [_health_check(spec.health, spec.ports)],
        "upgradeStrategy": upgrade_strategy(spec.rollout, spec.replicas),
        "constraints": [_constraint(constraint) for constraint in spec.placement],
    }
    if spec.command:
        app["cmd"] = command_line([*spec.command, *spec.args])
    elif spec.args:
        app["args"] = list(spec.args)
    return apply_native(app, spec, BACKEND)


_OVERRIDABLE = {
    "command": "cmd",
    "args": "args, cmd",
    "ports": "container.portMappings",
    "env": "env, secrets",
    "resources": "cpus, mem, gpus",
    "health": "healthChecks",
    "rollout": "upgradeStrategy",
    "placement": "constraints",
    "files": "container.volumes, secrets",
}
"""Spec fields a ``native["marathon"]`` patch must not contradict, and their app fields.
(``replicas`` and ``image`` are not checked: a patch may pin ``instances``.)"""


def _needed_bookkeeping(app: Json, spec: Deployment, containerizer: str) -> Json:
    """``app`` without the bookkeeping labels its fields already say, after checking that
    its ``native["marathon"]`` patch does not contradict the spec.

    Each label is dropped only when the reader gives the same spec without it, so
    ``parse_app(render_app(spec)) == spec`` still holds (the property tests check it).
    """
    from orchsdk_marathon import parse  # parse imports this module

    labels = app.get("labels")
    if not isinstance(labels, dict):
        return app
    redundant = [key for key in (L.COMMAND, L.RESOURCES, L.ROLLOUT) if key in labels]
    redundant = [key for key in redundant if parse.hint_is_redundant(app, key)]
    health = spec.health
    if L.HEALTH_PORT in labels and health is not None:
        target = spec.ports[_port_index(health, spec.ports)] if spec.ports else None
        if target is not None and health.port == (target.name or target.port):
            redundant.append(L.HEALTH_PORT)
    patch = spec.native.get(BACKEND)
    if isinstance(patch, Mapping) and patch:
        alone = set(spec.native) == {BACKEND}
        trial = _without_labels(app, [L.NATIVE]) if alone else app
        try:  # read as get() reads it: with the app's own containerizer
            read = parse.parse_app(trial, spec.namespace or "default")
        except OrchestratorError:
            read = None
        if read is not None:
            _check_patch(spec, read, containerizer)
            if alone and read.native == spec.native:
                redundant.append(L.NATIVE)
    return _without_labels(app, redundant) if redundant else app


def _without_labels(app: Json, keys: Iterable[str]) -> Json:
    drop = set(keys)
    labels = {key: value for key, value in app["labels"].items() if key not in drop}
    return {**app, "labels": labels}


def _check_patch(spec: Deployment, read: Deployment, containerizer: str) -> None:
    """Refuses a ``native["marathon"]`` patch that makes the app read back as another spec
    in a field the spec sets (:data:`_OVERRIDABLE`): other than the app without the patch."""
    from orchsdk_marathon import parse  # parse imports this module

    unset = Deployment(spec.name, image=spec.image)
    suspects = [
        field
        for field in _OVERRIDABLE
        if getattr(spec, field) != getattr(unset, field)
        and getattr(read, field) != getattr(spec, field)
    ]
    if not suspects:
        return
    others = {key: value for key, value in spec.native.items() if key != BACKEND}
    plain = render_fields(attrs.evolve(spec, native=others), containerizer=containerizer)
    try:  # a field the spec's own rendering reads back otherwise (invalid...) is no override
        unpatched = parse.parse_app(plain, spec.namespace or "default")
    except OrchestratorError:
        return
    errors = [
        FieldError(
            f"native.{BACKEND}",
            f"overrides {field} (it sets {_OVERRIDABLE[field]} so that the app would read back "
            f"with other {field}): change the patch with {field}, or leave it out of the patch",
        )
        for field in suspects
        if getattr(read, field) != getattr(unpatched, field)
    ]
    if errors:
        raise ValidationError(f"Deployment {spec.name!r}", errors)


def render_secret(secret: Secret) -> list[Json]:
    """One secret-store document per key: ``{"path": "<ns>/<name>/<key>", "value": ...}``."""
    namespace = secret.namespace or "default"
    return [
        {"store": "default", "path": secret_path(namespace, secret.name, key), "value": value}
        for key, value in secret.data.items()
    ]
