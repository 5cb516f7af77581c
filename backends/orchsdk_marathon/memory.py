"""A bounded, thread-safe memory: what the backend remembers to save requests or sharpen a report.

The backend remembers a few things between calls (the deployment it started for an app,
config versions' revisions, secrets' key sets, an app before an apply whose outcome was
lost). None of them is needed for correctness, so a memory that grows past its bound is
simply emptied: forgetting is always safe, and memory stays bounded.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

__all__ = ["BOUND", "BoundedMemory"]

K = TypeVar("K")
V = TypeVar("V")

BOUND = 4096
"""Entries a memory holds at most before it starts again."""


class BoundedMemory(Generic[K, V]):
    """A dict of at most :data:`BOUND` entries (past it, it is emptied), safe across threads."""

    def __init__(self, bound: int = BOUND) -> None:
        self._bound = bound
        self._entries: dict[K, V] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<BoundedMemory {len(self._entries)}/{self._bound}>"

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._entries

    def get(self, key: K) -> V | None:
        """The value remembered for ``key``, or None."""
        with self._lock:
            return self._entries.get(key)

    def put(self, key: K, value: V) -> None:
        """Remembers ``value`` for ``key`` (a memory past its bound is emptied first)."""
        with self._lock:
            if len(self._entries) >= self._bound and key not in self._entries:
                self._entries.clear()
            self._entries[key] = value

    def pop(self, key: K, default: V | None = None) -> V | None:
        """Forgets ``key``; its value, or ``default``."""
        with self._lock:
            return self._entries.pop(key, default)

    def forget_if(self, key: K, value: V) -> None:
        """Forgets ``key`` only while it still holds ``value`` (no other thread replaced it)."""
        with self._lock:
            if self._entries.get(key) == value:
                del self._entries[key]
