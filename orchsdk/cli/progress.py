"""The progress of rollouts while the command waits: live bars on a terminal, lines otherwise.

A :class:`WaitDisplay` is the ``progress`` callback of :meth:`Orchestrator.wait
<orchsdk.Orchestrator.wait>`: called with each new :class:`~orchsdk.DeploymentStatus`. On a
terminal it draws one rich progress bar per deployment (updated and available instances
out of the desired count); elsewhere (CI logs, pipes) it writes one line per change.
It writes to stderr, so stdout keeps only the command's results.
"""

from __future__ import annotations

from types import TracebackType
from typing import IO, Any

from orchsdk.models import DeploymentStatus

__all__ = ["WaitDisplay", "describe"]


def describe(status: DeploymentStatus) -> str:
    """``3/3 updated, 2 available, 2 ready, revision 2 (progressing: message)``."""
    phase = status.phase.value + (f": {status.message}" if status.message else "")
    return (
        f"{status.updated}/{status.desired} updated, {status.available} available, "
        f"{status.ready} ready, revision {status.revision} ({phase})"
    )


class WaitDisplay:
    """The progress callback for waits; use it as a context manager around them."""

    def __init__(self, stream: IO[str] | None = None, *, live: bool | None = None) -> None:
        from rich.console import Console

        self._console = Console(file=stream, stderr=stream is None, highlight=False)
        self._live = self._console.is_terminal if live is None else live
        self._progress: Any = None
        self._tasks: dict[tuple[str, str], Any] = {}

    def __enter__(self) -> WaitDisplay:
        if self._live:
            from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[detail]}"),
                console=self._console,
                transient=False,
            )
            self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __call__(self, status: DeploymentStatus) -> None:
        key = (status.namespace, status.name)
        label = f"deployment/{status.name}"
        if self._progress is None:
            self._console.print(f"{label}: {describe(status)}", soft_wrap=True)
            return
        total = max(status.desired, 1)
        done = min(status.updated, status.available) if status.desired else total
        if status.done:
            done = total
        task = self._tasks.get(key)
        if task is None:
            task = self._tasks[key] = self._progress.add_task(
                label, total=total, detail=describe(status)
            )
        self._progress.update(task, total=total, completed=done, detail=describe(status))
