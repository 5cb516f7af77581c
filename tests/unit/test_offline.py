"""Rendering without a cluster (``orchsdk.offline``): every backend's ``offline()``, one group."""

from __future__ import annotations

import builtins
from importlib.metadata import entry_points
from typing import Any

import pytest

from orchsdk import (
    ConfigMap,
    Deployment,
    OrchestratorError,
    Port,
    Resource,
    Secret,
    UnsupportedFeature,
    ValidationError,
    register_backend,
)
from orchsdk.offline import offline_backend, offline_targets, render_offline

WEB = Deployment("web", image="nginx:1.27", ports=[Port(80)])


@pytest.fixture(autouse=True)
def isolated(isolated_registry: dict[str, Any]) -> None:
    """Registrations made by a test are forgotten after it."""


@pytest.fixture
def toy_backend(fake_backend_class: type[Any]) -> type[Any]:
    """A plugin's backend class that renders offline with the options it is given."""

    class ToyBackend(fake_backend_class):  # type: ignore[misc,valid-type]
        name = "toy"

        @classmethod
        def offline(cls, **options: Any) -> Any:
            return cls(**options)

        def render(self, resource: Resource) -> builtins.list[dict[str, Any]]:
            return [{"rendered": resource.name, **self.options}]

    return ToyBackend


def test_the_shipped_targets() -> None:
    assert {"kubernetes", "marathon", "memory"} <= set(offline_targets())


def test_there_is_one_entry_point_group() -> None:
    assert list(entry_points(group="orchsdk.renderers")) == []


def test_kubernetes_renders_without_a_kubeconfig(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", "/nonexistent/kubeconfig")

    [document] = render_offline("kubernetes", WEB, namespace="shop")

    assert document["kind"] == "Deployment"
    assert (document["metadata"]["name"], document["metadata"]["namespace"]) == ("web", "shop")


def test_marathon_renders_secrets_as_if_the_secret_store_were_there() -> None:
    documents = render_offline("marathon", Secret("db", data={"a": "b"}), WEB, reveal=True)

    assert documents[0] == {"store": "default", "path": "default/db/a", "value": "b"}
    assert documents[1]["id"] == "/default/web"


def test_marathon_refuses_what_it_cannot_carry_before_rendering() -> None:
    with pytest.raises(UnsupportedFeature, match="ConfigMap"):
        render_offline("marathon", ConfigMap("cfg", data={"a": "b"}))


def test_rendering_validates_first() -> None:
    with pytest.raises(ValidationError, match="replicas"):
        render_offline("kubernetes", Deployment("web", image="nginx", replicas=-1))


def test_an_unknown_target_names_the_known_ones() -> None:
    with pytest.raises(OrchestratorError, match="no backend is installed for target 'nomad'"):
        render_offline("nomad", WEB)


def test_a_registered_backend_renders_with_its_offline_and_the_options(
    toy_backend: type[Any],
) -> None:
    register_backend("toy", toy_backend)

    assert render_offline("toy", WEB, flavour="plain") == [{"rendered": "web", "flavour": "plain"}]


def test_a_backend_without_offline_says_it_cannot_render_without_a_cluster(
    fake_backend_class: type[Any],
) -> None:
    register_backend("fake", fake_backend_class)

    with pytest.raises(OrchestratorError, match="fake backend cannot render without a cluster"):
        offline_backend("fake")


def test_a_factory_that_is_not_a_backend_class_cannot_render_offline(
    toy_backend: type[Any],
) -> None:
    register_backend("toy", lambda url, **options: toy_backend())

    with pytest.raises(OrchestratorError, match="not a Backend class"):
        offline_backend("toy")


def test_offline_must_make_a_backend(toy_backend: type[Any]) -> None:
    class Broken(toy_backend):  # type: ignore[misc,valid-type]
        @classmethod
        def offline(cls, **options: Any) -> Any:
            return "not a backend"

    register_backend("toy", Broken)

    with pytest.raises(OrchestratorError, match="not a Backend"):
        offline_backend("toy")


def test_a_target_name_is_not_a_url() -> None:
    with pytest.raises(OrchestratorError, match="a target is a backend's name"):
        offline_backend("kubernetes://")


def test_a_target_names_every_scheme_of_a_backend(toy_backend: type[Any]) -> None:
    register_backend("toy+https", toy_backend)

    assert "toy" in offline_targets()
    assert render_offline("toy", WEB) == [{"rendered": "web"}]
