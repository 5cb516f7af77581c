"""Waiting for a rollout: follow the backend's status stream when it has one, else poll.

The back-off between polls, and between a stream that ended and the next one, is
:class:`Backoff`, the one every backend uses for its own waits too (a Marathon app lock,
a dropped watch): backends yield what they see, the core decides when to look again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from orchsdk.backend import Backend
from orchsdk.errors import RolloutFailed, WaitTimeout
from orchsdk.models import DeploymentStatus, FailureReason, Phase

__all__ = ["Backoff", "Progress", "wait_for_rollout"]

Progress = Callable[[DeploymentStatus], None]
"""A callback that a wait calls with each new :class:`~orchsdk.DeploymentStatus` it sees."""

_FIRST_POLL = 0.02
_MAX_POLL = 1.0


class Backoff:
    """Delays that grow from ``first`` by ``factor`` up to ``maximum``, for polling and
    for reopening streams.

    :meth:`sleep` waits the next delay, never past a ``time.monotonic()`` deadline;
    :meth:`reset` starts again from ``first`` (after a stream that stayed open, or a
    change seen: things are moving, so look again soon).
    """

    def __init__(self, first: float = _FIRST_POLL, maximum: float = _MAX_POLL, factor: float = 1.5):
        if not 0 < first <= maximum or factor < 1:
            raise ValueError("a back-off needs 0 < first <= maximum and factor >= 1")
        self.first = first
        self.maximum = maximum
        self.factor = factor
        self._next = first

    def next_delay(self) -> float:
        """The delay to wait now; the one after it is longer, up to ``maximum``."""
        delay = self._next
        self._next = min(self._next * self.factor, self.maximum)
        return delay

    def sleep(self, deadline: float | None = None) -> None:
        """Sleeps the next delay, cut short at ``deadline``."""
        delay = self.next_delay()
        if deadline is not None:
            delay = min(delay, deadline - time.monotonic())
        if delay > 0:
            time.sleep(delay)

    def reset(self) -> None:
        """Makes the next delay ``first`` again."""
        self._next = self.first


def _settled(status: DeploymentStatus) -> bool:
    """Whether a wait is over: True when complete; raises when the rollout cannot finish."""
    failure = status.failure
    if failure is not None:
        raise RolloutFailed(
            f"rollout of {status.namespace}/{status.name} failed: {failure}",
            status,
            reason=failure.reason,
            instance=failure.instance,
        )
    if status.phase is Phase.FAILED:
        raise RolloutFailed(
            f"rollout of {status.namespace}/{status.name} failed: {status.message}",
            status,
            reason=FailureReason.PROGRESS_DEADLINE,
        )
    return status.phase is Phase.COMPLETE


def wait_for_rollout(
    backend: Backend,
    read_status: Callable[[], DeploymentStatus],
    name: str,
    namespace: str,
    timeout: float,
    progress: Progress | None = None,
    *,
    deadline: float | None = None,
) -> DeploymentStatus:
    """Blocks until the deployment's rollout completes; raises on failure or timeout.

    ``read_status`` reads the status once (with the caller's retries). ``deadline`` (a
    ``time.monotonic()`` instant) ends a wait that shares its ``timeout`` with others.
    Streams that end early (a dropped connection) are followed by a fresh read, then,
    after a back-off that grows like the polling one, a new stream; a stream that stayed
    open longer than the longest back-off was healthy, so the back-off starts again from
    the shortest after it.
    """
    if deadline is None:
        deadline = time.monotonic() + timeout
    last: DeploymentStatus | None = None

    def seen(status: DeploymentStatus) -> bool:
        nonlocal last
        if status != last and progress is not None:
            progress(status)
        last = status
        return _settled(status)

    if seen(read_status()):
        return last  # type: ignore[return-value]
    backoff = Backoff()
    streams = backend.capabilities.status_stream
    while (remaining := deadline - time.monotonic()) > 0:
        opened = time.monotonic()
        if streams:
            for status in backend.watch_status(name, namespace, remaining):
                if seen(status):
                    return status
                if time.monotonic() >= deadline:
                    break
        else:
            backoff.sleep(deadline)
        if time.monotonic() < deadline and seen(read_status()):
            return last  # type: ignore[return-value]
        if streams:  # back off, or a stream that ends at once spins
            if time.monotonic() - opened > backoff.maximum:
                backoff.reset()
            backoff.sleep(deadline)
    message = last.message if last else "no status"
    raise WaitTimeout(
        f"rollout of {namespace}/{name} did not finish within {timeout:g}s: {message}", last
    )
