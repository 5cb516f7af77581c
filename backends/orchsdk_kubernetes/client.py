"""The one place that talks HTTP to the API server, and maps its failures to orchsdk errors.

Every request goes through :meth:`Client.send` (or :meth:`Client.watch` for a stream):
``client.request("deployment", "read", name, namespace, what=...)`` calls the
``kubernetes`` client's ``read_namespaced_deployment`` with ``_preload_content=False``
and returns the JSON the server sent, as plain data, so no field is lost to the typed
models. A failed answer's ``v1.Status`` body is read here (its message, reason, field
causes, a server-side apply FieldManagerConflict) and handed to
:func:`orchsdk.errors.error_for_status`; a urllib3 failure says whether the request can
have acted. Messages come from the Status ``message``, never from ``str(ApiException)``,
which dumps headers (and so could carry credentials).

``kubernetes`` is imported on the first request, and each API class on its first use:
a program that only touches deployments never imports ``CoreV1Api``.
"""

from __future__ import annotations

import builtins
import json
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from orchsdk import (
    BackendUnavailable,
    Conflict,
    FieldError,
    NotFound,
    OrchestratorError,
    UnexpectedResponse,
)
from orchsdk.answers import MAX_ANSWER_BYTES, decode_json, read_answer, too_large
from orchsdk.errors import error_for_status, network_failure, tls_failure

__all__ = [
    "Answer",
    "Client",
    "ResourceExpired",
    "as_object",
    "items_of",
    "status_error",
    "transport_error",
]

_ENDPOINTS = {
    "deployment": ("AppsV1Api", "namespaced_deployment"),
    "deployment_scale": ("AppsV1Api", "namespaced_deployment_scale"),
    "replica_set": ("AppsV1Api", "namespaced_replica_set"),
    "service": ("CoreV1Api", "namespaced_service"),
    "secret": ("CoreV1Api", "namespaced_secret"),
    "config_map": ("CoreV1Api", "namespaced_config_map"),
    "pod": ("CoreV1Api", "namespaced_pod"),
    "event": ("CoreV1Api", "namespaced_event"),
    "namespace": ("CoreV1Api", "namespace"),
    "horizontal_pod_autoscaler": ("AutoscalingV2Api", "namespaced_horizontal_pod_autoscaler"),
    "endpoint_slice": ("DiscoveryV1Api", "namespaced_endpoint_slice"),
}
"""Each resource the backend asks for: its API class and the suffix of its methods."""

_CONFLICTS = {"AlreadyExists": "exists", "Conflict": "changed"}

_KINDS = {
    "deployment": "Deployment",
    "deployment_scale": "Deployment",
    "service": "Service",
    "secret": "Secret",
    "config_map": "ConfigMap",
    "horizontal_pod_autoscaler": "Autoscaler",
}
"""The orchsdk kind of each resource a user names, for a 404 that says it is missing."""


class ResourceExpired(OrchestratorError):
    """410 Gone: a watch asked for history the server no longer has; list again."""


@attrs.frozen
class Answer:
    """A successful answer: its HTTP status, and its JSON body (``None`` when empty)."""

    status: int
    body: Any


