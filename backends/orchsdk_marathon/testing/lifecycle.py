"""The life of an emulated task, tick by tick: queued, placed on an agent, staged, running,
healthy; or failed (then launched again after a back-off); or killed, lingering in
``TASK_KILLING`` for the kill grace period before it is gone.

Every change is a ``status_update_event`` on the bus, with Mesos' message for a failure,
and a failure is the app's ``lastTaskFailure``. Deployments decide which instances an
app should have (:mod:`.deployments`); this module carries them out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from orchsdk_marathon.testing.agents import declined_because
from orchsdk_marathon.testing.events import EventBus
from orchsdk_marathon.testing.queue import Pending
from orchsdk_marathon.testing.state import AppRecord, Json, Store, Task
from orchsdk_marathon.testing.triggers import crash_message, crashes, launch_failure

__all__ = ["Lifecycle"]


@dataclass
class Lifecycle:
    """Launches, advances, fails and kills the tasks of apps in a :class:`Store`.

    ``kill_ticks``: ticks a killed task stays ``TASK_KILLING``; ``backoff_scale``: the
    share of Marathon's launch back-off the emulator waits; ``secret_exists``: whether
    the secret store holds a path (``None``: there is no secret store).
    """

    store: Store
    bus: EventBus
    tick_seconds: float
    kill_ticks: int
    backoff_scale: float
    secret_exists: Callable[[str], bool] | None = None

    def launch(self, record: AppRecord, definition: Json) -> None:
        """Queues a new instance of ``definition`` and places it at once if it can be."""
        record.queue.add(Pending(definition), self.store.now())
        self.place(record)

    def place(self, record: AppRecord) -> None:
        """Stages a task for each queued instance an offer can take, unless the launch is
        delayed; records the offers declined."""
        queue = record.queue
        if queue.delay_ticks > 0:
            return
        for pending in list(queue.pending):
            used = [self.store.agents[task.agent - 1] for task in record.tasks]
            chosen = None
            for agent in self.store.next_agents():
                reasons = declined_because(agent, pending.definition, used)
                offer = agent.offer(f"emulator-offer-{queue.processed + 1}")
                queue.offered(agent.index, offer, reasons, self.store.now())
                if not reasons:
                    chosen = agent
                    break
            if chosen is None:
                return
            queue.pending.remove(pending)
            task = self.store.new_task(
                pending.definition, chosen, pending.instance, pending.incarnation
            )
            task.crashes = crashes(pending.definition)
            record.tasks.append(task)
            self.status(task, "TASK_STAGING")

    def advance(self, record: AppRecord) -> None:
        """One tick: killed tasks linger then go, staged tasks run (or fail to launch),
        crashing tasks exit, running ones turn healthy; then queued instances are placed."""
        if record.queue.delay_ticks > 0:
            record.queue.delay_ticks -= 1
        self.linger(record)
        for task in list(record.tasks):
            if task.state == "TASK_STAGING":
                definition = record.versions.get(task.version, record.definition)
                failure = launch_failure(definition, self.secret_exists)
                if failure is not None:
                    self.fail(record, task, definition, failure)
                    continue
                task.state = "TASK_RUNNING"
                task.started_at = self.store.now()
                self.status(task, "TASK_RUNNING")
            elif task.state == "TASK_RUNNING" and task.crashes:
                definition = record.versions.get(task.version, record.definition)
                self.fail(record, task, definition, crash_message(definition))
            elif task.state == "TASK_RUNNING" and task.health_checks and task.healthy is None:
                task.healthy = True
                task.first_success = self.store.now()
                self.bus.publish(
                    "instance_health_changed_event",
                    instanceId=task.instance_id,
                    runSpecId=task.app_id,
                    runSpecVersion=task.version,
                    healthy=True,
                )
        self.place(record)

    def linger(self, record: AppRecord) -> None:
        """One tick of the kill grace period: tasks whose period is over are gone."""
        for task in list(record.tasks):
            if task.state == "TASK_KILLING":
                task.kill_ticks -= 1
                if task.kill_ticks <= 0:
                    self.remove(record, task, "TASK_KILLED")

    def kill(self, record: AppRecord, task: Task) -> None:
        """Asks a task to stop: ``TASK_KILLING`` for the grace period (gone at once without)."""
        if task.state == "TASK_KILLING":
            return
        if self.kill_ticks <= 0:
            self.remove(record, task, "TASK_KILLED")
            return
        task.state = "TASK_KILLING"
        task.healthy = None if task.health_checks else task.healthy
        task.kill_ticks = self.kill_ticks
        self.status(task, "TASK_KILLING")

    def fail(self, record: AppRecord, task: Task, definition: Json, message: str) -> None:
        """The task failed: it is the app's ``lastTaskFailure``, its instance is queued
        again one incarnation up, and the app's next launch is backed off."""
        self.remove(record, task, "TASK_FAILED", message)
        record.last_task_failure = {
            "appId": record.id,
            "host": task.host,
            "message": message,
            "slaveId": f"emulator-S{task.agent}",
            "state": "TASK_FAILED",
            "taskId": task.id,
            "timestamp": self.store.now(),
            "version": task.version,
        }
        record.queue.failed(definition, self.tick_seconds, self.backoff_scale)
        relaunch = Pending(definition, task.instance_id, task.incarnation + 1)
        record.queue.add(relaunch, self.store.now())

    def remove(self, record: AppRecord, task: Task, state: str, message: str = "") -> None:
        """The task is gone, in a terminal ``state``."""
        if task in record.tasks:
            record.tasks.remove(task)
        task.state = state
        self.status(task, state, message)

    def status(self, task: Task, state: str, message: str = "") -> None:
        """Publishes the task's ``status_update_event``."""
        self.bus.publish(
            "status_update_event",
            slaveId=f"emulator-S{task.agent}",
            taskId=task.id,
            instanceId=task.instance_id,
            taskStatus=state,
            message=message,
            appId=task.app_id,
            host=task.host,
            ipAddresses=[{"ipAddress": task.ip_address, "protocol": "IPv4"}],
            ports=list(task.ports),
            version=task.version,
        )
