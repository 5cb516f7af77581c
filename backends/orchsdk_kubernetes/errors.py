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
    "TRANSIENT_STATUSES",
    "ResourceExpired",
    "map_api_exception",
    "map_status",
    "status_body",
]

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


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


def map_api_exception(error: Any, what: str) -> OrchestratorError:
    """The orchsdk error for an ``ApiException`` raised while doing ``what``."""
    body = status_body(error)
    body.setdefault("code", getattr(error, "status", 0) or 0)
    body.setdefault("reason", getattr(error, "reason", "") or "")
    return map_status(body, what, retry_after=_retry_after(error))


def map_status(
    body: dict[str, Any], what: str, *, retry_after: float | None = None
) -> OrchestratorError:
    """The orchsdk error for a ``v1.Status`` body (from a response or a watch ERROR event)."""
    status = int(body.get("code") or 0)
    reason = str(body.get("reason") or "")
    message = body.get("message") or f"HTTP {status} {reason}".strip()
    text = f"{what}: {message}"
    if status == 404:
        return NotFound(text)
    if status == 409:
        kind = {"AlreadyExists": "exists", "Conflict": "changed"}.get(reason, "other")
        return Conflict(text, reason=kind)
    if status in (400, 422):
        causes = (body.get("details") or {}).get("causes") or []
        errors = [
            FieldError(str(cause.get("field") or ""), str(cause.get("message") or reason))
            for cause in causes
            if isinstance(cause, dict)
        ]
        return ValidationError(what, errors or [FieldError("", message)])
    if status == 410:
        return ResourceExpired(text)
    if status in TRANSIENT_STATUSES:
        return BackendUnavailable(text, retry_after=retry_after)
    if status in (401, 403):
        return OrchestratorError(f"{what}: not allowed ({status} {reason}): {message}")
    if status == 0:
        return OrchestratorError(f"{what}: the connection failed: {reason or 'TLS error'}")
    return OrchestratorError(text)