class Client:
    """Sends requests through one ``ApiClient``; see the module.

    ``api_client`` is ``None`` for a backend that renders offline: then every request
    raises, and nothing of ``kubernetes`` is imported.
    """

    def __init__(
        self, api_client: Any, timeout: tuple[float, float], limit: int = MAX_ANSWER_BYTES
    ) -> None:
        if api_client is not None:
            api_client.rest_client = _BoundedErrors(api_client.rest_client, timeout, limit)
        self._api_client = api_client
        self.timeout = timeout
        """The ``(connect, read)`` seconds of every request: to connect, to read an answer."""
        self.limit = limit
        """The most bytes of one answer, or of one event of a watch."""
        self._apis: dict[str, Any] = {}

    @property
    def configuration(self) -> Any:
        """The ``kubernetes`` client's ``Configuration`` (its host, TLS settings)."""
        return None if self._api_client is None else self._api_client.configuration

    def close(self) -> None:
        """Closes the connection pool."""
        if self._api_client is not None:
            self._api_client.close()

    def request(self, resource: str, verb: str, *args: Any, what: str, **kwargs: Any) -> Any:
        """The JSON body of the answer to one request (``None`` when empty)."""
        return self.send(resource, verb, *args, what=what, **kwargs).body

    def send(self, resource: str, verb: str, *args: Any, what: str, **kwargs: Any) -> Answer:
        """Sends ``verb`` (``read``, ``list``, ``patch``, ``create``, ``delete``) on
        ``resource`` and returns the answer; raises the orchsdk error of a failure."""
        deadline = time.monotonic() + sum(self.timeout)
        response = self._call(resource, verb, *args, what=what, **kwargs)
        return Answer(int(response.status), _body(response, what, deadline, self.limit))

    def watch(
        self, resource: str, verb: str, *args: Any, what: str, **kwargs: Any
    ) -> Generator[dict[str, Any], None, None]:
        """The events of a watch (``watch=True`` among ``kwargs``), as the server streams them.

        The request is sent at once (so a failure to open the stream raises here); a
        stream that drops later, or sends a line that is not JSON, raises
        :class:`~orchsdk.BackendUnavailable` from the iteration, and the connection is
        released when the iteration ends.
        """
        response = self._call(resource, verb, *args, what=what, **kwargs)
        return _events(response, what, self.limit)

    def _api(self, name: str) -> Any:
        api = self._apis.get(name)
        if api is None:
            if self._api_client is None:
                raise OrchestratorError("this Kubernetes backend renders offline: no cluster")
            from kubernetes import client

            api = self._apis[name] = getattr(client, name)(self._api_client)
        return api

    def _call(self, resource: str, verb: str, *args: Any, what: str, **kwargs: Any) -> Any:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        api, suffix = _ENDPOINTS[resource]
        method: Callable[..., Any] = getattr(self._api(api), f"{verb}_{suffix}")
        kwargs.setdefault("_request_timeout", self.timeout)
        try:
            return method(*args, _preload_content=False, **kwargs)
        except ApiException as error:
            failure = _api_error(error, what)
            if isinstance(failure, NotFound):
                failure = _missing(resource, args, _status_body(error)) or failure
        except HTTPError as error:
            host = self._api_client.configuration.host if self._api_client else "?"
            raise transport_error(error, f"{what} on {host}") from error
        # Raised out here, so that the ApiException (its body may echo a secret value
        # the request carried) is neither the cause nor the context of the error.
        raise failure


class _BoundedErrors:
    """The ``kubernetes`` client's REST layer, reading an error answer within the cap.

    The client reads the whole body of a 4xx or 5xx answer itself, before it raises the
    ``ApiException`` :meth:`Client._call` maps; this reads it first, through
    :func:`~orchsdk.answers.read_answer`, so an error answer has the same size and time
    bounds as any other. Every other call goes to the REST client unchanged.
    """

    def __init__(self, rest_client: Any, timeout: tuple[float, float], limit: int) -> None:
        self._rest_client = rest_client
        self._timeout = timeout
        self._limit = limit

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + sum(self._timeout)
        answer = self._rest_client.request(method, url, *args, **kwargs)
        if not 200 <= answer.status <= 299:
            what = f"{method} {urlsplit(url).path} (HTTP {answer.status})"
            try:
                answer.data = read_answer(
                    answer.response, what, deadline=deadline, limit=self._limit
                )
            finally:
                answer.response.release_conn()
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rest_client, name)


def _body(response: Any, what: str, deadline: float, limit: int) -> Any:
    from urllib3.exceptions import HTTPError

    try:
        data = read_answer(response, what, deadline=deadline, limit=limit)
        return decode_json(data, what) if data else None
    except ValueError as error:  # cut off in transit, most likely: worth another try
        raise BackendUnavailable(f"{what}: the server sent malformed JSON") from error
    except HTTPError as error:  # the body could not be read to its end
        raise transport_error(error, what) from error
    finally:
        response.release_conn()


def _events(response: Any, what: str, limit: int) -> Generator[dict[str, Any], None, None]:
    from urllib3.exceptions import HTTPError

    try:
        yield from _lines(response, what, limit)
    except HTTPError as error:
        raise transport_error(error, what) from error
    except OSError as error:
        raise BackendUnavailable(f"{what}: the stream dropped: {error}") from error
    except ValueError as error:
        raise BackendUnavailable(f"{what}: the stream sent malformed JSON") from error
    finally:
        response.release_conn()


def _lines(response: Any, what: str, limit: int) -> Iterator[dict[str, Any]]:
    """The JSON objects of a watch stream, one per line, none longer than ``limit``."""
    buffer = b""
    for chunk in response.stream(amt=None, decode_content=False):
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        if len(buffer) > limit:
            raise too_large(f"{what} (one event)", limit)
        for line in lines:
            if line.strip():
                yield decode_json(line, what)
    if buffer.strip():
        yield decode_json(buffer, what)


def as_object(document: Any, what: str) -> dict[str, Any]:
    """A read object as the API sends it (a JSON object with its ``metadata``), or
    :class:`~orchsdk.UnexpectedResponse`."""
    if not isinstance(document, dict) or not isinstance(document.get("metadata"), dict):
        raise UnexpectedResponse(f"{what}: the answer is not a Kubernetes object")
    return document


