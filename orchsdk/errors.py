"""The exceptions orchsdk raises, one tree for every backend.

::

    OrchestratorError
    ├── ValidationError        a spec (or what the server was sent) is invalid; names each field
    ├── UnsupportedFeature     the backend cannot do what a spec asks; raised before any request
    ├── NotFound               the named resource does not exist
    ├── Conflict               it exists already, or it changed under us, or it is locked
    ├── PermissionDenied       the credentials were refused (401) or lack a permission (403)
    ├── BackendUnavailable     the orchestrator could not be reached or kept failing (5xx, 429);
    │                          ``acted`` says whether the failed request may have changed anything
    ├── UnexpectedResponse     the server (or a proxy) answered with what its API never sends
    ├── SettingsError          a backend option is unknown or malformed (also a ValueError)
    ├── RolloutFailed          the orchestrator gave up on a rollout
    └── WaitTimeout            a wait ran out of time; carries the last status seen

The backend's own exception, when there is one, is kept as ``__cause__``.

Backends do not choose these classes themselves: they read the facts off an answer (its
status, message, field errors) and call :func:`error_for_status`, so one HTTP status means
one error type on every orchestrator; :func:`tls_failure` and :func:`reads_answers` do the
same for certificate failures and malformed answers.

An error raised by :meth:`Orchestrator.apply <orchsdk.Orchestrator.apply>` keeps its
type and also says how far the apply got: ``applied`` (the
:class:`~orchsdk.ApplyResult` of each resource applied before it failed) and
``not_applied`` (the resources that were not, the one that failed first). Every other
error has both empty.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import attrs

from orchsdk.scrubbing import scrub

if TYPE_CHECKING:
    from orchsdk.models import ApplyResult, DeploymentStatus, FailureReason
    from orchsdk.specs import Resource

__all__ = [
    "REFUSED_STATUSES",
    "TRANSIENT_STATUSES",
    "AnswerTooLarge",
    "BackendUnavailable",
    "Conflict",
    "FieldError",
    "NotFound",
    "OrchestratorError",
    "PermissionDenied",
    "Redirected",
    "RolloutFailed",
    "SettingsError",
    "UnexpectedResponse",
    "UnsupportedFeature",
    "ValidationError",
    "WaitTimeout",
    "error_for_status",
    "network_failure",
    "reads_answers",
    "tls_failure",
]

P = ParamSpec("P")
T = TypeVar("T")

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
"""HTTP statuses worth another try: throttled, or the server (or a proxy) failed."""

REFUSED_STATUSES = frozenset({429, 503})
"""Transient statuses that say the request was turned away before anything acted on it."""


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

    ``field`` is the path of the first such field in the spec (``health.command``), or
    the kind itself for a kind the backend lacks (``ConfigMap``); ``reason`` says why.
    ``fields`` and ``reasons`` hold every such field of the spec, in order, so one error
    names them all.
    """

    def __init__(
        self,
        backend: str,
        subject: str,
        field: str,
        reason: str,
        *,
        more: Iterable[tuple[str, str]] = (),
    ) -> None:
        gaps = [(field, reason), *more]
        self.backend = backend
        self.subject = subject
        self.field = field
        self.reason = reason
        self.fields: tuple[str, ...] = tuple(name for name, _ in gaps)
        self.reasons: tuple[str, ...] = tuple(why for _, why in gaps)
        if len(gaps) > 1:
            listed = "; ".join(f"{name} ({why})" for name, why in gaps)
            message = f"{backend} cannot apply {subject}: {listed}"
        elif subject.split(" ", 1)[0] == field:  # the kind itself: "ConfigMap 'cfg'"
            message = f"{backend} cannot apply {subject}: {reason}"
        else:
            message = f"{backend} cannot apply {field} of {subject}: {reason}"
        super().__init__(message)


