"""The object users hold: validation, capability checks, order, retries and waits."""

from __future__ import annotations

import builtins
import logging
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any, TypeVar

import attrs

from orchsdk.backend import Backend
from orchsdk.capabilities import Capabilities, Unsupported, find_unsupported
from orchsdk.diffing import ResourceDiff, changes_between
from orchsdk.errors import (
    Conflict,
    FieldError,
    NotFound,
    OrchestratorError,
    UnsupportedFeature,
    ValidationError,
    WaitTimeout,
)
from orchsdk.models import (
    Action,
    ApplyResult,
    DeploymentStatus,
    Endpoint,
    Event,
    Instance,
    Revision,
)
from orchsdk.references import check_references
from orchsdk.retry import RetryPolicy
from orchsdk.scrubbing import sensitive
from orchsdk.specs import (
    KINDS,
    REDACTED,
    Autoscaler,
    Deployment,
    Resource,
    Secret,
    kind_named,
)
from orchsdk.validation import subject, validate_all, validate_labels, validate_namespace
from orchsdk.waiting import Backoff, Progress, wait_for_rollout

__all__ = ["Orchestrator", "UnsupportedFeatureWarning"]

R = TypeVar("R", bound=Resource)
T = TypeVar("T")
log = logging.getLogger("orchsdk")

DEFAULT_TIMEOUT = 300.0


class UnsupportedFeatureWarning(UserWarning):
    """In lenient mode: a field the backend cannot carry out was left out."""


