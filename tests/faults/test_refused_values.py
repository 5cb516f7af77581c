"""Values no orchestrator takes are refused before anything is sent, naming the field.

Found by an outside probe: quantities past what the orchestrators hold passed validation
(Marathon then rendered ``"cpus": Infinity``, which is not JSON), image references that
no registry accepts passed, and NUL bytes reached the wire.
"""

from __future__ import annotations

from typing import Any

import pytest

import orchsdk
from orchsdk import ConfigMap, Deployment, Resources, Secret, ValidationError, validate
from orchsdk.offline import render_offline


def refused_fields(resource: orchsdk.Resource) -> tuple[str, ...]:
    with pytest.raises(ValidationError) as raised:
        validate(resource)
    return raised.value.fields


@pytest.mark.parametrize(
    ("resources", "field"),
    [
        (Resources(cpu="1e309"), "resources.cpu"),
        (Resources(cpu="9" * 5000), "resources.cpu"),
        (Resources(cpu="0." + "0" * 4999 + "1"), "resources.cpu"),
        (Resources(memory="1e309"), "resources.memory"),
        (Resources(memory="9" * 5000 + "Ei"), "resources.memory"),
        (Resources(memory="100m"), "resources.memory"),
    ],
)
def test_quantities_past_the_orchestrators_limits_are_refused(
    resources: Resources, field: str
) -> None:
    assert refused_fields(Deployment("web", image="nginx", resources=resources)) == (field,)


def test_the_largest_quantity_kubernetes_holds_is_accepted() -> None:
    validate(Deployment("web", image="nginx", resources=Resources(memory=str(2**63 - 1))))


@pytest.mark.parametrize("target", ["marathon", "kubernetes"])
def test_an_infinite_cpu_never_reaches_a_renderer(target: str) -> None:
    web = Deployment("web", image="nginx", resources=Resources(cpu="1e309"))

    with pytest.raises(ValidationError, match=r"resources\.cpu"):
        render_offline(target, web)


@pytest.mark.parametrize(
    "image",
    [
        "nginx\x00",
        "$(id)",
        "nginx:`id`",
        "NGINX:1",
        "a" * 5000,
        "nginx:",
        "nginx:-1",
        "nginx@sha256:abc",
        "Nginx",
        "registry.example.com/Team/app",
        "nginx;id",
        "nginx 1.27",
    ],
)
def test_image_references_outside_the_distribution_grammar_are_refused(image: str) -> None:
    assert refused_fields(Deployment("web", image=image)) == ("image",)


@pytest.mark.parametrize(
    "image",
    [
        "nginx",
        "nginx:1.27",
        "library/nginx:1.27-alpine",
        "registry.example.com:5000/team/app:2.1",
        "localhost/app",
        "Registry.Example.com/team/app",
        "[::1]:5000/app",
        "ghcr.io/org/app@sha256:" + "0123456789abcdef" * 4,
        "app:v1@sha256:" + "f" * 64,
        "my_app__x/a.b-c",
    ],
)
def test_image_references_in_the_grammar_are_accepted(image: str) -> None:
    validate(Deployment("web", image=image))


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (Deployment("web", image="nginx", env={"A": "x\x00y"}), "env.A"),
        (Deployment("web", image="nginx", command=["run\x00"]), "command[0]"),
        (Deployment("web", image="nginx", args=["-v", "\x00"]), "args[1]"),
        (Deployment("web", image="nginx", annotations={"note": "a\x00"}), "annotations.note"),
        (Deployment("web", image="nginx", labels={"app": "w\x00"}), "labels.app"),
        (ConfigMap("cfg", data={"key": "v\x00"}), "data.key"),
        (ConfigMap("cfg", data={"k\x00": "v"}), "data.k\x00"),
        (Secret("db", data={"k\x00": "v"}), "data.k\x00"),
    ],
)
def test_a_nul_byte_in_any_string_that_reaches_the_wire_is_refused(
    spec: orchsdk.Resource, field: str
) -> None:
    assert refused_fields(spec) == (field,)


def test_a_secret_value_may_hold_any_bytes() -> None:
    validate(Secret("db", data={"key": "bin\x00ary"}))


def test_an_apply_with_a_refused_value_sends_nothing() -> None:
    with orchsdk.connect("memory://") as orch:
        with pytest.raises(ValidationError):
            orch.apply(Secret("db", data={"a": "b"}), Deployment("web", image="NGINX:1"))

        assert orch.list(Secret) == []


@pytest.mark.parametrize(
    "spec",
    [
        Secret("db", data={"password": "a\ud800b"}),
        Deployment("web", image="nginx:1.27", env={"MODE": "\udfff"}),
    ],
)
def test_a_lone_surrogate_is_refused_naming_the_field(spec: Any) -> None:
    with pytest.raises(ValidationError) as raised:
        validate(spec)
    assert raised.value.fields in (("data.password",), ("env.MODE",))
