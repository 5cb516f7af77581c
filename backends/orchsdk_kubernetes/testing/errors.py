"""``v1.Status`` error bodies, worded as the API server words them.

Handlers raise :class:`ApiError`; the router turns it into the JSON ``Status`` with the
same code, ``reason``, ``message`` and ``details`` a real kube-apiserver sends, because
clients (and the orchsdk backend) classify errors by those fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from orchsdk.testing.loopback import Fault
from orchsdk_kubernetes.testing.resources import ResourceType

__all__ = [
    "ApiError",
    "FieldError",
    "already_exists",
    "api_fault",
    "bad_request",
    "conflict",
    "expired",
    "fault_status",
    "forbidden_terminating",
    "invalid",
    "method_not_allowed",
    "not_found",
    "status",
    "unsupported_media_type",
]


def status(
    code: int, reason: str, message: str, details: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A failure ``Status`` document."""
    document: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details is not None:
        document["details"] = dict(details)
    document["code"] = code
    return document


class ApiError(Exception):
    """An error answer; ``status`` is the ``v1.Status`` body, ``code`` the HTTP status."""

    def __init__(self, document: dict[str, Any], headers: Mapping[str, str] | None = None):
        super().__init__(document["message"])
        self.status = document
        self.code = int(document["code"])
        self.headers = dict(headers or {})


def _details(rt: ResourceType, name: str, **extra: Any) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name}
    if rt.group:
        details["group"] = rt.group
    details["kind"] = rt.plural
    details.update(extra)
    return details


def not_found(rt: ResourceType, name: str) -> ApiError:
    """404: ``deployments.apps "web" not found``."""
    return ApiError(status(404, "NotFound", f'{rt.key} "{name}" not found', _details(rt, name)))


def already_exists(rt: ResourceType, name: str) -> ApiError:
    """409 AlreadyExists: a create collided with an existing name."""
    return ApiError(
        status(409, "AlreadyExists", f'{rt.key} "{name}" already exists', _details(rt, name))
    )


def conflict(rt: ResourceType, name: str, why: str | None = None) -> ApiError:
    """409 Conflict: a resourceVersion (or uid) precondition failed."""
    why = why or (
        "the object has been modified; please apply your changes to the latest version "
        "and try again"
    )
    message = f'Operation cannot be fulfilled on {rt.key} "{name}": {why}'
    return ApiError(status(409, "Conflict", message, _details(rt, name)))


def apply_conflict(conflicts: list[tuple[str, str]]) -> ApiError:
    """409 Conflict of server-side apply: ``(manager description, field path)`` pairs."""
    causes = [
        {"reason": "FieldManagerConflict", "message": f"conflict with {who}", "field": path}
        for who, path in conflicts
    ]
    if len(conflicts) == 1:
        who, path = conflicts[0]
        message = f"Apply failed with 1 conflict: conflict with {who}: {path}"
    else:
        lines: list[str] = []
        for who in sorted({who for who, _ in conflicts}):
            lines.append(f"conflicts with {who}:")
            lines.extend(f"- {path}" for other, path in conflicts if other == who)
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return ApiError(status(409, "Conflict", message, {"causes": causes}))


def bad_request(message: str) -> ApiError:
    """400 BadRequest with a message and no details."""
    return ApiError(status(400, "BadRequest", message))


def method_not_allowed() -> ApiError:
    return ApiError(
        status(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
            {},
        )
    )


def unsupported_media_type() -> ApiError:
    """415: a PATCH whose Content-Type is not one of the four patch types."""
    return ApiError(
        status(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json-patch+json, application/merge-patch+json, "
            "application/apply-patch+yaml, application/strategic-merge-patch+json",
            {},
        )
    )


def expired(message: str) -> dict[str, Any]:
    """The 410 ``Expired`` Status a watch from a compacted resourceVersion gets."""
    return status(410, "Expired", message)


def forbidden_terminating(rt: ResourceType, name: str, namespace: str) -> ApiError:
    """403: creating in a namespace that is being deleted."""
    message = (
        f'{rt.key} "{name}" is forbidden: unable to create new content in namespace '
        f"{namespace} because it is being terminated"
    )
    cause = {
        "reason": "NamespaceTerminating",
        "message": f"namespace {namespace} is being terminated",
        "field": "metadata.namespace",
    }
    return ApiError(status(403, "Forbidden", message, _details(rt, name, causes=[cause])))


