"""A small HTTP server on 127.0.0.1 for orchestrator emulators, with fault injection.

Emulators (the Kubernetes and Marathon ones, and any plugin author's) are a function
from :class:`Request` to :class:`Response`; this module serves that function over real
HTTP/1.1 with keep-alive and ``TCP_NODELAY``, streams chunked responses (watches, event
streams), records every request, and lets tests make chosen requests fail.

>>> def app(request: Request) -> Response:
...     return Response.json({"path": request.path})
>>> with LoopbackServer(app) as server:
...     server.faults.add(Fault(status=503, retry_after=1.0), method="GET", count=1)
...     server.url.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

import contextlib
import json
import random
import select
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import attrs

__all__ = [
    "DropConnection",
    "Fault",
    "FaultPlan",
    "LoopbackServer",
    "Request",
    "Response",
    "client_gone",
]

_local = threading.local()


def client_gone() -> bool:
    """Whether the client of the current request has closed its connection.

    For streaming bodies that wait a long time between chunks (watches): they can end
    early instead of holding a thread until their next write fails.
    """
    connection = getattr(_local, "connection", None)
    if connection is None:
        return False
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class DropConnection(Exception):
    """Raised by a streaming body to cut the connection without ending the stream cleanly.

    The client sees the connection reset mid-stream (no terminating chunk), as when a
    proxy or an API server restart drops a long watch.
    """


@attrs.frozen
class Request:
    """One HTTP request as the emulator sees it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""

    def json(self) -> Any:
        """The body parsed as JSON; :class:`ValueError` if it is not JSON."""
        return json.loads(self.body or b"null")

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default


@attrs.frozen
class Response:
    """What the emulator answers; ``body`` may be an iterator of chunks for a stream."""

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = attrs.field(factory=dict)

    @classmethod
    def json(cls, document: Any, status: int = 200, **headers: str) -> Response:
        """A JSON response."""
        body = json.dumps(document, separators=(",", ":")).encode()
        return cls(status, body, {"Content-Type": "application/json", **headers})

    @classmethod
    def stream(cls, chunks: Iterable[bytes], content_type: str = "application/json") -> Response:
        """A chunked response that sends each chunk as soon as it is produced."""
        return cls(200, chunks, {"Content-Type": content_type})


@attrs.frozen
class Fault:
    """How one request goes wrong.

    ``status`` answers with that code (with ``Retry-After`` when given) instead of
    acting; ``drop="before"`` closes the connection without acting, ``drop="after"``
    acts and then closes without answering (the client cannot know it worked);
    ``delay`` waits that many seconds before handling the request.
    """

    status: int | None = None
    retry_after: float | None = None
    drop: Literal["before", "after"] | None = None
    delay: float = 0.0
    body: Any = None


@attrs.define
class _Rule:
    fault: Fault
    method: str
    path: str
    remaining: int


class FaultPlan:
    """Which requests fail and how: scripted rules first, then an optional random rate."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._rate = 0.0
        self._random = random.Random(0)
        self._choices: tuple[Fault, ...] = ()
        self._spare: Callable[[Request], bool] = lambda _: False
        self.injected = 0
        """How many faults were injected so far."""

    def add(self, fault: Fault, *, method: str = "*", path: str = "", count: int = 1) -> None:
        """Makes the next ``count`` requests of ``method`` under ``path`` fail with ``fault``."""
        with self._lock:
            self._rules.append(_Rule(fault, method.upper(), path, count))

    def chaos(
        self,
        rate: float,
        faults: Iterable[Fault],
        *,
        seed: int = 0,
        spare: Callable[[Request], bool] | None = None,
    ) -> None:
        """Makes each request fail with probability ``rate``, with a fault picked at random.

        ``spare`` exempts requests (e.g. the test's own reads of the final state).
        """
        with self._lock:
            self._rate, self._choices = rate, tuple(faults)
            self._random = random.Random(seed)
            self._spare = spare or (lambda _: False)

    def clear(self) -> None:
        """Removes every rule and stops random faults."""
        with self._lock:
            self._rules.clear()
            self._rate, self._choices = 0.0, ()

    def take(self, request: Request) -> Fault | None:
        """The fault for this request, if any (used by the server)."""
        with self._lock:
            for rule in self._rules:
                if rule.method in ("*", request.method) and request.path.startswith(rule.path):
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
                    self.injected += 1
                    return rule.fault
            if self._choices and not self._spare(request) and self._random.random() < self._rate:
                self.injected += 1
                return self._random.choice(self._choices)
        return None


class LoopbackServer:
    """Serves an emulator function on ``127.0.0.1`` at a free port, in a background thread."""

    poll_interval = 0.05
    """Seconds between the serving loop's checks for :meth:`stop` (the stdlib's is 0.5)."""

    def __init__(
        self,
        app: Callable[[Request], Response],
        *,
        host: str = "127.0.0.1",
        fault_body: Callable[[Fault], Any] | None = None,
    ) -> None:
        self.app = app
        self.faults = FaultPlan()
        """The faults to inject: :meth:`FaultPlan.add` and :meth:`FaultPlan.chaos`."""
        # The body of an injected error whose Fault has none (emulators make it look native).
        self.fault_body = fault_body
        self.requests: list[tuple[str, str]] = []
        """``(method, path)`` of every request served, in order (see :meth:`count`)."""
        self._requests_lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LoopbackServer:
        """Starts serving; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": self.poll_interval},
                name=f"loopback {self.url}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stops serving and closes the socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def record(self, request: Request) -> None:
        with self._requests_lock:
            self.requests.append((request.method, request.path))

    def count(self, method: str = "*", path: str = "") -> int:
        """How many requests matched ``method`` and a path starting with ``path``."""
        with self._requests_lock:
            return sum(
                1
                for verb, where in self.requests
                if method in ("*", verb) and where.startswith(path)
            )


def _handler_for(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read ``server.requests`` instead."""

        def handle(self) -> None:
            try:
                super().handle()
            except (ConnectionResetError, BrokenPipeError):
                self.close_connection = True  # the client dropped a kept-alive connection

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={key.lower(): value for key, value in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            server.record(request)
            _local.connection = self.connection
            fault = server.faults.take(request)
            if fault is not None and fault.delay:
                time.sleep(fault.delay)
            if fault is not None and fault.drop == "before":
                self._drop()
                return
            if fault is not None and fault.status is not None:
                self._send(_fault_response(fault, server.fault_body))
                return
            try:
                response = server.app(request)
            except Exception as error:  # an emulator bug must show, not hang the client
                response = Response.json({"message": f"emulator error: {error!r}"}, 500)
            if fault is not None and fault.drop == "after":
                self._drop()
                return
            self._send(response)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

        def _drop(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def _send(self, response: Response) -> None:
            self.send_response(response.status, HTTPStatus(response.status).phrase)
            for key, value in response.headers.items():
                self.send_header(key, value)
            if isinstance(response.body, bytes):
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(response.body)
                return
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self._stream(iter(response.body))

        def _stream(self, chunks: Iterator[bytes]) -> None:
            try:
                for chunk in chunks:
                    if chunk:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            except DropConnection:
                self._drop()
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()

    return Handler


def _fault_response(fault: Fault, fault_body: Callable[[Fault], Any] | None = None) -> Response:
    assert fault.status is not None
    headers = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = f"{fault.retry_after:g}"
    body = fault.body
    if body is None:
        body = fault_body(fault) if fault_body else {"message": f"injected {fault.status}"}
    return Response.json(body, fault.status, **headers)
