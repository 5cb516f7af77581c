"""The resources orchsdk manages: what to run, how to reach it, its secrets, configs and scaling.

Each resource is a small frozen attrs class: build it, compare it, hash it, pass it to
:meth:`Orchestrator.apply <orchsdk.Orchestrator.apply>`. Construction never checks
values; :func:`orchsdk.validate` (run by every orchestrator call) reports every bad field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Literal, Union

import attrs

from orchsdk._frozen import FrozenDict, freeze_mapping, freeze_native, freeze_sequence
from orchsdk.values import (
    ConfigRef,
    Constraint,
    FileMount,
    HealthCheck,
    Port,
    Resources,
    Rollout,
    SecretRef,
)

__all__ = [
    "KINDS",
    "REDACTED",
    "Autoscaler",
    "ConfigMap",
    "Deployment",
    "EnvValue",
    "Exposure",
    "Redacted",
    "Resource",
    "Secret",
    "Service",
    "kind_named",
]

EnvValue = Union[str, SecretRef, ConfigRef]  # noqa: UP007 - a runtime alias on Python 3.10
Exposure = Literal["internal", "external", "node"]


class Redacted(str):
    """The type of :data:`REDACTED`, the placeholder for a secret value that was not revealed."""

    __slots__ = ()


REDACTED = Redacted("<redacted>")
"""Each value of a :class:`Secret` read without ``reveal=True``; such a secret cannot be applied."""


def _no_resources_as_default(value: Resources | None) -> Resources:
    """``resources=None`` means ``Resources()``: one spelling, so equal specs compare equal."""
    return Resources() if value is None else value


def _canonical_placement(value: Iterable[Constraint] | None) -> tuple[Constraint, ...]:
    """Constraints all hold together, so their order means nothing: keep them sorted by key."""
    constraints = freeze_sequence(value)
    try:
        return tuple(sorted(constraints, key=lambda c: (c.key, c.operator, c.values)))
    except (TypeError, AttributeError):
        return constraints  # not constraints at all: validation reports it


@attrs.frozen
class Resource:
    """What every resource has: a name, a namespace, labels, annotations and native overrides.

    ``namespace=None`` means the orchestrator's default namespace. ``native`` maps a
    backend name (``"kubernetes"``, ``"marathon"``) to a JSON merge patch (RFC 7386)
    applied to the document rendered for that backend: the escape hatch for what the
    unified spec does not cover.
    """

    kind: ClassVar[str] = "Resource"

    name: str
    namespace: str | None = attrs.field(default=None, kw_only=True)
    labels: FrozenDict[str, str] = attrs.field(
        factory=FrozenDict, converter=freeze_mapping, kw_only=True
    )
    annotations: FrozenDict[str, str] = attrs.field(
        factory=FrozenDict, converter=freeze_mapping, kw_only=True
    )
    native: FrozenDict[str, Any] = attrs.field(
        factory=FrozenDict, converter=freeze_native, kw_only=True
    )


@attrs.frozen
class Deployment(Resource):
    """A replicated, long-running container: a Kubernetes Deployment, a Marathon app.

    >>> Deployment("web", image="nginx:1.27", replicas=3, ports=[Port(80, name="http")])
    Deployment(name='web', ...)
    """

    kind: ClassVar[str] = "Deployment"

    image: str
    replicas: int = 1
    command: tuple[str, ...] = attrs.field(default=(), converter=freeze_sequence)
    args: tuple[str, ...] = attrs.field(default=(), converter=freeze_sequence)
    ports: tuple[Port, ...] = attrs.field(default=(), converter=freeze_sequence)
    env: FrozenDict[str, EnvValue] = attrs.field(factory=FrozenDict, converter=freeze_mapping)
    resources: Resources = attrs.field(factory=Resources, converter=_no_resources_as_default)
    health: HealthCheck | None = None
    rollout: Rollout = attrs.field(factory=Rollout)
    placement: tuple[Constraint, ...] = attrs.field(default=(), converter=_canonical_placement)
    files: tuple[FileMount, ...] = attrs.field(default=(), converter=freeze_sequence)


@attrs.frozen
class Service(Resource):
    """A stable way to reach the instances of the deployments whose labels match ``selector``.

    ``exposure`` is ``"internal"`` (inside the cluster), ``"external"`` (a load
    balancer) or ``"node"`` (a port on every node). ``hostname`` is the external
    virtual host, where the backend routes by name.
    """

    kind: ClassVar[str] = "Service"

    selector: FrozenDict[str, str] = attrs.field(factory=FrozenDict, converter=freeze_mapping)
    ports: tuple[Port, ...] = attrs.field(default=(), converter=freeze_sequence)
    exposure: Exposure = "internal"
    hostname: str | None = None


def _redact(data: object) -> str:
    if not isinstance(data, Mapping):
        return "<invalid>"
    return repr(dict.fromkeys(data, "***"))


@attrs.frozen
class Secret(Resource):
    """Named sensitive values. They never appear in ``repr``, ``str``, logs or errors.

    Read back with ``reveal=False`` (the default) every value is :data:`REDACTED`.
    """

    kind: ClassVar[str] = "Secret"

    data: FrozenDict[str, str] = attrs.field(
        factory=FrozenDict, converter=freeze_mapping, repr=_redact
    )

    @property
    def revealed(self) -> bool:
        """False when any value is the :data:`REDACTED` placeholder."""
        return not any(isinstance(value, Redacted) for value in self.data.values())


@attrs.frozen
class ConfigMap(Resource):
    """Named plain configuration values, used as env values or files."""

    kind: ClassVar[str] = "ConfigMap"

    data: FrozenDict[str, str] = attrs.field(factory=FrozenDict, converter=freeze_mapping)


@attrs.frozen
class Autoscaler(Resource):
    """Keeps the replica count of ``target`` between the bounds from CPU or memory use.

    Once an autoscaler targets a deployment it owns the replica count; applying the
    deployment again does not fight it.
    """

    kind: ClassVar[str] = "Autoscaler"

    target: str
    max_replicas: int
    min_replicas: int = 1
    cpu_percent: int | None = None
    memory_percent: int | None = None


KINDS: tuple[type[Resource], ...] = (Secret, ConfigMap, Deployment, Service, Autoscaler)
"""Every kind, in the order a multi-resource apply creates them."""


def kind_named(name: str) -> type[Resource]:
    """The resource class for a kind name (``"Deployment"``), case-insensitive."""
    for kind in KINDS:
        if kind.kind.lower() == name.lower():
            return kind
    known = ", ".join(kind.kind for kind in KINDS)
    raise ValueError(f"unknown kind {name!r}; known kinds: {known}")
