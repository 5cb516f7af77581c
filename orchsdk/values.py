"""The small value types that specs are made of: ports, resources, health checks, references."""

from __future__ import annotations

from typing import Literal

import attrs

from orchsdk._frozen import freeze_sequence

__all__ = [
    "ConfigRef",
    "Constraint",
    "ConstraintOperator",
    "FileMount",
    "HealthCheck",
    "Port",
    "Resources",
    "Rollout",
    "SecretRef",
]

Protocol = Literal["TCP", "UDP"]
ConstraintOperator = Literal["in", "not_in", "exists", "unique"]


@attrs.frozen
class Port:
    """A port a deployment listens on, or a port a service exposes.

    On a :class:`~orchsdk.Service`, ``target_port`` is the deployment's port that
    traffic goes to (a number or a port name) and defaults to ``port``.
    """

    port: int
    name: str | None = None
    target_port: int | str | None = None
    protocol: Protocol = "TCP"

    def __attrs_post_init__(self) -> None:
        if self.target_port == self.port and type(self.target_port) is type(self.port):
            object.__setattr__(self, "target_port", None)  # one spelling of "same as port"


@attrs.frozen
class Resources:
    """CPU, memory and GPUs per instance, as Kubernetes quantities: ``"250m"``, ``"256Mi"``."""

    cpu: str | None = None
    memory: str | None = None
    gpu: int | None = None


@attrs.frozen
class HealthCheck:
    """How the orchestrator tells an instance is healthy: one of an HTTP path, TCP or a command.

    An HTTP or TCP check names the deployment's ``port`` it probes, by name or number
    (explicitly: a default would read back differently on each orchestrator). Times are
    in seconds: ``grace`` is how long after start failures are ignored, ``failures`` how
    many in a row make the instance unhealthy.
    """

    http_path: str | None = None
    tcp: bool = False
    command: tuple[str, ...] = attrs.field(default=(), converter=freeze_sequence)
    port: int | str | None = None
    interval: int = 10
    timeout: int = 5
    grace: int = 30
    failures: int = 3

    @property
    def kind(self) -> Literal["http", "tcp", "command", "none"]:
        """Which of the three checks this is (``"none"`` only for an invalid check)."""
        if self.http_path is not None:
            return "http"
        if self.tcp:
            return "tcp"
        if self.command:
            return "command"
        return "none"


@attrs.frozen
class Rollout:
    """How a rolling update proceeds: counts (``1``) or percentages (``"25%"``) of the replicas."""

    max_surge: int | str = "25%"
    max_unavailable: int | str = "25%"


@attrs.frozen
class SecretRef:
    """The value of one key of a :class:`~orchsdk.Secret`, as an env value or a file."""

    secret: str
    key: str


@attrs.frozen
class ConfigRef:
    """The value of one key of a :class:`~orchsdk.ConfigMap`, as an env value or a file."""

    config: str
    key: str


@attrs.frozen
class FileMount:
    """A file in the container whose content is one key of a secret or a config map."""

    path: str
    source: SecretRef | ConfigRef


@attrs.frozen
class Constraint:
    """Where instances may run, by node label (``zone``, ``hostname``, ...).

    ``in`` / ``not_in`` take values; ``exists`` none; ``unique`` spreads the
    instances so that no two share a value of ``key`` (one per host, one per zone).
    """

    key: str
    operator: ConstraintOperator = "in"
    values: tuple[str, ...] = attrs.field(default=(), converter=freeze_sequence)
