"""The exceptions orchsdk raises, one tree for every backend.

::

    OrchestratorError
    ├── ValidationError        a spec (or what the server was sent) is invalid; names each field
    ├── UnsupportedFeature     the backend cannot do what a spec asks; raised before any request
    ├── NotFound               the named resource does not exist
    ├── Conflict               it exists already, or it changed under us, or it is locked
    ├── BackendUnavailable     the orchestrator could not be reached or kept failing (5xx, 429);
    │                          ``acted`` says whether the failed request may have changed anything
    ├── RolloutFailed          the orchestrator gave up on a rollout
    └── WaitTimeout            a wait ran out of time; carries the last status seen

The backend's own exception, when there is one, is kept as ``__cause__``.

An error raised by :meth:`Orchestrator.apply <orchsdk.Orchestrator.apply>` keeps its
type and also says how far the apply got: ``applied`` (the
:class:`~orchsdk.ApplyResult` of each resource applied before it failed) and
``not_applied`` (the resources that were not, the one that failed first). Every other
error has both empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from orchsdk.models import ApplyResult, DeploymentStatus
    from orchsdk.specs import Resource

__all__ = [
    "BackendUnavailable",
    "Conflict",
    "FieldError",
    "NotFound",
    "OrchestratorError",
    "RolloutFailed",
    "UnsupportedFeature",
    "ValidationError",
    "WaitTimeout",
]


class OrchestratorError(Exception):
    """Base of every error orchsdk raises on purpose.

    ``applied`` and ``not_applied`` are set on an error that a multi-resource
    :meth:`~orchsdk.Orchestrator.apply` raises: the results of the resources applied
    before the failure, in the order they were applied, and the resources not applied,
    in dependency order, beginning with the one that failed. When that one failed with
    :class:`BackendUnavailable` whose ``acted`` is not ``False`` it may have been applied
    in part; running the same ``apply`` again completes the lot. Elsewhere both are empty.
    """

    applied: list[ApplyResult]
    not_applied: list[Resource]

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.applied = []
        self.not_applied = []


@attrs.frozen
class FieldError:
    """One invalid field: where it is (``ports[0].port``) and what is wrong with it."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ValidationError(OrchestratorError):
    """A spec is invalid. ``errors`` lists every bad field with its path.

    Raised by the core before any request, and by backends when the server
    rejects a document as invalid (then the paths are the server's).
    """

    def __init__(self, subject: str, errors: Iterable[FieldError]) -> None:
        self.subject = subject
        self.errors: tuple[FieldError, ...] = tuple(errors)
        details = "; ".join(str(error) for error in self.errors)
        super().__init__(f"{subject} is invalid: {details}")

    @property
    def fields(self) -> tuple[str, ...]:
        """The paths of the invalid fields, in the order they were found."""
        return tuple(error.path for error in self.errors)


class UnsupportedFeature(OrchestratorError):
    """A backend cannot carry out part of a spec; nothing was sent.

    ``field`` is the path of the field in the spec (``health.command``), or the
    kind itself for a kind the backend lacks (``ConfigMap``).
    """

    def __init__(self, backend: str, subject: str, field: str, reason: str) -> None:
        self.backend = backend
        self.subject = subject
        self.field = field
        self.reason = reason
        super().__init__(f"{backend} cannot apply {field} of {subject}: {reason}")


class NotFound(OrchestratorError):
    """The resource named does not exist (in that namespace)."""


class Conflict(OrchestratorError):
    """The resource exists already, changed concurrently, or is locked by a rollout.

    ``reason`` tells which: ``"exists"``, ``"changed"`` (an optimistic-concurrency
    check failed: read again and retry), ``"locked"`` or ``"other"``.
    """

    def __init__(self, message: str, *, reason: str = "other") -> None:
        self.reason = reason
        super().__init__(message)


class BackendUnavailable(OrchestratorError):
    """The orchestrator could not be reached or answered with a transient failure.

    ``retry_after`` is the delay the server asked for (HTTP 429/503
    ``Retry-After``), in seconds, when it gave one.

    ``acted`` is ``False`` when the backend knows the failed call changed nothing: the
    connection was never made, the server refused the request before acting (429, 503),
    or the failure came before the call's first write. It is ``None`` when that is
    unknown (a connection dropped or timed out after the request was sent, a 500): the
    write may have happened, or may still happen. Operations that are not safe to repeat
    (rollback) are retried only on ``acted is False``.
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, acted: bool | None = None
    ) -> None:
        self.retry_after = retry_after
        self.acted = acted
        super().__init__(message)


class RolloutFailed(OrchestratorError):
    """The orchestrator reports that a rollout failed (e.g. its progress deadline passed)."""

    def __init__(self, message: str, status: DeploymentStatus | None = None) -> None:
        self.status = status
        super().__init__(message)


class WaitTimeout(OrchestratorError):
    """A wait did not see its goal before the timeout; ``status`` is the last one seen."""

    def __init__(self, message: str, status: DeploymentStatus | None = None) -> None:
        self.status = status
        super().__init__(message)
