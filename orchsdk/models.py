"""What orchsdk reports back: rollout status, instances, endpoints and the outcome of an apply."""

from __future__ import annotations

import enum

import attrs

from orchsdk._frozen import freeze_sequence

__all__ = ["Action", "ApplyResult", "DeploymentStatus", "Endpoint", "Instance", "Phase"]


class Phase(str, enum.Enum):
    """Where a deployment's rollout stands."""

    PROGRESSING = "progressing"
    """New instances are being started or old ones stopped."""
    COMPLETE = "complete"
    """Every wanted instance runs the newest revision and is available."""
    FAILED = "failed"
    """The orchestrator gave up on the rollout (e.g. its progress deadline passed)."""


@attrs.frozen
class DeploymentStatus:
    """A deployment's rollout as the orchestrator sees it now.

    ``desired`` instances are wanted; ``updated`` run the newest revision; ``ready``
    pass their health checks; ``available`` have been ready long enough to serve.
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

    @property
    def done(self) -> bool:
        """True once the rollout is complete."""
        return self.phase is Phase.COMPLETE


@attrs.frozen
class Instance:
    """One running copy of a deployment: a Kubernetes pod, a Marathon task."""

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
