"""What this backend can do against a given Marathon, and the fields it refuses: pure.

:func:`capabilities_for` turns the facts (secret store configured? ``/v2/info``
features? which containerizer?) into :class:`orchsdk.Capabilities` with a reason for
every capability that is off. :func:`unsupported_fields` lists what no capability flag
covers (labels that collide with the backend's own, metadata a secret cannot keep);
the core refuses those before any request, or leaves them out in lenient mode.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from typing import Any

import attrs

from orchsdk import Capabilities, Deployment, Resource, Secret, Service, Unsupported
from orchsdk_marathon import labels as L

__all__ = ["REASONS", "capabilities_for", "unsupported_fields"]

_PORT_NAME = re.compile(r"[a-z][a-z0-9-]*")
"""``container.portMappings[].name`` in Marathon's ``AppDefinition.json``."""

REASONS = {
    "config_maps": "Marathon has no config maps (put plain values in env, or use native)",
    "autoscalers": "Marathon has no autoscaler; scaling is a PUT of instances "
    "(run an external autoscaler such as marathon-autoscale)",
    "standalone_services": "Marathon has no service object: a Service is labels on the apps "
    "it selects, so it needs at least one of them",
    "node_services": "Marathon has no node ports: host ports are dynamic (hostPort 0) and "
    "differ per task",
    "reserved_labels": "labels starting with 'orchsdk.' and marathon-lb's HAPROXY_GROUP and "
    "HAPROXY_<n>_VHOST are managed by orchsdk on Marathon",
    "secret_metadata": "the DC/OS secret store keeps only values: a Secret's labels, "
    "annotations and native patches have nowhere to go",
    "port_names": "Marathon's app schema (and Marathon before 1.5) needs port names that "
    "start with a letter ([a-z][a-z0-9-]*)",
    "empty_secrets": "the DC/OS secret store keeps one path per key: a secret without keys "
    "cannot be stored",
    "native_patches": "a Service or Secret is not a Marathon object, so there is no "
    "Marathon document for native['marathon'] to patch",
}


def capabilities_for(
    *,
    secret_store: bool,
    features: Collection[str] | None,
    containerizer: str,
    status_stream: bool = True,
) -> Capabilities:
    """The capabilities of the backend: ``features`` is ``/v2/info``'s list (None: unknown);
    ``status_stream`` is off once Marathon refused its event stream for good."""
    reasons = dict(REASONS)
    secrets = secret_store and features is not None and "secrets" in features
    if not secret_store:
        reasons["secrets"] = (
            "no secret store is configured: connect with secret_store=<DC/OS secret store "
            "URL, e.g. https://master.mesos/secrets/v1>"
        )
    elif not secrets:
        reasons["secrets"] = (
            "Marathon does not list the 'secrets' feature in /v2/info (start it with "
            "--enable_features secrets and a secrets plugin): it would accept secrets and "
            "inject nothing"
        )
    mesos = containerizer == "mesos"
    if not mesos:
        reasons["file_mounts"] = (
            "secret files are UCR secret volumes: connect with containerizer=mesos"
        )
    gpus = mesos and features is not None and "gpu_resources" in features
    if not mesos:
        reasons["gpus"] = (
            "GPUs need the Mesos containerizer (UCR): connect with containerizer=mesos"
        )
    elif not gpus:
        reasons["gpus"] = "Marathon does not list the 'gpu_resources' feature in /v2/info"
    if not status_stream:
        reasons["status_stream"] = (
            "Marathon refused its event stream (GET /v2/events): no permission to read "
            "events, a proxy that does not carry it, or only standby servers; waits poll"
        )
    return Capabilities(
        secrets=secrets,
        config_maps=False,
        autoscalers=False,
        standalone_services=False,
        node_services=False,
        file_mounts=mesos,
        gpus=gpus,
        status_stream=status_stream,
        reasons=reasons,
    )


def _without_label(key: str) -> Callable[[Resource], Resource]:
    def leave_out(spec: Resource) -> Resource:
        return attrs.evolve(spec, labels={k: v for k, v in spec.labels.items() if k != key})

    return leave_out


def _reset(**changes: Any) -> Callable[[Resource], Resource]:
    def leave_out(spec: Resource) -> Resource:
        return attrs.evolve(spec, **changes)

    return leave_out


def _drop(_: Resource) -> None:
    return None


def _without_marathon_patch(spec: Resource) -> Resource:
    return attrs.evolve(spec, native={k: v for k, v in spec.native.items() if k != "marathon"})


def _without_port_name(index: int) -> Callable[[Resource], Resource]:
    """Leaves out one port's name (a health check that named it names its number instead)."""

    def leave_out(spec: Any) -> Resource:
        port = spec.ports[index]
        ports = [*spec.ports[:index], attrs.evolve(port, name=None), *spec.ports[index + 1 :]]
        health = spec.health
        if health is not None and health.port == port.name:
            health = attrs.evolve(health, port=port.port)
        changed: Resource = attrs.evolve(spec, ports=ports, health=health)
        return changed

    return leave_out


def unsupported_fields(resource: Resource) -> Iterator[Unsupported]:
    """The fields of a (valid) resource this backend refuses beyond its capability flags."""
    if isinstance(resource, Deployment):
        for key in resource.labels:
            if L.is_reserved(key):
                yield Unsupported(f"labels.{key}", "reserved_labels", _without_label(key))
        for index, port in enumerate(resource.ports):
            if port.name is not None and _PORT_NAME.fullmatch(port.name) is None:
                yield Unsupported(f"ports[{index}].name", "port_names", _without_port_name(index))
    elif isinstance(resource, Secret):
        if not resource.data:
            yield Unsupported("data", "empty_secrets", _drop)
        if resource.labels:
            yield Unsupported("labels", "secret_metadata", _reset(labels={}))
        if resource.annotations:
            yield Unsupported("annotations", "secret_metadata", _reset(annotations={}))
        if resource.native:
            yield Unsupported("native", "secret_metadata", _reset(native={}))
    elif isinstance(resource, Service) and "marathon" in resource.native:
        yield Unsupported("native.marathon", "native_patches", _without_marathon_patch)
