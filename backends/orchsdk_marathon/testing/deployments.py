"""Deployments that take steps, the locks they hold, and the clock that drives them.

A write that changes an app starts a :class:`Deployment`. Each *tick* advances every
task one stage (``TASK_STAGING`` -> ``TASK_RUNNING`` -> healthy, when the app has
health checks; see :mod:`.lifecycle` for failures and kills), then lets each deployment
kill and launch tasks as its app's ``upgradeStrategy`` allows, the way Marathon's
``TaskReplaceActor`` does:

- at least ``ceil(instances * minimumHealthCapacity)`` ready tasks stay up, and
- at most ``floor(instances * (1 + maximumOverCapacity))`` tasks run at once (one more
  when both bounds are equal, else a rolling restart could never start).

A deployment is done when its app runs ``instances`` ready tasks of the target
configuration, none still queued and none still being killed; then it leaves
``/v2/deployments`` and ``deployment_success`` is sent.
While it runs, the app is locked: a write without ``force=true`` gets Marathon's 409.

A background clock ticks every ``tick_seconds``; tests can instead hold an app's
deployments and step them (see :class:`~orchsdk_marathon.testing.emulator.Control`).
"""

from __future__ import annotations

import copy
import math
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from orchsdk_marathon.testing.lifecycle import Lifecycle
from orchsdk_marathon.testing.model import config_of
from orchsdk_marathon.testing.state import AppRecord, Task

__all__ = ["Deployment", "DeploymentEngine", "Locked"]

Json = dict[str, Any]

START, STOP, SCALE, RESTART = (
    "StartApplication",
    "StopApplication",
    "ScaleApplication",
    "RestartApplication",
)


class Locked(Exception):
    """The apps are locked by running deployments (Marathon's ``AppLockedException``)."""

    def __init__(self, deployment_ids: list[str]) -> None:
        super().__init__(deployment_ids)
        self.deployment_ids = deployment_ids

    def body(self) -> Json:
        """The exact 409 body Marathon sends."""
        first = self.deployment_ids[0]
        return {
            "message": "App is locked by one or more deployments. Override with the option "
            f"'?force=true'. View details at '/v2/deployments/{first}'.",
            "deployments": [{"id": deployment_id} for deployment_id in self.deployment_ids],
        }


@dataclass
class Deployment:
    """One deployment plan: its steps (one action per affected app each) and its progress.

    ``target`` is the definition to converge to (``None`` when apps are stopped);
    ``original`` the definition before (``None`` when the deployment created the app),
    used to revert; ``snapshot`` the tasks before, restored when the deployment fails;
    ``removed`` the records of apps being stopped, whose tasks are still to be killed.
    """

    id: str
    version: str
    apps: list[str]
    steps: list[str]
    target: Json | None = None
    original: Json | None = None
    snapshot: list[Task] = field(default_factory=list)
    removed: dict[str, AppRecord] = field(default_factory=dict)
    current: int = 0

    @property
    def action(self) -> str:
        return self.steps[min(self.current, len(self.steps) - 1)]

    def plan(self) -> Json:
        """The plan as deployment events carry it."""
        return {"id": self.id, "version": self.version, "steps": self._steps()}

    def _steps(self) -> list[Json]:
        return [
            {"actions": [{"action": action, "app": app} for app in self.apps]}
            for action in self.steps
        ]

    def to_json(self) -> Json:
        """The deployment as ``GET /v2/deployments`` lists it."""
        return {
            "id": self.id,
            "version": self.version,
            "affectedApps": list(self.apps),
            "affectedPods": [],
            "steps": self._steps(),
            "currentActions": [
                {"action": self.action, "app": app, "readinessCheckResults": []}
                for app in self.apps
            ],
            "currentStep": self.current + 1,
            "totalSteps": len(self.steps),
        }


