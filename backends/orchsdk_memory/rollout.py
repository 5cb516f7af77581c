"""A simulated rollout of one deployment: instances replaced step by step, as a rolling update.

Each step first marks the instances started by the previous step ready, then stops
old instances as far as ``max_unavailable`` allows (availability never drops below
``replicas - max_unavailable``), then starts new ones as far as ``max_surge`` allows
(never more than ``replicas + max_surge`` instances). So a rollout keeps the spec's
:class:`~orchsdk.Rollout` bounds, as Kubernetes' deployment controller does.
"""

from __future__ import annotations

import itertools
import math

import attrs

from orchsdk import Rollout

_serial = itertools.count(1)


@attrs.define
class SimulatedInstance:
    """One instance of a deployment in memory."""

    id: str
    revision: int
    address: str
    ready: bool = False


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
    instances: list[SimulatedInstance] = attrs.field(factory=list)
    failed: str | None = None
    held: bool = False

    def retarget(self, replicas: int, revision: int, pace: Pace) -> None:
        """Starts a new rollout toward ``replicas`` instances of ``revision``."""
        if revision != self.revision:
            self.failed = None
        self.replicas, self.revision, self.pace = replicas, revision, pace

    @property
    def current(self) -> list[SimulatedInstance]:
        return [item for item in self.instances if item.revision == self.revision]

    @property
    def done(self) -> bool:
        current = self.current
        return (
            len(current) == self.replicas
            and len(self.instances) == self.replicas
            and all(item.ready for item in current)
        )

    def step(self) -> bool:
        """Advances the rollout by one step; False when there was nothing to do."""
        if self.failed is not None or self.held or self.done:
            return False
        for item in self.instances:
            item.ready = True
        for extra in self.current[self.replicas :]:
            self.instances.remove(extra)
        old = [item for item in self.instances if item.revision != self.revision]
        stoppable = len(self.instances) - max(0, self.replicas - self.pace.unavailable)
        for stopping in old[: max(0, stoppable)]:
            self.instances.remove(stopping)
        room = self.replicas + self.pace.surge - len(self.instances)
        for _ in range(max(0, min(room, self.replicas - len(self.current)))):
            serial = next(_serial)
            self.instances.append(
                SimulatedInstance(
                    id=f"{self.name}-{self.revision}-{serial:05d}",
                    revision=self.revision,
                    address=f"10.{serial // 65536 % 256}.{serial // 256 % 256}.{serial % 256}",
                )
            )
        return True

    def finish(self) -> None:
        """Runs the rollout to its end (unless it failed or is held)."""
        while self.step():
            pass
