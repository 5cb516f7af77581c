"""The Orchestrator facade over a recording fake backend: order, namespaces, validation first,
retries of idempotent operations only, and the results it reports."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

import orchsdk
from orchsdk import (
    REDACTED,
    Action,
    ApplyResult,
    Autoscaler,
    BackendUnavailable,
    Capabilities,
    ConfigMap,
    Conflict,
    Deployment,
    FieldError,
    NotFound,
    Orchestrator,
    OrchestratorError,
    Phase,
    Port,
    Resource,
    RolloutFailed,
    Secret,
    SecretRef,
    Service,
    Unsupported,
    UnsupportedFeature,
    ValidationError,
)

SECRET = Secret("db", data={"password": "s3cr3t"})
CONFIG = ConfigMap("web-config", data={"LOG_LEVEL": "info"})
WEB = Deployment(
    "web",
    image="nginx:1.27",
    ports=[Port(80, name="http")],
    env={"PW": SecretRef("db", "password")},
)
SVC = Service("web", selector={"app": "web"}, ports=[Port(80)])
SCALER = Autoscaler("web", target="web", max_replicas=10, cpu_percent=70)

# -- apply ---------------------------------------------------------------------------


def test_apply_creates_in_dependency_order_whatever_the_argument_order(
    orch: Orchestrator, backend: Any
) -> None:
    orch.apply(SCALER, SVC, WEB, CONFIG, SECRET)

    assert [resource.kind for resource in backend.applied()] == [
        "Secret",
        "ConfigMap",
        "Deployment",
        "Service",
        "Autoscaler",
    ]


def test_apply_reports_what_it_did_to_each_resource(orch: Orchestrator) -> None:
    assert orch.apply(SECRET, WEB) == [
        ApplyResult("Secret", "db", "default", Action.CREATED),
        ApplyResult("Deployment", "web", "default", Action.CREATED),
    ]
    assert orch.apply(SECRET, attrs.evolve(WEB, replicas=2)) == [
        ApplyResult("Secret", "db", "default", Action.UNCHANGED),
        ApplyResult("Deployment", "web", "default", Action.UPDATED),
    ]


def test_apply_fills_in_the_orchestrators_namespace(backend: Any) -> None:
    backend.stored[(Secret, "shop", "db")] = attrs.evolve(SECRET, namespace="shop")

    Orchestrator(backend, namespace="shop").apply(WEB)

    assert backend.applied() == [attrs.evolve(WEB, namespace="shop")]


def test_apply_keeps_a_namespace_the_spec_names(backend: Any) -> None:
    backend.stored[(Secret, "staging", "db")] = attrs.evolve(SECRET, namespace="staging")

    Orchestrator(backend, namespace="shop").apply(attrs.evolve(WEB, namespace="staging"))

    assert backend.applied()[0].namespace == "staging"


def test_without_a_namespace_the_backends_default_is_used(orch: Orchestrator) -> None:
    assert orch.namespace == "default"


def test_an_invalid_orchestrator_namespace_is_refused(backend: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        Orchestrator(backend, namespace="Shop")

    assert caught.value.fields == ("namespace",)


def test_an_invalid_spec_is_refused_before_anything_is_sent(
    orch: Orchestrator, backend: Any
) -> None:
    with pytest.raises(ValidationError) as caught:
        orch.apply(SECRET, attrs.evolve(WEB, replicas=-1))

    assert caught.value.fields == ("replicas",)
    assert backend.calls == []


def test_a_dangling_secret_key_is_refused_before_anything_is_sent(
    orch: Orchestrator, backend: Any
) -> None:
    with pytest.raises(ValidationError) as caught:
        orch.apply(Secret("db", data={"pass": "x"}), WEB)

    assert caught.value.fields == ("env.PW.key",)
    assert backend.calls == []


def test_something_that_is_not_a_resource_is_refused(orch: Orchestrator, backend: Any) -> None:
    with pytest.raises(ValidationError, match="str is not a resource"):
        orch.apply("web")  # type: ignore[arg-type]

    assert backend.calls == []


def test_apply_retries_a_transient_failure(orch: Orchestrator, backend: Any) -> None:
    backend.fail("apply", BackendUnavailable("503"))

    assert orch.apply(SVC) == [ApplyResult("Service", "web", "default", Action.CREATED)]
    assert len(backend.called("apply")) == 2


def test_apply_does_not_retry_a_conflict(orch: Orchestrator, backend: Any) -> None:
    backend.fail("apply", Conflict("locked by a deployment"))

    with pytest.raises(Conflict):
        orch.apply(SVC)

    assert len(backend.called("apply")) == 1


def test_apply_retries_a_conflict_of_a_changed_resource(orch: Orchestrator, backend: Any) -> None:
    backend.fail("apply", Conflict("the object has been modified", reason="changed"))

    assert orch.apply(SVC) == [ApplyResult("Service", "web", "default", Action.CREATED)]
    assert len(backend.called("apply")) == 2


def test_a_failed_apply_says_what_was_applied_and_what_was_not(
    orch: Orchestrator, backend: Any
) -> None:
    backend.fail("apply", None, None, NotFound("no such namespace"))

    with pytest.raises(NotFound) as caught:
        orch.apply(SVC, WEB, CONFIG, SECRET)

    error = caught.value
    assert [str(result) for result in error.applied] == [
        "secret/db created",
        "configmap/web-config created",
    ]
    assert [(item.kind, item.name, item.namespace) for item in error.not_applied] == [
        ("Deployment", "web", "default"),
        ("Service", "web", "default"),
    ]


def test_a_failed_apply_run_again_completes_it(orch: Orchestrator, backend: Any) -> None:
    backend.fail("apply", None, *[BackendUnavailable("down")] * 3)

    with pytest.raises(BackendUnavailable) as caught:
        orch.apply(SECRET, WEB, SVC)
    assert [result.name for result in caught.value.applied] == ["db"]
    assert [item.kind for item in caught.value.not_applied] == ["Deployment", "Service"]

    again = orch.apply(SECRET, WEB, SVC)

    assert [str(result) for result in again] == [
        "secret/db unchanged",
        "deployment/web created",
        "service/web created",
    ]


def test_an_apply_refused_by_validation_applied_nothing(orch: Orchestrator) -> None:
    with pytest.raises(ValidationError) as caught:
        orch.apply(SVC, Deployment("Bad_Name", image="x"))

    assert caught.value.applied == []
    assert [item.name for item in caught.value.not_applied] == ["web", "Bad_Name"]


def test_a_wait_that_fails_after_apply_says_everything_was_applied(
    orch: Orchestrator, backend: Any, make_status: Any
) -> None:
    backend.statuses = [make_status(Phase.FAILED, message="progress deadline exceeded")]

    with pytest.raises(RolloutFailed) as caught:
        orch.apply(SECRET, WEB, SVC, wait=True, timeout=5)

    assert [result.kind for result in caught.value.applied] == ["Secret", "Deployment", "Service"]
    assert caught.value.not_applied == []


def test_errors_outside_apply_carry_no_apply_progress() -> None:
    error = NotFound("gone")

    assert error.applied == []
    assert error.not_applied == []


def test_reading_capabilities_that_come_from_the_server_is_retried(
    orch: Orchestrator, backend: Any
) -> None:
    class Flaky(type(backend)):  # type: ignore[misc]
        failures = 2

        @property
        def capabilities(self) -> Capabilities:
            if self.failures:
                self.failures -= 1
                raise BackendUnavailable("GET /v2/info: 503")
            return Capabilities()

    flaky = Orchestrator(Flaky(), retry=orch.retry)

    assert flaky.capabilities == Capabilities()


class CountingReads:
    """Makes a backend count how often its capabilities are read."""

    reads = 0

    @property
    def capabilities(self) -> Capabilities:
        self.reads += 1
        return Capabilities()


@pytest.mark.parametrize(
    "call",
    [
        lambda orch: orch.apply(SECRET, CONFIG, WEB, SVC, SCALER),
        lambda orch: orch.render(SECRET, CONFIG, WEB, SVC, SCALER),
    ],
    ids=["apply", "render"],
)
def test_capabilities_are_read_once_per_call_whatever_the_number_of_resources(
    backend: Any, call: Any
) -> None:
    counting = type("Counting", (CountingReads, type(backend)), {})()
    orch = Orchestrator(counting)

    call(orch)
    call(orch)

    assert counting.reads == 2


def test_an_apply_of_nothing_reads_no_capabilities(backend: Any) -> None:
    counting = type("Counting", (CountingReads, type(backend)), {})()

    assert Orchestrator(counting).apply() == []
    assert counting.reads == 0


def test_apply_with_wait_waits_for_each_deployment(
    orch: Orchestrator, backend: Any, make_status: Any
) -> None:
    backend.statuses = [make_status(Phase.PROGRESSING), make_status(Phase.COMPLETE, ready=3)]

    orch.apply(SECRET, WEB, SVC, wait=True, timeout=5)

    assert [call.args for call in backend.called("status")] == [("web", "default")] * 2


def test_apply_without_wait_reads_no_status(orch: Orchestrator, backend: Any) -> None:
    orch.apply(WEB, SECRET)

    assert backend.called("status") == []


# -- render and diff -----------------------------------------------------------------


def test_render_returns_the_backends_documents_without_applying(
    orch: Orchestrator, backend: Any
) -> None:
    documents = orch.render(SVC)

    assert documents[0]["kind"] == "Service"
    assert documents[0]["metadata"]["namespace"] == "default"
    assert backend.called("apply") == []


def test_diff_of_a_new_resource_says_created(orch: Orchestrator) -> None:
    [diff] = orch.diff(SVC)

    assert (diff.kind, diff.name, diff.namespace, diff.action) == (
        "Service",
        "web",
        "default",
        Action.CREATED,
    )


def test_diff_of_an_applied_resource_says_unchanged(orch: Orchestrator) -> None:
    orch.apply(SVC)

    [diff] = orch.diff(SVC)

    assert diff.action is Action.UNCHANGED
    assert diff.changes == ()


def test_diff_lists_the_native_fields_that_change(orch: Orchestrator) -> None:
    orch.apply(SVC)

    [diff] = orch.diff(attrs.evolve(SVC, exposure="external"))

    assert diff.action is Action.UPDATED
    assert [str(change) for change in diff.changes] == ["~ spec.exposure: 'internal' -> 'external'"]


def test_diff_reads_secrets_revealed_to_compare_their_values(
    orch: Orchestrator, backend: Any
) -> None:
    orch.apply(SECRET)

    [diff] = orch.diff(Secret("db", data={"password": "changed"}))

    assert backend.called("get")[0].args[-1] is True
    assert [str(change) for change in diff.changes] == [
        "~ spec.data.password: '(hidden)' -> '(hidden, changed)'"
    ]


# -- get, list, delete ---------------------------------------------------------------


def test_get_accepts_a_kind_name(orch: Orchestrator) -> None:
    orch.apply(SVC)

    assert orch.get("service", "web") == attrs.evolve(SVC, namespace="default")


def test_get_reads_a_secret_redacted_unless_revealed(orch: Orchestrator) -> None:
    orch.apply(SECRET)

    assert orch.get(Secret, "db").data == {"password": REDACTED}
    assert orch.get(Secret, "db", reveal=True).data == {"password": "s3cr3t"}


def test_get_of_a_missing_resource_raises_not_found(orch: Orchestrator) -> None:
    with pytest.raises(NotFound):
        orch.get(Deployment, "nope")


@pytest.mark.parametrize("kind", [int, object()])
def test_get_refuses_what_is_not_a_kind(orch: Orchestrator, kind: Any) -> None:
    with pytest.raises(TypeError):
        orch.get(kind, "web")


def test_get_of_an_unknown_kind_name_is_a_validation_error(orch: Orchestrator) -> None:
    with pytest.raises(ValidationError, match="Pod") as raised:
        orch.get("Pod", "web")
    assert raised.value.fields == ("kind",)


def test_list_with_an_invalid_label_is_refused_before_any_request(
    orch: Orchestrator, backend: Any
) -> None:
    with pytest.raises(ValidationError) as raised:
        orch.list(Deployment, labels={"bad key!": "x"})
    assert raised.value.fields == ("labels.bad key!",)
    assert backend.calls == []


def test_rollback_to_a_revision_that_is_not_a_number_is_a_validation_error(
    orch: Orchestrator,
) -> None:
    with pytest.raises(ValidationError) as raised:
        orch.rollback("web", to_revision="2")  # type: ignore[arg-type]
    assert raised.value.fields == ("to_revision",)


def test_list_passes_namespace_and_labels_to_the_backend(orch: Orchestrator, backend: Any) -> None:
    labelled = attrs.evolve(SVC, labels={"app": "web"})
    orch.apply(labelled, attrs.evolve(SVC, name="other"))

    found = orch.list(Service, labels={"app": "web"})

    assert found == [attrs.evolve(labelled, namespace="default")]
    assert backend.called("list")[0].args == (Service, "default", {"app": "web"}, False)


def test_delete_by_kind_and_name(orch: Orchestrator, backend: Any) -> None:
    orch.apply(SVC)

    assert orch.delete(Service, "web") is True
    assert backend.called("delete")[0].args == (Service, "web", "default")


def test_delete_given_a_spec_uses_its_kind_name_and_namespace(
    orch: Orchestrator, backend: Any
) -> None:
    orch.apply(attrs.evolve(SVC, namespace="shop"))

    orch.delete(attrs.evolve(SVC, namespace="shop"))

    assert backend.called("delete")[0].args == (Service, "web", "shop")


def test_delete_of_a_missing_resource_raises_not_found(orch: Orchestrator) -> None:
    with pytest.raises(NotFound):
        orch.delete(Service, "web")


def test_delete_of_a_missing_resource_with_missing_ok_returns_false(orch: Orchestrator) -> None:
    assert orch.delete(Service, "web", missing_ok=True) is False


def test_delete_that_finds_nothing_on_a_retry_counts_as_deleted(
    orch: Orchestrator, backend: Any
) -> None:
    orch.apply(SVC)
    backend.fail("delete", BackendUnavailable("connection reset"), NotFound("gone"))

    assert orch.delete(Service, "web") is True
    assert len(backend.called("delete")) == 2


def test_delete_needs_a_name_when_given_a_kind(orch: Orchestrator) -> None:
    with pytest.raises(TypeError, match="needs a name"):
        orch.delete(Service)


# -- scale, status, rollback ---------------------------------------------------------


def test_scale_sets_the_replica_count_and_returns_the_status(
    orch: Orchestrator, backend: Any, make_status: Any
) -> None:
    backend.statuses = [make_status(Phase.COMPLETE, ready=3)]

    status = orch.scale("web", 5)

    assert backend.called("scale")[0].args == ("web", "default", 5)
    assert status == make_status(Phase.COMPLETE, ready=3)


@pytest.mark.parametrize("replicas", [-1, True, 1.5, "3"])
def test_scale_refuses_a_bad_count_before_calling_the_backend(
    orch: Orchestrator, backend: Any, replicas: Any
) -> None:
    with pytest.raises(ValidationError) as caught:
        orch.scale("web", replicas)

    assert caught.value.fields == ("replicas",)
    assert backend.calls == []


def test_calls_refuse_an_invalid_namespace_before_calling_the_backend(
    orch: Orchestrator, backend: Any
) -> None:
    with pytest.raises(ValidationError):
        orch.status("web", namespace="Not_Valid")

    assert backend.calls == []


@pytest.mark.parametrize("revision", [None, 2])
def test_a_rollback_whose_outcome_is_unknown_is_not_retried(
    orch: Orchestrator, backend: Any, revision: int | None
) -> None:
    backend.fail("rollback", BackendUnavailable("connection reset"))

    with pytest.raises(BackendUnavailable):
        orch.rollback("web", to_revision=revision)

    assert [call.args for call in backend.called("rollback")] == [("web", "default", revision)]


@pytest.mark.parametrize("revision", [None, 2])
@pytest.mark.parametrize(
    "error",
    [BackendUnavailable("429", acted=False), Conflict("modified", reason="changed")],
    ids=["nothing-acted", "conflict-changed"],
)
def test_a_rollback_that_changed_nothing_is_retried(
    orch: Orchestrator, backend: Any, revision: int | None, error: Exception
) -> None:
    backend.fail("rollback", error)

    orch.rollback("web", to_revision=revision)

    assert [call.args for call in backend.called("rollback")] == [("web", "default", revision)] * 2


@pytest.mark.parametrize("revision", [0, -1, True])
def test_rollback_refuses_a_revision_below_one(
    orch: Orchestrator, backend: Any, revision: Any
) -> None:
    with pytest.raises(ValidationError) as caught:
        orch.rollback("web", to_revision=revision)

    assert caught.value.fields == ("to_revision",)
    assert backend.calls == []


def test_rollback_without_the_capability_raises_before_calling_the_backend(
    backend: Any,
) -> None:
    backend.caps = Capabilities(rollback=False, reasons={"rollback": "no revisions kept"})

    with pytest.raises(UnsupportedFeature, match="no revisions kept") as caught:
        Orchestrator(backend).rollback("web")

    assert caught.value.field == "rollback"
    assert backend.calls == []


def test_instances_and_endpoints_ask_the_backend(orch: Orchestrator, backend: Any) -> None:
    assert orch.instances("web") == []
    assert orch.endpoints("web", "shop") == []

    assert [(call.method, call.args) for call in backend.calls] == [
        ("instances", ("web", "default")),
        ("endpoints", ("web", "shop")),
    ]


# -- lifecycle -----------------------------------------------------------------------


def test_leaving_the_context_closes_the_backend(backend: Any) -> None:
    with Orchestrator(backend) as orch:
        assert orch.capabilities is backend.caps

    assert backend.closed


def test_repr_names_the_backend_and_namespace(backend: Any) -> None:
    assert repr(Orchestrator(backend, namespace="shop")) == "<Orchestrator fake namespace='shop'>"


# -- the backend's own rules (Backend.validate) ----------------------------------------


def test_the_backends_own_rules_refuse_a_batch_before_any_request(
    backend: Any, orch: Orchestrator
) -> None:
    def reserved(resource: Resource) -> list[FieldError]:
        return [FieldError("name", "is reserved")] if resource.name == "tasks" else []

    backend.validate = reserved  # type: ignore[method-assign]

    with pytest.raises(ValidationError, match=r"tasks.*name: is reserved") as raised:
        orch.apply(Deployment("ok", image="nginx"), Deployment("tasks", image="nginx"))

    assert backend.applied() == []
    assert raised.value.applied == []
    assert raised.value.fields == ("name",)


def test_the_backends_rules_see_what_lenient_mode_kept(backend: Any) -> None:
    seen: list[Resource] = []
    backend.gaps = [
        Unsupported("annotations", "annotations", lambda item: attrs.evolve(item, annotations={}))
    ]
    backend.validate = lambda resource: seen.append(resource) or []  # type: ignore[method-assign]
    lenient = Orchestrator(backend, lenient=True)

    with pytest.warns(UserWarning, match="annotations"):
        lenient.render(Deployment("web", image="nginx", annotations={"a": "b"}))

    assert [item.annotations for item in seen] == [{}]


# -- what a newcomer tripped over --------------------------------------------------------


def test_scaling_a_deployment_an_autoscaler_owns_is_refused_and_sends_nothing(
    backend: Any, orch: Orchestrator
) -> None:
    orch.apply(
        SECRET, WEB, Autoscaler("web", target="web", min_replicas=3, max_replicas=6, cpu_percent=70)
    )

    with pytest.raises(Conflict, match=r"scaled by autoscaler/web \(3 to 6 replicas\)"):
        orch.scale("web", 9)

    assert backend.called("scale") == []


def test_render_redacts_secret_values_unless_revealed(orch: Orchestrator) -> None:
    hidden = orch.render(SECRET)
    shown = orch.render(SECRET, reveal=True)

    assert "s3cr3t" not in repr(hidden)
    assert REDACTED in repr(hidden)
    assert "s3cr3t" in repr(shown)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_plain_http_url_says_which_backend_url_to_write(scheme: str) -> None:
    with pytest.raises(OrchestratorError, match=f"'marathon\\+{scheme}://host:8080'"):
        orchsdk.connect(f"{scheme}://host:8080")
