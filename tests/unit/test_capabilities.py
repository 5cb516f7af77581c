"""Capabilities, the fields that need each one, and what strict and lenient orchestrators do
with a field the backend cannot carry out."""

from __future__ import annotations

import re
from typing import Any

import attrs
import pytest

from orchsdk import (
    Autoscaler,
    Capabilities,
    ConfigMap,
    ConfigRef,
    Constraint,
    Deployment,
    FileMount,
    HealthCheck,
    Orchestrator,
    Port,
    Resources,
    Secret,
    SecretRef,
    Service,
    Unsupported,
    UnsupportedFeature,
    UnsupportedFeatureWarning,
)
from orchsdk.capabilities import find_unsupported
from orchsdk.validation import check

WEB = Deployment("web", image="nginx:1.27", ports=[Port(80, name="http")])
SVC = Service("web", selector={"app": "web"}, ports=[Port(80)])

# -- the Capabilities object ---------------------------------------------------------


def test_names_lists_every_flag_in_declaration_order() -> None:
    assert Capabilities.names() == (
        "secrets",
        "config_maps",
        "autoscalers",
        "standalone_services",
        "external_services",
        "node_services",
        "service_hostnames",
        "health_http",
        "health_tcp",
        "health_command",
        "file_mounts",
        "placement",
        "gpus",
        "annotations",
        "rollback",
        "history",
        "restart",
        "status_stream",
        "events",
        "failure_reasons",
    )


def test_every_capability_but_the_status_stream_is_on_by_default() -> None:
    caps = Capabilities()

    assert [name for name in Capabilities.names() if not caps.supports(name)] == ["status_stream"]


def test_supports_reads_the_flag() -> None:
    assert Capabilities(secrets=False).supports("secrets") is False
    assert Capabilities(status_stream=True).supports("status_stream") is True


@pytest.mark.parametrize("name", ["reasons", "no_such_capability"])
def test_supports_refuses_a_name_that_is_not_a_capability(name: str) -> None:
    with pytest.raises(AttributeError):
        Capabilities().supports(name)


def test_reason_gives_the_backends_own_reason() -> None:
    caps = Capabilities(secrets=False, reasons={"secrets": "the DC/OS secret store is off"})

    assert caps.reason("secrets") == "the DC/OS secret store is off"


def test_reason_falls_back_to_a_generic_sentence() -> None:
    assert Capabilities(gpus=False).reason("gpus") == "the backend does not support it"


def test_capabilities_are_immutable_and_hashable() -> None:
    caps = Capabilities(reasons={"gpus": "no GPUs here"})

    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        caps.gpus = False  # type: ignore[misc]
    assert hash(caps) == hash(Capabilities(reasons={"gpus": "no GPUs here"}))


# -- find_unsupported: the field each capability covers ------------------------------

# (capability switched off, a valid spec that needs it, the field reported,
#  the spec lenient mode applies instead: None when the whole resource is dropped)
TLS = Secret("tls", namespace="default", data={"key": "k"})

GAPS = [
    pytest.param("secrets", Secret("db", data={"k": "v"}), "Secret", None, id="secret"),
    pytest.param("config_maps", ConfigMap("cfg", data={"k": "v"}), "ConfigMap", None, id="config"),
    pytest.param(
        "autoscalers",
        Autoscaler("web", target="web", max_replicas=3, cpu_percent=50),
        "Autoscaler",
        None,
        id="autoscaler",
    ),
    pytest.param(
        "secrets",
        attrs.evolve(WEB, env={"PW": SecretRef("db", "pw"), "MODE": "prod"}),
        "env.PW",
        attrs.evolve(WEB, env={"MODE": "prod"}),
        id="env from a secret",
    ),
    pytest.param(
        "config_maps",
        attrs.evolve(WEB, env={"LEVEL": ConfigRef("cfg", "level")}),
        "env.LEVEL",
        WEB,
        id="env from a config map",
    ),
    pytest.param(
        "secrets",
        attrs.evolve(WEB, files=[FileMount("/etc/tls.key", SecretRef("tls", "key"))]),
        "files[0]",
        WEB,
        id="file from a secret",
    ),
    pytest.param(
        "config_maps",
        attrs.evolve(
            WEB,
            files=[
                FileMount("/etc/a", SecretRef("tls", "key")),
                FileMount("/etc/b", ConfigRef("cfg", "b")),
            ],
        ),
        "files[1]",
        attrs.evolve(WEB, files=[FileMount("/etc/a", SecretRef("tls", "key"))]),
        id="file from a config map",
    ),
    pytest.param(
        "file_mounts",
        attrs.evolve(WEB, files=[FileMount("/etc/b", ConfigRef("cfg", "b"))]),
        "files[0]",
        WEB,
        id="file mount",
    ),
    pytest.param(
        "health_http",
        attrs.evolve(WEB, health=HealthCheck(http_path="/healthz", port="http")),
        "health.http_path",
        WEB,
        id="http health check",
    ),
    pytest.param(
        "health_tcp",
        attrs.evolve(WEB, health=HealthCheck(tcp=True, port=80)),
        "health.tcp",
        WEB,
        id="tcp health check",
    ),
    pytest.param(
        "health_command",
        attrs.evolve(WEB, health=HealthCheck(command=["true"])),
        "health.command",
        WEB,
        id="command health check",
    ),
    pytest.param(
        "placement",
        attrs.evolve(WEB, placement=[Constraint("zone", "in", ["a"])]),
        "placement",
        WEB,
        id="placement",
    ),
    pytest.param(
        "gpus",
        attrs.evolve(WEB, resources=Resources(cpu="1", gpu=1)),
        "resources.gpu",
        attrs.evolve(WEB, resources=Resources(cpu="1")),
        id="gpus",
    ),
    pytest.param(
        "annotations",
        attrs.evolve(WEB, annotations={"note": "x"}),
        "annotations",
        WEB,
        id="annotations",
    ),
    pytest.param(
        "external_services",
        attrs.evolve(SVC, exposure="external"),
        "exposure",
        SVC,
        id="external service",
    ),
    pytest.param(
        "node_services", attrs.evolve(SVC, exposure="node"), "exposure", SVC, id="node service"
    ),
    pytest.param(
        "service_hostnames",
        attrs.evolve(SVC, exposure="external", hostname="shop.example.com"),
        "hostname",
        attrs.evolve(SVC, exposure="external"),
        id="service hostname",
    ),
]

