"""Turns the Kubernetes client's exceptions into orchsdk's, from the API server's Status body.

Messages come from the Status ``message`` and never from ``str(ApiException)``, which
dumps headers (and so could carry credentials).
"""

from __future__ import annotations

import json
from typing import Any

from orchsdk import (
    BackendUnavailable,
    Conflict,
    FieldError,
    NotFound,
    OrchestratorError,
    ValidationError,
)

__all__ = [
    "REFUSED_STATUSES",
    "TRANSIENT_STATUSES",
    "ResourceExpired",
    "UnexpectedResponse",
    "map_api_exception",
    "map_status",
    "status_body",
]

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
REFUSED_STATUSES = frozenset({429, 503})
"""Transient answers that say the request was not acted on (throttled, or no server to act)."""


def status_body(error: Any) -> dict[str, Any]:
    """The ``v1.Status`` an ``ApiException`` carries, or ``{}`` when its body is not one."""
    body = getattr(error, "body", None)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        parsed = json.loads(body) if body else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _retry_after(error: Any) -> float | None:
    headers = getattr(error, "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class ResourceExpired(OrchestratorError):
    """410 Gone: a watch asked for history the server no longer has; list again."""


class UnexpectedResponse(OrchestratorError):
    """The server (or a proxy in front of it) answered with a document the Kubernetes API
    does not send: a field missing or of the wrong type. Not retried."""


def map_api_exception(error: Any, what: str) -> OrchestratorError:
    """The orchsdk error for an ``ApiException`` raised while doing ``what``."""
    body = status_body(error)
    if getattr(error, "status", 0):  # the HTTP status wins over whatever the body says
        body["code"] = error.status
    body.setdefault("code", 0)
    body.setdefault("reason", getattr(error, "reason", "") or "")
    return map_status(body, what, retry_after=_retry_after(error))


def map_status(
    body: dict[str, Any], what: str, *, retry_after: float | None = None
) -> OrchestratorError:
    """The orchsdk error for a ``v1.Status`` body (from a response or a watch ERROR event)."""
    try:
        status = int(body.get("code") or 0)
    except (TypeError, ValueError):
        status = 0
    reason = str(body.get("reason") or "")
    message = str(body.get("message") or f"HTTP {status} {reason}".strip())
    text = f"{what}: {message}"
    if status == 404:
        return NotFound(text)
    if status == 409:
        kind = {"AlreadyExists": "exists", "Conflict": "changed"}.get(reason, "other")
        if kind == "changed" and _field_manager_conflict(body):
            kind = "other"  # server-side apply's field ownership: another try would clash again
        return Conflict(text, reason=kind)
    if status in (400, 422):
        details = body.get("details")
        causes = details.get("causes") if isinstance(details, dict) else None
        errors = [
            FieldError(str(cause.get("field") or ""), str(cause.get("message") or reason))
            for cause in (causes if isinstance(causes, list) else [])
            if isinstance(cause, dict)
        ]
        return ValidationError(what, errors or [FieldError("", message)])
    if status == 410:
        return ResourceExpired(text)
    if status in TRANSIENT_STATUSES:
        acted = False if status in REFUSED_STATUSES else None
        return BackendUnavailable(text, retry_after=retry_after, acted=acted)
    if status in (401, 403):
        return OrchestratorError(f"{what}: not allowed ({status} {reason}): {message}")
    if status == 0 and reason.startswith("SSLError"):  # how the client reports urllib3's
        detail = reason.removeprefix("SSLError").strip()
        return OrchestratorError(
            f"{what}: TLS verification failed ({detail}); pass ca_cert=<CA bundle path>, "
            "or verify=false to opt out"
        )
    if status == 0:
        return OrchestratorError(f"{what}: the connection failed: {reason or 'TLS error'}")
    return OrchestratorError(text)


def _field_manager_conflict(body: dict[str, Any]) -> bool:
    details = body.get("details")
    causes = details.get("causes") if isinstance(details, dict) else None
    return isinstance(causes, list) and any(
        isinstance(cause, dict) and cause.get("reason") == "FieldManagerConflict"
        for cause in causes
    )
