"""A deadline for the status line and headers of an HTTP answer, on urllib3's pools.

urllib3 and ``http.client`` bound each read of the socket, not the whole wait: a server
that sends its headers a byte a second holds a call for as long as it likes, before
:func:`orchsdk.answers.read_answer` sees any of the body. :func:`bound_header_wait` makes
the pools of a ``urllib3.PoolManager`` use connections whose wait for the headers ends
after the request's read timeout in total: one watchdog thread shuts the socket down
when the time is up, and the read fails with urllib3's ``ReadTimeoutError``, which each
backend already maps to :class:`~orchsdk.BackendUnavailable`.

Both backends speak HTTP through urllib3 (the ``kubernetes`` client directly, Marathon
through ``requests``), so this lives once here; urllib3 is imported only when a backend
calls it, never by ``import orchsdk``.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["bound_header_wait"]


class _Guard:
    """One socket under watch until its deadline, or until the headers came."""

    __slots__ = ("done", "fired", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.done = False
        self.fired = False


class _Watchdog:
    """Shuts down each watched socket whose deadline passes before it is released.

    One daemon thread for the process, started on first use. A released guard stays in
    the heap until its deadline passes or the heap grows to twice what it held after the
    last sweep: cheaper than removing each, and bounded.
    """

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._heap: list[tuple[float, int, _Guard]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._sweep_at = 1024

    @contextlib.contextmanager
    def watching(self, sock: socket.socket, seconds: float) -> Iterator[_Guard]:
        guard = _Guard(sock)
        entry = (time.monotonic() + seconds, next(self._order), guard)
        with self._wake:
            if len(self._heap) >= self._sweep_at:
                self._heap = [kept for kept in self._heap if not kept[2].done]
                heapq.heapify(self._heap)
                self._sweep_at = max(1024, 2 * len(self._heap))
            heapq.heappush(self._heap, entry)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="orchsdk-header-deadline", daemon=True
                )
                self._thread.start()
            elif self._heap[0] is entry:
                self._wake.notify()
        try:
            yield guard
        finally:
            with self._wake:
                guard.done = True

    def _run(self) -> None:
        with self._wake:
            while True:
                if not self._heap:
                    self._wake.wait()
                    continue
                deadline, _, guard = self._heap[0]
                left = deadline - time.monotonic()
                if left > 0:
                    self._wake.wait(left)
                    continue
                heapq.heappop(self._heap)
                if not guard.done:
                    guard.fired = True
                    with contextlib.suppress(OSError):
                        guard.sock.shutdown(socket.SHUT_RDWR)


_WATCHDOG = _Watchdog()


def bound_header_wait(pool_manager: Any) -> Any:
    """``pool_manager`` (a ``urllib3.PoolManager`` or ``ProxyManager``), changed so that
    the pools it makes from now on bound the wait for headers; see the module.

    A manager with pools of its own kind (a SOCKS proxy's) is left as it is.
    """
    from urllib3 import poolmanager

    if pool_manager.pool_classes_by_scheme is poolmanager.pool_classes_by_scheme:
        pool_manager.pool_classes_by_scheme = _pool_classes()
    return pool_manager


@functools.cache
def _pool_classes() -> dict[str, type]:
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class WatchedHTTPConnection(HTTPConnection):
        def getresponse(self) -> Any:
            return _within_deadline(self, super().getresponse)

    class WatchedHTTPSConnection(HTTPSConnection):
        def getresponse(self) -> Any:
            return _within_deadline(self, super().getresponse)

    class WatchedHTTPConnectionPool(HTTPConnectionPool):
        ConnectionCls = WatchedHTTPConnection

    class WatchedHTTPSConnectionPool(HTTPSConnectionPool):
        ConnectionCls = WatchedHTTPSConnection

    return {"http": WatchedHTTPConnectionPool, "https": WatchedHTTPSConnectionPool}


def _within_deadline(connection: Any, getresponse: Callable[[], Any]) -> Any:
    """``getresponse()`` of a urllib3 connection, given up on once its read timeout (which
    the pool sets on the connection before each read) has passed in total."""
    from urllib3.exceptions import ReadTimeoutError

    seconds = connection.timeout
    if connection.sock is None or not isinstance(seconds, int | float):
        return getresponse()
    with _WATCHDOG.watching(connection.sock, seconds) as guard:
        try:
            response = getresponse()
        except Exception:
            if not guard.fired:
                raise
            response = None
    if guard.fired:  # cut off: what was read is not the whole of the headers
        if response is not None:
            response.close()
        raise ReadTimeoutError(
            f"{connection.host}:{connection.port}",  # type: ignore[arg-type]
            None,
            f"the status line and headers did not all come within {seconds}s",
        )
    return response