NOT_ABOUT_A_FIELD = {
    "standalone_services": "the backend's own check: a service without deployments",
    "rollback": "an operation, checked by Orchestrator.rollback",
    "history": "an operation, checked by Orchestrator.history",
    "restart": "an operation, checked by Orchestrator.restart",
    "status_stream": "how waits follow a rollout",
    "events": "an operation, checked by Orchestrator.events",
    "failure_reasons": "what a status says, not a field of a spec",
}


def test_every_capability_either_covers_a_field_or_is_not_about_fields() -> None:
    covered = {gap.values[0] for gap in GAPS}

    assert covered | set(NOT_ABOUT_A_FIELD) == set(Capabilities.names())


@pytest.mark.parametrize(("capability", "spec", "field", "left_out"), GAPS)
def test_find_unsupported_names_the_field_and_the_capability(
    capability: str, spec: Any, field: str, left_out: Any
) -> None:
    assert check(spec) == []

    gaps = list(find_unsupported(spec, Capabilities(**{capability: False})))

    assert [(gap.field, gap.capability) for gap in gaps] == [(field, capability)]


@pytest.mark.parametrize(("capability", "spec", "field", "left_out"), GAPS)
def test_leaving_out_the_unsupported_field_keeps_the_rest(
    capability: str, spec: Any, field: str, left_out: Any
) -> None:
    [gap] = find_unsupported(spec, Capabilities(**{capability: False}))

    assert gap.leave_out(spec) == left_out


@pytest.mark.parametrize(("capability", "spec", "field", "left_out"), GAPS)
def test_a_backend_with_every_capability_supports_every_field(
    capability: str, spec: Any, field: str, left_out: Any
) -> None:
    assert list(find_unsupported(spec, Capabilities())) == []


def test_an_unused_feature_needs_no_capability() -> None:
    caps = Capabilities(**dict.fromkeys(Capabilities.names(), False))

    assert list(find_unsupported(attrs.evolve(WEB, resources=Resources(gpu=0)), caps)) == []
    assert list(find_unsupported(SVC, caps)) == []


def test_every_unsupported_field_of_a_resource_is_found() -> None:
    spec = attrs.evolve(
        WEB,
        env={"A": SecretRef("db", "a"), "B": SecretRef("db", "b")},
        placement=[Constraint("zone", "exists")],
    )
    caps = Capabilities(secrets=False, placement=False)

    assert [gap.field for gap in find_unsupported(spec, caps)] == ["env.A", "env.B", "placement"]


# -- strict and lenient orchestrators ------------------------------------------------


def orchestrator(backend: Any, *capabilities: str, lenient: bool = False) -> Orchestrator:
    backend.caps = Capabilities(
        **dict.fromkeys(capabilities, False),
        reasons={name: f"no {name} on this cluster" for name in capabilities},
    )
    return Orchestrator(backend, lenient=lenient)


@pytest.mark.parametrize(("capability", "spec", "field", "left_out"), GAPS)
def test_strict_apply_raises_naming_the_field_before_calling_the_backend(
    backend: Any, capability: str, spec: Any, field: str, left_out: Any
) -> None:
    orch = orchestrator(backend, capability)

    with pytest.raises(UnsupportedFeature) as caught:
        orch.apply(spec)

    assert caught.value.field == field
    assert caught.value.backend == "fake"
    assert caught.value.reason == f"no {capability} on this cluster"
    assert backend.calls == []


