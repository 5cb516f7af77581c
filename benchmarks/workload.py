"""The objects every benchmark applies, in orchsdk's specs and as a user would write them by hand.

One *unit* ``i`` is a deployment ``app-i`` (one container with a port, resources, a plain
env var and one taken from a secret), a service ``app-i`` selecting it, and a secret
``db-i``. The typed-model and plain-dict versions below produce the same documents as
orchsdk's renderers, so both sides send the same content.
"""

from __future__ import annotations

import base64
from typing import Any

from orchsdk import Deployment, Port, Resources, Secret, SecretRef, Service

__all__ = [
    "IMAGE",
    "UNITS_PER_NAMESPACE",
    "deployment",
    "marathon_app",
    "marathon_app_matches",
    "namespaces",
    "secret",
    "service",
    "specs",
    "typed_deployment",
    "typed_deployment_matches",
    "typed_secret",
    "typed_secret_matches",
    "typed_service",
    "typed_service_matches",
    "units",
]

IMAGE = "nginx:1.27"
PASSWORD = "s3cr3t-password"
SELECTOR_LABEL = "orchsdk.io/deployment"
UNITS_PER_NAMESPACE = 25


# -- orchsdk --------------------------------------------------------------------------------


def deployment(i: int, namespace: str, image: str = IMAGE) -> Deployment:
    name = f"app-{i}"
    return Deployment(
        name,
        image=image,
        replicas=1,
        ports=[Port(8080, name="http")],
        env={"LOG_LEVEL": "info", "DB_PASSWORD": SecretRef(f"db-{i}", "password")},
        resources=Resources(cpu="250m", memory="256Mi"),
        labels={"app": name},
        namespace=namespace,
    )


def service(i: int, namespace: str) -> Service:
    name = f"app-{i}"
    return Service(
        name, selector={"app": name}, ports=[Port(80, target_port=8080)], namespace=namespace
    )


def secret(i: int, namespace: str) -> Secret:
    return Secret(f"db-{i}", data={"password": PASSWORD}, namespace=namespace)


def units(count: int, prefix: str) -> list[tuple[int, str]]:
    """``(i, namespace)`` of ``count`` units, :data:`UNITS_PER_NAMESPACE` to a namespace.

    Spread because the Kubernetes emulator reconciles a whole namespace after each
    write (its cost per write grows with the namespace); a client's cost does not.
    """
    return [(i, f"{prefix}-{i // UNITS_PER_NAMESPACE}") for i in range(count)]


def namespaces(count: int, prefix: str) -> list[str]:
    """The namespaces :func:`units` puts ``count`` units in."""
    return sorted({namespace for _, namespace in units(count, prefix)})


def specs(pairs: list[tuple[int, str]], *, services: bool = True) -> list[Any]:
    """The units' secrets, deployments and (unless told not to) services, as orchsdk specs."""
    found: list[Any] = []
    for i, namespace in pairs:
        found.append(secret(i, namespace))
        found.append(deployment(i, namespace))
        if services:
            found.append(service(i, namespace))
    return found


# -- the kubernetes client's typed models -----------------------------------------------------


def typed_deployment(i: int, namespace: str, image: str = IMAGE) -> Any:
    from kubernetes import client as k

    name = f"app-{i}"
    return k.V1Deployment(
        api_version="apps/v1",
        kind="Deployment",
        metadata=k.V1ObjectMeta(name=name, namespace=namespace, labels={"app": name}),
        spec=k.V1DeploymentSpec(
            replicas=1,
            selector=k.V1LabelSelector(match_labels={SELECTOR_LABEL: name}),
            strategy=k.V1DeploymentStrategy(
                type="RollingUpdate",
                rolling_update=k.V1RollingUpdateDeployment(max_surge="25%", max_unavailable="25%"),
            ),
            template=k.V1PodTemplateSpec(
                metadata=k.V1ObjectMeta(labels={"app": name, SELECTOR_LABEL: name}),
                spec=k.V1PodSpec(
                    containers=[
                        k.V1Container(
                            name="app",
                            image=image,
                            ports=[
                                k.V1ContainerPort(container_port=8080, name="http", protocol="TCP")
                            ],
                            env=[
                                k.V1EnvVar(name="LOG_LEVEL", value="info"),
                                k.V1EnvVar(
                                    name="DB_PASSWORD",
                                    value_from=k.V1EnvVarSource(
                                        secret_key_ref=k.V1SecretKeySelector(
                                            name=f"db-{i}", key="password"
                                        )
                                    ),
                                ),
                            ],
                            resources=k.V1ResourceRequirements(
                                requests={"cpu": "250m", "memory": "256Mi"},
                                limits={"memory": "256Mi"},
                            ),
                        )
                    ]
                ),
            ),
        ),
    )


