"""The transport: one JSON file, read whole and replaced atomically under a lock.

A real plugin has an HTTP client here. What carries over is the error mapping: when the
orchestrator cannot be reached the backend raises :class:`~orchsdk.BackendUnavailable`,
which the core retries; anything else is not retried.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from orchsdk import BackendUnavailable, OrchestratorError

__all__ = ["FORMAT", "JsonStore", "State"]

FORMAT = "orchsdk-jsonfile-cluster/1"

State = dict[str, Any]
"""The whole cluster: ``objects`` by ``Kind/namespace/name``, ``rollouts`` by ``namespace/name``."""

_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(path: Path) -> threading.Lock:
    """One lock per file, shared by every store of this process that uses it."""
    with _locks_guard:
        return _locks.setdefault(path.resolve(), threading.Lock())


class JsonStore:
    """A cluster state in a JSON file, created on the first change.

    Threads of one process are serialised by a lock; two *processes* changing the same
    file at once can still lose an update. Secret values are kept in clear text, in a
    file only its owner can read (mode 0600).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = _lock_for(self.path)

    def read(self) -> State:
        """A consistent snapshot of the whole state."""
        with self._lock:
            return self._read()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[State]:
        """The state to change in place; written back if the block changed it and did not raise."""
        with self._lock:
            state = self._read()
            before = json.dumps(state, sort_keys=True)
            yield state
            if json.dumps(state, sort_keys=True) != before:
                self._write(state)

    def _read(self) -> State:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {"format": FORMAT, "serial": 0, "objects": {}, "rollouts": {}}
        except OSError as error:
            raise BackendUnavailable(f"cannot read {self.path}: {error}") from error
        try:
            state = json.loads(text)
        except ValueError as error:
            raise OrchestratorError(f"{self.path} is not valid JSON: {error}") from error
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise OrchestratorError(f"{self.path} is not a {FORMAT} cluster file")
        return state

    def _write(self, state: State) -> None:
        """Replaces the file atomically: readers see the old state or the new, never half."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as file:
                    json.dump(state, file, indent=2, sort_keys=True)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError as error:
            raise BackendUnavailable(f"cannot write {self.path}: {error}") from error
