"""Test plumbing for the contract suite: remember what a test applied, and count backend calls."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

import attrs

from orchsdk.backend import Backend
from orchsdk.capabilities import Capabilities, Unsupported
from orchsdk.errors import NotFound
from orchsdk.models import (
    Action,
    ApplyResult,
    DeploymentStatus,
    Endpoint,
    Event,
    Instance,
    Revision,
)
from orchsdk.orchestrator import Orchestrator
from orchsdk.specs import KINDS, Resource

__all__ = ["CallRecorder", "TrackingOrchestrator"]

R = TypeVar("R", bound=Resource)
log = logging.getLogger("orchsdk.testing")


class CallRecorder(Backend):
    """Wraps a backend, passes every call through and records its name.

    ``capabilities`` can be narrowed (``without=``) to prove that the core refuses a
    feature before the backend is asked anything.
    """

    def __init__(self, inner: Backend, *, without: tuple[str, ...] = ()) -> None:
        self.inner = inner
        self.name = inner.name  # type: ignore[misc]
        self.calls: builtins.list[str] = []
        caps = inner.capabilities
        self._capabilities = attrs.evolve(
            caps,
            reasons={**caps.reasons, **dict.fromkeys(without, "turned off by the contract test")},
            **dict.fromkeys(without, False),
        )

    @property
    def default_namespace(self) -> str:
        return self.inner.default_namespace

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    def unsupported(self, resource: Resource) -> builtins.list[Unsupported]:
        return builtins.list(self.inner.unsupported(resource))

    def _record(self, operation: str) -> Backend:
        self.calls.append(operation)
        return self.inner

    def render(self, resource: Resource) -> builtins.list[dict[str, Any]]:
        return self._record("render").render(resource)

    def apply(self, resource: Resource) -> Action:
        return self._record("apply").apply(resource)

    def get(self, kind: type[R], name: str, namespace: str, *, reveal: bool = False) -> R:
        return self._record("get").get(kind, name, namespace, reveal=reveal)

    def list(
        self, kind: type[R], namespace: str, labels: Mapping[str, str], *, reveal: bool = False
    ) -> builtins.list[R]:
        return self._record("list").list(kind, namespace, labels, reveal=reveal)

    def delete(self, kind: type[Resource], name: str, namespace: str) -> None:
        self._record("delete").delete(kind, name, namespace)

    def scale(self, name: str, namespace: str, replicas: int) -> None:
        self._record("scale").scale(name, namespace, replicas)

    def status(self, name: str, namespace: str) -> DeploymentStatus:
        return self._record("status").status(name, namespace)

    def rollback(self, name: str, namespace: str, revision: int | None) -> None:
        self._record("rollback").rollback(name, namespace, revision)

    def restart(self, name: str, namespace: str) -> None:
        self._record("restart").restart(name, namespace)

    def history(self, name: str, namespace: str) -> builtins.list[Revision]:
        return self._record("history").history(name, namespace)

    def events(self, kind: type[Resource], name: str, namespace: str) -> builtins.list[Event]:
        return self._record("events").events(kind, name, namespace)

    def instances(self, name: str, namespace: str) -> builtins.list[Instance]:
        return self._record("instances").instances(name, namespace)

    def endpoints(self, name: str, namespace: str) -> builtins.list[Endpoint]:
        return self._record("endpoints").endpoints(name, namespace)

    def watch_status(self, name: str, namespace: str, timeout: float) -> Iterator[DeploymentStatus]:
        return self._record("watch_status").watch_status(name, namespace, timeout)


class TrackingOrchestrator(Orchestrator):
    """An orchestrator that remembers every resource applied through it, to delete them later."""

    def __init__(self, backend: Backend, **options: Any) -> None:
        super().__init__(backend, **options)
        self.applied: dict[tuple[type[Resource], str, str], None] = {}

    def apply(self, *resources: Resource, **options: Any) -> builtins.list[ApplyResult]:
        for resource in resources:
            if isinstance(resource, Resource) and isinstance(resource.name, str):
                namespace = resource.namespace or self.namespace
                self.applied[(type(resource), namespace, resource.name)] = None
        return super().apply(*resources, **options)

    def delete_applied(self) -> None:
        """Deletes everything applied through this orchestrator, dependents first."""
        order = sorted(self.applied, key=lambda key: KINDS.index(key[0]), reverse=True)
        for kind, namespace, name in order:
            try:
                self.backend.delete(kind, name, namespace)
            except NotFound:
                log.debug("%s %s/%s was already gone", kind.kind, namespace, name)
        self.applied.clear()
