"""Specs to Marathon documents: pure functions on plain dicts, no I/O, no reading back.

:func:`render_plain` turns a :class:`~orchsdk.Deployment` into the fields of the app
definition that ``PUT /v2/apps/{id}?partialUpdate=false`` sends. Every field the backend
manages is written explicitly (empty lists and maps included, Marathon's defaults where
the spec leaves a value unset) so that the definition replaces the app completely and can
be compared field by field with what Marathon stores. What Marathon has no field for goes
into ``orchsdk.*`` labels (see :mod:`orchsdk_marathon.labels`), so that
:func:`orchsdk_marathon.parse.parse_app` gives the spec back exactly.
:mod:`orchsdk_marathon.app_definition` makes the app an apply sends from this, in one
pass (Marathon's rules, the ``native["marathon"]`` patch, the bookkeeping labels the
fields make redundant, the services' labels); this module never reads an app back, so
:mod:`orchsdk_marathon.parse` may use it and not the other way round.

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
- then the ``native["marathon"]`` merge patch (:func:`render_fields`).
"""

from __future__ import annotations

import functools
import shlex
from collections.abc import Iterable, Sequence
from typing import Any

from orchsdk import (
    ConfigRef,
    Constraint,
    Deployment,
    HealthCheck,
    Port,
    Resources,
    Rollout,
    Secret,
    SecretRef,
    UnsupportedFeature,
)
from orchsdk.native import apply_native
from orchsdk.quantity import cpu_cores, memory_mib
from orchsdk_marathon import labels as L

__all__ = [
    "DEFAULT_CPUS",
    "DEFAULT_GPUS",
    "DEFAULT_MEM",
    "SHELL",
    "app_id",
    "command_line",
    "cpus_of",
    "escape",
    "marathon_constraint",
    "mem_of",
    "own_words",
    "port_index",
    "render_fields",
    "render_plain",
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


def marathon_constraint(constraint: Constraint) -> list[str]:
    """One placement constraint as Marathon's ``[field, OPERATOR, value]``."""
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


def port_index(health: HealthCheck, ports: Sequence[Port]) -> int:
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
        check["portIndex"] = port_index(health, ports)
    elif health.kind == "tcp":
        check.update(protocol="MESOS_TCP", portIndex=port_index(health, ports))
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


def render_fields(spec: Deployment, *, containerizer: str = "docker") -> Json:
    """The app of a deployment before its services: its fields, every bookkeeping label,
    and the ``native["marathon"]`` patch applied. What a read compares a stored app with
    (:mod:`orchsdk_marathon.parse`); :mod:`orchsdk_marathon.app_definition` starts from
    :func:`render_plain` instead, to keep the app before the patch too."""
    return apply_native(render_plain(spec, containerizer=containerizer), spec, BACKEND)


def render_plain(spec: Deployment, *, containerizer: str = "docker") -> Json:
    """The app of a deployment from its fields and bookkeeping labels, without the
    ``native["marathon"]`` patch: the one walk of a spec that every app render makes.
    Raises :class:`~orchsdk.UnsupportedFeature` for what Marathon cannot carry; Marathon's
    own rules are :func:`orchsdk_marathon.rules.rule_errors`, checked before."""
    namespace = spec.namespace or "default"
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
        "constraints": [marathon_constraint(item) for item in spec.placement],
    }
    if spec.command:
        app["cmd"] = command_line([*spec.command, *spec.args])
    elif spec.args:
        app["args"] = list(spec.args)
    return app


def render_secret(secret: Secret) -> list[Json]:
    """One secret-store document per key: ``{"path": "<ns>/<name>/<key>", "value": ...}``."""
    namespace = secret.namespace or "default"
    return [
        {"store": "default", "path": secret_path(namespace, secret.name, key), "value": value}
        for key, value in secret.data.items()
    ]
