"""The contract for the verbs that act on a running deployment as a whole: ``restart``.

A restart replaces every instance with a new one of the same definition, as a new
revision, and the next apply of the unchanged spec neither reports a change nor rolls
the deployment again (on Kubernetes it would, were the restart's annotation dropped).
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

    @requires("restart")
    def test_restart_of_a_missing_deployment_raises_not_found(
        self, orch: TrackingOrchestrator
    ) -> None:
        with pytest.raises(NotFound):
            orch.restart("nope")
