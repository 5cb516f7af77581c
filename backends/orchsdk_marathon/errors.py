"""Marathon's error answers read into the facts the core's ``error_for_status`` maps.

Marathon's error bodies are ``{"message": ..., "details": [...]}``; a 409 carries
``deployments`` when an app is locked. Everything here works on what was received
(status, headers, raw body), so that HTML error pages or truncated JSON still give a
typed error, never a ``KeyError``. Messages are scrubbed of credentials by the caller.
The status decides the error type, in :func:`orchsdk.errors.error_for_status`; where the
core says :class:`~orchsdk.Conflict`, the subclasses here carry what Marathon said:

::

    409 + "deployments"        AppLocked (reason "locked"): wait for those deployments, retry
    409 "... already exists"   AlreadyExists (reason "exists")
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from orchsdk import Conflict, FieldError, OrchestratorError, answers
from orchsdk.errors import error_for_status
from orchsdk.scrubbing import scrub

__all__ = ["AlreadyExists", "AppLocked", "decode_json", "error_for", "retry_after", "snippet"]

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


def decode_json(body: bytes, what: str = "the answer") -> Any:
    """The body as JSON; :class:`ValueError` if it is not JSON (an HTML page, truncated),
    :class:`~orchsdk.UnexpectedResponse` if it nests too deep to read."""
    if not body:
        raise ValueError("the body is empty")
    return answers.decode_json(body.decode("utf-8"), what)


def snippet(body: bytes) -> str:
    """The start of a non-JSON body, on one line, for an error message."""
    text = scrub(body[:_SNIPPET].decode("utf-8", "replace"))
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
    locked = status == 409 and isinstance(document, Mapping) and "deployments" in document
    exists = status == 409 and not locked and "already exists" in message
    conflict = "locked" if locked else "exists" if exists else "other"
    subject = f"{what} (Marathon rejected it)" if status in (400, 422) else what
    error = error_for_status(
        status,
        subject,
        f"HTTP {status}: {message}",
        conflict=conflict,
        errors=_field_errors(document, message) if status in (400, 422) else (),
        retry_after=retry_after(headers),
        location=next((v for k, v in headers.items() if k.lower() == "location"), None),
    )
    if locked:
        return AppLocked(str(error), _deployment_ids(document))
    if exists:
        return AlreadyExists(str(error))
    return error
