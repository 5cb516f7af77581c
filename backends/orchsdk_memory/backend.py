"""The memory backend: every operation of the contract, on state held in this process.

It is the executable definition of the contract: the contract suite runs against it
with every capability on. Rollouts take steps on a clock (``step_seconds``) or, with
``rollout="manual"``, only when a test calls :attr:`MemoryBackend.control`.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime
import math
import threading
import time
from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any, TypeVar

import attrs

from orchsdk import (
    REDACTED,
    Action,
    Autoscaler,
    Backend,
    Capabilities,
    Comparison,
    ConfigMap,
    ConfigRef,
    Deployment,
    DeploymentStatus,
    Endpoint,
    Event,
    Failure,
    FailureReason,
    Instance,
    NotFound,
    Phase,
    Resource,
    Revision,
    Rollout,
    Secret,
    SecretRef,
    Service,
    SettingsError,
)
from orchsdk.backend import rollback_revision
from orchsdk.native import apply_native
from orchsdk.settings import settings_from
from orchsdk.testing.cluster import exits_at_once, nodes_for, shortfall, unpullable
from orchsdk_memory.config import Settings, parse_url
from orchsdk_memory.rollout import Pace, SimulatedRollout

__all__ = ["MemoryBackend", "RolloutControl"]

R = TypeVar("R", bound=Resource)
Key = tuple[type, str, str]

_named_stores: dict[str, _Store] = {}
_named_stores_lock = threading.Lock()


def _plain(value: Any) -> Any:
    """A spec value as JSON-like data: attrs classes and mappings as dicts, tuples as lists."""
    if attrs.has(type(value)):
        return {
            field.name: _plain(getattr(value, field.name)) for field in attrs.fields(type(value))
        }
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def _template(spec: Deployment) -> Deployment:
    """What makes a revision: the spec less the replica count and the rollout pace."""
    return attrs.evolve(spec, replicas=0, rollout=Rollout())


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


@attrs.frozen
class _Revision:
    """One revision: its template, the restart it was made by (0 for none: a restart
    makes a new revision of the same template, as on Kubernetes), when and why."""

    template: Deployment
    restart: int = 0
    created: datetime.datetime = attrs.field(factory=_now, eq=False)
    cause: str = attrs.field(default="", eq=False)


@attrs.define
class _DeploymentState:
    spec: Deployment
    revisions: dict[int, _Revision]
    rollout: SimulatedRollout
    last_step: float
    restarts: int = 0


@attrs.define
class _Store:
    """All resources of one memory "cluster", guarded by one lock."""

    resources: dict[Key, Resource] = attrs.field(factory=dict)
    deployments: dict[tuple[str, str], _DeploymentState] = attrs.field(factory=dict)
    departing: dict[tuple[str, str], float] = attrs.field(factory=dict)
    """Deleted deployments whose instances still shut down: until when, by namespace and name."""
    changed: threading.Condition = attrs.field(
        factory=lambda: threading.Condition(threading.RLock())
    )


class RolloutControl:
    """Lets a test steer rollouts: hold them, step them, finish them or make them fail."""

    def __init__(self, backend: MemoryBackend) -> None:
        self._backend = backend

    def hold(self, name: str, namespace: str) -> None:
        """Keeps the deployment's rollouts in progress until :meth:`release`."""
        with self._backend._rollout(name, namespace) as rollout:
            rollout.held = True

    def release(self, name: str, namespace: str) -> None:
        """Lets a held rollout go on."""
        with self._backend._rollout(name, namespace) as rollout:
            rollout.held = False

    def step(self, name: str, namespace: str) -> None:
        """Advances the rollout by one step."""
        with self._backend._rollout(name, namespace) as rollout:
            rollout.step()

    def finish(self, name: str, namespace: str) -> None:
        """Runs the rollout to its end."""
        with self._backend._rollout(name, namespace) as rollout:
            rollout.held = False
            rollout.finish()

    def fail(self, name: str, namespace: str) -> None:
        """Makes the current rollout fail, as when its progress deadline passes."""
        with self._backend._rollout(name, namespace) as rollout:
            rollout.failed = "progress deadline exceeded"


