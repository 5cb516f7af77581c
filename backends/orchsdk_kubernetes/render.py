"""Pure translation of orchsdk specs into Kubernetes manifests: plain dicts, camelCase, as sent.

The same functions serve ``render()`` (dry run), ``diff()`` and ``apply()``: each
returns the *intent* of one object, fit for a server-side apply with field manager
``orchsdk``. The ``native["kubernetes"]`` patch of a spec is merged in last.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from orchsdk import (
    Autoscaler,
    ConfigMap,
    ConfigRef,
    Deployment,
    HealthCheck,
    Resource,
    Secret,
    SecretRef,
    Service,
)
from orchsdk.native import apply_native
from orchsdk.values import Constraint, FileMount
from orchsdk_kubernetes.labels import (
    CONTAINER_NAME,
    GPU_RESOURCE,
    HOSTNAME_ANNOTATION,
    NODE_LABELS,
    SELECTOR_LABEL,
)

__all__ = ["API_VERSIONS", "render"]

API_VERSIONS = {
    "Deployment": ("apps/v1", "Deployment"),
    "Service": ("v1", "Service"),
    "Secret": ("v1", "Secret"),
    "ConfigMap": ("v1", "ConfigMap"),
    "Autoscaler": ("autoscaling/v2", "HorizontalPodAutoscaler"),
}


def render(resource: Resource, *, autoscaled: bool = False) -> dict[str, Any]:
    """The manifest for one resource; ``autoscaled`` leaves a deployment's replicas to its HPA."""
    renderer: Callable[..., dict[str, Any]] = _RENDERERS[type(resource)]
    spec = (
        renderer(resource, autoscaled) if isinstance(resource, Deployment) else renderer(resource)
    )
    api_version, kind = API_VERSIONS[resource.kind]
    metadata = _service_metadata(resource) if isinstance(resource, Service) else _metadata(resource)
    manifest = {"apiVersion": api_version, "kind": kind, "metadata": metadata, **spec}
    return apply_native(manifest, resource, "kubernetes")


def _metadata(resource: Resource, **extra_annotations: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": resource.name, "namespace": resource.namespace}
    if resource.labels:
        metadata["labels"] = dict(resource.labels)
    annotations = {**resource.annotations, **extra_annotations}
    if annotations:
        metadata["annotations"] = annotations
    return metadata


def _deployment(spec: Deployment, autoscaled: bool) -> dict[str, Any]:
    pod_labels = {**spec.labels, SELECTOR_LABEL: spec.name}
    body: dict[str, Any] = {
        "selector": {"matchLabels": {SELECTOR_LABEL: spec.name}},
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {
                "maxSurge": spec.rollout.max_surge,
                "maxUnavailable": spec.rollout.max_unavailable,
            },
        },
        "template": {"metadata": {"labels": pod_labels}, "spec": _pod(spec)},
    }
    if not autoscaled:
        body = {"replicas": spec.replicas, **body}
    return {"spec": body}


def _pod(spec: Deployment) -> dict[str, Any]:
    container: dict[str, Any] = {"name": CONTAINER_NAME, "image": spec.image}
    if spec.command:
        container["command"] = list(spec.command)
    if spec.args:
        container["args"] = list(spec.args)
    if spec.ports:
        container["ports"] = [
            _container_port(port.port, port.name, port.protocol) for port in spec.ports
        ]
    if spec.env:
        container["env"] = [_env(name, value) for name, value in spec.env.items()]
    resources = _resources(spec)
    if resources:
        container["resources"] = resources
    if spec.health is not None:
        probe = _probe(spec.health)
        container["readinessProbe"] = probe
        container["livenessProbe"] = {**probe, "initialDelaySeconds": spec.health.grace}
    if spec.files:
        container["volumeMounts"] = [
            _volume_mount(index, mount) for index, mount in enumerate(spec.files)
        ]
    pod: dict[str, Any] = {"containers": [container]}
    if spec.files:
        pod["volumes"] = [_volume(index, mount) for index, mount in enumerate(spec.files)]
    affinity = _affinity(spec.name, spec.placement)
    if affinity:
        pod["affinity"] = affinity
    return pod


def _container_port(number: int, name: str | None, protocol: str) -> dict[str, Any]:
    port: dict[str, Any] = {"containerPort": number, "protocol": protocol}
    if name is not None:
        port["name"] = name
    return port


def _env(name: str, value: str | SecretRef | ConfigRef) -> dict[str, Any]:
    if isinstance(value, SecretRef):
        return {
            "name": name,
            "valueFrom": {"secretKeyRef": {"name": value.secret, "key": value.key}},
        }
    if isinstance(value, ConfigRef):
        return {
            "name": name,
            "valueFrom": {"configMapKeyRef": {"name": value.config, "key": value.key}},
        }
    return {"name": name, "value": value}


