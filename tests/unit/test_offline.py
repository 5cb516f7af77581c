"""Rendering without a cluster (``orchsdk.offline``): the hook behind ``orchsdk render``."""

from __future__ import annotations

from typing import Any

import pytest

from orchsdk import (
    ConfigMap,
    Deployment,
    OrchestratorError,
    Port,
    Secret,
    UnsupportedFeature,
    ValidationError,
)
from orchsdk.offline import (
    OfflineBackend,
    offline_backend,
    register_renderer,
    render_offline,
    renderer_targets,
)

WEB = Deployment("web", image="nginx:1.27", ports=[Port(80)])


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("orchsdk.offline._registered", {})


def test_the_shipped_targets() -> None:
    assert {"kubernetes", "marathon", "memory"} <= set(renderer_targets())


def test_kubernetes_renders_with_its_pure_function() -> None:
    [document] = render_offline("kubernetes", WEB, namespace="shop")

    assert document["kind"] == "Deployment"
    assert document["metadata"] == {"name": "web", "namespace": "shop"} | {
        key: value
        for key, value in document["metadata"].items()
        if key not in ("name", "namespace")
    }


def test_marathon_renders_secrets_as_if_the_secret_store_were_there() -> None:
    documents = render_offline("marathon", Secret("db", data={"a": "b"}), WEB)

    assert documents[0] == {"store": "default", "path": "default/db/a", "value": "b"}
    assert documents[1]["id"] == "/default/web"


def test_marathon_refuses_what_it_cannot_carry_before_rendering() -> None:
    with pytest.raises(UnsupportedFeature, match="ConfigMap"):
        render_offline("marathon", ConfigMap("cfg", data={"a": "b"}))


def test_rendering_validates_first() -> None:
    with pytest.raises(ValidationError, match="replicas"):
        render_offline("kubernetes", Deployment("web", image="nginx", replicas=-1))


def test_an_unknown_target_names_the_known_ones() -> None:
    with pytest.raises(OrchestratorError, match="no offline renderer for 'nomad'; known targets"):
        render_offline("nomad", WEB)


def test_a_render_function_takes_no_options() -> None:
    with pytest.raises(OrchestratorError, match="takes no options"):
        offline_backend("kubernetes", verbose="1")


def test_a_registered_function_renders_with_every_capability() -> None:
    def render(resource: Any) -> dict[str, Any]:
        return {"rendered": resource.name}

    register_renderer("toy", render)

    assert render_offline("toy", WEB, Secret("db", data={"a": "b"})) == [
        {"rendered": "web"},
        {"rendered": "db"},
    ]


def test_a_registered_factory_gets_the_options() -> None:
    seen: dict[str, Any] = {}

    def factory(**options: Any) -> OfflineBackend:
        seen.update(options)
        return OfflineBackend("toy", lambda resource: [{"name": resource.name}])

    register_renderer("toy", factory)

    assert render_offline("toy", WEB, flavour="plain") == [{"name": "web"}]
    assert seen == {"flavour": "plain"}


def test_a_factory_must_make_a_backend() -> None:
    register_renderer("toy", lambda **options: "not a backend")

    with pytest.raises(OrchestratorError, match="not a Backend"):
        offline_backend("toy")


def test_the_offline_backend_only_renders() -> None:
    backend = OfflineBackend("toy", lambda resource: {"a": 1})

    with pytest.raises(OrchestratorError, match="apply needs a cluster"):
        backend.apply(WEB)
    with pytest.raises(OrchestratorError, match="status needs a cluster"):
        backend.status("web", "default")


def test_a_target_name_is_not_a_url() -> None:
    with pytest.raises(ValueError, match="a target looks like"):
        register_renderer("kubernetes://", lambda resource: {})