def typed_service(i: int, namespace: str) -> Any:
    from kubernetes import client as k

    name = f"app-{i}"
    return k.V1Service(
        api_version="v1",
        kind="Service",
        metadata=k.V1ObjectMeta(name=name, namespace=namespace),
        spec=k.V1ServiceSpec(
            type="ClusterIP",
            selector={"app": name},
            ports=[k.V1ServicePort(port=80, target_port=8080, protocol="TCP")],
        ),
    )


def typed_secret(i: int, namespace: str) -> Any:
    from kubernetes import client as k

    return k.V1Secret(
        api_version="v1",
        kind="Secret",
        metadata=k.V1ObjectMeta(name=f"db-{i}", namespace=namespace),
        type="Opaque",
        string_data={"password": PASSWORD},
    )


def _container_view(container: Any) -> tuple[Any, ...]:
    env = tuple(
        (
            item.name,
            item.value,
            item.value_from.secret_key_ref.name
            if item.value_from and item.value_from.secret_key_ref
            else None,
            item.value_from.secret_key_ref.key
            if item.value_from and item.value_from.secret_key_ref
            else None,
        )
        for item in container.env or []
    )
    ports = tuple((port.container_port, port.name, port.protocol) for port in container.ports or [])
    resources = container.resources
    return (
        container.name,
        container.image,
        ports,
        env,
        dict(resources.requests or {}) if resources else {},
        dict(resources.limits or {}) if resources else {},
    )


def typed_deployment_matches(existing: Any, desired: Any) -> bool:
    """What a careful script compares before skipping a write: the fields it sets."""
    return bool(
        existing.spec.replicas == desired.spec.replicas
        and (existing.metadata.labels or {}) == desired.metadata.labels
        and existing.spec.selector.match_labels == desired.spec.selector.match_labels
        and (existing.spec.template.metadata.labels or {}) == desired.spec.template.metadata.labels
        and [_container_view(c) for c in existing.spec.template.spec.containers]
        == [_container_view(c) for c in desired.spec.template.spec.containers]
    )


def typed_service_matches(existing: Any, desired: Any) -> bool:
    def ports(spec: Any) -> list[tuple[Any, ...]]:
        return [(p.port, p.target_port, p.protocol) for p in spec.ports or []]

    return bool(
        existing.spec.type == desired.spec.type
        and existing.spec.selector == desired.spec.selector
        and ports(existing.spec) == ports(desired.spec)
    )


def typed_secret_matches(existing: Any, desired: Any) -> bool:
    data = {key: base64.b64decode(value).decode() for key, value in (existing.data or {}).items()}
    return bool(data == desired.string_data)


# -- Marathon's REST API, as plain dicts --------------------------------------------------------


def marathon_app(i: int, namespace: str, image: str = IMAGE) -> dict[str, Any]:
    """The app ``PUT /v2/apps/{id}`` gets: what orchsdk renders for :func:`deployment`."""
    name = f"app-{i}"
    return {
        "id": f"/{namespace}/{name}",
        "instances": 1,
        "cpus": 0.25,
        "mem": 256.0,
        "container": {
            "type": "DOCKER",
            "docker": {"image": image},
            "portMappings": [
                {"containerPort": 8080, "hostPort": 0, "protocol": "tcp", "name": "http"}
            ],
        },
        "networks": [{"mode": "container/bridge"}],
        "env": {"LOG_LEVEL": "info", "DB_PASSWORD": {"secret": "db"}},
        "secrets": {"db": {"source": f"{namespace}/db-{i}/password"}},
        "labels": {"app": name},
        "upgradeStrategy": {"maximumOverCapacity": 0.25, "minimumHealthCapacity": 0.75},
    }


def marathon_app_matches(stored: dict[str, Any], sent: dict[str, Any]) -> bool:
    """What a script compares before skipping a PUT: the fields it sends."""
    container, wanted = stored.get("container") or {}, sent["container"]
    mappings = [
        (m.get("containerPort"), m.get("name"), m.get("protocol"))
        for m in container.get("portMappings") or []
    ]
    return bool(
        stored.get("instances") == sent["instances"]
        and stored.get("cpus") == sent["cpus"]
        and stored.get("mem") == sent["mem"]
        and (container.get("docker") or {}).get("image") == wanted["docker"]["image"]
        and mappings
        == [(m["containerPort"], m["name"], m["protocol"]) for m in wanted["portMappings"]]
        and stored.get("env") == sent["env"]
        and stored.get("secrets") == sent["secrets"]
        and stored.get("labels") == sent["labels"]
    )
