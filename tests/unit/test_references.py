"""Secrets, config maps and ports a batch refers to must exist before anything is sent."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from orchsdk import (
    ConfigMap,
    ConfigRef,
    Deployment,
    FileMount,
    Orchestrator,
    PermissionDenied,
    Port,
    Secret,
    SecretRef,
    Service,
    ValidationError,
)

DB = Secret("db", data={"password": "s3cr3t"})
WEB = Deployment(
    "web",
    image="nginx:1.27",
    ports=[Port(80, name="http")],
    env={"DB_PASSWORD": SecretRef("db", "password")},
    labels={"app": "web"},
)


def stored(backend: Any, resource: Any, namespace: str = "default") -> None:
    """Puts a resource on the fake cluster, as if applied earlier."""
    backend.stored[(type(resource), namespace, resource.name)] = attrs.evolve(
        resource, namespace=namespace
    )


def test_a_secret_only_in_another_namespace_is_refused_and_nothing_is_sent(
    backend: Any,
) -> None:
    stored(backend, DB, namespace="default")
    shop = Orchestrator(backend, namespace="shop")

    with pytest.raises(ValidationError) as raised:
        shop.apply(WEB)

    assert raised.value.fields == ("env.DB_PASSWORD",)
    assert "neither in this apply nor in namespace 'shop'" in str(raised.value)
    assert backend.applied() == []


def test_a_key_the_secret_on_the_cluster_lacks_is_refused(backend: Any, orch: Orchestrator) -> None:
    stored(backend, Secret("db", data={"user": "app"}))

    with pytest.raises(ValidationError, match="Secret 'db' has no key 'password'") as raised:
        orch.apply(WEB)

    assert raised.value.fields == ("env.DB_PASSWORD",)


def test_a_secret_in_the_same_apply_is_not_read(backend: Any, orch: Orchestrator) -> None:
    orch.apply(DB, WEB)

    assert backend.called("get") == []


def test_each_object_outside_the_apply_is_read_once(backend: Any, orch: Orchestrator) -> None:
    stored(backend, DB)
    api = attrs.evolve(WEB, name="api", labels={"app": "api"})

    orch.apply(WEB, api)

    assert [call.args[:3] for call in backend.called("get")] == [(Secret, "db", "default")]
    assert [item.name for item in backend.applied()] == ["web", "api"]


def test_config_maps_and_file_mounts_are_checked_by_their_field(
    backend: Any, orch: Orchestrator
) -> None:
    spec = attrs.evolve(
        WEB,
        env={"LEVEL": ConfigRef("web-config", "LEVEL")},
        files=[FileMount("/etc/tls/key", SecretRef("tls", "key"))],
    )

    with pytest.raises(ValidationError) as raised:
        orch.apply(spec)

    assert raised.value.fields == ("env.LEVEL", "files[0]")


def test_a_reference_the_credentials_may_not_read_is_taken_on_trust(
    backend: Any, orch: Orchestrator
) -> None:
    backend.fail("get", PermissionDenied("get secret/db: forbidden", status=403))

    orch.apply(WEB)

    assert [item.name for item in backend.applied()] == ["web"]


def test_render_reads_nothing(backend: Any, orch: Orchestrator) -> None:
    orch.render(WEB)

    assert backend.called("get") == []


def test_a_named_target_port_no_selected_deployment_declares_is_refused(
    backend: Any, orch: Orchestrator
) -> None:
    service = Service("web", selector={"app": "web"}, ports=[Port(80, target_port="https")])

    with pytest.raises(ValidationError) as raised:
        orch.apply(DB, WEB, service)

    assert raised.value.fields == ("ports[0].target_port",)
    assert "no deployment it selects in this apply declares ('web')" in str(raised.value)
    assert backend.applied() == []


def test_a_named_target_port_a_selected_deployment_declares_is_accepted(
    orch: Orchestrator,
) -> None:
    service = Service("web", selector={"app": "web"}, ports=[Port(80, target_port="http")])

    assert len(orch.apply(DB, WEB, service)) == 3


def test_a_service_applied_alone_is_not_checked_against_deployments_it_cannot_see(
    orch: Orchestrator,
) -> None:
    service = Service("web", selector={"app": "web"}, ports=[Port(80, target_port="https")])

    assert len(orch.apply(service)) == 1


def test_config_maps_count_for_config_refs(backend: Any, orch: Orchestrator) -> None:
    stored(backend, ConfigMap("web-config", data={"LEVEL": "info"}))
    spec = attrs.evolve(WEB, env={"LEVEL": ConfigRef("web-config", "LEVEL")})

    assert len(orch.apply(spec)) == 1
