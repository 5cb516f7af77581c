"""The contract every backend implements: a few primitives on specs that the core has validated.

A backend translates specs to its orchestrator's documents and back, and talks to the
orchestrator. Everything that is the same on every orchestrator (validation, capability
checks, dependency order, retries, waits, logging) lives in
:class:`~orchsdk.Orchestrator`, not here. Backends receive resources whose namespace is
always set.

A minimal backend subclasses :class:`Backend`, implements the abstract methods, and is
registered under a URL scheme in the ``orchsdk.backends`` entry-point group (the only
group: :meth:`Backend.offline` serves rendering without a cluster); the contract suite
in :mod:`orchsdk.testing` proves it behaves like every other backend.

The order of a call is the core's, on every backend: the spec is validated
(:func:`orchsdk.validate`), checked against :attr:`Backend.capabilities` and
:meth:`Backend.unsupported`, then against the backend's own rules
(:meth:`Backend.validate`), for every resource of an apply before its first request.
"""

from __future__ import annotations

import abc
import builtins
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar, TypeVar
from urllib.parse import parse_qsl, urlsplit

from orchsdk.capabilities import Capabilities, Unsupported
from orchsdk.diffing import Comparison, mask_secret_values
from orchsdk.errors import FieldError, NotFound, OrchestratorError
from orchsdk.models import Action, DeploymentStatus, Endpoint, Event, Instance, Revision
from orchsdk.specs import Resource

__all__ = ["Backend", "rollback_revision", "url_options"]

R = TypeVar("R", bound=Resource)


