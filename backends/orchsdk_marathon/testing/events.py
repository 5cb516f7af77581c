"""Marathon's event bus and its server-sent-events stream (``GET /v2/events``).

Every subscriber gets its own queue; :meth:`EventBus.publish` never blocks. A stream
sends ``event: <type>`` and ``data: <json>`` lines, the JSON carrying ``eventType`` and
``timestamp`` as Marathon's do (``raml/v2/examples/events.txt``), and starts with
``event_stream_attached``. As Marathon's Jetty ``EventSourceServlet`` does, lines end
with CRLF and a quiet stream gets a heartbeat (a CR, then an LF, flushed apart) every
:attr:`EventBus.heartbeat_seconds`. A stream ends when its client goes away, or when
the emulator stops.
"""

from __future__ import annotations

import datetime
import json
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from orchsdk.testing.loopback import DropConnection, client_gone
from orchsdk_marathon.testing.state import iso

__all__ = ["EventBus", "sse"]

Json = dict[str, Any]
_CLOSED = object()
_DROPPED = object()
_CLIENT_CHECK = 0.05
"""Seconds between a quiet stream's checks that its client is still there."""


def sse(event: Json) -> bytes:
    """One event in the SSE wire format, with Jetty's CRLF line ends."""
    data = json.dumps(event, separators=(",", ":"))
    return f"event: {event['eventType']}\r\ndata: {data}\r\n\r\n".encode()


class EventBus:
    """Fans events out to the open ``/v2/events`` streams and keeps a log for tests."""

    def __init__(self, heartbeat_seconds: float = 10.0) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[queue.SimpleQueue[object]] = []
        self._closed = False
        self.log: list[Json] = []
        """Every event published, oldest first (tests read it instead of a stream)."""
        self.heartbeat_seconds = heartbeat_seconds
        """How long a stream stays quiet before a heartbeat (Jetty's default: 10 s)."""

    def publish(self, event_type: str, **fields: Any) -> Json:
        """Sends an event of ``event_type`` to every stream; returns it."""
        now = iso(datetime.datetime.now(datetime.timezone.utc))
        event: Json = {**fields, "eventType": event_type, "timestamp": now}
        with self._lock:
            self.log.append(event)
            for subscriber in self._subscribers:
                subscriber.put(event)
        return event

    def of_type(self, event_type: str) -> list[Json]:
        """The events published so far of one type."""
        with self._lock:
            return [event for event in self.log if event["eventType"] == event_type]

    def stream(self, event_types: Iterable[str], remote: str = "127.0.0.1") -> Iterator[bytes]:
        """SSE chunks for one client, filtered by ``event_types`` (all when empty).

        The stream subscribes when its first chunk is asked for, after the answer's
        headers went out, as Marathon's does: an event published in between is not sent
        (``event_stream_attached`` says when the stream is in).
        """
        wanted = set(event_types)
        return self._chunks(wanted, remote)

    def _chunks(self, wanted: set[str], remote: str) -> Iterator[bytes]:
        inbox: queue.SimpleQueue[object] = queue.SimpleQueue()
        with self._lock:
            if self._closed:
                return
            self._subscribers.append(inbox)
        try:
            if not wanted or "event_stream_attached" in wanted:
                now = iso(datetime.datetime.now(datetime.timezone.utc))
                attached = {"remoteAddress": remote, "eventType": "event_stream_attached"}
                yield sse({**attached, "timestamp": now})
            yield from self._events(inbox, wanted)
        finally:
            with self._lock:
                if inbox in self._subscribers:
                    self._subscribers.remove(inbox)

    def _events(self, inbox: queue.SimpleQueue[object], wanted: set[str]) -> Iterator[bytes]:
        """The chunks of one subscribed stream: its events, and heartbeats while it is quiet."""
        beat = time.monotonic() + self.heartbeat_seconds
        while True:
            try:
                item = inbox.get(timeout=_CLIENT_CHECK)
            except queue.Empty:
                if client_gone():
                    return
                if time.monotonic() >= beat:
                    yield b"\r"
                    yield b"\n"
                    beat = time.monotonic() + self.heartbeat_seconds
                continue
            if item is _CLOSED:
                return
            if item is _DROPPED:
                raise DropConnection()
            assert isinstance(item, dict)
            if not wanted or item["eventType"] in wanted:
                yield sse(item)
                beat = time.monotonic() + self.heartbeat_seconds

    def close(self) -> None:
        """Ends every open stream (the emulator is stopping)."""
        with self._lock:
            self._closed = True
            for subscriber in self._subscribers:
                subscriber.put(_CLOSED)
            self._subscribers.clear()

    def drop_streams(self) -> int:
        """Cuts every open stream mid-way, as a proxy or a change of leader does (the
        clients see the connection reset); returns how many there were."""
        with self._lock:
            for subscriber in self._subscribers:
                subscriber.put(_DROPPED)
            return len(self._subscribers)

    @property
    def subscribers(self) -> int:
        """How many streams are open."""
        with self._lock:
            return len(self._subscribers)