def _resources(spec: Deployment) -> dict[str, Any]:
    """Requests from cpu/memory; memory is also the limit (as on Marathon), GPUs are limits."""
    requests: dict[str, str] = {}
    limits: dict[str, str] = {}
    if spec.resources.cpu is not None:
        requests["cpu"] = spec.resources.cpu
    if spec.resources.memory is not None:
        requests["memory"] = limits["memory"] = spec.resources.memory
    if spec.resources.gpu is not None:
        limits[GPU_RESOURCE] = str(spec.resources.gpu)
    rendered: dict[str, Any] = {}
    if requests:
        rendered["requests"] = requests
    if limits:
        rendered["limits"] = limits
    return rendered


def _probe(health: HealthCheck) -> dict[str, Any]:
    probe: dict[str, Any]
    if health.kind == "http":
        probe = {"httpGet": {"path": health.http_path, "port": health.port}}
    elif health.kind == "tcp":
        probe = {"tcpSocket": {"port": health.port}}
    else:
        probe = {"exec": {"command": list(health.command)}}
    probe.update(
        periodSeconds=health.interval,
        timeoutSeconds=health.timeout,
        failureThreshold=health.failures,
    )
    return probe


def _volume_name(index: int) -> str:
    return f"orchsdk-file-{index}"


def _volume_mount(index: int, mount: FileMount) -> dict[str, Any]:
    return {
        "name": _volume_name(index),
        "mountPath": mount.path,
        "subPath": mount.source.key,
        "readOnly": True,
    }


def _volume(index: int, mount: FileMount) -> dict[str, Any]:
    if isinstance(mount.source, SecretRef):
        return {"name": _volume_name(index), "secret": {"secretName": mount.source.secret}}
    return {"name": _volume_name(index), "configMap": {"name": mount.source.config}}


def _affinity(name: str, placement: tuple[Constraint, ...]) -> dict[str, Any]:
    """``in``/``not_in``/``exists`` become required node affinity; ``unique`` pod anti-affinity."""
    operators = {"in": "In", "not_in": "NotIn", "exists": "Exists"}
    expressions = []
    spread = []
    for constraint in placement:
        key = NODE_LABELS.get(constraint.key, constraint.key)
        if constraint.operator == "unique":
            spread.append(
                {
                    "labelSelector": {"matchLabels": {SELECTOR_LABEL: name}},
                    "topologyKey": key,
                }
            )
            continue
        expression: dict[str, Any] = {"key": key, "operator": operators[constraint.operator]}
        if constraint.values:
            expression["values"] = list(constraint.values)
        expressions.append(expression)
    affinity: dict[str, Any] = {}
    if expressions:
        affinity["nodeAffinity"] = {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": expressions}]
            }
        }
    if spread:
        affinity["podAntiAffinity"] = {"requiredDuringSchedulingIgnoredDuringExecution": spread}
    return affinity


def _service(spec: Service) -> dict[str, Any]:
    kinds = {"internal": "ClusterIP", "external": "LoadBalancer", "node": "NodePort"}
    ports = []
    for port in spec.ports:
        rendered: dict[str, Any] = {
            "port": port.port,
            "protocol": port.protocol,
            "targetPort": port.port if port.target_port is None else port.target_port,
        }
        if port.name is not None:
            rendered["name"] = port.name
        ports.append(rendered)
    body = {"type": kinds[spec.exposure], "selector": dict(spec.selector), "ports": ports}
    return {"spec": body}


def _service_metadata(spec: Service) -> dict[str, Any]:
    extra = {HOSTNAME_ANNOTATION: spec.hostname} if spec.hostname else {}
    return _metadata(spec, **extra)


def _secret(spec: Secret) -> dict[str, Any]:
    """Values go base64-encoded in ``data``, not in ``stringData``: the server folds
    ``stringData`` into ``data`` and server-side apply tracks the ``stringData`` keys,
    so a key removed from the spec would stay in ``data`` for ever."""
    data = {key: base64.b64encode(value.encode()).decode() for key, value in spec.data.items()}
    return {"type": "Opaque", "data": data}


def _config_map(spec: ConfigMap) -> dict[str, Any]:
    return {"data": dict(spec.data)}


def _autoscaler(spec: Autoscaler) -> dict[str, Any]:
    metrics = [
        {
            "type": "Resource",
            "resource": {
                "name": name,
                "target": {"type": "Utilization", "averageUtilization": percent},
            },
        }
        for name, percent in (("cpu", spec.cpu_percent), ("memory", spec.memory_percent))
        if percent is not None
    ]
    return {
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.target},
            "minReplicas": spec.min_replicas,
            "maxReplicas": spec.max_replicas,
            "metrics": metrics,
        }
    }


_RENDERERS: dict[type, Callable[..., dict[str, Any]]] = {
    Deployment: _deployment,
    Service: _service,
    Secret: _secret,
    ConfigMap: _config_map,
    Autoscaler: _autoscaler,
}
