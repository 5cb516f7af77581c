"""What a backend can do, as runtime facts, and the fields of a spec that need each capability.

Users, the :class:`~orchsdk.Orchestrator` and the contract suite all read the same
:class:`Capabilities` object. The core finds the fields a backend cannot carry out
*before* any request: strict mode raises :class:`~orchsdk.UnsupportedFeature`, lenient
mode leaves the field out with a warning that names it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs

from orchsdk._frozen import FrozenDict, freeze_mapping
from orchsdk.specs import Autoscaler, ConfigMap, Deployment, Resource, Secret, Service
from orchsdk.values import ConfigRef, SecretRef

__all__ = ["Capabilities", "Unsupported", "find_unsupported"]


@attrs.frozen
class Capabilities:
    """The features a backend supports here and now; every flag defaults to on.

    ``reasons`` says, for a capability that is off, why (shown in errors and skips).
    """

    secrets: bool = True
    """Secret resources, and env values and files that refer to them."""
    config_maps: bool = True
    """ConfigMap resources, and env values and files that refer to them."""
    autoscalers: bool = True
    """Autoscaler resources."""
    standalone_services: bool = True
    """A Service may exist before, or without, any deployment it selects."""
    external_services: bool = True
    """Services with ``exposure="external"``."""
    node_services: bool = True
    """Services with ``exposure="node"``."""
    service_hostnames: bool = True
    """A ``hostname`` on an external service."""
    health_http: bool = True
    """HTTP health checks (``HealthCheck(http_path=...)``)."""
    health_tcp: bool = True
    """TCP health checks (``HealthCheck(tcp=True)``)."""
    health_command: bool = True
    """Command health checks (``HealthCheck(command=[...])``)."""
    file_mounts: bool = True
    """``Deployment.files``: secret and config values as files."""
    placement: bool = True
    """``Deployment.placement`` constraints."""
    gpus: bool = True
    """``Resources.gpu``."""
    annotations: bool = True
    """Annotations are stored and read back."""
    rollback: bool = True
    """``Orchestrator.rollback`` to the previous or a given revision."""
    history: bool = True
    """``Orchestrator.history``: the revisions of a deployment, numbered for ``rollback``."""
    restart: bool = True
    """``Orchestrator.restart``: a new rollout of the same definition."""
    status_stream: bool = False
    """The backend pushes status changes, so waits need not poll."""
    events: bool = True
    """``Orchestrator.events``: what the orchestrator reported about a deployment."""
    failure_reasons: bool = True
    """``DeploymentStatus.failure``: why new instances cannot start, so waits fail fast."""
    reasons: FrozenDict[str, str] = attrs.field(factory=FrozenDict, converter=freeze_mapping)
    """Why each capability that is off is off, by name: the backend's words for users."""

    def supports(self, capability: str) -> bool:
        """Whether the named capability is on; unknown names raise :class:`AttributeError`."""
        value = getattr(self, capability)
        if not isinstance(value, bool):
            raise AttributeError(f"{capability!r} is not a capability")
        return value

    def reason(self, capability: str) -> str:
        """Why a capability is off (or a generic sentence when the backend gave no reason)."""
        return self.reasons.get(capability, "the backend does not support it")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Every capability flag, in declaration order."""
        return tuple(field.name for field in attrs.fields(cls) if field.type in ("bool", bool))


@attrs.frozen
class Unsupported:
    """One field of a spec that needs a capability the backend lacks.

    ``leave_out`` returns the spec without that field (or ``None`` to drop the whole
    resource), which is what lenient mode applies.
    """

    field: str
    capability: str
    leave_out: Callable[[Resource], Resource | None] = attrs.field(eq=False, repr=False)


def _drop(_: Resource) -> None:
    return None


def _without_env(name: str) -> Callable[[Resource], Resource]:
    def leave_out(spec: Any) -> Resource:
        changed: Resource = attrs.evolve(spec, env={k: v for k, v in spec.env.items() if k != name})
        return changed

    return leave_out


def _without_file(path: str) -> Callable[[Resource], Resource]:
    def leave_out(spec: Any) -> Resource:
        changed: Resource = attrs.evolve(
            spec, files=[mount for mount in spec.files if mount.path != path]
        )
        return changed

    return leave_out


def _reset(field: str, value: Any) -> Callable[[Resource], Resource]:
    def leave_out(spec: Any) -> Resource:
        changed: Resource = attrs.evolve(spec, **{field: value})
        return changed

    return leave_out


def _ref_capability(ref: object) -> str | None:
    if isinstance(ref, SecretRef):
        return "secrets"
    if isinstance(ref, ConfigRef):
        return "config_maps"
    return None


_KIND_CAPABILITY: dict[type[Resource], str] = {
    Secret: "secrets",
    ConfigMap: "config_maps",
    Autoscaler: "autoscalers",
}
"""The capability a whole kind needs (the other kinds are always supported)."""
_EXPOSURE_CAPABILITY = {"external": "external_services", "node": "node_services"}
"""The capability a service's exposure needs (``internal`` needs none)."""


def find_unsupported(resource: Resource, caps: Capabilities) -> Iterator[Unsupported]:
    """The fields of a (valid) resource that need a capability ``caps`` lacks."""
    capability = _KIND_CAPABILITY.get(type(resource))
    if capability and not caps.supports(capability):
        yield Unsupported(resource.kind, capability, _drop)
        return
    if resource.annotations and not caps.annotations:
        yield Unsupported("annotations", "annotations", _reset("annotations", {}))
    if isinstance(resource, Deployment):
        yield from _deployment_unsupported(resource, caps)
    elif isinstance(resource, Service):
        capability = _EXPOSURE_CAPABILITY.get(resource.exposure)
        if capability and not caps.supports(capability):
            yield Unsupported("exposure", capability, _reset("exposure", "internal"))
        if resource.hostname is not None and not caps.service_hostnames:
            yield Unsupported("hostname", "service_hostnames", _reset("hostname", None))


def _deployment_unsupported(d: Deployment, caps: Capabilities) -> Iterator[Unsupported]:
    for name, value in d.env.items():
        capability = _ref_capability(value)
        if capability and not caps.supports(capability):
            yield Unsupported(f"env.{name}", capability, _without_env(name))
    for index, mount in enumerate(d.files):
        capability = _ref_capability(mount.source)
        if not caps.file_mounts:
            capability = "file_mounts"
        if capability and not caps.supports(capability):
            yield Unsupported(f"files[{index}]", capability, _without_file(mount.path))
    if d.health is not None:
        kind = d.health.kind
        capability = f"health_{kind}"
        if not caps.supports(capability):
            field = "health.http_path" if kind == "http" else f"health.{kind}"
            yield Unsupported(field, capability, _reset("health", None))
    if d.placement and not caps.placement:
        yield Unsupported("placement", "placement", _reset("placement", ()))
    if d.resources.gpu and not caps.gpus:
        without_gpu = attrs.evolve(d.resources, gpu=None)
        yield Unsupported("resources.gpu", "gpus", _reset("resources", without_gpu))
