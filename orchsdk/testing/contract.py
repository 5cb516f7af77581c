"""The behaviour every backend must show, as pytest tests on a class plugin authors subclass.

Each test says which capabilities it needs with :func:`requires`; a backend whose
:class:`~orchsdk.Capabilities` lacks one gets a skip that names it. Every test runs in a
fresh namespace, and whatever it applied is deleted afterwards.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable, Iterator

import attrs
import pytest

from orchsdk import (
    REDACTED,
    Action,
    Autoscaler,
    Backend,
    ConfigMap,
    ConfigRef,
    Deployment,
    DeploymentStatus,
    HealthCheck,
    NotFound,
    Phase,
    Port,
    Resource,
    RolloutFailed,
    Secret,
    SecretRef,
    Service,
    UnsupportedFeature,
    UnsupportedFeatureWarning,
    ValidationError,
    WaitTimeout,
)
from orchsdk.capabilities import find_unsupported
from orchsdk.testing.failures import FailureContract, eventually
from orchsdk.testing.interface import REQUIRES, RolloutControl, requires
from orchsdk.testing.lifecycle import LifecycleContract
from orchsdk.testing.samples import rich_deployment, web
from orchsdk.testing.tracking import CallRecorder, TrackingOrchestrator

__all__ = ["REQUIRES", "BackendContract", "RolloutControl", "requires"]


class BackendContract(LifecycleContract, FailureContract):
    """The contract suite. Subclass it as ``Test...`` and implement :meth:`make_backend`."""

    timeout: float = 60.0
    """Seconds a test waits for a rollout; raise it for slow live clusters."""

    def make_backend(self) -> Backend:
        """A new backend connected to the orchestrator under test."""
        raise NotImplementedError("subclasses of BackendContract implement make_backend()")

    def rollout_control(self, backend: Backend) -> RolloutControl | None:
        """How tests hold or fail a rollout on this backend; None skips those tests."""
        return None

    # -- fixtures ----------------------------------------------------------------

    @pytest.fixture
    def backend(self, request: pytest.FixtureRequest) -> Iterator[Backend]:
        backend = self.make_backend()
        caps = backend.capabilities
        for capability in getattr(request.function, REQUIRES, ()):
            if not caps.supports(capability):
                backend.close()
                pytest.skip(
                    f"{backend.name} lacks capability {capability!r}: {caps.reason(capability)}"
                )
        yield backend
        backend.close()

    @pytest.fixture
    def namespace(self) -> str:
        return f"ct-{uuid.uuid4().hex[:10]}"

    @pytest.fixture
    def orch(self, backend: Backend, namespace: str) -> Iterator[TrackingOrchestrator]:
        orchestrator = TrackingOrchestrator(backend, namespace=namespace)
        yield orchestrator
        orchestrator.delete_applied()

    @pytest.fixture
    def control(self, backend: Backend) -> RolloutControl:
        control = self.rollout_control(backend)
        if control is None:
            pytest.skip(f"{backend.name}: the test class gives no rollout_control()")
        return control

    def supported(self, orch: TrackingOrchestrator, spec: Resource) -> Resource:
        """``spec`` less the fields this backend cannot carry out (what a read gives back)."""
        kept: Resource | None = attrs.evolve(spec, namespace=spec.namespace or orch.namespace)
        for gap in [*find_unsupported(spec, orch.capabilities), *orch.backend.unsupported(spec)]:
            kept = gap.leave_out(kept) if kept is not None else None
        assert kept is not None, f"{orch.backend.name} supports none of {spec.kind}"
        return kept

    # -- apply -------------------------------------------------------------------

    @requires()
    def test_apply_new_deployment_reports_created(self, orch: TrackingOrchestrator) -> None:
        [result] = orch.apply(web())
        assert (result.kind, result.name, result.namespace) == ("Deployment", "web", orch.namespace)
        assert result.action is Action.CREATED

    @requires()
    def test_apply_same_spec_again_reports_unchanged(self, orch: TrackingOrchestrator) -> None:
        orch.apply(web())
        [result] = orch.apply(web())
        assert result.action is Action.UNCHANGED

    @requires()
    def test_apply_changed_spec_reports_updated(self, orch: TrackingOrchestrator) -> None:
        orch.apply(web())
        [result] = orch.apply(web(image="nginx:1.28"))
        assert result.action is Action.UPDATED
        assert orch.get(Deployment, "web").image == "nginx:1.28"

    @requires()
    def test_apply_creates_dependencies_first(self, orch: TrackingOrchestrator) -> None:
        service = Service("web", selector={"app": "web"}, ports=[Port(80, target_port="http")])
        results = orch.apply(service, web())
        assert [result.kind for result in results] == ["Deployment", "Service"]

    @requires("secrets", "config_maps")
    def test_apply_orders_secrets_and_configs_before_deployments(
        self, orch: TrackingOrchestrator
    ) -> None:
        deployment = web(
            env={"PASSWORD": SecretRef("db", "password"), "LEVEL": ConfigRef("cfg", "level")}
        )
        results = orch.apply(
            deployment,
            ConfigMap("cfg", data={"level": "info"}),
            Secret("db", data={"password": "x"}),
        )
        assert [result.kind for result in results] == ["Secret", "ConfigMap", "Deployment"]

    @requires()
    def test_apply_with_wait_returns_once_rolled_out(self, orch: TrackingOrchestrator) -> None:
        orch.apply(web(), wait=True, timeout=self.timeout)
        status = orch.status("web")
        assert status.phase is Phase.COMPLETE
        assert (status.desired, status.updated, status.available) == (2, 2, 2)

    # -- read back ---------------------------------------------------------------

    @requires()
    def test_get_returns_every_supported_field_as_applied(self, orch: TrackingOrchestrator) -> None:
        supporting = [
            Secret("rich-db", data={"password": "pw"}),
            ConfigMap("rich-config", data={"LOG_LEVEL": "debug"}),
        ]
        wanted = self.supported(orch, rich_deployment())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnsupportedFeatureWarning)
            lenient = TrackingOrchestrator(orch.backend, namespace=orch.namespace, lenient=True)
            lenient.apply(*supporting)
            orch.applied.update(lenient.applied)
        orch.apply(wanted)
        assert orch.get(Deployment, "rich") == wanted

    @requires()
    def test_get_returns_service_as_applied(self, orch: TrackingOrchestrator) -> None:
        orch.apply(web())
        service = Service(
            "web",
            selector={"app": "web"},
            ports=[Port(80, name="http", target_port="http")],
            labels={"app": "web"},
        )
        orch.apply(service)
        assert orch.get(Service, "web") == self.supported(orch, service)

    @requires("external_services")
    def test_get_returns_external_service_as_applied(self, orch: TrackingOrchestrator) -> None:
        orch.apply(web())
        service = Service(
            "web", selector={"app": "web"}, ports=[Port(443, target_port=8080)], exposure="external"
        )
        orch.apply(service)
        assert orch.get(Service, "web") == self.supported(orch, service)

    @requires("node_services")
    def test_get_returns_node_service_as_applied(self, orch: TrackingOrchestrator) -> None:
        orch.apply(web())
        service = Service(
            "web", selector={"app": "web"}, ports=[Port(80, target_port="http")], exposure="node"
        )
        orch.apply(service)
        assert orch.get(Service, "web") == self.supported(orch, service)

    @requires("external_services", "service_hostnames")
    def test_get_returns_external_hostname_as_applied(self, orch: TrackingOrchestrator) -> None:
        orch.apply(web())
        service = Service(
            "web",
            selector={"app": "web"},
            ports=[Port(443, target_port=8080)],
            exposure="external",
            hostname="shop.example.com",
        )
        orch.apply(service)
        assert orch.get(Service, "web").hostname == "shop.example.com"

    @requires("config_maps")
    def test_get_returns_config_map_as_applied(self, orch: TrackingOrchestrator) -> None:
        config = ConfigMap(
            "settings", data={"LOG_LEVEL": "info", "app.yaml": "a: 1\n"}, labels={"app": "web"}
        )
        orch.apply(config)
        assert orch.get(ConfigMap, "settings") == self.supported(orch, config)

    @requires("autoscalers")
    def test_get_returns_autoscaler_as_applied(self, orch: TrackingOrchestrator) -> None:
        orch.apply(web())
        scaler = Autoscaler("web", target="web", min_replicas=2, max_replicas=6, cpu_percent=70)
        orch.apply(scaler)
        assert orch.get(Autoscaler, "web") == self.supported(orch, scaler)

    @requires()
    def test_get_missing_resource_raises_not_found(self, orch: TrackingOrchestrator) -> None:
        with pytest.raises(NotFound):
            orch.get(Deployment, "absent")

    @requires()
    def test_not_found_reads_the_same_on_every_backend(
        self, orch: TrackingOrchestrator, namespace: str
    ) -> None:
        calls: list[tuple[str, Callable[[], object]]] = [
            ("Deployment", lambda: orch.get(Deployment, "absent")),
            ("Service", lambda: orch.get(Service, "absent")),
            ("Deployment", lambda: orch.status("absent")),
            ("Deployment", lambda: orch.scale("absent", 2)),
            ("Deployment", lambda: orch.instances("absent")),
            ("Deployment", lambda: orch.delete(Deployment, "absent")),
            ("Service", lambda: orch.endpoints("absent")),
        ]
        for kind, call in calls:
            with pytest.raises(NotFound) as raised:
                call()
            assert str(raised.value) == f"{kind} 'absent' not found in namespace {namespace!r}"
            assert (raised.value.kind, raised.value.name) == (kind, "absent")
            assert raised.value.namespace == namespace

    @requires()
    def test_list_returns_only_resources_with_all_labels(self, orch: TrackingOrchestrator) -> None:
        orch.apply(
            web("front", labels={"app": "shop", "tier": "front"}),
            web("back", labels={"app": "shop", "tier": "back"}),
            web("other", labels={"app": "blog", "tier": "front"}),
        )
        shop = orch.list(Deployment, labels={"app": "shop"})
        front = orch.list(Deployment, labels={"app": "shop", "tier": "front"})
        assert sorted(item.name for item in shop) == ["back", "front"]
        assert [item.name for item in front] == ["front"]

    @requires()
    def test_namespaces_keep_same_named_resources_apart(
        self, orch: TrackingOrchestrator, namespace: str
    ) -> None:
        other = f"{namespace}-b"
        orch.apply(web(image="nginx:1.27"), web(image="nginx:1.28", namespace=other))
        assert orch.get(Deployment, "web").image == "nginx:1.27"
        assert orch.get(Deployment, "web", other).image == "nginx:1.28"
        assert [item.namespace for item in orch.list(Deployment)] == [namespace]

    # -- delete ------------------------------------------------------------------

    @requires()
    def test_delete_removes_the_resource(self, orch: TrackingOrchestrator) -> None:
        orch.apply(web())
        assert orch.delete(Deployment, "web") is True
        with pytest.raises(NotFound):
            orch.get(Deployment, "web")

    @requires()
    def test_delete_missing_resource_raises_not_found(self, orch: TrackingOrchestrator) -> None:
        with pytest.raises(NotFound):
            orch.delete(Deployment, "absent")

    @requires()
    def test_delete_missing_resource_with_missing_ok_returns_false(
        self, orch: TrackingOrchestrator
    ) -> None:
        assert orch.delete(Deployment, "absent", missing_ok=True) is False

    # -- scale, status, wait -----------------------------------------------------

    @requires()
    def test_scale_sets_replicas_and_wait_reaches_them(self, orch: TrackingOrchestrator) -> None:
        orch.apply(web(), wait=True, timeout=self.timeout)
        status = orch.scale("web", 4, wait=True, timeout=self.timeout)
        assert (status.desired, status.available, status.phase) == (4, 4, Phase.COMPLETE)
        assert len(orch.instances("web")) == 4

    @requires()
    def test_scale_to_zero_stops_every_instance(self, orch: TrackingOrchestrator) -> None:
        orch.apply(web(), wait=True, timeout=self.timeout)
        status = orch.scale("web", 0, wait=True, timeout=self.timeout)
        assert (status.desired, status.phase) == (0, Phase.COMPLETE)
        assert orch.instances("web") == []

    @requires()
    def test_scale_missing_deployment_raises_not_found(self, orch: TrackingOrchestrator) -> None:
        with pytest.raises(NotFound):
            orch.scale("absent", 2)

    @requires()
    def test_status_counts_revisions_from_one(self, orch: TrackingOrchestrator) -> None:
        orch.apply(web(), wait=True, timeout=self.timeout)
        first = orch.status("web")
        orch.apply(web(image="nginx:1.28"), wait=True, timeout=self.timeout)
        second = orch.status("web")
        assert (first.name, first.namespace, first.desired) == ("web", orch.namespace, 2)
        assert first.revision >= 1
        assert second.revision > first.revision

    @requires()
    def test_wait_reports_progress_until_complete(self, orch: TrackingOrchestrator) -> None:
        seen: list[DeploymentStatus] = []
        orch.apply(web())
        final = orch.wait("web", timeout=self.timeout, progress=seen.append)
        assert final.phase is Phase.COMPLETE
        assert seen
        assert seen[-1] == final

    @requires()
    def test_wait_times_out_with_the_last_status(
        self, orch: TrackingOrchestrator, control: RolloutControl
    ) -> None:
        orch.apply(web(), wait=True, timeout=self.timeout)
        control.hold("web", orch.namespace)
        orch.apply(web(image="nginx:1.28"))
        with pytest.raises(WaitTimeout) as raised:
            orch.wait("web", timeout=0.3)
        assert raised.value.status is not None
        assert raised.value.status.phase is Phase.PROGRESSING
        control.release("web", orch.namespace)

    @requires()
    def test_wait_on_failed_rollout_raises_rollout_failed(
        self, orch: TrackingOrchestrator, control: RolloutControl
    ) -> None:
        orch.apply(web(), wait=True, timeout=self.timeout)
        control.hold("web", orch.namespace)
        orch.apply(web(image="nginx:does-not-exist"))
        control.fail("web", orch.namespace)
        with pytest.raises(RolloutFailed) as raised:
            orch.wait("web", timeout=self.timeout)
        assert raised.value.status is not None
        assert raised.value.status.phase is Phase.FAILED

    # -- rollback ----------------------------------------------------------------

    @requires("rollback")
    def test_rollback_returns_to_the_previous_revision(self, orch: TrackingOrchestrator) -> None:
        orch.apply(web(image="nginx:1.27"), wait=True, timeout=self.timeout)
        orch.apply(web(image="nginx:1.28"), wait=True, timeout=self.timeout)
        status = orch.rollback("web", wait=True, timeout=self.timeout)
        assert status.phase is Phase.COMPLETE
        assert orch.get(Deployment, "web").image == "nginx:1.27"

    @requires("rollback")
    def test_rollback_to_a_given_revision(self, orch: TrackingOrchestrator) -> None:
        revisions = {}
        for image in ("nginx:1.26", "nginx:1.27", "nginx:1.28"):
            orch.apply(web(image=image), wait=True, timeout=self.timeout)
            revisions[image] = orch.status("web").revision
        orch.rollback("web", to_revision=revisions["nginx:1.26"], wait=True, timeout=self.timeout)
        assert orch.get(Deployment, "web").image == "nginx:1.26"

    @requires("rollback")
    def test_rollback_without_an_earlier_revision_names_the_one_there_is(
        self, orch: TrackingOrchestrator
    ) -> None:
        orch.apply(web(), wait=True, timeout=self.timeout)
        with pytest.raises(NotFound) as raised:
            orch.rollback("web")
        assert (
            str(raised.value) == "Deployment 'web' has no revision before the current one (has 1)"
        )
        assert orch.status("web").revision == 1

    @requires("rollback")
    def test_rollback_to_unknown_revision_raises_not_found(
        self, orch: TrackingOrchestrator
    ) -> None:
        orch.apply(web(), wait=True, timeout=self.timeout)
        with pytest.raises(NotFound):
            orch.rollback("web", to_revision=999)

    # -- instances and endpoints -------------------------------------------------

    @requires()
    def test_instances_are_the_running_replicas(self, orch: TrackingOrchestrator) -> None:
        orch.apply(web(replicas=3), wait=True, timeout=self.timeout)
        instances = orch.instances("web")
        assert len(instances) == 3
        assert len({instance.id for instance in instances}) == 3
        assert all(instance.ready and instance.deployment == "web" for instance in instances)

    @requires()
    def test_endpoints_are_the_ready_instances_behind_a_service(
        self, orch: TrackingOrchestrator
    ) -> None:
        orch.apply(web(replicas=2), wait=True, timeout=self.timeout)
        orch.apply(web("other", replicas=1), wait=True, timeout=self.timeout)
        orch.apply(Service("web", selector={"app": "web"}, ports=[Port(80, target_port="http")]))
        endpoints = orch.endpoints("web")
        hosts = {instance.host for instance in orch.instances("web")}
        assert len(endpoints) == 2
        assert {endpoint.host for endpoint in endpoints} == hosts
        assert all(endpoint.ready and endpoint.port for endpoint in endpoints)

    @requires("standalone_services")
    def test_service_without_matching_deployments_has_no_endpoints(
        self, orch: TrackingOrchestrator
    ) -> None:
        orch.apply(Service("lonely", selector={"app": "nothing"}, ports=[Port(80)]))
        assert orch.endpoints("lonely") == []

    # -- secrets -----------------------------------------------------------------

    @requires("secrets")
    def test_secret_values_are_redacted_unless_revealed(self, orch: TrackingOrchestrator) -> None:
        orch.apply(Secret("db", data={"password": "s3cr3t-value"}))
        hidden = orch.get(Secret, "db")
        shown = orch.get(Secret, "db", reveal=True)
        assert dict(hidden.data) == {"password": REDACTED}
        assert dict(shown.data) == {"password": "s3cr3t-value"}

    @requires("secrets")
    def test_secret_values_never_appear_in_repr_or_list(self, orch: TrackingOrchestrator) -> None:
        orch.apply(Secret("db", data={"password": "s3cr3t-value"}))
        listed = orch.list(Secret)
        revealed = orch.get(Secret, "db", reveal=True)
        assert "s3cr3t-value" not in repr(listed)
        assert "s3cr3t-value" not in repr(revealed) + str(revealed)

    @requires("secrets")
    def test_secret_read_without_reveal_cannot_be_applied(self, orch: TrackingOrchestrator) -> None:
        orch.apply(Secret("db", data={"password": "s3cr3t-value"}))
        with pytest.raises(ValidationError) as raised:
            orch.apply(orch.get(Secret, "db"))
        assert raised.value.fields == ("data.password",)

    @requires("secrets")
    def test_changed_secret_reports_updated(self, orch: TrackingOrchestrator) -> None:
        orch.apply(Secret("db", data={"password": "one"}))
        [result] = orch.apply(Secret("db", data={"password": "two"}))
        assert result.action is Action.UPDATED
        assert orch.get(Secret, "db", reveal=True).data["password"] == "two"

    # -- autoscalers -------------------------------------------------------------

    @requires("autoscalers")
    def test_autoscaler_owns_the_replica_count(self, orch: TrackingOrchestrator) -> None:
        orch.apply(web(replicas=2), wait=True, timeout=self.timeout)
        orch.apply(Autoscaler("web", target="web", min_replicas=3, max_replicas=5, cpu_percent=60))
        assert eventually(lambda: 3 <= orch.status("web").desired <= 5, self.timeout)
        orch.apply(web(replicas=1, image="nginx:1.28"), wait=True, timeout=self.timeout)
        assert 3 <= orch.status("web").desired <= 5

    @requires("autoscalers")
    def test_diff_of_an_autoscaled_deployment_agrees_with_apply(
        self, orch: TrackingOrchestrator
    ) -> None:
        orch.apply(web(replicas=2), wait=True, timeout=self.timeout)
        orch.apply(Autoscaler("web", target="web", min_replicas=3, max_replicas=6, cpu_percent=70))
        assert eventually(lambda: orch.status("web").desired >= 3, self.timeout)
        [diff] = orch.diff(web(replicas=2))
        [applied] = orch.apply(web(replicas=2))
        assert (diff.action, applied.action) == (Action.UNCHANGED, Action.UNCHANGED)

    # -- refusals before any request ---------------------------------------------

    @requires()
    def test_unsupported_feature_raises_before_any_request(self, backend: Backend) -> None:
        recorder = CallRecorder(backend, without=("health_command",))
        spec = web(health=HealthCheck(command=["/bin/check"]))
        with pytest.raises(UnsupportedFeature) as raised:
            TrackingOrchestrator(recorder, namespace="ct-none").apply(spec)
        assert raised.value.field == "health.command"
        assert recorder.calls == []

    @requires()
    def test_lenient_mode_leaves_the_unsupported_field_out(
        self, backend: Backend, namespace: str
    ) -> None:
        recorder = CallRecorder(backend, without=("health_command",))
        orch = TrackingOrchestrator(recorder, namespace=namespace, lenient=True)
        try:
            with pytest.warns(UnsupportedFeatureWarning, match="health.command"):
                orch.apply(web(health=HealthCheck(command=["/bin/check"])))
            assert orch.get(Deployment, "web").health is None
        finally:
            orch.delete_applied()

    @requires()
    def test_invalid_spec_raises_validation_error_before_any_request(
        self, backend: Backend
    ) -> None:
        recorder = CallRecorder(backend)
        bad = web(replicas=-1, ports=[Port(70000, name="http")])
        with pytest.raises(ValidationError) as raised:
            TrackingOrchestrator(recorder, namespace="ct-none").apply(web("good"), bad)
        assert set(raised.value.fields) == {"replicas", "ports[0].port"}
        assert recorder.calls == []

    # -- render and diff ---------------------------------------------------------

    @requires()
    def test_render_sends_nothing(self, backend: Backend) -> None:
        recorder = CallRecorder(backend)
        documents = TrackingOrchestrator(recorder, namespace="ct-none").render(web())
        assert documents
        assert all(isinstance(document, dict) for document in documents)
        assert set(recorder.calls) <= {"render"}

    @requires()
    def test_diff_tells_what_apply_would_do(self, orch: TrackingOrchestrator) -> None:
        [created] = orch.diff(web())
        orch.apply(web())
        [unchanged] = orch.diff(web())
        [updated] = orch.diff(web(image="nginx:1.28"))
        assert (created.action, unchanged.action, updated.action) == (
            Action.CREATED,
            Action.UNCHANGED,
            Action.UPDATED,
        )
        assert unchanged.changes == ()
        assert any("nginx:1.28" in str(change) for change in updated.changes)

    @requires("secrets")
    def test_diff_of_a_secret_names_each_key_changed_added_or_removed(
        self, orch: TrackingOrchestrator
    ) -> None:
        orch.apply(Secret("db", data={"password": "old-s3cr3t", "user": "shop"}))
        [diff] = orch.diff(Secret("db", data={"password": "new-s3cr3t", "extra": "x"}))
        changes = {change.path.split(".")[-1]: str(change)[0] for change in diff.changes}
        assert changes == {"password": "~", "extra": "+", "user": "-"}
        assert all(change.path.split(".")[-2] == "data" for change in diff.changes)

    @requires("secrets")
    def test_diff_of_a_secret_never_shows_its_values(self, orch: TrackingOrchestrator) -> None:
        orch.apply(Secret("db", data={"password": "old-s3cr3t"}))
        [diff] = orch.diff(Secret("db", data={"password": "new-s3cr3t"}))
        assert diff.action is Action.UPDATED
        assert "s3cr3t" not in str(diff)
