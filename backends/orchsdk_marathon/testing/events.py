"""Marathon's event bus and its server-sent-events stream (``GET /v2/events``).

Every subscriber gets its own queue; :meth:`EventBus.publish` never blocks. A stream
sends ``event: <type>`` and ``data: <json>`` lines, the JSON carrying ``eventType`` and
``timestamp`` as Marathon's do (``raml/v2/examples/events.txt``), and starts with
``event_stream_attached``. Streams end when the emulator stops.
"""

from __future__ import annotations

import datetime
import json
import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from orchsdk_marathon.testing.state import iso

__all__ = ["EventBus", "sse"]

Json = dict[str, Any]
_CLOSED = object()


def sse(event: Json) -> bytes:
    """One event in the SSE wire format."""
    data = json.dumps(event, separators=(",", ":"))
    return f"event: {event['eventType']}\ndata: {data}\n\n".encode()


class EventBus:
    """Fans events out to the open ``/v2/events`` streams and keeps a log for tests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[queue.SimpleQueue[object]] = []
        self._closed = False
        self.log: list[Json] = []
        """Every event published, oldest first (tests read it instead of a stream)."""

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
        """SSE chunks for one client, filtered by ``event_types`` (all when empty)."""
        wanted = set(event_types)
        inbox: queue.SimpleQueue[object] = queue.SimpleQueue()
        with self._lock:
            if self._closed:
                return iter(())
            self._subscribers.append(inbox)
        attached = {
            "remoteAddress": remote,
            "eventType": "event_stream_attached",
            "timestamp": iso(datetime.datetime.now(datetime.timezone.utc)),
        }
        return self._chunks(inbox, wanted, attached)

    def _chunks(
        self, inbox: queue.SimpleQueue[object], wanted: set[str], attached: Json
    ) -> Iterator[bytes]:
        try:
            if not wanted or "event_stream_attached" in wanted:
                yield sse(attached)
            while True:
                item = inbox.get()
                if item is _CLOSED:
                    return
                assert isinstance(item, dict)
                if not wanted or item["eventType"] in wanted:
                    yield sse(item)
        finally:
            with self._lock:
                if inbox in self._subscribers:
                    self._subscribers.remove(inbox)

    def close(self) -> None:
        """Ends every open stream (the emulator is stopping)."""
        with self._lock:
            self._closed = True
            for subscriber in self._subscribers:
                subscriber.put(_CLOSED)
            self._subscribers.clear()

    @property
    def subscribers(self) -> int:
        """How many streams are open."""
        with self._lock:
            return len(self._subscribers)
