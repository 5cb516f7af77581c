"""What a read keeps in ``native["marathon"]``: the renderer's fields, Marathon's defaults,
and the merge patch from the app the spec renders to the app Marathon stores.

A spec cannot say everything a Marathon app holds. :func:`~orchsdk_marathon.parse.parse_app`
translates what it can, renders that spec again, and keeps the difference to the stored
app as an RFC 7386 merge patch (:func:`patch`), so that applying the spec back writes
the app Marathon already has. One rule decides, for every field of the stored app:

- **read-only** fields (:data:`READ_ONLY`: ``version``, ``tasks``, counts...) are never
  kept, and neither is a deprecated field next to the one that replaced it
  (:data:`DEPRECATED`: Marathon echoes ``ports`` from ``portDefinitions``);
- a field **the renderer writes** (:data:`RENDERED`) is kept when the stored value
  differs from the rendered one; the ``orchsdk.*`` bookkeeping labels
  (:data:`~orchsdk_marathon.labels.BOOKKEEPING`) are the renderer's alone;
- **any other** field is kept unless it holds **Marathon's default** (:data:`DEFAULTS`):
  leaving it out gives the same app.

Values are compared as Marathon compares them: numbers as doubles, a missing value as
its default, an empty list or map as a missing one (unless leaving the field out gets a
default port: ``portDefinitions``, ``container.portMappings``), a service port Marathon
picked (:data:`AUTO`) as any other it would pick, constraints as a set. Objects are patched key
by key (``null`` deletes what the spec would add); a list that differs is kept whole, as
stored (less the service ports Marathon picked). The tables are data, so that each rule
can be checked against Marathon's RAML (``raml/v2/types/app.raml`` and the types it uses).

Pure functions on plain JSON values; every input shape is accepted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from orchsdk_marathon import labels as L

__all__ = [
    "AUTO",
    "DEFAULTS",
    "DEPRECATED",
    "NOT_WITH_NETWORK",
    "READ_ONLY",
    "RENDERED",
    "UNORDERED",
    "config",
    "constraint_set",
    "is_default",
    "kept",
    "network_mode",
    "patch",
    "same",
]

Json = dict[str, Any]


class _Auto:
    """A value Marathon picks itself when given 0: a service port from its range."""

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high

    def __contains__(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return value == 0 or self.low <= value <= self.high

    def __repr__(self) -> str:
        return f"AUTO({self.low}-{self.high})"


AUTO: Final = _Auto(10000, 20000)
"""Service ports Marathon assigns: 0 asks for one, and Marathon picks from
``[local_port_min, local_port_max]`` (10000-20000 by default), giving an app the ports it
had before (``AssignDynamicServiceLogic``). So a stored port in that range is read as
"any": sending 0 gets it back. A port outside the range was fixed by hand and is kept."""

_MISSING: Final = object()

READ_ONLY: Final = frozenset(
    {
        "version", "versionInfo", "tasksStaged", "tasksRunning", "tasksHealthy",
        "tasksUnhealthy", "deployments", "tasks", "lastTaskFailure", "readinessCheckResults",
        "tasksStats", "taskStats",
    }
)  # fmt: skip
"""What ``GET`` adds to an app (RAML ``AppInfo``) or changes on every write: status, not
configuration. Sent back, Marathon would ignore it."""

DEPRECATED: Final[Mapping[tuple[str, ...], tuple[str, ...]]] = {
    ("ports",): ("portDefinitions",),
    ("uris",): ("fetch",),
    ("ipAddress",): ("networks",),
    ("container", "docker", "network"): ("networks",),
    ("container", "docker", "portMappings"): ("container", "portMappings"),
}
"""Deprecated field -> the field Marathon translates it to. Next to that field it is an
echo of it (sending both is refused, or a 500); alone, it is kept like any other."""

RENDERED: Final[Mapping[str, str]] = {
    "id": "name, namespace",
    "instances": "replicas",
    "cmd": "command and args (a command)",
    "args": "args (without a command)",
    "cpus": "resources.cpu",
    "mem": "resources.memory",
    "gpus": "resources.gpu",
    "container.type": "the backend's containerizer",
    "container.docker.image": "image",
    "container.portMappings[].containerPort": "ports[].port",
    "container.portMappings[].hostPort": "0: a dynamic host port",
    "container.portMappings[].protocol": "ports[].protocol",
    "container.portMappings[].name": "ports[].name",
    "container.portMappings[].labels": "the VIP labels of the services that target the port",
    "container.volumes": "files (secret volumes)",
    "networks": "container/bridge",
    "env": "env",
    "secrets": "the secrets env and files refer to",
    "labels": "labels, annotations, services, and orchsdk.* bookkeeping",
    "healthChecks": "health",
    "upgradeStrategy": "rollout",
    "constraints": "placement",
}
"""Every field :func:`~orchsdk_marathon.render.render_app` writes, and what it comes from
(a test checks that the renderer writes nothing else). ``native["marathon"]`` can
override any of them, and adds the rest."""

DEFAULTS: Final[Mapping[str, Any]] = {
    # App (raml/v2/types/app.raml); role and unreachableStrategy as in Marathon 1.10.
    # A field without a default (tty, user...) is kept whenever it is there: Marathon
    # tells "false" from "not given" in those (a change of either restarts the app).
    "instances": 1,
    "cpus": 1.0,
    "mem": 128.0,
    "gpus": 0,
    "disk": 0.0,
    "executor": "",
    "backoffSeconds": 1,
    "backoffFactor": 1.15,
    "maxLaunchDelaySeconds": 300,
    "requirePorts": False,
    "killSelection": "YOUNGEST_FIRST",
    "role": "*",
    "networks": [{"mode": "host"}],
    "upgradeStrategy": {"minimumHealthCapacity": 1.0, "maximumOverCapacity": 1.0},
    "upgradeStrategy.minimumHealthCapacity": 1.0,
    "upgradeStrategy.maximumOverCapacity": 1.0,
    "unreachableStrategy": {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0},
    "unreachableStrategy.inactiveAfterSeconds": 0,
    "unreachableStrategy.expungeAfterSeconds": 0,
    # Ports: left out, Marathon gives a host app one port, a bridge app one mapping
    # (network.raml, appContainer.raml); [] is none at all
    "portDefinitions": [{"port": 0, "name": "default", "protocol": "tcp"}],
    "portDefinitions[].port": AUTO,
    "portDefinitions[].protocol": "tcp",
    "container.portMappings": [{"containerPort": 0, "name": "default", "protocol": "tcp"}],
    "container.portMappings[].protocol": "tcp",
    "container.portMappings[].servicePort": AUTO,
    # Container (appContainer.raml)
    "container.type": "DOCKER",
    "container.docker.forcePullImage": False,
    "container.docker.privileged": False,
    # AppHealthCheck (healthCheck.raml)
    "healthChecks[].gracePeriodSeconds": 300,
    "healthChecks[].intervalSeconds": 60,
    "healthChecks[].timeoutSeconds": 20,
    "healthChecks[].maxConsecutiveFailures": 3,
    "healthChecks[].delaySeconds": 15,
    "healthChecks[].ipProtocol": "IPv4",
    "healthChecks[].ignoreHttp1xx": False,
    # ReadinessCheck (readinessCheck.raml)
    "readinessChecks[].name": "readinessCheck",
    "readinessChecks[].protocol": "HTTP",
    "readinessChecks[].path": "/",
    "readinessChecks[].portName": "http-api",
    "readinessChecks[].intervalSeconds": 30,
    "readinessChecks[].timeoutSeconds": 10,
    "readinessChecks[].httpStatusCodesForReady": [200],
    "readinessChecks[].preserveLastResponse": False,
    # Artifact (artifact.raml)
    "fetch[].extract": True,
    "fetch[].executable": False,
    "fetch[].cache": False,
}
"""Marathon's default of every field that has one, by path (``[]``: each item of a list).
A missing or ``null`` value, and an empty list or map, are at the default of a field
without one here; an object is at its default only if it is listed (Marathon fills in
``upgradeStrategy`` and ``unreachableStrategy``, not ``residency`` or
``executorResources``). ``role`` ``*`` is Marathon's when neither ``--mesos_role`` nor
the app's group sets one."""

