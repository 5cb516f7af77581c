"""The defaults the API server fills into objects, per kind (``SetDefaults_*`` in Kubernetes).

Only defaults a real 1.3x server applies, with its values, so that clients see the same
documents they would read back from a cluster (and learn to ignore them when parsing).
Each function changes the object in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["apply_defaults"]

Obj = dict[str, Any]


def _set(mapping: Obj, key: str, value: Any) -> None:
    if mapping.get(key) is None:
        mapping[key] = value


def _image_pull_policy(image: str) -> str:
    name = image.rsplit("/", 1)[-1]
    if "@" in name:
        return "IfNotPresent"
    tag = name.split(":", 1)[1] if ":" in name else "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _probe(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    _set(probe, "timeoutSeconds", 1)
    _set(probe, "periodSeconds", 10)
    _set(probe, "successThreshold", 1)
    _set(probe, "failureThreshold", 3)
    if isinstance(probe.get("httpGet"), dict):
        _set(probe["httpGet"], "scheme", "HTTP")
    if isinstance(probe.get("grpc"), dict):
        _set(probe["grpc"], "service", "")


def _container(container: Any) -> None:
    if not isinstance(container, dict):
        return
    _set(container, "terminationMessagePath", "/dev/termination-log")
    _set(container, "terminationMessagePolicy", "File")
    if isinstance(container.get("image"), str):
        _set(container, "imagePullPolicy", _image_pull_policy(container["image"]))
    _set(container, "resources", {})
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            _set(port, "protocol", "TCP")
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(container.get(probe))
    for env in container.get("env") or []:
        field_ref = ((env or {}).get("valueFrom") or {}).get("fieldRef")
        if isinstance(field_ref, dict):
            _set(field_ref, "apiVersion", "v1")


def pod_spec(spec: Any) -> None:
    """``SetDefaults_PodSpec`` and the container defaults."""
    if not isinstance(spec, dict):
        return
    _set(spec, "restartPolicy", "Always")
    _set(spec, "terminationGracePeriodSeconds", 30)
    _set(spec, "dnsPolicy", "ClusterFirst")
    _set(spec, "securityContext", {})
    _set(spec, "schedulerName", "default-scheduler")
    for key in ("containers", "initContainers"):
        for container in spec.get(key) or []:
            _container(container)
    for volume in spec.get("volumes") or []:
        if not isinstance(volume, dict):
            continue
        for source in ("secret", "configMap"):
            if isinstance(volume.get(source), dict):
                _set(volume[source], "defaultMode", 420)


def _deployment(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    _set(spec, "replicas", 1)
    strategy = spec.setdefault("strategy", {})
    _set(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        _set(rolling, "maxUnavailable", "25%")
        _set(rolling, "maxSurge", "25%")
    _set(spec, "revisionHistoryLimit", 10)
    _set(spec, "progressDeadlineSeconds", 600)
    pod_spec((spec.get("template") or {}).get("spec"))


def _replica_set(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    _set(spec, "replicas", 1)
    pod_spec((spec.get("template") or {}).get("spec"))


def _pod(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    pod_spec(spec)
    _set(spec, "serviceAccountName", "default")
    _set(spec, "enableServiceLinks", True)
    _set(spec, "preemptionPolicy", "PreemptLowerPriority")
    _set(spec, "priority", 0)


def _service(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    _set(spec, "type", "ClusterIP")
    if spec["type"] != "ExternalName":
        _set(spec, "sessionAffinity", "None")
        _set(spec, "internalTrafficPolicy", "Cluster")
    if spec["type"] in ("NodePort", "LoadBalancer"):
        _set(spec, "externalTrafficPolicy", "Cluster")
    if spec["type"] == "LoadBalancer":
        _set(spec, "allocateLoadBalancerNodePorts", True)
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            _set(port, "protocol", "TCP")
            if port.get("targetPort") is None and port.get("port") is not None:
                port["targetPort"] = port["port"]
    obj.setdefault("status", {}).setdefault("loadBalancer", {})


def _secret(obj: Obj) -> None:
    _set(obj, "type", "Opaque")


def _namespace(obj: Obj) -> None:
    name = (obj.get("metadata") or {}).get("name")
    if name:
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    _set(obj.setdefault("status", {}), "phase", "Active")


def _hpa(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    _set(spec, "minReplicas", 1)
    if spec.get("metrics") is None:
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 80},
                },
            }
        ]


def _endpoint_slice(obj: Obj) -> None:
    for port in obj.get("ports") or []:
        if isinstance(port, dict):
            _set(port, "protocol", "TCP")


_DEFAULTERS: dict[str, Callable[[Obj], None]] = {
    "Deployment": _deployment,
    "ReplicaSet": _replica_set,
    "Pod": _pod,
    "Service": _service,
    "Secret": _secret,
    "Namespace": _namespace,
    "HorizontalPodAutoscaler": _hpa,
    "EndpointSlice": _endpoint_slice,
}


def apply_defaults(kind: str, obj: Obj) -> None:
    """Fills the server defaults for ``kind`` into ``obj``."""
    defaulter = _DEFAULTERS.get(kind)
    if defaulter is not None:
        defaulter(obj)
