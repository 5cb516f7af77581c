"""The contract for what goes wrong: rollouts that cannot finish fail fast with a portable
reason, references that dangle are refused before any write, and instances that are
shutting down are never counted as running.

Every test here uses a trigger that a real cluster fails on too (an image on a
``.invalid`` registry host, the command ``false``, more CPUs than any node has, a
placement no node satisfies, a secret deleted under a running deployment), so the live
tier runs them without a :class:`~orchsdk.testing.RolloutControl`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from orchsdk import (
    ConfigRef,
    Constraint,
    Deployment,
    EventType,
    FailureReason,
    FileMount,
    NotFound,
    Phase,
    Port,
    Resource,
    Resources,
    RolloutFailed,
    Secret,
    SecretRef,
    Service,
    ValidationError,
)
from orchsdk.testing.interface import requires
from orchsdk.testing.samples import web
from orchsdk.testing.tracking import TrackingOrchestrator
from orchsdk.waiting import Backoff

__all__ = ["FailureContract", "eventually"]

UNPULLABLE = "registry.invalid/app:1"
"""An image no registry serves: its host is in the ``.invalid`` top-level domain."""


def eventually(check: Callable[[], bool], timeout: float) -> bool:
    """Whether ``check`` comes true within ``timeout`` seconds, looking again with the
    core's back-off: for what an orchestrator does a moment later (an HPA's first sync)."""
    deadline = time.monotonic() + timeout
    backoff = Backoff()
    while not check():
        if time.monotonic() >= deadline:
            return False
        backoff.sleep(deadline)
    return True


class FailureContract:
    """Part of :class:`~orchsdk.testing.BackendContract`; it brings the fixtures."""

    timeout: float = 60.0

    def rollout_fails(self, orch: TrackingOrchestrator, *resources: Resource) -> RolloutFailed:
        """The :class:`~orchsdk.RolloutFailed` that applying ``resources`` and waiting raises."""
        with pytest.raises(RolloutFailed) as raised:
            orch.apply(*resources, wait=True, timeout=self.timeout)
        return raised.value

    # -- fail fast, with the reason ------------------------------------------------

    @requires("failure_reasons")
    def test_image_that_cannot_be_pulled_fails_the_rollout(
        self, orch: TrackingOrchestrator
    ) -> None:
        failed = self.rollout_fails(orch, web(image=UNPULLABLE))
        assert failed.reason is FailureReason.IMAGE_PULL
        assert UNPULLABLE in str(failed)

    @requires("failure_reasons")
    def test_container_that_keeps_exiting_fails_the_rollout(
        self, orch: TrackingOrchestrator
    ) -> None:
        failed = self.rollout_fails(orch, web(command=["false"]))
        assert failed.reason is FailureReason.CRASH_LOOP

    @requires("failure_reasons")
    def test_instance_that_no_node_can_hold_fails_the_rollout(
        self, orch: TrackingOrchestrator
    ) -> None:
        failed = self.rollout_fails(orch, web(resources=Resources(cpu="64", memory="64Mi")))
        assert failed.reason is FailureReason.UNSCHEDULABLE
        assert "cpu" in str(failed).lower()

    @requires("failure_reasons", "placement")
    def test_placement_that_no_node_satisfies_fails_the_rollout(
        self, orch: TrackingOrchestrator
    ) -> None:
        failed = self.rollout_fails(orch, web(placement=[Constraint("zone", "in", ["nowhere"])]))
        assert failed.reason is FailureReason.UNSCHEDULABLE

    @requires("failure_reasons", "secrets")
    def test_secret_deleted_under_a_deployment_fails_its_new_instances(
        self, orch: TrackingOrchestrator
    ) -> None:
        env = {"DB_PASSWORD": SecretRef("db", "password")}
        orch.apply(Secret("db", data={"password": "one"}), web(env=env), wait=True)
        orch.delete(Secret, "db")
        with pytest.raises(RolloutFailed) as raised:
            orch.scale("web", 3, wait=True, timeout=self.timeout)
        assert raised.value.reason is FailureReason.CONFIGURATION
        assert "db" in str(raised.value)

    @requires("failure_reasons", "secrets", "file_mounts")
    def test_secret_file_deleted_under_a_deployment_fails_its_new_instances(
        self, orch: TrackingOrchestrator
    ) -> None:
        files = [FileMount("/etc/app/password", SecretRef("db", "password"))]
        orch.apply(Secret("db", data={"password": "one"}), web(files=files), wait=True)
        orch.delete(Secret, "db")
        with pytest.raises(RolloutFailed) as raised:
            orch.scale("web", 3, wait=True, timeout=self.timeout)
        assert raised.value.reason is FailureReason.CONFIGURATION
        assert "db" in str(raised.value)

    @requires("failure_reasons")
    def test_failure_names_an_instance_listed_as_failed(self, orch: TrackingOrchestrator) -> None:
        failed = self.rollout_fails(orch, web(image=UNPULLABLE))
        states = {instance.id: instance.state for instance in orch.instances("web")}
        assert failed.instance is not None
        assert states[failed.instance] == "failed"

    @requires("failure_reasons")
    def test_status_names_the_failure_without_a_wait(self, orch: TrackingOrchestrator) -> None:
        self.rollout_fails(orch, web(image=UNPULLABLE))
        status = orch.status("web")
        assert status.failure is not None
        assert status.failure.reason is FailureReason.IMAGE_PULL
        assert not status.done

    @requires("failure_reasons")
    def test_fixed_spec_rolls_out_after_a_failed_one(self, orch: TrackingOrchestrator) -> None:
        self.rollout_fails(orch, web(image=UNPULLABLE))
        orch.apply(web(), wait=True, timeout=self.timeout)
        final = orch.status("web")
        assert (final.phase, final.failure, final.terminating) == (Phase.COMPLETE, None, 0)
        assert [instance.state for instance in orch.instances("web")] == ["running"] * 2

    # -- events --------------------------------------------------------------------

    @requires("events", "failure_reasons")
    def test_events_tell_why_a_rollout_failed(self, orch: TrackingOrchestrator) -> None:
        self.rollout_fails(orch, web(image=UNPULLABLE))
        warnings = [event for event in orch.events("web") if event.type is EventType.WARNING]
        assert any(UNPULLABLE in event.message for event in warnings)

    @requires("events")
    def test_events_of_a_rollout_come_oldest_first(self, orch: TrackingOrchestrator) -> None:
        orch.apply(web(), wait=True, timeout=self.timeout)
        events = orch.events("web")
        times = [event.time for event in events if event.time is not None]
        assert events
        assert times == sorted(times)

    @requires("events")
    def test_events_of_a_missing_deployment_raise_not_found(
        self, orch: TrackingOrchestrator
    ) -> None:
        with pytest.raises(NotFound):
            orch.events("absent")

    # -- dangling references, refused before any write -------------------------------

    @requires("secrets")
    def test_reference_to_a_missing_secret_is_refused_before_any_write(
        self, orch: TrackingOrchestrator
    ) -> None:
        with pytest.raises(ValidationError) as raised:
            orch.apply(web(env={"DB_PASSWORD": SecretRef("absent", "password")}))
        assert raised.value.fields == ("env.DB_PASSWORD",)
        with pytest.raises(NotFound):
            orch.get(Deployment, "web")

    @requires("secrets")
    def test_reference_to_a_missing_key_is_refused(self, orch: TrackingOrchestrator) -> None:
        orch.apply(Secret("db", data={"user": "app"}))
        with pytest.raises(ValidationError) as raised:
            orch.apply(web(env={"DB_PASSWORD": SecretRef("db", "password")}))
        assert raised.value.fields == ("env.DB_PASSWORD",)

    @requires("secrets")
    def test_secret_of_another_namespace_does_not_satisfy_a_reference(
        self, orch: TrackingOrchestrator, namespace: str
    ) -> None:
        other = TrackingOrchestrator(orch.backend, namespace=f"{namespace}-b")
        try:
            other.apply(Secret("db", data={"password": "one"}))
            with pytest.raises(ValidationError) as raised:
                orch.apply(web(env={"DB_PASSWORD": SecretRef("db", "password")}))
            assert raised.value.fields == ("env.DB_PASSWORD",)
        finally:
            other.delete_applied()

    @requires("config_maps", "file_mounts")
    def test_file_from_a_missing_config_map_is_refused(self, orch: TrackingOrchestrator) -> None:
        mount = FileMount("/etc/app/app.conf", ConfigRef("absent", "app.conf"))
        with pytest.raises(ValidationError) as raised:
            orch.apply(web(files=[mount]))
        assert raised.value.fields == ("files[0]",)

    # -- instances that are shutting down ----------------------------------------------

    @requires()
    def test_scale_down_waits_until_stopped_instances_are_gone(
        self, orch: TrackingOrchestrator
    ) -> None:
        orch.apply(web(replicas=3), wait=True, timeout=self.timeout)
        status = orch.scale("web", 1, wait=True, timeout=self.timeout)
        assert (status.desired, status.terminating, status.phase) == (1, 0, Phase.COMPLETE)
        assert [instance.state for instance in orch.instances("web")] == ["running"]

    @requires()
    def test_terminating_instances_are_never_ready(self, orch: TrackingOrchestrator) -> None:
        orch.apply(web(replicas=2), wait=True, timeout=self.timeout)
        orch.scale("web", 0)
        seen: list[tuple[str, bool]] = []

        def stopped() -> bool:
            instances = orch.instances("web")
            seen.extend((instance.state, instance.ready) for instance in instances)
            return not instances

        assert eventually(stopped, self.timeout)
        assert ("terminating", True) not in seen
        assert {state for state, _ in seen} <= {"running", "terminating"}

    @requires()
    def test_delete_with_wait_returns_once_every_instance_is_gone(
        self, orch: TrackingOrchestrator
    ) -> None:
        orch.apply(web(), wait=True, timeout=self.timeout)
        orch.delete(Deployment, "web", wait=True, timeout=self.timeout)
        assert orch.backend.gone(Deployment, "web", orch.namespace)
        orch.apply(web(), wait=True, timeout=self.timeout)
        assert [instance.state for instance in orch.instances("web")] == ["running"] * 2

    @requires("standalone_services")
    def test_deleted_deployment_leaves_no_endpoint_once_waited(
        self, orch: TrackingOrchestrator
    ) -> None:
        service = Service("web", selector={"app": "web"}, ports=[Port(80, target_port="http")])
        orch.apply(web(), service, wait=True, timeout=self.timeout)
        orch.delete(Deployment, "web", wait=True, timeout=self.timeout)
        assert orch.endpoints("web") == []
