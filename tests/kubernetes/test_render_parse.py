"""The Kubernetes renderers and parsers: valid manifests, and parse(render(spec)) == spec."""

from __future__ import annotations

import base64
import functools
from typing import Any

import attrs
import kubernetes_validate
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from orchsdk_kubernetes.parse import parse
from orchsdk_kubernetes.render import render
from strategies import autoscalers, config_maps, deployments, secrets, services

from orchsdk import (
    Autoscaler,
    ConfigRef,
    Deployment,
    HealthCheck,
    Port,
    Resource,
    Secret,
    SecretRef,
    Service,
)
from orchsdk.values import Constraint, FileMount

SCHEMA_VERSION = kubernetes_validate.latest_version()


def as_served(manifest: dict[str, Any]) -> dict[str, Any]:
    """What the API server keeps of an applied manifest: stringData folds into base64 data."""
    served = dict(manifest)
    if "stringData" in served:
        string_data = served.pop("stringData")
        served["data"] = {
            key: base64.b64encode(value.encode()).decode() for key, value in string_data.items()
        }
    return served


def round_trip(spec: Resource) -> Resource:
    return parse(type(spec), as_served(render(spec)), reveal=True)


@functools.cache
def _validate(manifest_json: str) -> None:
    import json

    kubernetes_validate.validate(json.loads(manifest_json), SCHEMA_VERSION, strict=True)


def assert_valid(manifest: dict[str, Any]) -> None:
    import json

    _validate(json.dumps(manifest, sort_keys=True))


def without_native(spec: Resource) -> Resource:
    return attrs.evolve(spec, namespace=spec.namespace or "default", native={})


any_spec = st.one_of(deployments(), services(), secrets(), config_maps(), autoscalers())


@settings(max_examples=150, deadline=None)
@given(any_spec.map(without_native))
def test_every_rendered_manifest_passes_strict_schema_validation(spec: Resource) -> None:
    assert_valid(render(spec))


@settings(max_examples=300, deadline=None)
@given(any_spec.map(without_native))
def test_parse_of_render_gives_the_spec_back(spec: Resource) -> None:
    assert round_trip(spec) == spec


def web(**changes: Any) -> Deployment:
    spec = Deployment(
        "web",
        image="nginx:1.27",
        namespace="shop",
        ports=[Port(80, name="http")],
        labels={"app": "web"},
    )
    return attrs.evolve(spec, **changes)


def test_deployment_selects_pods_by_a_label_made_from_its_name_only() -> None:
    manifest = render(web(labels={"app": "web", "track": "stable"}))
    assert manifest["spec"]["selector"] == {"matchLabels": {"orchsdk.io/deployment": "web"}}
    assert manifest["spec"]["template"]["metadata"]["labels"] == {
        "app": "web",
        "track": "stable",
        "orchsdk.io/deployment": "web",
    }


def test_autoscaled_deployment_leaves_replicas_out() -> None:
    assert "replicas" in render(web())["spec"]
    assert "replicas" not in render(web(), autoscaled=True)["spec"]


def test_env_from_secret_and_config_map_uses_key_refs() -> None:
    manifest = render(web(env={"A": "1", "B": SecretRef("db", "pw"), "C": ConfigRef("cfg", "c")}))
    assert manifest["spec"]["template"]["spec"]["containers"][0]["env"] == [
        {"name": "A", "value": "1"},
        {"name": "B", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}},
        {"name": "C", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "c"}}},
    ]


def test_health_check_becomes_readiness_and_liveness_probes() -> None:
    health = HealthCheck(
        http_path="/healthz", port="http", interval=7, timeout=2, grace=40, failures=4
    )
    container = render(web(health=health))["spec"]["template"]["spec"]["containers"][0]
    probe = {
        "httpGet": {"path": "/healthz", "port": "http"},
        "periodSeconds": 7,
        "timeoutSeconds": 2,
        "failureThreshold": 4,
    }
    assert container["readinessProbe"] == probe
    assert container["livenessProbe"] == {**probe, "initialDelaySeconds": 40}


def test_file_mount_mounts_one_key_of_a_secret_at_its_path() -> None:
    pod = render(web(files=[FileMount("/etc/app/pw", SecretRef("db", "pw"))]))["spec"]["template"][
        "spec"
    ]
    assert pod["volumes"] == [{"name": "orchsdk-file-0", "secret": {"secretName": "db"}}]
    assert pod["containers"][0]["volumeMounts"] == [
        {"name": "orchsdk-file-0", "mountPath": "/etc/app/pw", "subPath": "pw", "readOnly": True}
    ]


def test_placement_maps_portable_keys_to_well_known_node_labels() -> None:
    placement = [Constraint("zone", "in", ["a", "b"]), Constraint("hostname", "unique")]
    affinity = render(web(placement=placement))["spec"]["template"]["spec"]["affinity"]
    terms = affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms["nodeSelectorTerms"] == [
        {
            "matchExpressions": [
                {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["a", "b"]}
            ]
        }
    ]
    assert affinity["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == [
        {
            "labelSelector": {"matchLabels": {"orchsdk.io/deployment": "web"}},
            "topologyKey": "kubernetes.io/hostname",
        }
    ]


@pytest.mark.parametrize(
    ("exposure", "kind"),
    [("internal", "ClusterIP"), ("external", "LoadBalancer"), ("node", "NodePort")],
)
def test_service_exposure_picks_the_service_type(exposure: str, kind: str) -> None:
    service = Service(
        "web", namespace="shop", selector={"app": "web"}, ports=[Port(80)], exposure=exposure
    )  # type: ignore[arg-type]
    assert render(service)["spec"]["type"] == kind


def test_external_hostname_becomes_the_external_dns_annotation() -> None:
    service = Service(
        "web",
        namespace="shop",
        selector={"app": "web"},
        ports=[Port(80)],
        exposure="external",
        hostname="shop.example.com",
    )
    manifest = render(service)
    assert manifest["metadata"]["annotations"] == {
        "external-dns.alpha.kubernetes.io/hostname": "shop.example.com"
    }
    assert parse(Service, manifest) == service


def test_secret_is_written_as_base64_data_and_read_back_redacted() -> None:
    secret = Secret("db", namespace="shop", data={"pw": "s3cr3t"})
    manifest = render(secret)
    assert manifest["data"] == {"pw": "czNjcjN0"}
    assert "stringData" not in manifest
    hidden = parse(Secret, as_served(manifest))
    assert not hidden.revealed
    assert "s3cr3t" not in repr(hidden)


def test_autoscaler_becomes_an_hpa_on_cpu_utilization() -> None:
    manifest = render(
        Autoscaler("web", namespace="shop", target="web", max_replicas=5, cpu_percent=70)
    )
    assert manifest["apiVersion"] == "autoscaling/v2"
    assert manifest["spec"]["metrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 70},
            },
        }
    ]


def test_native_patch_is_merged_last() -> None:
    spec = web(native={"kubernetes": {"spec": {"revisionHistoryLimit": 3, "strategy": None}}})
    manifest = render(spec)
    assert manifest["spec"]["revisionHistoryLimit"] == 3
    assert "strategy" not in manifest["spec"]


def test_object_with_an_unreadable_field_raises_validation_error_naming_it() -> None:
    from orchsdk import ValidationError

    broken = {"metadata": {"name": "web", "namespace": "shop"}, "spec": {"template": {}}}
    with pytest.raises(ValidationError, match="web"):
        parse(Deployment, broken)
