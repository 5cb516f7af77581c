"""The one place that speaks HTTP: a ``requests.Session`` with timeouts, auth and failover.

Design rules, each on purpose:

- ``requests`` is imported on the first request, so ``import orchsdk_marathon`` is cheap.
- Every request has explicit (connect, read) timeouts.
- No hidden retries: the adapter has ``max_retries=0``; the core's retry policy is the
  only one. A transient failure raises :class:`orchsdk.BackendUnavailable` (with the
  server's ``Retry-After`` when it sent one) and the core decides.
- Several servers are tried in order **only** for requests that are safe to repeat
  (GET, and PUT/DELETE, which are idempotent in how this backend uses them). A POST is
  never re-sent to another server: a read timeout does not say whether it acted.
- Credentials never appear in logs, reprs or errors: logs carry the method, URL path and
  status only, and every message is scrubbed of the token and password.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import attrs

from orchsdk import BackendUnavailable, OrchestratorError, UnexpectedResponse
from orchsdk.answers import read_answer
from orchsdk.errors import network_failure, tls_failure
from orchsdk.header_deadline import bound_header_wait
from orchsdk_marathon.config import Settings
from orchsdk_marathon.errors import decode_json, error_for, snippet

if TYPE_CHECKING:
    import requests

__all__ = ["SAFE_METHODS", "Reply", "SessionBox", "Transport", "quote_path"]

log = logging.getLogger("orchsdk.marathon")

SAFE_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
"""Methods another server may be sent after a failure whose outcome is unknown."""

_FAILOVER_STATUSES = frozenset({502, 503, 504})
"""Answers that say "this server cannot serve now" (no leader, a proxy without a backend)."""


def quote_path(*segments: str) -> str:
    """URL path segments, each percent-encoded: ``quote_path("shop", "db")`` -> ``shop/db``."""
    return "/".join(quote(segment, safe="") for segment in segments)


@attrs.frozen
class Reply:
    """One HTTP answer. ``resent`` is true when an earlier try (to another server) may
    have acted too, so a write's 404/409 may be the echo of that first try."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    what: str
    resent: bool = False

    def json(self, *, quote: bool = True) -> Any:
        """The body as JSON, or a typed error: never a ``ValueError`` or ``KeyError``.

        ``quote=False`` keeps the body out of the error (it may hold a secret value).
        """
        try:
            return decode_json(self.body)
        except ValueError as error:
            content_type = next(
                (v for k, v in self.headers.items() if k.lower() == "content-type"), ""
            )
            detail = f"{self.what}: HTTP {self.status} with a body that is not JSON"
            if "json" in content_type or not content_type:
                # Most likely cut off in transit: worth another try.
                raise BackendUnavailable(f"{detail} ({error})") from None
            shown = f": {snippet(self.body)}" if quote else ""
            raise UnexpectedResponse(f"{detail} ({content_type}){shown}") from None


@functools.cache
def _bounded_adapter() -> type:
    from requests.adapters import HTTPAdapter

    class BoundedAdapter(HTTPAdapter):
        """An adapter whose pools, proxied ones too, bound the wait for headers."""

        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            bound_header_wait(self.poolmanager)

        def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
            return bound_header_wait(super().proxy_manager_for(*args, **kwargs))

    return BoundedAdapter