class Orchestrator:
    """Deploy, expose, keep secrets and scale on one backend, the same way on every backend.

    Made by :func:`orchsdk.connect`, or directly around a :class:`~orchsdk.Backend`.
    ``namespace`` is the default for specs and calls that name none. In strict mode
    (the default) a field the backend cannot carry out raises
    :class:`~orchsdk.UnsupportedFeature` before any request; ``lenient=True`` leaves such
    fields out with an :class:`UnsupportedFeatureWarning` instead.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        namespace: str | None = None,
        lenient: bool = False,
        retry: RetryPolicy | None = None,
    ) -> None:
        if namespace is not None:
            validate_namespace(namespace)
        self.backend = backend
        self.namespace = namespace or backend.default_namespace
        self.lenient = lenient
        self.retry = retry or RetryPolicy()

    def __repr__(self) -> str:
        return f"<Orchestrator {self.backend.name} namespace={self.namespace!r}>"

    def __enter__(self) -> Orchestrator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Releases the backend's connections."""
        self.backend.close()

    @property
    def capabilities(self) -> Capabilities:
        """What the backend supports here; the same object the contract suite reads.

        A backend may ask the server (Marathon reads ``/v2/info`` once): that read is
        retried like any other.
        """
        return self._call(lambda: self.backend.capabilities, "read capabilities")

    # -- resources ---------------------------------------------------------------

    def apply(
        self,
        *resources: Resource,
        wait: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        progress: Progress | None = None,
    ) -> builtins.list[ApplyResult]:
        """Creates or updates each resource, in dependency order; says what each apply did.

        Secrets and config maps go first, then deployments, services and autoscalers.
        Everything is validated and checked against the backend's capabilities before
        the first write, and every secret, config map and key a deployment refers to must
        be in the same apply or on the cluster (each one outside the apply is read once).
        With ``wait=True`` it returns once every deployment applied has rolled out (within
        ``timeout`` seconds in all).

        If it fails part way, the :class:`~orchsdk.OrchestratorError` raised (of whatever
        type the failure was) says how far it got: ``error.applied`` holds the results of
        the resources applied, ``error.not_applied`` the resources that were not, the one
        that failed first. Running the same apply again completes it.
        """
        deadline = time.monotonic() + timeout
        results: builtins.list[ApplyResult] = []
        pending: builtins.list[Resource] = builtins.list(resources)
        try:
            prepared = self._prepare(resources)
            check_references(prepared, self._read)
            pending = sorted(prepared, key=lambda item: KINDS.index(type(item)))
            while pending:
                resource = pending[0]
                with sensitive(_secret_values(resource)):
                    action = self._call(
                        partial(self.backend.apply, resource), f"apply {_ref(resource)}"
                    )
                result = ApplyResult(resource.kind, resource.name, _ns(resource), action)
                log.info("%s: %s", _ref(resource), action.value)
                results.append(result)
                pending.pop(0)
            if wait:
                for resource in prepared:
                    if isinstance(resource, Deployment):
                        self._wait(resource.name, _ns(resource), timeout, progress, deadline)
        except OrchestratorError as error:
            error.applied = builtins.list(results)
            error.not_applied = builtins.list(pending)
            if results and pending:
                log.warning(
                    "apply stopped at %s: %d resource(s) applied, %d not",
                    _ref(pending[0]),
                    len(results),
                    len(pending),
                )
            raise
        return results

    def render(self, *resources: Resource, reveal: bool = False) -> builtins.list[dict[str, Any]]:
        """The native documents the resources become on this backend; sends nothing.

        What the spec says, as written: ``apply`` may send less (on Kubernetes it leaves
        out the replicas of a deployment an autoscaler owns), which :meth:`diff` shows.
        A secret's values are :data:`~orchsdk.REDACTED` in the documents unless
        ``reveal=True``, as ``orchsdk render`` prints them unless ``--reveal``.
        """
        documents: list[dict[str, Any]] = []
        for resource in self._prepare(resources):
            if isinstance(resource, Secret) and not reveal:
                resource = attrs.evolve(resource, data=dict.fromkeys(resource.data, REDACTED))
            documents.extend(
                self._call(partial(self.backend.render, resource), f"render {_ref(resource)}")
            )
        return documents

    def diff(self, *resources: Resource) -> builtins.list[ResourceDiff]:
        """What :meth:`apply` would do to each resource, with the native fields it would change.

        Secret values are masked: a diff says that a value changes, never what it is.
        """
        diffs = []
        for resource in self._prepare(resources):
            with sensitive(_secret_values(resource)):
                sides = self._call(
                    partial(self.backend.compare, resource), f"compare {_ref(resource)}"
                )
            before = sides.live or []
            if len(before) == len(sides.desired) == 1:
                changes = tuple(changes_between(before[0], sides.desired[0]))
            else:
                changes = tuple(changes_between(before, sides.desired))
            if sides.live is None:
                action = Action.CREATED
            else:
                action = Action.UPDATED if changes else Action.UNCHANGED
            diffs.append(ResourceDiff(resource.kind, resource.name, _ns(resource), action, changes))
        return diffs

    def get(
        self, kind: type[R] | str, name: str, namespace: str | None = None, *, reveal: bool = False
    ) -> R:
        """The spec of one resource as the orchestrator has it.

        Raises :class:`~orchsdk.NotFound` if it does not exist. A secret's values are
        :data:`~orchsdk.REDACTED` unless ``reveal=True``.
        """
        cls = _kind(kind)
        namespace = self._namespace(namespace)
        return self._call(
            lambda: self.backend.get(cls, name, namespace, reveal=reveal),
            f"get {cls.kind.lower()}/{name}",
        )

    def list(
        self,
        kind: type[R] | str,
        namespace: str | None = None,
        *,
        labels: Mapping[str, str] | None = None,
        reveal: bool = False,
    ) -> builtins.list[R]:
        """Every resource of a kind in a namespace that carries all the given labels."""
        cls = _kind(kind)
        namespace = self._namespace(namespace)
        wanted = dict(labels or {})
        validate_labels(wanted)
        return self._call(
            lambda: self.backend.list(cls, namespace, wanted, reveal=reveal),
            f"list {cls.kind.lower()}s",
        )

    def delete(
        self,
        kind: type[Resource] | str | Resource,
        name: str | None = None,
        namespace: str | None = None,
        *,
        missing_ok: bool = False,
        wait: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> bool:
        """Deletes one resource, given as a spec or as kind and name; True if it existed.

        Raises :class:`~orchsdk.NotFound` for a missing resource unless ``missing_ok``.
        The orchestrator may go on shutting a deployment's instances down after this
        returns (a Kubernetes pod has a grace period, a Marathon task is killed); with
        ``wait``, it returns only once the resource and every instance of it are gone,
        and raises :class:`~orchsdk.WaitTimeout` after ``timeout`` seconds.
        """
        if isinstance(kind, Resource):
            cls: type[Resource] = type(kind)
            name, namespace = kind.name, namespace or kind.namespace
        else:
            cls = _kind(kind)
        if name is None:
            raise TypeError("delete() needs a name when given a kind")
        namespace = self._namespace(namespace)
        description = f"delete {cls.kind.lower()}/{name}"
        attempted = False

        def delete_once() -> None:
            nonlocal attempted
            try:
                self.backend.delete(cls, name, namespace)
            except NotFound:
                if not attempted:
                    raise
            finally:
                attempted = True

        try:
            self._call(delete_once, description)
        except NotFound:
            if missing_ok:
                return False
            raise
        log.info("%s/%s: deleted", cls.kind.lower(), name)
        if wait:
            self._wait_gone(cls, name, namespace, timeout)
        return True

    def _wait_gone(self, kind: type[Resource], name: str, namespace: str, timeout: float) -> None:
        """Polls until the backend says the deleted resource and its instances are gone."""
        deadline = time.monotonic() + timeout
        backoff = Backoff()
        what = f"{kind.kind.lower()}/{name}"
        while not self._call(lambda: self.backend.gone(kind, name, namespace), f"read {what}"):
            if time.monotonic() >= deadline:
                raise WaitTimeout(f"{what} in {namespace} was not gone within {timeout:g}s")
            backoff.sleep(deadline)
        log.info("%s: gone", what)

    # -- deployments -------------------------------------------------------------

    def scale(
        self,
        name: str,
        replicas: int,
        namespace: str | None = None,
        *,
        wait: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        progress: Progress | None = None,
    ) -> DeploymentStatus:
        """Sets a deployment's replica count; with ``wait=True``, returns once it is reached.

        A deployment an :class:`~orchsdk.Autoscaler` targets is not scaled by hand: the
        autoscaler owns its replica count and would undo the change (or clamp it to its
        range without a word), so this raises :class:`~orchsdk.Conflict` naming the
        autoscaler and sends nothing. Change the autoscaler's range, or delete it, instead.
        """
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            raise ValidationError(
                f"scale of {name!r}",
                [FieldError("replicas", f"must be a whole number >= 0, got {replicas!r}")],
            )
        namespace = self._namespace(namespace)
        owner = self._autoscaler_of(name, namespace)
        if owner is not None:
            raise Conflict(
                f"deployment/{name} in {namespace} is scaled by autoscaler/{owner.name} "
                f"({owner.min_replicas} to {owner.max_replicas} replicas): change its "
                "min_replicas and max_replicas, or delete it, to set the count by hand"
            )
        self._call(lambda: self.backend.scale(name, namespace, replicas), f"scale {name}")
        log.info("deployment/%s: scaled to %d", name, replicas)
        if wait:
            return self.wait(name, namespace, timeout=timeout, progress=progress)
        return self.status(name, namespace)

    def status(self, name: str, namespace: str | None = None) -> DeploymentStatus:
        """A deployment's rollout status now."""
        namespace = self._namespace(namespace)
        return self._call(lambda: self.backend.status(name, namespace), f"status of {name}")

    def wait(
        self,
        name: str,
        namespace: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        progress: Progress | None = None,
    ) -> DeploymentStatus:
        """Blocks until a deployment has rolled out, and returns its final status.

        Raises :class:`~orchsdk.RolloutFailed` if the orchestrator gives up on the
        rollout, :class:`~orchsdk.WaitTimeout` (carrying the last status) after
        ``timeout`` seconds. ``progress`` is called with each new status.
        """
        return self._wait(name, self._namespace(namespace), timeout, progress, None)

    def _wait(
        self,
        name: str,
        namespace: str,
        timeout: float,
        progress: Progress | None,
        deadline: float | None,
    ) -> DeploymentStatus:
        return wait_for_rollout(
            self.backend,
            lambda: self.status(name, namespace),
            name,
            namespace,
            timeout,
            progress,
            deadline=deadline,
        )

    def rollback(
        self,
        name: str,
        namespace: str | None = None,
        *,
        to_revision: int | None = None,
        wait: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        progress: Progress | None = None,
    ) -> DeploymentStatus:
        """Rolls a deployment back to the previous revision, or to ``to_revision``.

        A rollback is not safe to repeat blindly: had a first try acted, a second would
        go back one more revision (or find the revision renumbered). So it is retried
        only on failures that changed nothing (``BackendUnavailable.acted is False``, a
        ``Conflict`` with ``reason="changed"``); backends resolve a lost answer by
        reading back. Otherwise the :class:`~orchsdk.BackendUnavailable` is raised: read
        :meth:`status` (or :meth:`get`) before trying again.
        """
        namespace = self._namespace(namespace)
        if not self.capabilities.rollback:
            raise UnsupportedFeature(
                self.backend.name,
                f"Deployment {name!r}",
                "rollback",
                self.capabilities.reason("rollback"),
            )
        if to_revision is not None and (
            isinstance(to_revision, bool) or not isinstance(to_revision, int) or to_revision < 1
        ):
            raise ValidationError(
                f"rollback of {name!r}",
                [FieldError("to_revision", f"must be a revision >= 1, got {to_revision!r}")],
            )

        def roll_back() -> None:
            self.backend.rollback(name, namespace, to_revision)

        self._call(roll_back, f"rollback of {name}", idempotent=False)
        log.info("deployment/%s: rolled back to %s", name, to_revision or "the previous revision")
        if wait:
            return self.wait(name, namespace, timeout=timeout, progress=progress)
        return self.status(name, namespace)

    def history(self, name: str, namespace: str | None = None) -> builtins.list[Revision]:
        """The revisions of a deployment that the orchestrator still keeps, oldest first
        (``kubectl rollout history``, ``dcos marathon app version list``), numbered the
        same way on every backend: the numbers :meth:`rollback` takes (see
        :class:`~orchsdk.Revision`)."""
        namespace = self._namespace(namespace)
        self._require("history", f"Deployment {name!r}")
        return self._call(lambda: self.backend.history(name, namespace), f"history of {name}")

    def restart(
        self,
        name: str,
        namespace: str | None = None,
        *,
        wait: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        progress: Progress | None = None,
    ) -> DeploymentStatus:
        """Replaces every instance of a deployment with a new one of the same definition,
        as a rollout that keeps the deployment's pace (``kubectl rollout restart``,
        Marathon's ``POST /v2/apps/{id}/restart``): after a secret or config map it reads
        changed, or to clear a bad state. It makes a new revision.

        A restart is not safe to repeat blindly (a second one would replace the instances
        again), so it is retried only on failures that changed nothing, like
        :meth:`rollback`. With ``wait=True``, returns once the new instances are ready.
        """
        namespace = self._namespace(namespace)
        self._require("restart", f"Deployment {name!r}")
        self._call(
            lambda: self.backend.restart(name, namespace), f"restart of {name}", idempotent=False
        )
        log.info("deployment/%s: restarted", name)
        if wait:
            return self.wait(name, namespace, timeout=timeout, progress=progress)
        return self.status(name, namespace)

    def instances(self, name: str, namespace: str | None = None) -> builtins.list[Instance]:
        """The running instances of a deployment (pods, tasks)."""
        namespace = self._namespace(namespace)
        return self._call(lambda: self.backend.instances(name, namespace), f"instances of {name}")

    def events(
        self,
        name: str,
        namespace: str | None = None,
        *,
        kind: type[Resource] | str = Deployment,
    ) -> builtins.list[Event]:
        """What the orchestrator reported about a resource, oldest first; for a deployment
        also about its revisions and instances (Kubernetes Events of the deployment, its
        ReplicaSets and pods; Marathon task failures and unplaced offers).

        Raises :class:`~orchsdk.NotFound` when the resource does not exist and
        :class:`~orchsdk.UnsupportedFeature` on a backend without events.
        """
        cls = _kind(kind)
        namespace = self._namespace(namespace)
        if not self.capabilities.events:
            raise UnsupportedFeature(
                self.backend.name,
                f"{cls.kind} {name!r}",
                "events",
                self.capabilities.reason("events"),
            )
        return self._call(lambda: self.backend.events(cls, name, namespace), f"events of {name}")

    def endpoints(self, service: str, namespace: str | None = None) -> builtins.list[Endpoint]:
        """The addresses behind a service."""
        namespace = self._namespace(namespace)
        return self._call(
            lambda: self.backend.endpoints(service, namespace), f"endpoints of {service}"
        )

    # -- helpers -----------------------------------------------------------------

    def _autoscaler_of(self, deployment: str, namespace: str) -> Autoscaler | None:
        """The autoscaler that targets a deployment, if the backend has autoscalers."""
        if not self.capabilities.autoscalers:
            return None
        scalers = self._call(
            lambda: self.backend.list(Autoscaler, namespace, {}),
            f"list autoscalers of {deployment}",
        )
        return next((scaler for scaler in scalers if scaler.target == deployment), None)

    def _require(self, capability: str, subject: str) -> None:
        """Raises :class:`~orchsdk.UnsupportedFeature` when the backend lacks a verb."""
        if not self.capabilities.supports(capability):
            raise UnsupportedFeature(
                self.backend.name, subject, capability, self.capabilities.reason(capability)
            )

    def _read(self, kind: type[Resource], name: str, namespace: str) -> Resource:
        return self._call(
            lambda: self.backend.get(kind, name, namespace),
            f"read {kind.kind.lower()}/{name}",
        )

    def _namespace(self, namespace: str | None) -> str:
        if namespace is None:
            return self.namespace
        validate_namespace(namespace)
        return namespace

    def _call(self, operation: Callable[[], T], description: str, *, idempotent: bool = True) -> T:
        return self.retry.call(operation, description=description, idempotent=idempotent)

    def _prepare(self, resources: Iterable[Resource]) -> builtins.list[Resource]:
        """Validated resources with namespaces filled in, less what lenient mode leaves out.

        The order is the same on every backend and ends before any write: the core's
        validation, the capability checks, then the backend's own rules for each.
        """
        batch = [
            attrs.evolve(item, namespace=self.namespace)
            if isinstance(item, Resource) and item.namespace is None
            else item
            for item in resources
        ]
        validate_all(batch)
        if not batch:
            return []  # nothing to check: no capabilities read (it may ask the server)
        capabilities = self.capabilities  # once per call: reading it may cost a retried call
        prepared = []
        for resource in batch:
            kept: Resource | None = resource
            gaps = self._unsupported(resource, capabilities)
            if gaps and not self.lenient:
                (first, *rest) = [(gap.field, capabilities.reason(gap.capability)) for gap in gaps]
                raise UnsupportedFeature(self.backend.name, subject(resource), *first, more=rest)
            for gap in gaps:
                what = (
                    subject(resource)
                    if gap.field == resource.kind
                    else (f"{gap.field} of {subject(resource)}")
                )
                warnings.warn(
                    f"{self.backend.name} cannot apply {what} "
                    f"({capabilities.reason(gap.capability)}); left out",
                    UnsupportedFeatureWarning,
                    stacklevel=3,
                )
                kept = gap.leave_out(kept) if kept is not None else None
            if kept is not None:
                prepared.append(kept)
        for resource in prepared:
            errors = builtins.list(self.backend.validate(resource))
            if errors:
                raise ValidationError(subject(resource), errors)
        return prepared

    def _unsupported(
        self, resource: Resource, capabilities: Capabilities
    ) -> builtins.list[Unsupported]:
        gaps = list(find_unsupported(resource, capabilities))
        return gaps + list(self.backend.unsupported(resource))


def _kind(kind: type[R] | str) -> type[R]:
    if isinstance(kind, str):
        try:
            return kind_named(kind)  # type: ignore[return-value]
        except ValueError as error:
            raise ValidationError(f"kind {kind!r}", [FieldError("kind", str(error))]) from None
    if isinstance(kind, type) and issubclass(kind, Resource) and kind in KINDS:
        return kind
    raise TypeError(f"expected a resource kind such as Deployment or 'Deployment', got {kind!r}")


def _ns(resource: Resource) -> str:
    assert resource.namespace is not None, "namespaces are filled in by _prepare"
    return resource.namespace


def _ref(resource: Resource) -> str:
    return f"{resource.kind.lower()}/{resource.name}"


def _secret_values(resource: Resource) -> builtins.list[str]:
    """The values a spec carries that no answer may echo: a secret's."""
    return builtins.list(resource.data.values()) if isinstance(resource, Secret) else []
