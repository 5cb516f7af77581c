"""What orchsdk reports back: rollout status, instances, endpoints and the outcome of an apply."""

from __future__ import annotations

import datetime
import enum

import attrs

from orchsdk._frozen import freeze_sequence

__all__ = [
    "Action",
    "ApplyResult",
    "DeploymentStatus",
    "Endpoint",
    "Event",
    "EventType",
    "Failure",
    "FailureReason",
    "Instance",
    "Phase",
]


class Phase(str, enum.Enum):
    """Where a deployment's rollout stands."""

    PROGRESSING = "progressing"
    """New instances are being started or old ones stopped."""
    COMPLETE = "complete"
    """Every wanted instance runs the newest revision and is available."""
    FAILED = "failed"
    """The orchestrator gave up on the rollout (e.g. its progress deadline passed)."""


class FailureReason(str, enum.Enum):
    """Why new instances of a deployment cannot start, in words that mean the same on
    every orchestrator."""

    IMAGE_PULL = "image-pull"
    """The image cannot be pulled: no such image or tag, or the registry refuses."""
    CRASH_LOOP = "crash-loop"
    """The container starts and keeps exiting (it failed after two restarts)."""
    CONFIGURATION = "configuration"
    """The instance refers to something missing: a secret, a config map, or a key."""
    UNSCHEDULABLE = "unschedulable"
    """No node or agent can hold an instance: resources, placement or volumes."""
    HEALTH_CHECK = "health-check"
    """Instances start but keep failing their health check."""
    PROGRESS_DEADLINE = "progress-deadline"
    """The orchestrator gave up after its progress deadline, for no reason given above."""


@attrs.frozen
class Failure:
    """Why a rollout cannot go on: a portable ``reason``, the orchestrator's own
    ``message``, and the ``instance`` (pod, task) it was seen on, when there is one."""

    reason: FailureReason
    message: str
    instance: str | None = None

    def __str__(self) -> str:
        where = f" ({self.instance})" if self.instance else ""
        return f"{self.reason.value}{where}: {self.message}"


@attrs.frozen
class DeploymentStatus:
    """A deployment's rollout as the orchestrator sees it now.

    ``desired`` instances are wanted; ``updated`` run the newest revision; ``ready``
    pass their health checks; ``available`` have been ready long enough to serve.
    Instances that are terminating count in none of these but in ``terminating``: a
    rollout (or a scale-down) is complete only once they are gone. ``failure`` says why new
    instances cannot start (an image that cannot be pulled, a crash loop, a missing
    secret, no room on any node), as soon as the orchestrator shows it: a wait then
    raises :class:`~orchsdk.RolloutFailed` at once instead of waiting out its timeout.
    """

    name: str
    namespace: str
    desired: int
    ready: int
    updated: int
    available: int
    revision: int
    phase: Phase
    message: str = ""
    failure: Failure | None = None
    terminating: int = 0

    @property
    def done(self) -> bool:
        """True once the rollout is complete."""
        return self.phase is Phase.COMPLETE


@attrs.frozen
class Instance:
    """One copy of a deployment: a Kubernetes pod, a Marathon task.

    ``state`` is ``"running"``, ``"starting"`` (scheduled or being created, not yet
    running), ``"failed"`` (it cannot start, or keeps exiting), or ``"terminating"``
    (asked to stop, still shutting down: never ready, and never counted as running).
    """

    id: str
    deployment: str
    namespace: str
    host: str
    ports: tuple[int, ...] = attrs.field(default=(), converter=freeze_sequence)
    state: str = "running"
    ready: bool = False
    revision: int = 0


@attrs.frozen
class Endpoint:
    """An address where a service's traffic arrives: one instance and one port."""

    service: str
    namespace: str
    host: str
    port: int
    port_name: str | None = None
    protocol: str = "TCP"
    ready: bool = True
    instance: str | None = None

    @property
    def address(self) -> str:
        """``host:port``, ready to connect to."""
        return f"{self.host}:{self.port}"


class EventType(str, enum.Enum):
    """Whether an event reports the normal course of things or a problem."""

    NORMAL = "normal"
    WARNING = "warning"


@attrs.frozen
class Revision:
    """One revision of a deployment, as :meth:`~orchsdk.Orchestrator.history` lists it.

    Every backend numbers revisions the same way, from 1, one more for each change of
    the definition or restart; a rollback to an older revision makes it the newest again
    under a new number, as ``kubectl rollout undo`` does, so its old number is gone. The
    numbers are what ``rollback(to_revision=...)`` takes. ``created`` is when the
    revision was made (``None`` when the orchestrator does not say); ``cause`` why, when
    known: ``"created"``, ``"updated"``, ``"restart"``, ``"rollback"`` (the definition
    of an earlier revision again), or what Kubernetes' ``kubernetes.io/change-cause``
    annotation says. An orchestrator keeps a bounded number of revisions (Kubernetes'
    ``revisionHistoryLimit``, 10 by default; Marathon's ``--max_versions``): older ones
    leave the history.
    """

    number: int
    image: str
    created: datetime.datetime | None = None
    current: bool = False
    cause: str = ""

    def __str__(self) -> str:
        when = self.created.isoformat(timespec="seconds") if self.created else "-"
        mark = " (current)" if self.current else ""
        return f"{self.number} {when} {self.image}{mark}"


@attrs.frozen
class Event:
    """Something the orchestrator reported about a deployment, one of its revisions or
    one of its instances: a Kubernetes Event, a Marathon task status update, a failure.

    ``object`` names what it is about (``pod/web-5d8f-x2`` or ``task/web.1a2b``); ``time``
    is when it was last seen (``None`` when the orchestrator does not say); ``count`` how
    many times it was seen.
    """

    time: datetime.datetime | None
    type: EventType
    reason: str
    message: str
    object: str
    count: int = 1

    def __str__(self) -> str:
        when = self.time.isoformat(timespec="seconds") if self.time else "-"
        return f"{when} {self.type.value} {self.reason} {self.object}: {self.message}"


class Action(str, enum.Enum):
    """What an apply did to one resource."""

    CREATED = "created"
    """The resource did not exist; now it does."""
    UPDATED = "updated"
    """The resource existed and was changed to match the spec."""
    UNCHANGED = "unchanged"
    """The resource already matched the spec: nothing was written."""


@attrs.frozen
class ApplyResult:
    """The outcome of applying one resource."""

    kind: str
    name: str
    namespace: str
    action: Action

    def __str__(self) -> str:
        return f"{self.kind.lower()}/{self.name} {self.action.value}"