class NotFound(OrchestratorError):
    """The resource named does not exist (in that namespace).

    Made with :meth:`missing`, it reads the same on every backend and carries the facts:
    ``kind``, ``name`` and ``namespace`` (each ``None`` when the error is about something
    else, such as a revision a deployment no longer has).
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str | None = None,
        name: str | None = None,
        namespace: str | None = None,
    ) -> None:
        self.kind = kind
        self.name = name
        self.namespace = namespace
        super().__init__(message)

    @classmethod
    def missing(cls, kind: str, name: str, namespace: str | None = None, why: str = "") -> NotFound:
        """``Deployment 'web' not found in namespace 'shop'``, and why when a backend
        knows more (``Marathon has no config maps``); without a namespace for what has
        none (``Namespace 'shop' not found``).

        >>> NotFound.missing("Service", "web", "shop")
        NotFound("Service 'web' not found in namespace 'shop'")
        """
        where = f" in namespace {namespace!r}" if namespace is not None else ""
        reason = f" ({why})" if why else ""
        return cls(
            f"{kind} {name!r} not found{where}{reason}", kind=kind, name=name, namespace=namespace
        )

    @classmethod
    def no_revision(cls, name: str, wanted: int | None, kept: Iterable[int]) -> NotFound:
        """A rollback's target that the history does not have: revision ``wanted``, or
        (``None``) one before the current revision; names the revisions ``kept``.

        >>> NotFound.no_revision("web", 1, [2, 3])
        NotFound("Deployment 'web' has no revision 1 (has 2, 3)")
        """
        has = ", ".join(map(str, sorted(kept))) or "none"
        if wanted is None:
            return cls(f"Deployment {name!r} has no revision before the current one (has {has})")
        return cls(f"Deployment {name!r} has no revision {wanted} (has {has})")


class Conflict(OrchestratorError):
    """The resource exists already, changed concurrently, or is locked by a rollout.

    ``reason`` tells which: ``"exists"``, ``"changed"`` (an optimistic-concurrency
    check failed: read again and retry), ``"locked"`` or ``"other"``.
    """

    def __init__(self, message: str, *, reason: str = "other") -> None:
        self.reason = reason
        super().__init__(message)


class PermissionDenied(OrchestratorError):
    """The orchestrator refused the credentials (HTTP 401) or their permissions (403).

    Never retried: another try with the same credentials gets the same answer.
    ``status`` is the HTTP status.
    """

    def __init__(self, message: str, *, status: int = 403) -> None:
        self.status = status
        super().__init__(message)


class UnexpectedResponse(OrchestratorError):
    """The server, or something in front of it, answered with a document its API never
    sends: a field missing or of the wrong type, a body that is not JSON. Not retried."""


class AnswerTooLarge(UnexpectedResponse):
    """An answer (or one event of a stream) was larger than the backend's cap
    (``max_answer_bytes``, 64 MiB by default); it was not read further. ``limit`` is the
    cap in bytes."""

    def __init__(self, message: str, *, limit: int) -> None:
        self.limit = limit
        super().__init__(message)


class Redirected(UnexpectedResponse):
    """The server answered with a redirect (3xx). orchsdk follows none: credentials go
    only to the server configured. ``location`` is where it pointed (None if it did
    not say)."""

    def __init__(self, message: str, *, location: str | None) -> None:
        self.location = location
        super().__init__(message)


class SettingsError(OrchestratorError, ValueError):
    """A backend option is unknown or its value is malformed (``verify=ture``).

    Raised before any connection is made. It is also a :class:`ValueError`, as the
    error of a bad argument is in Python.
    """


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
    """A rollout cannot finish: new instances cannot start, or its deadline passed.

    ``reason`` is the portable :class:`~orchsdk.FailureReason` (an image that cannot be
    pulled, a crash loop, a missing secret or config map, no room to run, a failing
    health check, the progress deadline); ``instance`` the pod or task it was seen on,
    when there is one; ``status`` the :class:`~orchsdk.DeploymentStatus` that said so.
    """

    def __init__(
        self,
        message: str,
        status: DeploymentStatus | None = None,
        *,
        reason: FailureReason | None = None,
        instance: str | None = None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.instance = instance
        super().__init__(message)


class WaitTimeout(OrchestratorError):
    """A wait did not see its goal before the timeout; ``status`` is the last one seen."""

    def __init__(self, message: str, status: DeploymentStatus | None = None) -> None:
        self.status = status
        super().__init__(message)


def error_for_status(
    status: int,
    what: str,
    message: str,
    *,
    conflict: str = "other",
    errors: Iterable[FieldError] = (),
    retry_after: float | None = None,
    location: str | None = None,
) -> OrchestratorError:
    """The orchsdk error for a failed HTTP answer, the same on every backend.

    A backend reads the facts off the answer, in its orchestrator's own format, and
    passes them here: ``what`` names the request (``apply deployment/web in shop``),
    ``message`` is the server's own message (scrubbed of the secret values being
    written, see :mod:`orchsdk.scrubbing`), ``conflict`` the :class:`Conflict` reason a
    409 means (``"exists"``, ``"changed"``, ``"locked"``, ``"other"``), ``errors`` the
    field errors of a 400/422, ``retry_after`` the seconds a 429/503 asked for,
    ``location`` where a redirect pointed.

    ==================  ==============================================================
    404                 :class:`NotFound`
    409                 :class:`Conflict` with ``reason=conflict``
    400, 422            :class:`ValidationError` (the server's field paths)
    300-399             :class:`Redirected` (never followed)
    401, 403            :class:`PermissionDenied`
    429, 500-504        :class:`BackendUnavailable`; ``acted=False`` for 429 and 503
    other 5xx           :class:`BackendUnavailable`, ``acted`` unknown
    anything else       :class:`OrchestratorError`
    ==================  ==============================================================

    >>> error_for_status(404, "get deployment/web", "deployment web not found")
    NotFound('get deployment/web: deployment web not found')
    """
    message = scrub(message)
    errors = [FieldError(error.path, scrub(error.message)) for error in errors]
    text = f"{what}: {message}" if message else f"{what}: HTTP {status}"
    if 300 <= status <= 399:
        where = scrub(location) if location else "somewhere it did not say"
        return Redirected(
            f"{what}: HTTP {status}, a redirect to {where}; orchsdk follows no redirects: "
            "connect to that server itself if it is the right one",
            location=location,
        )
    if status == 404:
        return NotFound(text)
    if status == 409:
        return Conflict(text, reason=conflict)
    if status in (400, 422):
        return ValidationError(what, list(errors) or [FieldError("", message or f"HTTP {status}")])
    if status in (401, 403):
        refused = "the credentials were refused" if status == 401 else "permission denied"
        return PermissionDenied(
            f"{text} ({refused}, HTTP {status}: check the credentials and their permissions)",
            status=status,
        )
    if status in TRANSIENT_STATUSES or 500 <= status <= 599:
        acted = False if status in REFUSED_STATUSES else None
        return BackendUnavailable(text, retry_after=retry_after, acted=acted)
    return OrchestratorError(text)


def tls_failure(what: str, detail: object) -> OrchestratorError:
    """The error for a server certificate that failed verification; never retried."""
    return OrchestratorError(
        f"{what}: TLS verification failed ({detail}); pass verify=<CA bundle path> to "
        "trust the server's CA, or verify=false to opt out"
    )


_PHRASES = {
    "ConnectionRefusedError": "connection refused",
    "ConnectionResetError": "the connection was reset",
    "BrokenPipeError": "the connection was closed while sending",
    "RemoteDisconnected": "the server closed the connection without answering",
    "TimeoutError": "timed out",
    "timeout": "timed out",
}
"""How the network errors an HTTP library wraps read, by their class's name (so that
the core imports none of those libraries)."""


def network_failure(what: str, error: BaseException, *, connected: bool) -> BackendUnavailable:
    """The error of a request that got no answer, worded the same on every backend:
    ``<what>: could not connect (connection refused)`` when it never reached the server
    (``acted=False``), ``<what>: the connection failed (the connection was reset)`` when
    it may have (``acted`` unknown). The reason is the innermost network error the
    library wrapped (urllib3's pools, retries and connection objects are left out).
    """
    reason = _network_reason(error)
    if connected:
        return BackendUnavailable(f"{what}: the connection failed ({reason})")
    return BackendUnavailable(f"{what}: could not connect ({reason})", acted=False)


def _network_reason(error: BaseException) -> str:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        reason = getattr(current, "reason", None)
        wrapped = [arg for arg in current.args if isinstance(arg, BaseException)]
        if isinstance(reason, BaseException):
            current = reason
        elif wrapped:
            current = wrapped[0]
        else:
            current = current.__cause__ or current.__context__
    for cause in reversed(chain):
        name = type(cause).__name__
        if name == "gaierror" or "NameResolution" in name:
            return "the host name could not be resolved"
        if name in _PHRASES:
            return _PHRASES[name]
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror[:1].lower() + cause.strerror[1:]
    return f"{type(chain[-1]).__name__}: {chain[-1]}"


_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError)


def reads_answers(method: Callable[P, T]) -> Callable[P, T]:
    """Turns a malformed answer met while ``method`` reads it (a field missing or of the
    wrong type deep in a document) into :class:`UnexpectedResponse`, never a
    ``KeyError`` or ``TypeError``.

    The message names the error's type and first words only: they describe a field,
    never a value that was sent. orchsdk's own errors pass through unchanged.
    """

    @functools.wraps(method)
    def reading(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except OrchestratorError:
            raise
        except _MALFORMED as error:
            raise UnexpectedResponse(
                f"{method.__name__}: the answer is not what the orchestrator's API "
                f"documents ({type(error).__name__}: {str(error)[:120]})"
            ) from error

    return reading
