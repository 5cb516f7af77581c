"""A simulated rollout of one deployment: instances replaced step by step, as a rolling update.

Each step first marks the instances started by the previous step ready (unless they
failed), then stops old instances as far as ``max_unavailable`` allows (availability
never drops below ``replicas - max_unavailable``), then starts new ones as far as
``max_surge`` allows (never more than ``replicas + max_surge`` instances). So a rollout
keeps the spec's :class:`~orchsdk.Rollout` bounds, as Kubernetes' deployment controller
does. A stopped instance lingers, terminating and never ready, for ``linger`` seconds;
a new one may fail to start for the reason ``diagnose`` gives its revision.
"""

from __future__ import annotations

import collections
import datetime
import itertools
import math
import time
from collections.abc import Callable

import attrs

from orchsdk import Event, EventType, Failure, FailureReason, Rollout

_serial = itertools.count(1)

EVENTS_KEPT = 200
"""How many events a deployment keeps, newest last."""

_FAILURE_EVENTS = {
    FailureReason.UNSCHEDULABLE: "FailedScheduling",
    FailureReason.IMAGE_PULL: "Failed",
    FailureReason.CONFIGURATION: "Failed",
    FailureReason.CRASH_LOOP: "BackOff",
    FailureReason.HEALTH_CHECK: "Unhealthy",
    FailureReason.PROGRESS_DEADLINE: "ProgressDeadlineExceeded",
}
"""The reason of the warning event each failure is reported with."""

Diagnosis = Callable[[int], "Failure | None"]
"""Why an instance of the given revision cannot start, or None when it can."""


@attrs.define
class SimulatedInstance:
    """One instance of a deployment in memory."""

    id: str
    revision: int
    address: str
    ready: bool = False
    failure: Failure | None = None
    stopping_until: float | None = None
    """The ``time.monotonic()`` instant a stopped instance is gone; None while it runs."""

    @property
    def state(self) -> str:
        """One of the states of :class:`~orchsdk.Instance`."""
        if self.stopping_until is not None:
            return "terminating"
        if self.failure is not None:
            return "failed"
        return "running" if self.ready else "starting"


@attrs.frozen
class Pace:
    """How far a rollout may go past, and below, the wanted replica count."""

    surge: int
    unavailable: int

    @classmethod
    def of(cls, rollout: Rollout, replicas: int) -> Pace:
        """Counts from the spec: surge rounds up, unavailable rounds down (as Kubernetes)."""
        surge = _amount(rollout.max_surge, replicas, round_up=True)
        unavailable = _amount(rollout.max_unavailable, replicas, round_up=False)
        if surge == 0 and unavailable == 0:
            unavailable = 1  # as Kubernetes: a rollout must be able to move
        return cls(surge, unavailable)


def _amount(value: int | str, replicas: int, *, round_up: bool) -> int:
    if isinstance(value, int):
        return value
    fraction = replicas * int(value.rstrip("%")) / 100
    return math.ceil(fraction) if round_up else math.floor(fraction)


@attrs.define
class SimulatedRollout:
    """The instances of one deployment and how far its current rollout has come."""

    name: str
    replicas: int
    revision: int
    pace: Pace
    linger: float = 0.0
    diagnose: Diagnosis = lambda revision: None
    instances: list[SimulatedInstance] = attrs.field(factory=list)
    events: collections.deque[Event] = attrs.field(
        factory=lambda: collections.deque(maxlen=EVENTS_KEPT)
    )
    failed: str | None = None
    held: bool = False

    def retarget(self, replicas: int, revision: int, pace: Pace) -> None:
        """Starts a new rollout toward ``replicas`` instances of ``revision``."""
        if revision != self.revision:
            self.failed = None
            self.record(EventType.NORMAL, "Rollout", f"rolling out revision {revision}")
        if replicas != self.replicas:
            self.record(EventType.NORMAL, "Scaled", f"scaled from {self.replicas} to {replicas}")
        self.replicas, self.revision, self.pace = replicas, revision, pace

    @property
    def live(self) -> list[SimulatedInstance]:
        """The instances not asked to stop."""
        return [item for item in self.instances if item.stopping_until is None]

    @property
    def current(self) -> list[SimulatedInstance]:
        """The live instances of the newest revision."""
        return [item for item in self.live if item.revision == self.revision]

    @property
    def terminating(self) -> int:
        """How many stopped instances are still shutting down."""
        return len(self.instances) - len(self.live)

    @property
    def failure(self) -> Failure | None:
        """Why the newest revision's instances cannot start, if one cannot."""
        return next((item.failure for item in self.current if item.failure), None)

    @property
    def done(self) -> bool:
        current = self.current
        return (
            len(current) == self.replicas
            and len(self.instances) == self.replicas
            and all(item.ready for item in current)
        )

    def record(self, kind: EventType, reason: str, message: str, instance: str = "") -> None:
        """Keeps an event about the deployment, or about one of its instances."""
        about = f"instance/{instance}" if instance else f"deployment/{self.name}"
        now = datetime.datetime.now(datetime.timezone.utc)
        self.events.append(Event(now, kind, reason, message, about))

    def reap(self, now: float) -> bool:
        """Forgets the stopped instances whose grace has passed; True if any was."""
        kept = [i for i in self.instances if i.stopping_until is None or i.stopping_until > now]
        reaped = len(kept) != len(self.instances)
        self.instances = kept
        return reaped

    def next_reap(self) -> float | None:
        """When the next stopped instance is gone, if one is shutting down."""
        return min((i.stopping_until for i in self.instances if i.stopping_until), default=None)

    def step(self) -> bool:
        """Advances the rollout by one step; False when there was nothing to do."""
        changed = self.reap(time.monotonic())
        if self.failed is not None or self.held or self.done:
            return changed
        for item in self.live:
            if not item.ready and item.failure is None:
                item.ready = changed = True
        for extra in self.current[self.replicas :]:
            changed = self._stop(extra)
        old = [item for item in self.live if item.revision != self.revision]
        stoppable = len(self.live) - max(0, self.replicas - self.pace.unavailable)
        for stopping in old[: max(0, stoppable)]:
            changed = self._stop(stopping)
        room = self.replicas + self.pace.surge - len(self.live)
        for _ in range(max(0, min(room, self.replicas - len(self.current)))):
            changed = self._start()
        return changed

    def finish(self) -> None:
        """Runs the rollout to its end (unless it failed or is held), waiting for no grace."""
        while self.step():
            pass
        self.reap(math.inf)

    def stop_all(self) -> None:
        """Stops every instance, as when the deployment is deleted."""
        for item in self.live:
            self._stop(item)

    def _start(self) -> bool:
        serial = next(_serial)
        item = SimulatedInstance(
            id=f"{self.name}-{self.revision}-{serial:05d}",
            revision=self.revision,
            address=f"10.{serial // 65536 % 256}.{serial // 256 % 256}.{serial % 256}",
        )
        failure = self.diagnose(self.revision)
        if failure is not None:
            item.failure = attrs.evolve(failure, instance=item.id)
            event = _FAILURE_EVENTS[failure.reason]
            self.record(EventType.WARNING, event, failure.message, item.id)
        else:
            self.record(EventType.NORMAL, "Started", f"started revision {self.revision}", item.id)
        self.instances.append(item)
        return True

    def _stop(self, item: SimulatedInstance) -> bool:
        self.record(EventType.NORMAL, "Killing", "stopping the instance", item.id)
        if self.linger > 0:
            item.ready = False
            item.stopping_until = time.monotonic() + self.linger
        else:
            self.instances.remove(item)
        return True
