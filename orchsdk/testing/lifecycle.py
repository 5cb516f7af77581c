"""The contract for the verbs that act on a deployment's revisions: ``restart`` and
``history``.

A restart replaces every instance with a new one of the same definition, as a new
revision, and the next apply of the unchanged spec neither reports a change nor rolls
the deployment again (on Kubernetes it would, were the restart's annotation dropped).
The history numbers revisions the same way on every backend: one more for each change
or restart, none for a scale, and a rollback renumbers the revision it returns to.
"""

from __future__ import annotations

import pytest

from orchsdk import Action, Deployment, NotFound, Phase
from orchsdk.testing.interface import requires
from orchsdk.testing.samples import web
from orchsdk.testing.tracking import TrackingOrchestrator

__all__ = ["LifecycleContract"]


class LifecycleContract:
    """Part of :class:`~orchsdk.testing.BackendContract`; it brings the fixtures."""

    timeout: float

    @requires("restart")
    def test_restart_replaces_every_instance_with_the_same_definition(
        self, orch: TrackingOrchestrator
    ) -> None:
        orch.apply(web(), wait=True, timeout=self.timeout)
        before = orch.status("web").revision
        old = {instance.id for instance in orch.instances("web")}
        status = orch.restart("web", wait=True, timeout=self.timeout)
        assert status.phase is Phase.COMPLETE
        assert status.revision > before
        new = orch.instances("web")
        assert len(new) == 2
        assert old.isdisjoint(instance.id for instance in new)
        again = orch.get(Deployment, "web")
        assert (again.image, again.replicas, again.ports) == (web().image, 2, web().ports)

    @requires("restart")
    def test_apply_after_a_restart_is_unchanged_and_starts_no_rollout(
        self, orch: TrackingOrchestrator
    ) -> None:
        orch.apply(web(), wait=True, timeout=self.timeout)
        restarted = orch.restart("web", wait=True, timeout=self.timeout).revision
        [result] = orch.apply(web())
        assert result.action is Action.UNCHANGED
        assert orch.diff(web())[0].action is Action.UNCHANGED
        assert orch.status("web").revision == restarted

    @requires("history", "restart")
    def test_history_numbers_each_change_and_restart_but_no_scale(
        self, orch: TrackingOrchestrator
    ) -> None:
        orch.apply(web(image="nginx:1.27"), wait=True, timeout=self.timeout)
        orch.apply(web(image="nginx:1.28"), wait=True, timeout=self.timeout)
        orch.scale("web", 3, wait=True, timeout=self.timeout)
        orch.restart("web", wait=True, timeout=self.timeout)
        history = orch.history("web")
        assert [(r.number, r.image, r.cause) for r in history] == [
            (1, "nginx:1.27", "created"),
            (2, "nginx:1.28", "updated"),
            (3, "nginx:1.28", "restart"),
        ]
        assert [r.current for r in history] == [False, False, True]
        assert orch.status("web").revision == 3

    @requires("history", "rollback")
    def test_a_rollback_gives_the_revision_it_returns_to_the_next_number(
        self, orch: TrackingOrchestrator
    ) -> None:
        orch.apply(web(image="nginx:1.27"), wait=True, timeout=self.timeout)
        orch.apply(web(image="nginx:1.28"), wait=True, timeout=self.timeout)
        status = orch.rollback("web", wait=True, timeout=self.timeout)
        history = orch.history("web")
        assert [(r.number, r.image, r.cause, r.current) for r in history] == [
            (2, "nginx:1.28", "updated", False),
            (3, "nginx:1.27", "rollback", True),
        ]
        assert status.revision == 3
        assert {instance.revision for instance in orch.instances("web")} == {3}

    @requires("history", "rollback")
    def test_rollback_to_a_number_the_history_no_longer_has_names_those_it_has(
        self, orch: TrackingOrchestrator
    ) -> None:
        orch.apply(web(image="nginx:1.27"), wait=True, timeout=self.timeout)
        orch.apply(web(image="nginx:1.28"), wait=True, timeout=self.timeout)
        orch.rollback("web", wait=True, timeout=self.timeout)
        with pytest.raises(NotFound, match=r"no revision 1 \(has 2, 3\)"):
            orch.rollback("web", to_revision=1)
        assert orch.get(Deployment, "web").image == "nginx:1.27"
        assert orch.status("web").revision == 3

    @requires("history")
    def test_history_of_a_missing_deployment_raises_not_found(
        self, orch: TrackingOrchestrator
    ) -> None:
        with pytest.raises(NotFound):
            orch.history("nope")

    @requires("restart")
    def test_restart_of_a_missing_deployment_raises_not_found(
        self, orch: TrackingOrchestrator
    ) -> None:
        with pytest.raises(NotFound):
            orch.restart("nope")