UNORDERED: Final = frozenset({"constraints"})
"""Lists Marathon keeps as sets (``constraints`` is a ``Set`` in ``AppDefinition``)."""

NOT_WITH_NETWORK: Final[Mapping[str, tuple[tuple[str, ...], ...]]] = {
    "host": (("container", "portMappings"),),
    "container": (("portDefinitions",),),
    "container/bridge": (("portDefinitions",),),
}
"""Fields Marathon refuses next to a network mode (``portMappings are not allowed with
host-networking``): when the stored app has that mode, the patch deletes them from the
rendered app, whatever the renderer put there."""


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, (list, dict, Mapping)) and len(value) == 0)


def _missing(value: Any, path: str) -> bool:
    """Whether ``value`` says nothing: ``null``, or empty where leaving the field out
    does not make Marathon fill in a non-empty default (``portDefinitions``...)."""
    if value is None:
        return True
    default = DEFAULTS.get(path)
    return _absent(value) and (default is None or _absent(default))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _normal(value: Any, path: str) -> Any:
    """``value`` with Marathon's "pick one" values read as missing."""
    if DEFAULTS.get(path) is AUTO and value in AUTO:
        return None
    return value


def is_default(value: Any, path: str) -> bool:
    """Whether ``value`` at ``path`` is what Marathon would hold with the field left out."""
    value = _normal(value, path)
    if _missing(value, path):
        return True
    default = DEFAULTS.get(path, _MISSING)
    if default is _MISSING or default is AUTO:
        return False
    return _equal(value, default, path)


