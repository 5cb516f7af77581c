"""Waiting for a rollout: follow the backend's status stream when it has one, else poll."""

from __future__ import annotations

import time
from collections.abc import Callable

from orchsdk.backend import Backend
from orchsdk.errors import RolloutFailed, WaitTimeout
from orchsdk.models import DeploymentStatus, Phase

__all__ = ["Progress", "wait_for_rollout"]

Progress = Callable[[DeploymentStatus], None]
"""A callback that a wait calls with each new :class:`~orchsdk.DeploymentStatus` it sees."""

_FIRST_POLL = 0.02
_MAX_POLL = 1.0


def _settled(status: DeploymentStatus) -> bool:
    if status.phase is Phase.FAILED:
        raise RolloutFailed(
            f"rollout of {status.namespace}/{status.name} failed: {status.message}", status
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
    delay = _FIRST_POLL
    while (remaining := deadline - time.monotonic()) > 0:
        opened = time.monotonic()
        if backend.capabilities.status_stream:
            for status in backend.watch_status(name, namespace, remaining):
                if seen(status):
                    return status
                if time.monotonic() >= deadline:
                    break
        else:
            time.sleep(min(delay, remaining))
            delay = min(delay * 1.5, _MAX_POLL)
        if time.monotonic() < deadline and seen(read_status()):
            return last  # type: ignore[return-value]
        if backend.capabilities.status_stream:  # back off, or a stream that ends at once spins
            if time.monotonic() - opened > _MAX_POLL:
                delay = _FIRST_POLL
            time.sleep(max(0.0, min(delay, deadline - time.monotonic())))
            delay = min(delay * 1.5, _MAX_POLL)
    message = last.message if last else "no status"
    raise WaitTimeout(
        f"rollout of {namespace}/{name} did not finish within {timeout:g}s: {message}", last
    )
