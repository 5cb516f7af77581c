"""Following one app through Marathon's event stream (``GET /v2/events``, server-sent events).

Marathon neither orders its events nor replays those sent while a client was away, so
an event is never taken for state here: it only says "this app may have changed", and
the caller reads the app again. A daemon thread reads the stream, for two reasons:
events that arrive while the caller is reading make one more read between them, not one
each, and a stream that falls silent cannot hold the caller past its deadline.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from orchsdk.answers import MAX_ANSWER_BYTES, too_large

if TYPE_CHECKING:
    import requests

    from orchsdk_marathon.transport import Transport

__all__ = [
    "ATTACHED",
    "ENDINGS",
    "WATCHED",
    "AppEvents",
    "concerns",
    "open_events",
    "server_sent_events",
]

log = logging.getLogger("orchsdk.marathon")

ATTACHED = "event_stream_attached"
"""Sent once Marathon has registered a stream: no event is lost after it."""
ENDINGS = frozenset({"deployment_success", "deployment_failed", "app_terminated_event"})
"""Events after which a rollout may be over: the app is read again at once."""
WATCHED = (
    ATTACHED,
    "deployment_info",
    "deployment_step_success",
    "deployment_step_failure",
    "deployment_success",
    "deployment_failed",
    "status_update_event",
    "instance_health_changed_event",
    "health_status_changed_event",
    "app_terminated_event",
)
"""The event types a wait subscribes to (``?event_type=``): those that can change an app's
rollout status (its deployments, its tasks, their health), and the attach itself."""


def server_sent_events(
    chunks: Iterable[bytes], limit: int = MAX_ANSWER_BYTES
) -> Iterator[tuple[str, str]]:
    """``(event type, data)`` of each event in a server-sent-events byte stream.

    Lines end with LF or CRLF (Marathon's Jetty writes CRLF, and a bare CRLF as its
    heartbeat); a blank line ends an event; ``data:`` lines join with newlines; comments
    (``:``) and events without data are skipped; the type defaults to ``message``. An
    event (or a line) longer than ``limit`` bytes is :class:`~orchsdk.AnswerTooLarge`.
    """
    buffer = b""
    kind = ""
    data: list[str] = []
    size = 0
    for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        size += sum(len(line) for line in lines)
        if len(buffer) > limit or size > limit:
            raise too_large("GET /v2/events (one event)", limit)
        for raw in lines:
            line = raw.rstrip(b"\r").decode("utf-8", "replace")
            if not line:
                if data:
                    yield kind or "message", "\n".join(data)
                kind, data, size = "", [], 0
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                kind = value
            elif field == "data":
                data.append(value)


def concerns(event: Mapping[str, Any], app: str) -> bool:
    """Whether an event is about ``app``: by its ``appId`` or ``runSpecId``, or, for a
    deployment event, by an action of the plan it carries. A deployment event whose plan
    names no app (a format this backend does not know) counts too: one read too many,
    never one short.
    """
    if app in (event.get("appId"), event.get("runSpecId")):
        return True
    if not str(event.get("eventType", "")).startswith("deployment_"):
        return False
    named = _planned_apps(event.get("plan"), event.get("currentStep"))
    return not named or app in named


def _planned_apps(plan: Any, current: Any) -> set[str]:
    """The apps the actions of a deployment plan (and its current step) name."""
    steps = plan.get("steps") if isinstance(plan, Mapping) else None
    steps = [*(steps if isinstance(steps, list) else []), current]
    named: set[str] = set()
    for step in steps:
        actions = step.get("actions") if isinstance(step, Mapping) else None
        for action in actions if isinstance(actions, list) else []:
            if isinstance(action, Mapping) and isinstance(action.get("app"), str):
                named.add(action["app"])
    return named


class AppEvents:
    """An open event stream, read by a daemon thread, that tells when one app may have changed
    (or, given ``relevant``, when an event it accepts arrived), and hands each such event
    to ``seen`` (from the thread), for a caller that keeps them.

    Built on a response of :meth:`~orchsdk_marathon.transport.Transport.stream`; the
    thread starts at once. :meth:`close` closes the response.
    """

    def __init__(
        self,
        response: requests.Response,
        app: str,
        relevant: Callable[[Mapping[str, Any]], bool] | None = None,
        limit: int = MAX_ANSWER_BYTES,
        seen: Callable[[Mapping[str, Any]], None] | None = None,
    ) -> None:
        self._response = response
        self._seen = seen
        self._app = app
        self._limit = limit
        self._relevant = relevant or (lambda event: concerns(event, app))
        self._state = threading.Condition()
        self._attached = False
        self._pending = False
        self._urgent = False
        self.ended = False
        """Whether the stream has ended: dropped, timed out, or closed by the server."""
        self._thread = threading.Thread(
            target=self._read, name=f"orchsdk marathon events {app}", daemon=True
        )
        self._thread.start()

    def __repr__(self) -> str:
        return f"<AppEvents {self._app} ended={self.ended}>"

    def attached(self, timeout: float) -> bool:
        """Waits up to ``timeout`` seconds for Marathon to say the stream is registered
        (``event_stream_attached``); False when it did not say so, or the stream ended."""
        with self._state:
            self._state.wait_for(lambda: self._attached or self.ended, max(timeout, 0.0))
            return self._attached

    def wait(self, timeout: float, calm_until: float) -> bool:
        """Waits until the app may have changed (True), for up to ``timeout`` seconds.

        An event after which the rollout may be over returns at once; other events not
        before ``calm_until`` (a ``time.monotonic()``), so that a burst of task updates
        makes one read. False when ``timeout`` passes or the stream ends (:attr:`ended`).
        """
        deadline = time.monotonic() + timeout
        with self._state:
            while not self.ended:
                now = time.monotonic()
                if self._urgent or (self._pending and now >= calm_until):
                    self._pending = self._urgent = False
                    return True
                if now >= deadline:
                    return False
                wake = min(deadline, calm_until) if self._pending else deadline
                self._state.wait(max(wake - now, 0.0))
            return False

    def close(self) -> None:
        """Closes the stream. Shutting its socket down first (urllib3 2.3+) ends the thread's
        blocked read at once; with an older urllib3 the thread ends at its next read."""
        shutdown = getattr(self._response.raw, "shutdown", None)
        shut = False
        if callable(shutdown):
            with contextlib.suppress(OSError, ValueError, RuntimeError):
                shutdown()
                shut = True
        if shut:
            self._thread.join(timeout=1.0)
        self._response.close()

    def _read(self) -> None:
        try:
            chunks = self._response.iter_content(chunk_size=None)
            for kind, data in server_sent_events(chunks, self._limit):
                self._note(kind, data)
        except Exception as error:  # the stream dropped, timed out, or was closed
            log.debug("the event stream for %s ended: %s", self._app, type(error).__name__)
        with self._state:
            self.ended = True
            self._state.notify_all()

    def _note(self, kind: str, data: str) -> None:
        """Records one event: the attach, or a change of the app (unreadable data counts)."""
        if kind == ATTACHED:
            with self._state:
                self._attached = True
                self._state.notify_all()
            return
        try:
            event = json.loads(data)
        except ValueError:
            event = None
        if isinstance(event, Mapping):
            if not self._relevant(event):
                return
            if self._seen is not None:
                self._seen(event)
        with self._state:
            self._pending = True
            self._urgent = self._urgent or kind in ENDINGS
            self._state.notify_all()


def open_events(
    marathon: Transport,
    timeouts: tuple[float, float],
    app: str,
    remaining: float,
    relevant: Callable[[Mapping[str, Any]], bool] | None = None,
    seen: Callable[[Mapping[str, Any]], None] | None = None,
) -> AppEvents:
    """Opens ``/v2/events`` for the event types a wait follows, in Marathon's light format
    (1.7+; later ones have no other, earlier ones ignore the option). Its ``(connect,
    read)`` timeouts end within ``remaining`` seconds: a silent server cannot hold a wait.
    ``relevant`` picks the events that wake the waiter (default: those of ``app``);
    ``seen`` is handed each of them."""
    connect, read = timeouts
    response = marathon.stream(
        "/v2/events",
        params={"event_type": list(WATCHED), "plan-format": "light"},
        accept="text/event-stream",
        timeout=(min(connect, remaining), min(read, remaining)),
    )
    return AppEvents(response, app, relevant, marathon.max_answer_bytes, seen)
