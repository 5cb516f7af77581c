"""Pure translation of Kubernetes objects (dicts as the API server returns them) back into specs.

``parse(render(spec)) == spec`` for every field orchsdk renders; fields the server
adds (defaults, status, managed fields, the autoscaler handover's annotation) are
ignored, so objects made by other tools read back as the nearest spec.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any

from orchsdk import (
    REDACTED,
    Autoscaler,
    ConfigMap,
    ConfigRef,
    Deployment,
    FieldError,
    HealthCheck,
    Port,
    Resource,
    Resources,
    Rollout,
    Secret,
    SecretRef,
    Service,
    ValidationError,
)
from orchsdk.values import Constraint, ConstraintOperator, FileMount
from orchsdk_kubernetes.labels import (
    AUTOSCALER_ANNOTATION,
    GPU_RESOURCE,
    HOSTNAME_ANNOTATION,
    PORTABLE_KEYS,
)
from orchsdk_kubernetes.object_cache import autoscaler_of

__all__ = ["parse"]

_SERVER_ANNOTATIONS = ("deployment.kubernetes.io/", "kubectl.kubernetes.io/")


def parse(kind: type[Resource], obj: Mapping[str, Any], *, reveal: bool = False) -> Resource:
    """The spec of a Kubernetes object of the given orchsdk kind."""
    try:
        return _PARSERS[kind](obj, reveal)
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as error:
        name = _dig(obj, "metadata", "name") or "?"
        raise ValidationError(
            f"{kind.kind} {name!r} as the server returned it",
            [FieldError("", f"cannot be read as an orchsdk {kind.kind}: {error!r}")],
        ) from error


def _dig(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def _common(obj: Mapping[str, Any], *, drop_annotations: tuple[str, ...] = ()) -> dict[str, Any]:
    metadata = obj["metadata"]
    annotations = {
        key: value
        for key, value in (metadata.get("annotations") or {}).items()
        if not key.startswith(_SERVER_ANNOTATIONS) and key not in drop_annotations
    }
    return {
        "name": metadata["name"],
        "namespace": metadata.get("namespace"),
        "labels": metadata.get("labels") or {},
        "annotations": annotations,
    }


def _deployment(obj: Mapping[str, Any], _: bool) -> Deployment:
    spec = obj["spec"]
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    volumes = {volume["name"]: volume for volume in pod.get("volumes") or []}
    rolling = _dig(spec, "strategy", "rollingUpdate") or {}
    handover = (AUTOSCALER_ANNOTATION,) if autoscaler_of(obj) is not None else ()
    return Deployment(
        **_common(obj, drop_annotations=handover),
        image=container["image"],
        replicas=spec.get("replicas", 1),
        command=container.get("command") or (),
        args=container.get("args") or (),
        ports=[
            Port(port["containerPort"], name=port.get("name"), protocol=port.get("protocol", "TCP"))
            for port in container.get("ports") or []
        ],
        env={item["name"]: _env_value(item) for item in container.get("env") or []},
        resources=_resources(container.get("resources") or {}),
        health=_health(container),
        rollout=Rollout(rolling.get("maxSurge", "25%"), rolling.get("maxUnavailable", "25%")),
        placement=_placement(pod.get("affinity") or {}),
        files=[
            _file(mount, volumes[mount["name"]])
            for mount in container.get("volumeMounts") or []
            if mount["name"] in volumes and "subPath" in mount
        ],
    )


def _env_value(item: Mapping[str, Any]) -> str | SecretRef | ConfigRef:
    source = item.get("valueFrom")
    if source is None:
        return str(item.get("value", ""))
    if "secretKeyRef" in source:
        return SecretRef(source["secretKeyRef"]["name"], source["secretKeyRef"]["key"])
    if "configMapKeyRef" in source:
        return ConfigRef(source["configMapKeyRef"]["name"], source["configMapKeyRef"]["key"])
    raise ValueError(f"env {item['name']!r} takes its value from {sorted(source)}")


def _resources(resources: Mapping[str, Any]) -> Resources:
    requests = resources.get("requests") or {}
    limits = resources.get("limits") or {}
    gpu = limits.get(GPU_RESOURCE)
    cpu, memory = requests.get("cpu"), requests.get("memory", limits.get("memory"))
    return Resources(cpu=cpu, memory=memory, gpu=int(gpu) if gpu is not None else None)


def _health(container: Mapping[str, Any]) -> HealthCheck | None:
    probe = container.get("livenessProbe") or container.get("readinessProbe")
    if probe is None:
        return None
    timing = {
        "interval": probe.get("periodSeconds", 10),
        "timeout": probe.get("timeoutSeconds", 1),
        "failures": probe.get("failureThreshold", 3),
        "grace": probe.get("initialDelaySeconds", 0),
    }
    if "httpGet" in probe:
        return HealthCheck(
            http_path=probe["httpGet"].get("path", "/"), port=probe["httpGet"]["port"], **timing
        )
    if "tcpSocket" in probe:
        return HealthCheck(tcp=True, port=probe["tcpSocket"]["port"], **timing)
    return HealthCheck(command=probe["exec"]["command"], **timing)


def _placement(affinity: Mapping[str, Any]) -> list[Constraint]:
    operators: dict[str, ConstraintOperator] = {"In": "in", "NotIn": "not_in", "Exists": "exists"}
    terms = (
        _dig(
            affinity,
            "nodeAffinity",
            "requiredDuringSchedulingIgnoredDuringExecution",
            "nodeSelectorTerms",
        )
        or []
    )
    placement = [
        Constraint(
            PORTABLE_KEYS.get(expression["key"], expression["key"]),
            operators[expression["operator"]],
            expression.get("values") or (),
        )
        for term in terms[:1]
        for expression in term.get("matchExpressions") or []
    ]
    spread = _dig(affinity, "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution")
    placement += [
        Constraint(PORTABLE_KEYS.get(term["topologyKey"], term["topologyKey"]), "unique")
        for term in spread or []
    ]
    return placement


def _file(mount: Mapping[str, Any], volume: Mapping[str, Any]) -> FileMount:
    if "secret" in volume:
        return FileMount(
            mount["mountPath"], SecretRef(volume["secret"]["secretName"], mount["subPath"])
        )
    return FileMount(mount["mountPath"], ConfigRef(volume["configMap"]["name"], mount["subPath"]))


def _service(obj: Mapping[str, Any], _: bool) -> Service:
    spec = obj["spec"]
    exposures = {"ClusterIP": "internal", "LoadBalancer": "external", "NodePort": "node"}
    ports = [
        Port(
            port["port"],
            name=port.get("name"),
            protocol=port.get("protocol", "TCP"),
            target_port=port.get("targetPort"),
        )
        for port in spec.get("ports") or []
    ]
    return Service(
        **_common(obj, drop_annotations=(HOSTNAME_ANNOTATION,)),
        selector=spec.get("selector") or {},
        ports=ports,
        exposure=exposures[spec.get("type", "ClusterIP")],  # type: ignore[arg-type]
        hostname=_dig(obj, "metadata", "annotations", HOSTNAME_ANNOTATION),
    )


def _secret(obj: Mapping[str, Any], reveal: bool) -> Secret:
    data = obj.get("data") or {}
    if reveal:
        values = {key: _decode(key, value) for key, value in data.items()}
    else:
        values = dict.fromkeys(data, REDACTED)
    return Secret(**_common(obj), data=values)


def _decode(key: str, value: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise ValueError(f"data.{key} is not base64-encoded UTF-8 text") from error


def _config_map(obj: Mapping[str, Any], _: bool) -> ConfigMap:
    return ConfigMap(**_common(obj), data=obj.get("data") or {})


def _autoscaler(obj: Mapping[str, Any], _: bool) -> Autoscaler:
    spec = obj["spec"]
    percent = {
        metric["resource"]["name"]: metric["resource"]["target"].get("averageUtilization")
        for metric in spec.get("metrics") or []
        if metric.get("type") == "Resource"
    }
    return Autoscaler(
        **_common(obj),
        target=spec["scaleTargetRef"]["name"],
        min_replicas=spec.get("minReplicas", 1),
        max_replicas=spec["maxReplicas"],
        cpu_percent=percent.get("cpu"),
        memory_percent=percent.get("memory"),
    )


_PARSERS: dict[type[Resource], Callable[[Mapping[str, Any], bool], Resource]] = {
    Deployment: _deployment,
    Service: _service,
    Secret: _secret,
    ConfigMap: _config_map,
    Autoscaler: _autoscaler,
}