class MemoryBackend(Backend):
    """An orchestrator in memory, for tests, examples and the contract's definition.

    ``memory://`` gives a fresh, private store; ``memory://NAME`` a store shared by every
    backend of this process that uses the same name. Query options: ``rollout``
    (``auto`` or ``manual``), ``step_seconds`` (the pace of automatic rollouts) and
    ``termination_seconds`` (how long a stopped instance lingers, terminating).

    Instances fail as on a real cluster (see :mod:`orchsdk.testing.cluster`): an image
    on a ``.invalid`` registry host, the command ``false``, more than a node's 4 CPUs or
    16Gi, a placement no node satisfies, or a secret or config map (or key) missing when
    the instance starts.
    """

    name = "memory"

    def __init__(self, settings: Settings | None = None, **options: Any) -> None:
        if settings is None:
            settings = settings_from(Settings, options, backend="memory")
        elif options:
            raise SettingsError("give the memory backend either settings or options, not both")
        self.settings = settings
        if settings.store is None:
            self._store = _Store()
        else:
            with _named_stores_lock:
                self._store = _named_stores.setdefault(settings.store, _Store())
        self._manual = settings.rollout == "manual"
        self._step_seconds = settings.step_seconds
        self._linger = settings.termination_seconds
        self.control = RolloutControl(self)

    @classmethod
    def from_url(cls, url: str, **options: Any) -> MemoryBackend:
        """``memory://[NAME][?rollout=auto|manual&step_seconds=0.02]``."""
        return cls(parse_url(url, options))

    @classmethod
    def offline(cls, **options: Any) -> MemoryBackend:
        """A private in-memory backend: it renders without anything to connect to."""
        return cls(**options)

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(status_stream=True)

    def render(self, resource: Resource) -> builtins.list[dict[str, Any]]:
        spec = {
            field.name: _plain(getattr(resource, field.name))
            for field in attrs.fields(type(resource))
            if field.name not in ("name", "namespace", "native")
        }
        document = {
            "kind": resource.kind,
            "metadata": {"name": resource.name, "namespace": resource.namespace},
            "spec": spec,
        }
        return [apply_native(document, resource, self.name)]

    # -- resources ---------------------------------------------------------------

    def apply(self, resource: Resource) -> Action:
        assert resource.namespace is not None
        key = (type(resource), resource.namespace, resource.name)
        with self._store.changed:
            before = self._store.resources.get(key)
            if isinstance(resource, Deployment):
                resource = self._with_autoscaled_replicas(resource)
            self._store.resources[key] = resource
            if isinstance(resource, Deployment):
                self._roll(resource)
            elif isinstance(resource, Autoscaler):
                self._autoscale(resource)
            self._store.changed.notify_all()
        if before is None:
            return Action.CREATED
        return Action.UNCHANGED if before == resource else Action.UPDATED

    def compare(self, resource: Resource) -> Comparison:
        """As the default, but a deployment an autoscaler owns is compared with the
        replica count apply would keep (the autoscaler's), so diff and apply agree."""
        if isinstance(resource, Deployment):
            with self._store.changed:
                resource = self._with_autoscaled_replicas(resource)
        return super().compare(resource)

    def get(self, kind: type[R], name: str, namespace: str, *, reveal: bool = False) -> R:
        with self._store.changed:
            resource = self._store.resources.get((kind, namespace, name))
        if resource is None:
            raise NotFound.missing(kind.kind, name, namespace)
        return self._redacted(resource, reveal)  # type: ignore[return-value]

    def list(
        self, kind: type[R], namespace: str, labels: Mapping[str, str], *, reveal: bool = False
    ) -> builtins.list[R]:
        with self._store.changed:
            found = [
                resource
                for (cls, space, _), resource in self._store.resources.items()
                if cls is kind
                and space == namespace
                and all(resource.labels.get(k) == v for k, v in labels.items())
            ]
        found.sort(key=lambda resource: resource.name)
        return [self._redacted(resource, reveal) for resource in found]  # type: ignore[misc]

    def delete(self, kind: type[Resource], name: str, namespace: str) -> None:
        with self._store.changed:
            if self._store.resources.pop((kind, namespace, name), None) is None:
                raise NotFound.missing(kind.kind, name, namespace)
            if kind is Deployment:
                state = self._store.deployments.pop((namespace, name))
                if self._linger > 0 and state.rollout.instances:
                    self._store.departing[(namespace, name)] = time.monotonic() + self._linger
            self._store.changed.notify_all()

    def gone(self, kind: type[Resource], name: str, namespace: str) -> bool:
        with self._store.changed:
            if (kind, namespace, name) in self._store.resources:
                return False
            until = self._store.departing.get((namespace, name)) if kind is Deployment else None
            if until is not None and until <= time.monotonic():
                del self._store.departing[(namespace, name)]
                until = None
            return until is None

    def events(self, kind: type[Resource], name: str, namespace: str) -> builtins.list[Event]:
        """A deployment's rollouts, scaling, instances started and stopped, and failures;
        no other kind has events in memory."""
        with self._store.changed:
            if kind is not Deployment:
                self.get(kind, name, namespace)
                return []
            state = self._state(name, namespace)
            self._advance(state)
            return builtins.list(state.rollout.events)

    # -- deployments -------------------------------------------------------------

    def scale(self, name: str, namespace: str, replicas: int) -> None:
        with self._store.changed:
            state = self._state(name, namespace)
            replicas = self._clamped(state.spec, replicas)
            spec = attrs.evolve(state.spec, replicas=replicas)
            self._store.resources[(Deployment, namespace, name)] = spec
            state.spec = spec
            pace = Pace.of(spec.rollout, replicas)
            state.rollout.retarget(replicas, state.rollout.revision, pace)
            self._store.changed.notify_all()

    def status(self, name: str, namespace: str) -> DeploymentStatus:
        with self._store.changed:
            state = self._state(name, namespace)
            self._advance(state)
            return self._status_of(state, namespace)

    def watch_status(self, name: str, namespace: str, timeout: float) -> Iterator[DeploymentStatus]:
        deadline = time.monotonic() + timeout
        last: DeploymentStatus | None = None
        with self._store.changed:
            while True:
                state = self._state(name, namespace)
                self._advance(state)
                status = self._status_of(state, namespace)
                if status != last:
                    last = status
                    yield status
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                reap = state.rollout.next_reap()
                due = math.inf if reap is None else reap - time.monotonic()
                if not self._manual and status.phase is Phase.PROGRESSING:
                    due = min(due, state.last_step + self._step_seconds - time.monotonic())
                self._store.changed.wait(max(0.0, min(due, remaining)))

    def rollback(self, name: str, namespace: str, revision: int | None) -> None:
        with self._store.changed:
            state = self._state(name, namespace)
            current = state.rollout.revision
            target = state.revisions[rollback_revision(name, revision, state.revisions, current)]
            spec = attrs.evolve(
                target.template, replicas=state.spec.replicas, rollout=state.spec.rollout
            )
            self._store.resources[(Deployment, namespace, name)] = spec
            self._roll(spec, restart=target.restart)
            self._store.changed.notify_all()

    def history(self, name: str, namespace: str) -> builtins.list[Revision]:
        with self._store.changed:
            state = self._state(name, namespace)
            current = state.rollout.revision
            return [
                Revision(
                    number,
                    revision.template.image,
                    revision.created,
                    number == current,
                    revision.cause,
                )
                for number, revision in sorted(state.revisions.items())
            ]

    def restart(self, name: str, namespace: str) -> None:
        with self._store.changed:
            state = self._state(name, namespace)
            state.restarts += 1
            self._roll(state.spec, restart=state.restarts, cause="restart")
            self._store.changed.notify_all()

    def instances(self, name: str, namespace: str) -> builtins.list[Instance]:
        with self._store.changed:
            state = self._state(name, namespace)
            self._advance(state)
            ports = tuple(port.port for port in state.spec.ports)
            return [
                Instance(
                    id=item.id,
                    deployment=name,
                    namespace=namespace,
                    host=item.address,
                    ports=ports,
                    state=item.state,
                    ready=item.ready,
                    revision=item.revision,
                )
                for item in state.rollout.instances
            ]

    def endpoints(self, name: str, namespace: str) -> builtins.list[Endpoint]:
        service = self.get(Service, name, namespace)
        found = []
        for deployment in self.list(Deployment, namespace, service.selector):
            by_name = {port.name: port.port for port in deployment.ports if port.name}
            for instance in self.instances(deployment.name, namespace):
                if instance.state == "terminating":
                    continue
                for port in service.ports:
                    target = port.target_port if port.target_port is not None else port.port
                    number = by_name.get(target) if isinstance(target, str) else target
                    if number is None:
                        continue
                    found.append(
                        Endpoint(
                            service=name,
                            namespace=namespace,
                            host=instance.host,
                            port=number,
                            port_name=port.name,
                            protocol=port.protocol,
                            ready=instance.ready,
                            instance=instance.id,
                        )
                    )
        return found

    # -- internals ---------------------------------------------------------------

    def _state(self, name: str, namespace: str) -> _DeploymentState:
        state = self._store.deployments.get((namespace, name))
        if state is None:
            raise NotFound.missing("Deployment", name, namespace)
        return state

    @contextlib.contextmanager
    def _rollout(self, name: str, namespace: str) -> Iterator[SimulatedRollout]:
        """The deployment's rollout, under the store's lock; waiters are woken afterwards."""
        with self._store.changed:
            yield self._state(name, namespace).rollout
            self._store.changed.notify_all()

    def _roll(self, spec: Deployment, *, restart: int | None = None, cause: str = "") -> None:
        """Records a new revision when the template (or the restart, ``None``: the
        current one) changed, and retargets the rollout. A template seen before is
        renumbered as the newest revision, as Kubernetes does with its ReplicaSets."""
        assert spec.namespace is not None
        key = (spec.namespace, spec.name)
        pace = Pace.of(spec.rollout, spec.replicas)
        state = self._store.deployments.get(key)
        if state is None:
            first = _Revision(_template(spec), cause=cause or "created")
            rollout = SimulatedRollout(spec.name, spec.replicas, 1, pace, self._linger)
            state = _DeploymentState(spec, {1: first}, rollout, time.monotonic())
            rollout.diagnose = partial(self._diagnose, state, spec.namespace)
            self._store.deployments[key] = state
        else:
            revision = state.rollout.revision
            if restart is None:
                restart = state.revisions[revision].restart
            wanted = _Revision(_template(spec), restart)
            if state.revisions[revision] != wanted:
                reused = [number for number, old in state.revisions.items() if old == wanted]
                for number in reused:
                    del state.revisions[number]
                revision = max(state.revisions) + 1
                why = cause or ("rollback" if reused else "updated")
                state.revisions[revision] = attrs.evolve(wanted, cause=why)
            state.spec = spec
            state.rollout.retarget(spec.replicas, revision, pace)
        state.last_step = time.monotonic()

    def _advance(self, state: _DeploymentState) -> None:
        """Takes the steps that the clock says are due (automatic rollouts only), and
        forgets the stopped instances whose grace has passed."""
        now = time.monotonic()
        state.rollout.reap(now)
        if self._manual:
            return
        if self._step_seconds <= 0:
            state.rollout.finish()
            state.last_step = now
            return
        while now - state.last_step >= self._step_seconds:
            state.last_step += self._step_seconds
            if not state.rollout.step():
                state.last_step = now
                break

    def _status_of(self, state: _DeploymentState, namespace: str) -> DeploymentStatus:
        rollout = state.rollout
        current = rollout.current
        ready = sum(item.ready for item in rollout.instances)
        failure = rollout.failure
        if rollout.failed is not None:
            phase, message = Phase.FAILED, rollout.failed
        elif rollout.done:
            phase, message = Phase.COMPLETE, "successfully rolled out"
        else:
            phase = Phase.PROGRESSING
            message = f"{len(current)} of {rollout.replicas} updated replicas, {ready} ready"
            if failure is not None:
                message = str(failure)
            elif len(rollout.live) == rollout.replicas and rollout.terminating:
                message = f"{rollout.terminating} stopped instances are terminating"
        return DeploymentStatus(
            name=rollout.name,
            namespace=namespace,
            desired=rollout.replicas,
            ready=ready,
            updated=len(current),
            available=ready,
            revision=rollout.revision,
            phase=phase,
            message=message,
            failure=failure,
            terminating=rollout.terminating,
        )

    def _diagnose(self, state: _DeploymentState, namespace: str, revision: int) -> Failure | None:
        """Why an instance of ``revision`` cannot start on the simulated cluster: no node
        holds it, its image cannot be pulled, a value it refers to is missing, or its
        command exits at once (checked in the order a kubelet meets them)."""
        spec = state.revisions[revision].template
        short = shortfall(spec.resources.cpu, spec.resources.memory)
        if short:
            wanted = ", ".join(f"insufficient {name}" for name in short)
            message = f"0/2 nodes are available: {wanted} (each node has 4 CPUs and 16Gi)"
            return Failure(FailureReason.UNSCHEDULABLE, message)
        if not nodes_for(spec.placement):
            rules = "; ".join(f"{c.key} {c.operator} {list(c.values)}" for c in spec.placement)
            return Failure(FailureReason.UNSCHEDULABLE, f"0/2 nodes satisfy the placement {rules}")
        if unpullable(spec.image):
            host = spec.image.split("/")[0]
            message = f'cannot pull image "{spec.image}": registry host {host} not found'
            return Failure(FailureReason.IMAGE_PULL, message)
        missing = self._missing_value(spec, namespace)
        if missing is not None:
            return Failure(FailureReason.CONFIGURATION, missing)
        if exits_at_once(spec.command, spec.args):
            message = "back-off restarting failed container: it exited with status 1"
            return Failure(FailureReason.CRASH_LOOP, message)
        return None

    def _missing_value(self, spec: Deployment, namespace: str) -> str | None:
        """The secret or config map (or key) an instance of ``spec`` refers to that is gone."""
        refs = [value for value in spec.env.values() if isinstance(value, SecretRef | ConfigRef)]
        refs += [mount.source for mount in spec.files]
        for ref in refs:
            kind: type[Resource]
            if isinstance(ref, SecretRef):
                kind, label, name = Secret, "secret", ref.secret
            else:
                kind, label, name = ConfigMap, "config map", ref.config
            found = self._store.resources.get((kind, namespace, name))
            if found is None:
                return f'{label} "{name}" not found'
            if ref.key not in found.data:  # type: ignore[attr-defined]
                return f'key "{ref.key}" not found in {label} {namespace}/{name}'
        return None

    def _autoscaler_for(self, deployment: Deployment) -> Autoscaler | None:
        for (kind, namespace, _), resource in self._store.resources.items():
            if (
                kind is Autoscaler
                and namespace == deployment.namespace
                and isinstance(resource, Autoscaler)
                and resource.target == deployment.name
            ):
                return resource
        return None

    def _clamped(self, deployment: Deployment, replicas: int) -> int:
        scaler = self._autoscaler_for(deployment)
        if scaler is None:
            return replicas
        return min(max(replicas, scaler.min_replicas), scaler.max_replicas)

    def _with_autoscaled_replicas(self, deployment: Deployment) -> Deployment:
        """Under an autoscaler the replica count is the autoscaler's, as on Kubernetes."""
        assert deployment.namespace is not None
        state = self._store.deployments.get((deployment.namespace, deployment.name))
        if state is None or self._autoscaler_for(deployment) is None:
            return deployment
        return attrs.evolve(deployment, replicas=state.spec.replicas)

    def _autoscale(self, scaler: Autoscaler) -> None:
        assert scaler.namespace is not None
        state = self._store.deployments.get((scaler.namespace, scaler.target))
        if state is not None:
            replicas = self._clamped(state.spec, state.spec.replicas)
            if replicas != state.spec.replicas:
                self.scale(scaler.target, scaler.namespace, replicas)

    @staticmethod
    def _redacted(resource: Resource, reveal: bool) -> Resource:
        if isinstance(resource, Secret) and not reveal:
            return attrs.evolve(resource, data=dict.fromkeys(resource.data, REDACTED))
        return resource
