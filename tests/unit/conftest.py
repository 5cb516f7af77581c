"""Fixtures for the core's unit tests: a recording fake backend and orchestrators around it."""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs
import pytest

from orchsdk import (
    REDACTED,
    Action,
    Backend,
    Capabilities,
    DeploymentStatus,
    Endpoint,
    Instance,
    NotFound,
    Orchestrator,
    Phase,
    Resource,
    RetryPolicy,
    Revision,
    Secret,
    Unsupported,
)
from orchsdk._frozen import thaw

FAST_RETRY = RetryPolicy(attempts=3, initial_delay=0, max_delay=0, jitter=0)
"""Retries at once, so that tests of retried operations take no time."""


@attrs.frozen
class Call:
    """One call a :class:`RecordingBackend` received."""

    method: str
    args: tuple[Any, ...]


class RecordingBackend(Backend):
    """A fake backend that records every call and raises what a test queues with :meth:`fail`.

    It stores what is applied (so that ``apply`` says created / updated / unchanged and
    ``get`` reads it back), reads statuses from ``statuses`` (the last one repeats), and
    serves ``streams`` one by one from ``watch_status``.
    """

    name = "fake"

    def __init__(self, capabilities: Capabilities | None = None, **options: Any) -> None:
        self.caps = capabilities or Capabilities()
        self.options = options
        self.calls: builtins.list[Call] = []
        self.errors: dict[str, builtins.list[BaseException | None]] = defaultdict(builtins.list)
        self.stored: dict[tuple[type[Resource], str, str], Resource] = {}
        self.statuses: builtins.list[DeploymentStatus] = []
        self.streams: builtins.list[builtins.list[DeploymentStatus]] = []
        self.gaps: builtins.list[Unsupported] = []
        self.closed = False

    # -- test controls -----------------------------------------------------------

    def fail(self, method: str, *errors: BaseException | None) -> None:
        """The next calls of ``method`` raise ``errors``, one each, in order (``None``: succeed)."""
        self.errors[method].extend(errors)

    def called(self, method: str) -> builtins.list[Call]:
        return [call for call in self.calls if call.method == method]

    def applied(self) -> builtins.list[Resource]:
        """The resources ``apply`` received, in order."""
        return [call.args[0] for call in self.called("apply")]

    def _record(self, method: str, *args: Any) -> None:
        self.calls.append(Call(method, args))
        if self.errors[method]:
            error = self.errors[method].pop(0)
            if error is not None:
                raise error

    # -- the contract ------------------------------------------------------------

    @property
    def capabilities(self) -> Capabilities:
        return self.caps

    def unsupported(self, resource: Resource) -> builtins.list[Unsupported]:
        return list(self.gaps)

    def render(self, resource: Resource) -> builtins.list[dict[str, Any]]:
        self._record("render", resource)
        fields = thaw(attrs.asdict(resource, recurse=True))
        metadata = {key: fields.pop(key) for key in ("name", "namespace", "labels")}
        del fields["annotations"], fields["native"]
        return [{"kind": resource.kind, "metadata": metadata, "spec": fields}]

    def apply(self, resource: Resource) -> Action:
        self._record("apply", resource)
        key = (type(resource), resource.namespace or "", resource.name)
        before = self.stored.get(key)
        self.stored[key] = resource
        if before is None:
            return Action.CREATED
        return Action.UNCHANGED if before == resource else Action.UPDATED

    def get(self, kind: type[Any], name: str, namespace: str, *, reveal: bool = False) -> Any:
        self._record("get", kind, name, namespace, reveal)
        found = self.stored.get((kind, namespace, name))
        if found is None:
            raise NotFound(f"{kind.kind.lower()}/{name} not found in {namespace}")
        if isinstance(found, Secret) and not reveal:
            return attrs.evolve(found, data=dict.fromkeys(found.data, REDACTED))
        return found

    def list(
        self, kind: type[Any], namespace: str, labels: Mapping[str, str], *, reveal: bool = False
    ) -> builtins.list[Any]:
        self._record("list", kind, namespace, dict(labels), reveal)
        return [
            resource
            for (stored_kind, stored_namespace, _), resource in self.stored.items()
            if stored_kind is kind
            and stored_namespace == namespace
            and all(resource.labels.get(key) == value for key, value in labels.items())
        ]

    def delete(self, kind: type[Resource], name: str, namespace: str) -> None:
        self._record("delete", kind, name, namespace)
        if self.stored.pop((kind, namespace, name), None) is None:
            raise NotFound(f"{kind.kind.lower()}/{name} not found in {namespace}")

    def scale(self, name: str, namespace: str, replicas: int) -> None:
        self._record("scale", name, namespace, replicas)

    def status(self, name: str, namespace: str) -> DeploymentStatus:
        self._record("status", name, namespace)
        if not self.statuses:
            return rollout_status(name=name, namespace=namespace, phase=Phase.COMPLETE)
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]

    def rollback(self, name: str, namespace: str, revision: int | None) -> None:
        self._record("rollback", name, namespace, revision)

    def history(self, name: str, namespace: str) -> builtins.list[Revision]:
        """Three revisions, the third current."""
        self._record("history", name, namespace)
        return [Revision(n, f"nginx:1.{25 + n}", current=n == 3) for n in (1, 2, 3)]

    def instances(self, name: str, namespace: str) -> builtins.list[Instance]:
        self._record("instances", name, namespace)
        return []

    def endpoints(self, name: str, namespace: str) -> builtins.list[Endpoint]:
        self._record("endpoints", name, namespace)
        return []

    def watch_status(self, name: str, namespace: str, timeout: float) -> Iterator[DeploymentStatus]:
        self._record("watch_status", name, namespace, timeout)
        return iter(self.streams.pop(0) if self.streams else [])

    def close(self) -> None:
        self.closed = True


def rollout_status(
    phase: Phase = Phase.PROGRESSING,
    *,
    ready: int = 0,
    name: str = "web",
    namespace: str = "default",
    message: str = "",
) -> DeploymentStatus:
    """A status of a 3-replica deployment with ``ready`` instances ready."""
    return DeploymentStatus(
        name=name,
        namespace=namespace,
        desired=3,
        ready=ready,
        updated=ready,
        available=ready,
        revision=1,
        phase=phase,
        message=message,
    )


@pytest.fixture
def backend() -> RecordingBackend:
    return RecordingBackend()


@pytest.fixture
def orch(backend: RecordingBackend) -> Orchestrator:
    """A strict orchestrator around ``backend`` whose retries do not sleep."""
    return Orchestrator(backend, retry=FAST_RETRY)


@pytest.fixture
def fake_backend_class() -> type[RecordingBackend]:
    return RecordingBackend


@pytest.fixture
def make_status() -> Callable[..., DeploymentStatus]:
    """Builds a :class:`DeploymentStatus`: ``make_status(Phase.COMPLETE, ready=3)``."""
    return rollout_status


@pytest.fixture
def isolated_registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """In-process backend registrations made by a test are forgotten after it."""
    fresh: dict[str, Any] = {}
    monkeypatch.setattr("orchsdk.plugins._registered", fresh)
    return fresh