def items_of(document: Any, what: str) -> builtins.list[dict[str, Any]]:
    """The items of a list the API sent (``items`` may be null: none), or
    :class:`~orchsdk.UnexpectedResponse`."""
    if not isinstance(document, dict) or not isinstance(document.get("metadata", {}), dict):
        raise UnexpectedResponse(f"{what}: the answer is not a Kubernetes list")
    items = document.get("items")
    if items is None:
        return []
    if not isinstance(items, builtins.list) or not all(isinstance(item, dict) for item in items):
        raise UnexpectedResponse(f"{what}: the list's items are not Kubernetes objects")
    return items


def _status_body(error: Any) -> dict[str, Any]:
    """The ``v1.Status`` an ``ApiException`` carries, or ``{}`` when its body is not one."""
    body = getattr(error, "body", None)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        parsed = json.loads(body) if body else {}
    except (ValueError, RecursionError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _missing(resource: str, args: tuple[Any, ...], body: Mapping[str, Any]) -> NotFound | None:
    """The :meth:`NotFound.missing <orchsdk.NotFound.missing>` of a 404 on a named object
    (``args`` are its name and namespace), as every backend words it: the object, or the
    namespace when the server says that is what is missing."""
    details = body.get("details")
    if resource not in _KINDS or len(args) < 2 or not isinstance(details, Mapping):
        return None
    name, namespace = str(args[0]), str(args[1])
    if details.get("kind") == "namespaces":
        why = "create it, or connect with create_namespace=true"
        return NotFound.missing("Namespace", str(details.get("name") or namespace), why=why)
    return NotFound.missing(_KINDS[resource], name, namespace)


def _retry_after(error: Any) -> float | None:
    headers = getattr(error, "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _api_error(error: Any, what: str) -> OrchestratorError:
    """The orchsdk error for an ``ApiException`` raised while doing ``what``."""
    body = _status_body(error)
    if getattr(error, "status", 0):  # the HTTP status wins over whatever the body says
        body["code"] = error.status
    body.setdefault("code", 0)
    body.setdefault("reason", getattr(error, "reason", "") or "")
    headers = getattr(error, "headers", None) or {}
    location = headers.get("Location") if hasattr(headers, "get") else None
    return status_error(body, what, retry_after=_retry_after(error), location=location)


def status_error(
    body: Mapping[str, Any],
    what: str,
    *,
    retry_after: float | None = None,
    location: str | None = None,
) -> OrchestratorError:
    """The orchsdk error for a ``v1.Status`` body (from an answer or a watch ERROR event)."""
    try:
        status = int(body.get("code") or 0)
    except (TypeError, ValueError):
        status = 0
    reason = str(body.get("reason") or "")
    message = str(body.get("message") or f"HTTP {status} {reason}".strip())
    if status == 410:
        return ResourceExpired(f"{what}: {message}")
    if status == 0 and reason.startswith("SSLError"):  # how the client reports urllib3's
        return tls_failure(what, reason.removeprefix("SSLError").strip())
    if status == 0:
        return OrchestratorError(f"{what}: the connection failed: {reason or 'TLS error'}")
    causes = _causes(body)
    if any(cause.get("reason") == "NamespaceTerminating" for cause in causes):
        return Conflict(f"{what}: the namespace is being deleted; try again once it is gone")
    conflict = _CONFLICTS.get(reason, "other")
    if conflict == "changed" and any(
        cause.get("reason") == "FieldManagerConflict" for cause in causes
    ):
        conflict = "other"  # server-side apply's field ownership: another try would clash again
    errors = [
        FieldError(str(cause.get("field") or ""), str(cause.get("message") or reason))
        for cause in causes
    ]
    return error_for_status(
        status,
        what,
        message,
        conflict=conflict,
        errors=errors,
        retry_after=retry_after,
        location=location,
    )


def _causes(body: Mapping[str, Any]) -> builtins.list[Mapping[str, Any]]:
    details = body.get("details")
    causes = details.get("causes") if isinstance(details, Mapping) else None
    if not isinstance(causes, builtins.list):
        return []
    return [cause for cause in causes if isinstance(cause, Mapping)]


def transport_error(error: Exception, what: str) -> OrchestratorError:
    """The orchsdk error for a urllib3 failure: refused or unreachable (nothing sent, so
    ``acted=False``), dropped or timed out after sending (``acted`` unknown), or TLS."""
    from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, SSLError

    cause: BaseException = error
    if isinstance(error, MaxRetryError) and error.reason is not None:
        cause = error.reason
    if isinstance(cause, SSLError):
        return tls_failure(what, cause)
    # refused, unresolvable, or no connection in time: urllib3 calls them all a connect timeout
    return network_failure(what, cause, connected=not isinstance(cause, ConnectTimeoutError))
