"""Marathon's HTTP answers turned into orchsdk's error tree.

Marathon's error bodies are ``{"message": ..., "details": [...]}``; a 409 carries
``deployments`` when an app is locked. Everything here works on what was received
(status, headers, raw body) so that HTML error pages or truncated JSON still give a
typed error, never a ``KeyError``. Messages are scrubbed of credentials by the caller.

::

    409 + "deployments"        AppLocked (a Conflict): wait for those deployments, retry
    409                        Conflict
    404                        NotFound
    400, 422                   ValidationError (Marathon's field paths, e.g. /upgradeStrategy/...)
    401, 403                   OrchestratorError (not retried)
    429, 5xx                   BackendUnavailable (with Retry-After when given; acted=False
                               for 429 and 503, which turn a request away unread)
    other                      OrchestratorError
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

from orchsdk import (
    BackendUnavailable,
    Conflict,
    FieldError,
    NotFound,
    OrchestratorError,
    ValidationError,
)

__all__ = [
    "AlreadyExists",
    "AppLocked",
    "UnexpectedResponse",
    "decode_json",
    "error_for",
    "reads_answers",
    "retry_after",
]

P = ParamSpec("P")
T = TypeVar("T")

_SNIPPET = 200


class AppLocked(Conflict):
    """A write was refused because deployments are running for the app (HTTP 409).

    ``deployments`` are the ids Marathon named; the backend waits for them to finish and
    tries once more, unless it was told to ``force``.
    """

    def __init__(self, message: str, deployments: tuple[str, ...]) -> None:
        super().__init__(message, reason="locked")
        self.deployments = deployments


class AlreadyExists(Conflict):
    """Marathon refused to create something that exists already (HTTP 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, reason="exists")


class UnexpectedResponse(OrchestratorError):
    """Marathon (or something in front of it) answered with a body the SDK cannot read."""


_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def reads_answers(method: Callable[P, T]) -> Callable[P, T]:
    """Turns a malformed answer met while ``method`` reads it (a field missing or of the
    wrong type, deep in an app or task) into :class:`UnexpectedResponse`, never a
    ``KeyError`` or ``TypeError``. The message names the error type and its first words
    only: they describe a field, never a value that was sent."""

    @functools.wraps(method)
    def reading(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except _MALFORMED as error:
            raise UnexpectedResponse(
                f"{method.__name__}: Marathon's answer is not what its API documents "
                f"({type(error).__name__}: {str(error)[:120]})"
            ) from error

    return reading


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a ``Retry-After`` header (a number or an HTTP date), if there is one."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils  # only for the rare HTTP-date form: keeps the import of the backend light

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds())


def decode_json(body: bytes) -> Any:
    """The body as JSON; :class:`ValueError` if it is not JSON (an HTML page, truncated)."""
    if not body:
        raise ValueError("the body is empty")
    return json.loads(body.decode("utf-8"))


def snippet(body: bytes) -> str:
    """The start of a non-JSON body, on one line, for an error message."""
    text = body[:_SNIPPET].decode("utf-8", "replace")
    text = " ".join(text.split())
    return text + ("..." if len(body) > _SNIPPET else "")


def _message(document: Any, body: bytes) -> str:
    if isinstance(document, Mapping):
        message = document.get("message")
        if isinstance(message, str) and message:
            return message
    return snippet(body) if body else "(no body)"


def _field_errors(document: Any, message: str) -> list[FieldError]:
    """``details`` as field errors: ``[{"path": "/id", "errors": ["..."]}]`` or a string."""
    details = document.get("details") if isinstance(document, Mapping) else None
    found: list[FieldError] = []
    if isinstance(details, list):
        for detail in details:
            if not isinstance(detail, Mapping):
                continue
            path = detail.get("path")
            path = path if isinstance(path, str) else ""
            errors = detail.get("errors")
            texts = [e for e in errors if isinstance(e, str)] if isinstance(errors, list) else []
            for text in texts or ["is invalid"]:
                found.append(FieldError(path, text))
    elif isinstance(details, str) and details:
        found.append(FieldError("", f"{message}: {details}"))
    return found or [FieldError("", message)]


def _deployment_ids(document: Any) -> tuple[str, ...]:
    deployments = document.get("deployments") if isinstance(document, Mapping) else None
    if not isinstance(deployments, list):
        return ()
    return tuple(
        item["id"]
        for item in deployments
        if isinstance(item, Mapping) and isinstance(item.get("id"), str)
    )


def error_for(status: int, headers: Mapping[str, str], body: bytes, what: str) -> OrchestratorError:
    """The orchsdk error for a failed answer; ``what`` names the request (``PUT /v2/apps/x``)."""
    try:
        document: Any = decode_json(body)
    except ValueError:
        document = None
    message = _message(document, body)
    text = f"{what}: HTTP {status}: {message}"
    if status == 409:
        if isinstance(document, Mapping) and "deployments" in document:
            return AppLocked(text, _deployment_ids(document))
        return AlreadyExists(text) if "already exists" in message else Conflict(text)
    if status == 404:
        return NotFound(text)
    if status in (400, 422):
        return ValidationError(f"{what} (Marathon rejected it)", _field_errors(document, message))
    if status in (401, 403):
        return OrchestratorError(f"{text} (check the credentials and their permissions)")
    if status == 429 or status >= 500:
        # 429 and 503 say the request was turned away before Marathon acted on it.
        acted = False if status in (429, 503) else None
        return BackendUnavailable(text, retry_after=retry_after(headers), acted=acted)
    return OrchestratorError(text)