class SessionBox:
    """One lazily made ``requests.Session`` shared by the Marathon and secret-store clients."""

    def __init__(self, settings: Settings, session: requests.Session | None = None) -> None:
        self._settings = settings
        self._session = session
        self._lock = threading.Lock()

    def get(self) -> requests.Session:
        """The session, made on first use with auth, TLS verification and no retries."""
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = self._make()
        return self._session

    def _make(self) -> requests.Session:
        import requests

        session = requests.Session()
        adapter = _bounded_adapter()(pool_connections=4, pool_maxsize=32, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.verify = self._settings.verify
        session.headers["Accept"] = "application/json"
        if self._settings.token is not None:
            session.headers["Authorization"] = f"token={self._settings.token}"
        elif self._settings.username is not None and self._settings.password is not None:
            session.auth = (self._settings.username, self._settings.password)
        return session

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None


class Transport:
    """Requests to one service (Marathon, or the secret store) on one or more servers.

    The server that last answered is tried first next time, so a failover sticks.
    """

    def __init__(self, servers: tuple[str, ...], settings: Settings, box: SessionBox) -> None:
        self.servers = servers
        self._settings = settings
        self._box = box
        self._preferred = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Transport {', '.join(self.servers)}>"

    def scrub(self, text: str) -> str:
        """``text`` with every credential replaced by ``***``."""
        for secret in self._settings.secrets:
            text = text.replace(secret, "***")
        return text

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | list[str]] | None = None,
        json: Any = None,
        accept: tuple[int, ...] = (),
    ) -> Reply:
        """Sends one request and returns a 2xx answer (or one of the ``accept`` statuses).

        Any other answer raises the orchsdk error :func:`~orchsdk_marathon.errors.error_for`
        gives (the core's ``error_for_status`` on what Marathon said); a connection
        failure or timeout raises :class:`orchsdk.BackendUnavailable`.
        """
        method = method.upper()
        what = f"{method} {path}"
        order = self._order(method)
        failures: list[tuple[str, OrchestratorError]] = []
        maybe_acted = False
        for position, index in enumerate(order):
            last = position == len(order) - 1
            server = self.servers[index]
            outcome = self._send(index, method, path, params, json, what)
            if isinstance(outcome, _Failure):
                failures.append((server, outcome.error))
                maybe_acted = maybe_acted or outcome.maybe_acted
                if outcome.fatal or last:
                    break
                continue
            status, headers, body = outcome
            if status in _FAILOVER_STATUSES and (failures or not last):
                failures.append((server, self._error(status, headers, body, what)))
                maybe_acted = True  # a proxy's 502/504 does not say whether Marathon acted
                if last:
                    break
                continue
            with self._lock:
                self._preferred = index
            reply = Reply(status, headers, body, what, resent=maybe_acted)
            if 200 <= status < 300 or status in accept:
                return reply
            raise self._error(status, headers, body, what)
        raise self._combined(failures, what)

    @property
    def max_answer_bytes(self) -> int:
        """The most bytes of one answer, or of one event of a stream."""
        return self._settings.max_answer_bytes

    def stream(
        self,
        path: str,
        *,
        params: Mapping[str, str | list[str]] | None = None,
        accept: str,
        timeout: tuple[float, float],
    ) -> requests.Response:
        """Opens a long-lived ``GET`` (an event stream) and returns the open response.

        The caller reads it (``iter_content``) and closes it. Servers are tried in order as
        for :meth:`request`; a server that redirects (a standby Marathon sends
        ``/v2/events`` to its leader) is passed over for the next one, as credentials go
        only to the configured servers. An answer of another type than ``accept`` (a
        proxy's page) is an :class:`~orchsdk.UnexpectedResponse`.
        ``timeout`` is ``(connect, read)``: the read timeout bounds the wait for the answer
        and for each later read. Other errors are those of :meth:`request`.
        """
        what = f"GET {path}"
        failures: list[tuple[str, OrchestratorError]] = []
        for index in self._order("GET"):
            server = self.servers[index]
            outcome = self._open(index, path, params, accept, timeout, what)
            if isinstance(outcome, _Failure):
                failures.append((server, outcome.error))
                if outcome.fatal:
                    break
                continue
            with self._lock:
                self._preferred = index
            return outcome
        raise self._combined(failures, what)

    def _open(
        self,
        index: int,
        path: str,
        params: Mapping[str, str | list[str]] | None,
        accept: str,
        timeout: tuple[float, float],
        what: str,
    ) -> requests.Response | _Failure:
        """One server's streaming answer, or why it cannot give one (see :meth:`stream`)."""
        import requests

        server = self.servers[index]
        try:
            response = self._box.get().get(
                server + path,
                params=params,
                headers={"Accept": accept, "Accept-Encoding": "identity"},
                stream=True,
                allow_redirects=False,
                timeout=timeout,
                verify=self._settings.verify,
            )
        except requests.exceptions.RequestException as error:
            return self._failure(index, what, error)
        status = response.status_code
        log.debug("GET %s%s -> %d (a stream)", server, path, status)
        if 200 <= status < 300:
            kind = response.headers.get("Content-Type", "").partition(";")[0].strip().lower()
            if kind == accept:
                return response
            response.close()
            message = f"{what} on {server}: the answer is {kind or 'untyped'}, not {accept}"
            return _Failure(UnexpectedResponse(message), fatal=True, maybe_acted=False)
        if response.is_redirect:
            response.close()
            message = f"{what} on {server}: redirected to another server (a standby Marathon)"
            return _Failure(OrchestratorError(self.scrub(message)), fatal=False, maybe_acted=False)
        try:
            with response:
                deadline = time.monotonic() + timeout[1]
                limit = self._settings.max_answer_bytes
                body = read_answer(response.raw, what, deadline=deadline, limit=limit)
        except requests.exceptions.RequestException as error:
            return self._failure(index, what, error)
        except BackendUnavailable as error:
            return _Failure(error, fatal=False, maybe_acted=False)
        refused = self._error(status, dict(response.headers), body, what)
        return _Failure(refused, fatal=status not in _FAILOVER_STATUSES, maybe_acted=False)

    def _order(self, method: str) -> list[int]:
        """The servers to try, by index: the one that last answered first; only that one
        for a method that is not safe to send again."""
        with self._lock:
            first = self._preferred
        order = [(first + offset) % len(self.servers) for offset in range(len(self.servers))]
        return order if method in SAFE_METHODS else order[:1]

    def _send(
        self,
        index: int,
        method: str,
        path: str,
        params: Mapping[str, str | list[str]] | None,
        body: Any,
        what: str,
    ) -> tuple[int, Mapping[str, str], bytes] | _Failure:
        import requests

        url = self.servers[index] + path
        started = time.monotonic()
        deadline = started + sum(self._settings.timeout)
        try:
            response = self._box.get().request(
                method,
                url,
                params=params,
                json=body,
                timeout=self._settings.timeout,
                # Per request: requests lets $REQUESTS_CA_BUNDLE / $CURL_CA_BUNDLE override
                # a session's verify (so verify=False or a CA path would be ignored).
                verify=self._settings.verify,
                # Credentials go only to the configured servers: a redirect is an error.
                allow_redirects=False,
                stream=True,
            )
            with response:
                content = read_answer(
                    response.raw, what, deadline=deadline, limit=self._settings.max_answer_bytes
                )
        except requests.exceptions.RequestException as error:
            return self._failure(index, what, error)
        except BackendUnavailable as error:  # it took too long: another try may be quicker
            return _Failure(error, fatal=False, maybe_acted=True)
        elapsed = (time.monotonic() - started) * 1000
        log.debug("%s %s -> %d (%.0f ms)", method, url, response.status_code, elapsed)
        return response.status_code, dict(response.headers), content

    def _failure(self, index: int, what: str, error: Exception) -> _Failure:
        """A request that got no answer from a server: why, and whether it may have acted."""
        import requests

        if isinstance(error, requests.exceptions.SSLError):
            refused = tls_failure(f"{what} on {self.servers[index]}", error)
            return _Failure(
                OrchestratorError(self.scrub(str(refused))), fatal=False, maybe_acted=False
            )
        if isinstance(error, requests.exceptions.ConnectTimeout):
            return self._unreachable(index, what, error, connected=False)
        if isinstance(error, requests.exceptions.Timeout):
            message = self.scrub(f"{what} on {self.servers[index]}: no answer in time ({error})")
            return _Failure(BackendUnavailable(message), fatal=False, maybe_acted=True)
        if isinstance(error, requests.exceptions.ConnectionError):
            connected = not _never_connected(error)
            return self._unreachable(index, what, error, connected=connected)
        message = self.scrub(f"{what} on {self.servers[index]}: {error}")
        return _Failure(OrchestratorError(message), fatal=True, maybe_acted=False)

    def _unreachable(self, index: int, what: str, error: Exception, *, connected: bool) -> _Failure:
        failure = network_failure(f"{what} on {self.servers[index]}", error, connected=connected)
        log.debug("%s", failure)
        scrubbed = BackendUnavailable(self.scrub(str(failure)), acted=failure.acted)
        return _Failure(scrubbed, fatal=False, maybe_acted=connected)

    def _error(
        self, status: int, headers: Mapping[str, str], body: bytes, what: str
    ) -> OrchestratorError:
        scrubbed = self.scrub(body.decode("utf-8", "replace")).encode("utf-8")
        error = error_for(status, headers, scrubbed, what)
        log.debug("%s -> %s", what, type(error).__name__)
        return error

    def _combined(
        self, failures: list[tuple[str, OrchestratorError]], what: str
    ) -> OrchestratorError:
        """One error for a request no server could answer: the first lasting one, else a
        :class:`~orchsdk.BackendUnavailable` that names every server and what it said."""
        if len(failures) == 1:
            return failures[0][1]
        errors = [error for _, error in failures]
        lasting = [error for error in errors if not isinstance(error, BackendUnavailable)]
        if lasting:
            return lasting[0]
        untouched = all(
            isinstance(error, BackendUnavailable) and error.acted is False for error in errors
        )
        delays = [
            error.retry_after
            for error in errors
            if isinstance(error, BackendUnavailable) and error.retry_after is not None
        ]
        summary = "; ".join(
            text if server in text else f"{server}: {text}"
            for server, text in ((server, str(error)) for server, error in failures)
        )
        return BackendUnavailable(
            f"{what}: no server could answer: {summary}",
            retry_after=min(delays) if delays else None,
            acted=False if untouched else None,
        )


@attrs.frozen
class _Failure:
    error: OrchestratorError
    fatal: bool
    maybe_acted: bool


def _never_connected(error: Exception) -> bool:
    """Whether a ``ConnectionError`` happened before the request left (refused, DNS)."""
    from urllib3 import exceptions

    early: tuple[type[BaseException], ...] = (exceptions.NewConnectionError, ConnectionRefusedError)
    resolution = getattr(exceptions, "NameResolutionError", None)  # urllib3 2.x
    if isinstance(resolution, type):
        early += (resolution,)
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, early):
            return True
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            current = reason
            continue
        arguments = getattr(current, "args", ())
        nested = next((arg for arg in arguments if isinstance(arg, BaseException)), None)
        current = nested or current.__cause__ or current.__context__
    return False