def test_strict_apply_sends_nothing_when_any_resource_of_the_batch_is_unsupported(
    backend: Any,
) -> None:
    orch = orchestrator(backend, "autoscalers")
    scaler = Autoscaler("web", target="web", max_replicas=3, cpu_percent=50)

    with pytest.raises(UnsupportedFeature):
        orch.apply(Secret("db", data={"k": "v"}), WEB, SVC, scaler)

    assert backend.calls == []


def test_an_unsupported_feature_error_says_which_backend_cannot_do_what(backend: Any) -> None:
    orch = orchestrator(backend, "placement")

    with pytest.raises(UnsupportedFeature) as caught:
        orch.apply(attrs.evolve(WEB, placement=[Constraint("zone", "exists")]))

    assert str(caught.value) == (
        "fake cannot apply placement of Deployment 'web': no placement on this cluster"
    )


@pytest.mark.parametrize("operation", ["render", "diff"])
def test_strict_render_and_diff_also_refuse_before_calling_the_backend(
    backend: Any, operation: str
) -> None:
    orch = orchestrator(backend, "gpus")

    with pytest.raises(UnsupportedFeature, match=r"resources\.gpu"):
        getattr(orch, operation)(attrs.evolve(WEB, resources=Resources(gpu=1)))

    assert backend.calls == []


def test_a_gap_the_backend_reports_itself_is_refused_too(backend: Any) -> None:
    backend.gaps = [Unsupported("command", "health_command", lambda spec: spec)]
    orch = Orchestrator(backend)

    with pytest.raises(UnsupportedFeature) as caught:
        orch.apply(attrs.evolve(WEB, command=["nginx"]))

    assert caught.value.field == "command"
    assert backend.calls == []


@pytest.mark.parametrize(("capability", "spec", "field", "left_out"), GAPS)
def test_lenient_apply_warns_naming_the_field(
    backend: Any, capability: str, spec: Any, field: str, left_out: Any
) -> None:
    backend.stored[(Secret, "default", "tls")] = TLS  # what the deployments refer to
    orch = orchestrator(backend, capability, lenient=True)

    expected = f"cannot apply {spec.kind} " if field == spec.kind else f"cannot apply {field} of"
    with pytest.warns(UnsupportedFeatureWarning, match=re.escape(expected)) as warned:
        orch.apply(spec)

    assert len(warned) == 1
    assert "left out" in str(warned[0].message)
    assert f"no {capability} on this cluster" in str(warned[0].message)


@pytest.mark.parametrize(("capability", "spec", "field", "left_out"), GAPS)
def test_lenient_apply_sends_the_spec_without_the_unsupported_field(
    backend: Any, capability: str, spec: Any, field: str, left_out: Any
) -> None:
    backend.stored[(Secret, "default", "tls")] = TLS  # what the deployments refer to
    orch = orchestrator(backend, capability, lenient=True)

    with pytest.warns(UnsupportedFeatureWarning):
        results = orch.apply(spec)

    if left_out is None:
        assert backend.applied() == []
        assert results == []
    else:
        assert backend.applied() == [attrs.evolve(left_out, namespace="default")]


def test_lenient_apply_leaves_out_every_unsupported_field_and_keeps_the_rest(
    backend: Any,
) -> None:
    orch = orchestrator(backend, "secrets", lenient=True)
    spec = attrs.evolve(WEB, env={"A": SecretRef("db", "a"), "B": SecretRef("db", "b"), "C": "c"})

    with pytest.warns(UnsupportedFeatureWarning) as warned:
        orch.apply(Secret("db", data={"a": "1", "b": "2"}), spec)

    assert len(warned) == 3
    assert backend.applied() == [attrs.evolve(WEB, namespace="default", env={"C": "c"})]


def test_the_lenient_warning_points_at_the_callers_line(backend: Any) -> None:
    orch = orchestrator(backend, "placement", lenient=True)

    with pytest.warns(UnsupportedFeatureWarning) as warned:
        orch.apply(attrs.evolve(WEB, placement=[Constraint("zone", "exists")]))

    assert warned[0].filename == __file__


def test_every_unsupported_field_of_a_spec_is_named_at_once(backend: Any) -> None:
    orch = orchestrator(backend, "placement", "annotations")
    spec = attrs.evolve(WEB, placement=[Constraint("zone", "in", ["a"])], annotations={"a": "b"})

    with pytest.raises(UnsupportedFeature) as raised:
        orch.apply(spec)

    assert raised.value.fields == ("annotations", "placement")
    assert str(raised.value) == (
        "fake cannot apply Deployment 'web': annotations (no annotations on this cluster); "
        "placement (no placement on this cluster)"
    )
    assert backend.applied() == []


def test_a_kind_the_backend_lacks_is_named_once(backend: Any) -> None:
    orch = orchestrator(backend, "config_maps")

    with pytest.raises(UnsupportedFeature) as raised:
        orch.apply(ConfigMap("web-config", data={"a": "b"}))

    assert str(raised.value) == (
        "fake cannot apply ConfigMap 'web-config': no config_maps on this cluster"
    )
