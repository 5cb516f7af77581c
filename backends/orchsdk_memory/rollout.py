"""A simulated rollout of one deployment: instances replaced step by step, like a ReplicaSet swap.

Each step first marks the instances started by the previous step ready, then starts up
to ``batch`` instances of the newest revision and stops as many old ones. The batch is
``max_surge + max_unavailable`` of the desired count, so a rollout's pace follows the
spec's :class:`~orchsdk.Rollout` as on Kubernetes.
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


def _amount(value: int | str, replicas: int, *, round_up: bool) -> int:
    if isinstance(value, int):
        return value
    fraction = replicas * int(value.rstrip("%")) / 100
    return math.ceil(fraction) if round_up else math.floor(fraction)


def batch_size(rollout: Rollout, replicas: int) -> int:
    """How many instances one step replaces: surge (rounded up) + unavailable (rounded down)."""
    surge = _amount(rollout.max_surge, replicas, round_up=True)
    unavailable = _amount(rollout.max_unavailable, replicas, round_up=False)
    return max(1, surge + unavailable)


@attrs.define
class SimulatedRollout:
    """The instances of one deployment and how far its current rollout has come."""

    name: str
    replicas: int
    revision: int
    batch: int
    instances: list[SimulatedInstance] = attrs.field(factory=list)
    failed: str | None = None
    held: bool = False

    def retarget(self, replicas: int, revision: int, batch: int) -> None:
        """Starts a new rollout toward ``replicas`` instances of ``revision``."""
        if revision != self.revision:
            self.failed = None
        self.replicas, self.revision, self.batch = replicas, revision, batch

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
        current = self.current
        old = [item for item in self.instances if item.revision != self.revision]
        if len(current) > self.replicas:
            for extra in current[self.replicas :]:
                self.instances.remove(extra)
        starting = min(self.batch, self.replicas - len(current))
        for _ in range(max(0, starting)):
            serial = next(_serial)
            self.instances.append(
                SimulatedInstance(
                    id=f"{self.name}-{self.revision}-{serial:05d}",
                    revision=self.revision,
                    address=f"10.{serial // 65536 % 256}.{serial // 256 % 256}.{serial % 256}",
                )
            )
        for stopping in old[: self.batch]:
            self.instances.remove(stopping)
        return True

    def finish(self) -> None:
        """Runs the rollout to its end (unless it failed or is held)."""
        while self.step():
            pass