def go_value(value: Any) -> str:
    """A value as Go's ``%#v``-ish printing in validation messages shows it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()):
        inner = ", ".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in sorted(value.items()))
        return f"map[string]string{{{inner}}}"
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


_KINDS = {
    "required": ("FieldValueRequired", "Required value"),
    "invalid": ("FieldValueInvalid", "Invalid value"),
    "unsupported": ("FieldValueNotSupported", "Unsupported value"),
    "duplicate": ("FieldValueDuplicate", "Duplicate value"),
    "forbidden": ("FieldValueForbidden", "Forbidden"),
    "type": ("FieldValueTypeInvalid", "Invalid value"),
    "toolong": ("FieldValueTooLong", "Too long"),
}


@attrs.frozen
class FieldError:
    """One validation error, as ``k8s.io/apimachinery/pkg/util/validation/field.Error``."""

    field: str
    type: str
    detail: str = ""
    value: Any = None
    has_value: bool = False

    @classmethod
    def required(cls, field: str, detail: str = "") -> FieldError:
        return cls(field, "required", detail)

    @classmethod
    def invalid(cls, field: str, value: Any, detail: str) -> FieldError:
        return cls(field, "invalid", detail, value, True)

    @classmethod
    def unsupported(cls, field: str, value: Any, supported: Iterable[str]) -> FieldError:
        listed = ", ".join(json.dumps(item) for item in supported)
        return cls(field, "unsupported", f"supported values: {listed}", value, True)

    @classmethod
    def duplicate(cls, field: str, value: Any) -> FieldError:
        return cls(field, "duplicate", "", value, True)

    @classmethod
    def forbidden(cls, field: str, detail: str) -> FieldError:
        return cls(field, "forbidden", detail)

    @property
    def reason(self) -> str:
        return _KINDS[self.type][0]

    @property
    def message(self) -> str:
        """The cause message: ``Invalid value: -1: must be greater than or equal to 0``."""
        text = _KINDS[self.type][1]
        if self.has_value:
            text += f": {go_value(self.value)}"
        if self.detail:
            text += f": {self.detail}"
        return text

    def cause(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.message, "field": self.field}


def invalid(
    qualified_kind: str, name: str, errors: list[FieldError], group: str | None = None
) -> ApiError:
    """422 Invalid: ``Deployment.apps "web" is invalid: spec.replicas: Invalid value: ...``."""
    rendered = [f"{error.field}: {error.message}" for error in errors]
    summary = rendered[0] if len(rendered) == 1 else "[" + ", ".join(rendered) + "]"
    kind = qualified_kind.split(".", 1)[0]
    details: dict[str, Any] = {"name": name}
    if group is None and "." in qualified_kind:
        group = qualified_kind.split(".", 1)[1]
    if group:
        details["group"] = group
    details["kind"] = kind
    details["causes"] = [error.cause() for error in errors]
    return ApiError(
        status(422, "Invalid", f'{qualified_kind} "{name}" is invalid: {summary}', details)
    )


_FAULTS = {
    429: ("TooManyRequests", "Too many requests, please try again later."),
    500: ("InternalError", "Internal error occurred: injected fault"),
    502: ("InternalError", "Internal error occurred: injected fault"),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
    504: (
        "Timeout",
        "the server was unable to return a response in the time allotted, but may still be "
        "processing the request",
    ),
    409: ("Conflict", "Operation cannot be fulfilled: injected conflict"),
    401: ("Unauthorized", "Unauthorized"),
    403: ("Forbidden", "forbidden: injected fault"),
    404: ("NotFound", "the server could not find the requested resource"),
}


def fault_status(fault: Fault) -> dict[str, Any]:
    """The ``Status`` body of an injected error, as the API server (or its APF) writes it."""
    code = fault.status or 500
    reason, message = _FAULTS.get(code, ("InternalError", f"Internal error occurred: {code}"))
    details: dict[str, Any] | None = None
    if code == 500:
        details = {"causes": [{"message": "injected fault"}]}
    if fault.retry_after is not None:
        details = {**(details or {}), "retryAfterSeconds": max(1, round(fault.retry_after))}
    return status(code, reason, message, details)


def api_fault(
    code: int,
    *,
    retry_after: float | None = None,
    message: str | None = None,
    delay: float = 0.0,
) -> Fault:
    """A :class:`~orchsdk.testing.loopback.Fault` answering ``code`` with an API-server body.

    >>> emulator.server.faults.add(api_fault(429, retry_after=1), method="PATCH", count=2)
    """
    fault = Fault(status=code, retry_after=retry_after, delay=delay)
    body = fault_status(fault)
    if message is not None:
        body["message"] = message
    return Fault(status=code, retry_after=retry_after, delay=delay, body=body)