class DeploymentEngine:
    """Runs deployments against a :class:`Store`, publishing what happens on an :class:`EventBus`.

    Every method expects the caller to hold ``store.lock`` (the clock takes it itself).
    """

    def __init__(self, lifecycle: Lifecycle) -> None:
        self.store = lifecycle.store
        self.bus = lifecycle.bus
        self.tasks = lifecycle
        self.tick_seconds = lifecycle.tick_seconds
        self.deployments: dict[str, Deployment] = {}
        self.held: set[str] = set()
        self._stop = threading.Event()
        self._clock: threading.Thread | None = None

    # -- the clock ------------------------------------------------------------------

    def start_clock(self) -> None:
        """Starts ticking in a background thread."""
        if self._clock is None:
            self._stop.clear()
            self._clock = threading.Thread(target=self._run, name="marathon-clock", daemon=True)
            self._clock.start()

    def stop_clock(self) -> None:
        """Stops the background clock (deployments stay where they are)."""
        if self._clock is not None:
            self._stop.set()
            self._clock.join()
            self._clock = None

    def _run(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            with self.store.lock:
                self.tick_all()

    def tick_all(self) -> None:
        """One tick for every app and deployment that is not held."""
        for record in list(self.store.apps.values()):
            if record.id not in self.held:
                self.tasks.advance(record)
        for deployment in list(self.deployments.values()):
            if not set(deployment.apps) & self.held:
                self._tick(deployment)

    def tick_app(self, app_id: str) -> None:
        """One tick for one app and its deployments, held or not."""
        record = self.store.app(app_id)
        if record is not None:
            self.tasks.advance(record)
        for deployment in self.of_app(app_id):
            self._tick(deployment)

    # -- queries -------------------------------------------------------------------

    def of_app(self, app_id: str) -> list[Deployment]:
        """The running deployments that affect ``app_id``."""
        return [d for d in self.deployments.values() if app_id in d.apps]

    def busy(self, app_id: str) -> bool:
        """Whether ``app_id`` has a deployment, tasks that are not yet ready, or instances
        still to launch."""
        record = self.store.app(app_id)
        unsettled = record is not None and (
            any(not task.ready for task in record.tasks) or bool(record.queue.pending)
        )
        return bool(self.of_app(app_id)) or unsettled

    # -- starting, cancelling, reverting ----------------------------------------------

    def claim(self, app_ids: list[str], force: bool) -> None:
        """Raises :class:`Locked` if deployments hold ``app_ids``; with ``force``, cancels them."""
        blocking: list[Deployment] = []
        for deployment in self.deployments.values():
            if set(deployment.apps) & set(app_ids) and deployment not in blocking:
                blocking.append(deployment)
        if blocking and not force:
            raise Locked([deployment.id for deployment in blocking])
        for deployment in blocking:
            self.cancel(deployment)

    def start(
        self,
        apps: list[str],
        steps: list[str],
        *,
        version: str | None = None,
        target: Json | None = None,
        original: Json | None = None,
        removed: dict[str, AppRecord] | None = None,
    ) -> Deployment:
        """Registers a deployment (the caller has claimed the apps) and announces it."""
        snapshot: list[Task] = []
        record = self.store.app(apps[0]) if len(apps) == 1 else None
        if record is not None:
            snapshot = copy.deepcopy(record.tasks)
        deployment = Deployment(
            id=str(uuid.uuid4()),
            version=version or self.store.new_version(),
            apps=list(apps),
            steps=list(steps),
            target=copy.deepcopy(target),
            original=copy.deepcopy(original),
            snapshot=snapshot,
            removed=removed or {},
        )
        if not steps:
            self.bus.publish("deployment_success", id=deployment.id, plan=deployment.plan())
            return deployment
        self.deployments[deployment.id] = deployment
        self._announce(deployment)
        return deployment

    def _announce(self, deployment: Deployment) -> None:
        self.bus.publish(
            "deployment_info",
            plan=deployment.plan(),
            currentStep={
                "actions": [{"action": deployment.action, "app": app} for app in deployment.apps]
            },
        )

    def cancel(self, deployment: Deployment) -> None:
        """Stops a deployment where it is (``deployment_failed``), leaving its tasks as they are."""
        self.deployments.pop(deployment.id, None)
        self.bus.publish("deployment_failed", id=deployment.id, plan=deployment.plan())

    def fail(self, app_id: str) -> list[str]:
        """Fails the app's deployments: the new tasks die, the old ones are kept.

        The app keeps its new definition, as in Marathon; ``lastTaskFailure`` is set.
        Returns the ids of the failed deployments.
        """
        failed: list[str] = []
        for deployment in self.of_app(app_id):
            failed.append(deployment.id)
            self.cancel(deployment)
            record = self.store.app(app_id)
            if record is None:
                continue
            kept = {task.id for task in deployment.snapshot}
            launched = [task for task in record.tasks if task.id not in kept]
            if not launched and deployment.target is not None:  # failed before it launched
                launched = [self.store.new_task(deployment.target, self.store.agents[0])]
            record.queue.pending.clear()
            for task in launched:
                self.tasks.remove(record, task, "TASK_FAILED")
                record.last_task_failure = {
                    "appId": record.id,
                    "host": task.host,
                    "message": "emulated failure (control.fail)",
                    "slaveId": f"emulator-S{task.agent}",
                    "state": "TASK_FAILED",
                    "taskId": task.id,
                    "timestamp": self.store.now(),
                    "version": task.version,
                }
            record.tasks = copy.deepcopy(deployment.snapshot)
        return failed

    def revert(self, deployment: Deployment) -> Deployment:
        """Cancels ``deployment`` and starts one that undoes it (``DELETE /v2/deployments``)."""
        self.cancel(deployment)
        if deployment.removed:
            for removed in deployment.removed.values():
                self.store.put_app(removed)
            self.claim(list(deployment.removed), force=True)
            started = [self.start([app_id], [SCALE]) for app_id in deployment.removed]
            return started[0]
        app_id = deployment.apps[0]
        current_record = self.store.app(app_id)
        assert current_record is not None
        record = current_record
        self.claim([app_id], force=True)
        if deployment.original is None:
            self.store.remove_app(app_id)
            return self.start([app_id], [STOP], removed={app_id: record})
        current = record.definition
        record.definition = copy.deepcopy(deployment.original)
        only_scale = config_of({**current, "instances": 0}) == config_of(
            {**record.definition, "instances": 0}
        )
        return self.start(
            [app_id], [SCALE if only_scale else RESTART], target=record.definition,
            original=current,
        )  # fmt: skip

    # -- one tick --------------------------------------------------------------------

    def _tick(self, deployment: Deployment) -> None:
        action = deployment.action
        if action == STOP:
            for record in deployment.removed.values():
                record.queue.pending.clear()
                self.tasks.linger(record)
                for task in list(record.tasks):
                    self.tasks.kill(record, task)
            if not any(record.tasks for record in deployment.removed.values()):
                self._complete_step(deployment)
            return
        if action == START:
            self._complete_step(deployment)
            return
        app = self.store.app(deployment.apps[0])
        if app is None:  # deleted under a forced write; nothing left to do
            self._complete_step(deployment)
            return
        target = deployment.target or app.definition
        if self._converge(app, target, restart=action == RESTART):
            self._complete_step(deployment)

    def _complete_step(self, deployment: Deployment) -> None:
        self.bus.publish(
            "deployment_step_success",
            plan=deployment.plan(),
            currentStep={
                "actions": [{"action": deployment.action, "app": app} for app in deployment.apps]
            },
        )
        deployment.current += 1
        if deployment.current >= len(deployment.steps):
            self.deployments.pop(deployment.id, None)
            self.bus.publish("deployment_success", id=deployment.id, plan=deployment.plan())
        else:
            self._announce(deployment)

    def _converge(self, record: AppRecord, target: Json, *, restart: bool) -> bool:
        """Kills and launches what the upgrade strategy allows; True when converged."""
        wanted = int(target.get("instances", 1))
        config = str(target["versionInfo"]["lastConfigChangeAt"])
        queue = record.queue
        if restart:  # queued instances of an older version are not launched any more
            queue.pending = [pending for pending in queue.pending if pending.config == config]
        live = [task for task in record.tasks if task.state != "TASK_KILLING"]
        old = [task for task in live if restart and task.config_version != config]
        new = [task for task in live if task not in old]
        strategy = target.get("upgradeStrategy") or {}
        minimum = math.ceil(wanted * float(strategy.get("minimumHealthCapacity", 1)) - 1e-9)
        maximum = math.floor(wanted * (1 + float(strategy.get("maximumOverCapacity", 1))) + 1e-9)
        running = sum(1 for task in record.tasks if task.state == "TASK_RUNNING")
        if minimum == maximum and maximum <= running:
            maximum += 1
        ready = sum(1 for task in live if task.ready)
        for task in sorted(old, key=lambda task: task.ready):
            if not task.ready:
                self.tasks.kill(record, task)
                old.remove(task)
            elif ready - 1 >= minimum:
                self.tasks.kill(record, task)
                old.remove(task)
                ready -= 1
        while queue.pending and len(new) + len(queue.pending) > wanted:
            queue.pending.pop()
        if len(new) > wanted:
            oldest_first = target.get("killSelection") == "OLDEST_FIRST"
            ordered = new if oldest_first else new[::-1]  # tasks are kept in launch order
            for task in ordered[: len(new) - wanted]:
                self.tasks.kill(record, task)
                new.remove(task)
        launching = len(new) + len(queue.pending)
        # tasks being killed are still listed, so they still count against the capacity
        stopping = sum(1 for task in record.tasks if task.state == "TASK_KILLING")
        while launching < wanted and (not restart or len(old) + stopping + launching < maximum):
            self.tasks.launch(record, target)
            launching += 1
        return (
            not queue.pending
            and len(record.tasks) == wanted
            and all(task.ready for task in record.tasks)
            and not (restart and any(task.config_version != config for task in record.tasks))
        )