class Backend(abc.ABC):
    """Base class of every backend (Kubernetes, Marathon, memory, third-party plugins)."""

    name: ClassVar[str]
    """The backend's name, also the key of its patch in ``Resource.native``."""

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Backend:
        """Builds the backend for a URL given to :func:`orchsdk.connect`.

        The default passes the URL's query parameters and ``options`` as keyword
        arguments; backends whose URL carries more (a host, a path) override it.
        """
        return cls(**url_options(url), **options)

    @property
    def default_namespace(self) -> str:
        """The namespace used when a spec or call names none."""
        return "default"

    @property
    @abc.abstractmethod
    def capabilities(self) -> Capabilities:
        """What this backend supports against the orchestrator it is connected to."""

    @classmethod
    def offline(cls, **options: Any) -> Backend:
        """A backend that renders without a cluster, for ``orchsdk render`` and dry runs.

        It must answer :meth:`render`, :attr:`capabilities`, :meth:`unsupported` and
        :meth:`validate` without a request; its other methods are never called. Options
        are the backend's own (a Marathon containerizer, say). The default says the
        backend cannot render offline.
        """
        raise OrchestratorError(f"the {cls.name} backend cannot render without a cluster")

    def unsupported(self, resource: Resource) -> Iterable[Unsupported]:
        """Fields of ``resource`` this backend cannot carry out beyond its capability flags."""
        return ()

    def validate(self, resource: Resource) -> Iterable[FieldError]:
        """The orchestrator's own rules that ``resource`` breaks, beyond the core's.

        Called by the core for every resource of a call before its first request, after
        the core's validation and capability checks; pure, sends nothing. Each
        :class:`~orchsdk.FieldError` names the spec's field (``name``, ``ports[1].port``);
        the core raises them as one :class:`~orchsdk.ValidationError`. Marathon, for
        instance, reserves some app names; the default has no rules of its own.
        """
        return ()

    @abc.abstractmethod
    def render(self, resource: Resource) -> builtins.list[dict[str, Any]]:
        """The native documents ``resource`` becomes; pure, sends nothing."""

    @abc.abstractmethod
    def apply(self, resource: Resource) -> Action:
        """Creates or updates ``resource`` so it matches the spec; says which it did."""

    def compare(self, resource: Resource) -> Comparison:
        """The documents :meth:`~orchsdk.Orchestrator.diff` compares: live and desired.

        The default reads the resource with :meth:`get` and renders both sides, which
        tells exactly what :meth:`apply` would do when parse and render are lossless and
        apply writes what render returns. A backend whose apply decides "unchanged" by
        other means (comparing the stored document with what it would send, or writing
        more than render returns) overrides this so that diff and apply always agree.
        Secret values must be masked with :func:`orchsdk.diffing.mask_secret_values`.
        """
        assert resource.namespace is not None, "the core sets the namespace"
        try:
            current = self.get(type(resource), resource.name, resource.namespace, reveal=True)
        except NotFound:
            current = None
        current, desired = mask_secret_values(current, resource)
        live = None if current is None else self.render(current)
        return Comparison(live, self.render(desired))

    @abc.abstractmethod
    def get(self, kind: type[R], name: str, namespace: str, *, reveal: bool = False) -> R:
        """The spec of one resource; raises :class:`~orchsdk.NotFound` if it does not exist.

        Secret values are :data:`~orchsdk.REDACTED` unless ``reveal`` is true.
        """

    @abc.abstractmethod
    def list(
        self, kind: type[R], namespace: str, labels: Mapping[str, str], *, reveal: bool = False
    ) -> builtins.list[R]:
        """The specs of every resource of a kind in ``namespace`` that has all ``labels``."""

    @abc.abstractmethod
    def delete(self, kind: type[Resource], name: str, namespace: str) -> None:
        """Deletes one resource; raises :class:`~orchsdk.NotFound` if it does not exist."""

    def gone(self, kind: type[Resource], name: str, namespace: str) -> bool:
        """Whether a deleted resource, and everything it ran, no longer exists.

        ``Orchestrator.delete(wait=True)`` polls this. The default asks :meth:`get`; a
        backend whose deployments leave instances shutting down after the deployment
        itself is gone (Kubernetes pods in their grace period) looks for those too.
        """
        try:
            self.get(kind, name, namespace)
        except NotFound:
            return True
        return False

    @abc.abstractmethod
    def scale(self, name: str, namespace: str, replicas: int) -> None:
        """Sets the replica count of a deployment."""

    @abc.abstractmethod
    def status(self, name: str, namespace: str) -> DeploymentStatus:
        """The rollout status of a deployment."""

    @abc.abstractmethod
    def rollback(self, name: str, namespace: str, revision: int | None) -> None:
        """Rolls a deployment back to ``revision``, or to the one before the current."""

    @abc.abstractmethod
    def instances(self, name: str, namespace: str) -> builtins.list[Instance]:
        """The running instances of a deployment."""

    @abc.abstractmethod
    def endpoints(self, name: str, namespace: str) -> builtins.list[Endpoint]:
        """The addresses behind a service."""

    def events(self, kind: type[Resource], name: str, namespace: str) -> builtins.list[Event]:
        """What the orchestrator reported about one resource, oldest first: for a
        deployment also about its revisions and instances.

        Only called when ``capabilities.events`` is on; raises
        :class:`~orchsdk.NotFound` when the resource does not exist.
        """
        raise NotImplementedError(f"{self.name} reports no events")

    def history(self, name: str, namespace: str) -> builtins.list[Revision]:
        """The revisions of a deployment the orchestrator still keeps, oldest first,
        numbered as :class:`~orchsdk.Revision` says (the numbers ``rollback`` takes).

        Only called when ``capabilities.history`` is on; raises :class:`~orchsdk.NotFound`
        when the deployment does not exist.
        """
        raise NotImplementedError(f"{self.name} keeps no revision history")

    def restart(self, name: str, namespace: str) -> None:
        """Starts a rollout that replaces every instance of a deployment with a new one of
        the same definition, as a new revision.

        Only called when ``capabilities.restart`` is on; raises :class:`~orchsdk.NotFound`
        when the deployment does not exist.
        """
        raise NotImplementedError(f"{self.name} cannot restart deployments")

    def watch_status(self, name: str, namespace: str, timeout: float) -> Iterator[DeploymentStatus]:
        """Yields a deployment's status each time it changes, for at most ``timeout`` seconds.

        Only called when ``capabilities.status_stream`` is on; waits poll otherwise.
        """
        raise NotImplementedError(f"{self.name} has no status stream")

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Releases connections; the backend is not used afterwards."""


def url_options(url: str) -> dict[str, str]:
    """The query parameters of a backend URL as keyword options (``?namespace=shop``)."""
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def rollback_revision(name: str, wanted: int | None, kept: Iterable[int], current: int) -> int:
    """The revision a rollback of deployment ``name`` goes to, as every backend picks it:
    ``wanted``, or (``None``) the newest of the ``kept`` revisions before ``current``.
    Raises :meth:`NotFound.no_revision <orchsdk.NotFound.no_revision>` when the history
    has no such revision, before anything is written."""
    numbers = sorted(kept)
    if wanted is None:
        older = [number for number in numbers if number < current]
        if not older:
            raise NotFound.no_revision(name, None, numbers)
        return older[-1]
    if wanted not in numbers:
        raise NotFound.no_revision(name, wanted, numbers)
    return wanted