def same(rendered: Any, stored: Any, path: str = "") -> bool:
    """Whether two values of the field at ``path`` make the same app to Marathon."""
    rendered, stored = _normal(rendered, path), _normal(stored, path)
    if rendered is None:
        return is_default(stored, path)
    if stored is None:
        return is_default(rendered, path)
    if _absent(rendered) and _absent(stored):
        return True
    if _absent(rendered) != _absent(stored):
        return _missing(rendered, path) and _missing(stored, path)
    return _equal(rendered, stored, path)


def _equal(a: Any, b: Any, path: str) -> bool:
    """Equality of two present values (see :func:`same`)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if _number(a) and _number(b):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return all(
            same(a.get(key), b.get(key), _child(path, str(key)))
            for key in [*a, *(key for key in b if key not in a)]
            if not _bookkeeping(path, key)
        )
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False
        if path in UNORDERED:
            return constraint_set(a) == constraint_set(b)
        return all(same(x, y, f"{path}[]") for x, y in zip(a, b, strict=True))
    return bool(a == b)


def constraint_set(items: list[Any]) -> list[str]:
    """Constraints as a comparable set: ``[f, "UNIQUE"]`` is ``[f, "UNIQUE", ""]``."""
    canonical = []
    for item in items:
        if isinstance(item, list) and len(item) == 2:
            item = [*item, ""]
        canonical.append(repr(item))
    return sorted(canonical)


def _bookkeeping(path: str, key: Any) -> bool:
    return path == "labels" and isinstance(key, str) and L.is_bookkeeping(key)


def config(app: Mapping[str, Any]) -> Json:
    """The stored app as configuration: without :data:`READ_ONLY` fields, and without the
    :data:`DEPRECATED` fields that only echo the current ones."""
    result = {key: value for key, value in app.items() if key not in READ_ONLY}
    for old, new in DEPRECATED.items():
        if _lookup(result, new) is not None and _lookup(result, old) is not None:
            result = _without(result, old)
    return result


def _lookup(document: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(document, Mapping):
            return None
        document = document.get(key)
    return document


def _without(document: Mapping[str, Any], path: tuple[str, ...]) -> Json:
    head, rest = path[0], path[1:]
    result = dict(document)
    if not rest:
        result.pop(head, None)
    elif isinstance(result.get(head), Mapping):
        result[head] = _without(result[head], rest)
    return result


def network_mode(app: Mapping[str, Any]) -> str:
    """The mode of an app's networks (Marathon's default, ``host``, when it names none)."""
    networks = app.get("networks")
    if isinstance(networks, list) and networks:
        first = networks[0]
        if isinstance(first, Mapping):
            mode = first.get("mode", "container")
            return mode if isinstance(mode, str) else "container"
    legacy = _lookup(app, ("container", "docker", "network"))  # before Marathon 1.5
    return {"BRIDGE": "container/bridge", "USER": "container"}.get(str(legacy), "host")


def patch(rendered: Mapping[str, Any], stored: Mapping[str, Any]) -> Json:
    """The smallest merge patch (RFC 7386) that turns ``rendered`` into an app Marathon
    holds as ``stored`` (see the module): empty when they are the same app.

    ``stored`` should be :func:`config` of the app, less the labels of its services.
    """
    result = _patch(rendered, stored, "")
    for path in NOT_WITH_NETWORK.get(network_mode(stored), ()):
        if _lookup(rendered, path) is not None:
            result = _merge_deletion(result, path)
    return result


def _merge_deletion(result: Json, path: tuple[str, ...]) -> Json:
    head, rest = path[0], path[1:]
    if not rest:
        return {**result, head: None}
    inner = result.get(head)
    inner = dict(inner) if isinstance(inner, Mapping) else {}
    return {**result, head: _merge_deletion(inner, rest)}


def _patch(rendered: Mapping[str, Any], stored: Mapping[str, Any], path: str) -> Json:
    result: Json = {}
    for key in [*stored, *(key for key in rendered if key not in stored)]:
        if _bookkeeping(path, key):
            continue
        child = _child(path, str(key))
        new, old = rendered.get(key), stored.get(key)
        if same(new, old, child):
            continue
        if isinstance(new, Mapping) and isinstance(old, Mapping):
            inner = _patch(new, old, child)
            if inner:
                result[key] = inner
        elif _normal(old, child) is None:
            result[key] = None  # the stored app lacks what the spec renders: delete it
        elif isinstance(old, list) and not old:
            result[key] = []  # explicitly none (a missing list may mean a default one)
        else:
            result[key] = kept(old, child)
    return result


def kept(value: Any, path: str) -> Any:
    """A stored value as a patch keeps it: as Marathon stores it, less ``null`` fields and
    the values Marathon picks itself (:data:`AUTO`), which it gives back when left out."""
    if isinstance(value, Mapping):
        return {
            key: kept(item, _child(path, str(key)))
            for key, item in value.items()
            if _normal(item, _child(path, str(key))) is not None
        }
    if isinstance(value, list):
        return [kept(item, f"{path}[]") for item in value]
    return value
