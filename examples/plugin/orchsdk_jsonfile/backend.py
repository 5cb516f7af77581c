"""The jsonfile backend: a toy orchestrator whose whole cluster is one JSON file on disk.

``orchsdk.connect("jsonfile:///var/tmp/cluster.json")`` keeps every resource as the
document :meth:`JsonFileBackend.render` makes of it, and each deployment's revisions,
instances and rollout state. Rollouts finish the moment they are written (unless held
with :class:`RolloutControl`); there is no status stream, so the core's waits poll.

It shows the hooks a plugin fills in besides the verbs: settings parsed strictly
(:mod:`orchsdk_jsonfile.config`), a rule of its own that the core checks before any
write (:meth:`JsonFileBackend.validate`), and rendering without a cluster
(:meth:`JsonFileBackend.offline`).
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

import attrs

from orchsdk import (
    REDACTED,
    Action,
    Backend,
    Capabilities,
    Deployment,
    DeploymentStatus,
    Endpoint,
    FieldError,
    Instance,
    NotFound,
    OrchestratorError,
    Phase,
    Resource,
    Revision,
    Rollout,
    Secret,
    Service,
    ValidationError,
)
from orchsdk.backend import rollback_revision
from orchsdk.native import apply_native
from orchsdk.settings import settings_from
from orchsdk_jsonfile.codec import from_document, to_document
from orchsdk_jsonfile.config import Settings, parse_url
from orchsdk_jsonfile.store import JsonStore, State

__all__ = ["JsonFileBackend", "RolloutControl"]

R = TypeVar("R", bound=Resource)


class JsonFileBackend(Backend):
    """A cluster in a JSON file: ``jsonfile:///absolute/path.json``, ``jsonfile://relative.json``."""

    name = "jsonfile"

    def __init__(self, path: str | os.PathLike[str] | None = None, **options: Any) -> None:
        given = {**options, "path": None if path is None else os.fspath(path)}
        self.settings = settings_from(Settings, given, backend="jsonfile")
        self._store = None if path is None else JsonStore(path)
        self.control = RolloutControl(self)

    @classmethod
    def from_url(cls, url: str, **options: Any) -> JsonFileBackend:
        """The file is the URL's host and path: ``jsonfile:///abs.json``, ``jsonfile://rel.json``."""
        settings = parse_url(url, options)
        return cls(settings.path, max_instances=settings.max_instances)

    @classmethod
    def offline(cls, **options: Any) -> JsonFileBackend:
        """A backend with no file: it renders, checks and reports capabilities, nothing else."""
        return cls(None, **options)

    @property
    def store(self) -> JsonStore:
        """The cluster file; an offline backend has none."""
        if self._store is None:
            raise OrchestratorError("the offline jsonfile backend has no cluster file to use")
        return self._store

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            autoscalers=False,
            node_services=False,
            status_stream=False,
            events=False,
            failure_reasons=False,
            restart=False,
            reasons={
                "autoscalers": "a JSON file has no metrics to scale on",
                "events": "a JSON file keeps no history of what happened to it",
                "failure_reasons": "a JSON file runs nothing, so nothing fails to start",
                "node_services": "a JSON file has no nodes to open ports on",
                "restart": "a JSON file runs no instances to replace",
            },
        )

    def validate(self, resource: Resource) -> Iterator[FieldError]:
        """Every instance is a record in the file, so a deployment keeps at most
        ``max_instances`` of them; the core refuses a bigger one before any write."""
        if isinstance(resource, Deployment):
            yield from self._instance_limit(resource.replicas)

    def _instance_limit(self, replicas: int) -> Iterator[FieldError]:
        limit = self.settings.max_instances
        if replicas > limit:
            yield FieldError(
                "replicas", f"a jsonfile cluster keeps at most {limit} instances per deployment"
            )

    def render(self, resource: Resource) -> builtins.list[dict[str, Any]]:
        return [apply_native(to_document(resource), resource, self.name)]

    # -- resources ---------------------------------------------------------------

    def apply(self, resource: Resource) -> Action:
        [document] = self.render(resource)
        with self.store.transaction() as state:
            before = state["objects"].get(_key(type(resource), resource.namespace, resource.name))
            if document == before:
                return Action.UNCHANGED
            self._put(state, resource)
        return Action.CREATED if before is None else Action.UPDATED

    def get(self, kind: type[R], name: str, namespace: str, *, reveal: bool = False) -> R:
        return _redacted(_find(self.store.read(), kind, name, namespace), reveal)

    def list(
        self, kind: type[R], namespace: str, labels: Mapping[str, str], *, reveal: bool = False
    ) -> builtins.list[R]:
        found = _list(self.store.read(), kind, namespace, labels)
        return [_redacted(resource, reveal) for resource in found]

    def delete(self, kind: type[Resource], name: str, namespace: str) -> None:
        with self.store.transaction() as state:
            if state["objects"].pop(_key(kind, namespace, name), None) is None:
                raise NotFound.missing(kind.kind, name, namespace)
            if kind is Deployment:
                del state["rollouts"][f"{namespace}/{name}"]

    # -- deployments -------------------------------------------------------------

    def scale(self, name: str, namespace: str, replicas: int) -> None:
        errors = list(
            self.validate(Deployment(name, namespace=namespace, image="-", replicas=replicas))
        )
        if errors:
            raise ValidationError(f"scale of {name!r}", errors)
        with self.store.transaction() as state:
            spec = _find(state, Deployment, name, namespace)
            state["objects"][_key(Deployment, namespace, name)]["spec"]["replicas"] = replicas
            _converge(state, attrs.evolve(spec, replicas=replicas))

    def status(self, name: str, namespace: str) -> DeploymentStatus:
        state = self.store.read()
        spec = _find(state, Deployment, name, namespace)
        rollout = state["rollouts"][f"{namespace}/{name}"]
        running = len(rollout["instances"])
        updated = sum(item["revision"] == rollout["revision"] for item in rollout["instances"])
        if rollout["failed"]:
            phase, message = Phase.FAILED, rollout["failed"]
        elif updated == running == spec.replicas:
            phase, message = Phase.COMPLETE, "successfully rolled out"
        else:
            held = " (held)" if rollout["held"] else ""
            phase, message = Phase.PROGRESSING, f"{updated} of {spec.replicas} updated{held}"
        return DeploymentStatus(
            name=name,
            namespace=namespace,
            desired=spec.replicas,
            ready=running,
            updated=updated,
            available=running,
            revision=rollout["revision"],
            phase=phase,
            message=message,
        )

    def rollback(self, name: str, namespace: str, revision: int | None) -> None:
        with self.store.transaction() as state:
            spec = _find(state, Deployment, name, namespace)
            rollout = state["rollouts"][f"{namespace}/{name}"]
            numbers = [int(number) for number in rollout["revisions"]]
            revision = rollback_revision(name, revision, numbers, rollout["revision"])
            template = from_document(rollout["revisions"][str(revision)])
            assert isinstance(template, Deployment)
            self._put(state, attrs.evolve(template, replicas=spec.replicas, rollout=spec.rollout))

    def history(self, name: str, namespace: str) -> builtins.list[Revision]:
        state = self.store.read()
        _find(state, Deployment, name, namespace)
        rollout = state["rollouts"][f"{namespace}/{name}"]
        causes = rollout.get("causes", {})
        found = []
        for number in sorted(map(int, rollout["revisions"])):
            template = from_document(rollout["revisions"][str(number)])
            assert isinstance(template, Deployment)
            found.append(
                Revision(
                    number,
                    template.image,
                    current=number == rollout["revision"],
                    cause=causes.get(str(number), ""),
                )
            )
        return found

    def instances(self, name: str, namespace: str) -> builtins.list[Instance]:
        state = self.store.read()
        spec = _find(state, Deployment, name, namespace)
        return [
            Instance(
                id=item["id"],
                deployment=name,
                namespace=namespace,
                host=item["host"],
                ports=[port.port for port in spec.ports],
                ready=True,
                revision=item["revision"],
            )
            for item in state["rollouts"][f"{namespace}/{name}"]["instances"]
        ]

    def endpoints(self, name: str, namespace: str) -> builtins.list[Endpoint]:
        state = self.store.read()
        service = _find(state, Service, name, namespace)
        found = []
        for deployment in _list(state, Deployment, namespace, service.selector):
            by_name = {port.name: port.port for port in deployment.ports if port.name}
            for item in state["rollouts"][f"{namespace}/{deployment.name}"]["instances"]:
                for port in service.ports:
                    target = port.port if port.target_port is None else port.target_port
                    number = by_name.get(target) if isinstance(target, str) else target
                    if number is None:
                        continue  # the deployment has no port of that name
                    found.append(
                        Endpoint(
                            service=name,
                            namespace=namespace,
                            host=item["host"],
                            port=number,
                            port_name=port.name,
                            protocol=port.protocol,
                            instance=item["id"],
                        )
                    )
        return found

    # -- internals ---------------------------------------------------------------

    def _put(self, state: State, resource: Resource) -> None:
        """Stores a resource's document; a deployment also gets a revision and a rollout."""
        [document] = self.render(resource)
        state["objects"][_key(type(resource), resource.namespace, resource.name)] = document
        stored = from_document(document)  # what the cluster runs: its native patch and all
        if isinstance(stored, Deployment):
            _record_revision(state, stored)

    def _steer(self, name: str, namespace: str, **flags: Any) -> None:
        """Sets a deployment's rollout flags (``held``, ``failed``) and converges again."""
        with self.store.transaction() as state:
            spec = _find(state, Deployment, name, namespace)
            state["rollouts"][f"{namespace}/{name}"].update(flags)
            _converge(state, spec)


class RolloutControl:
    """Holds, releases or fails a deployment's rollout: what the contract's wait tests need.

    The flags are kept in the file, so every backend on the same file sees them.
    """

    def __init__(self, backend: JsonFileBackend) -> None:
        self._backend = backend

    def hold(self, name: str, namespace: str) -> None:
        """Keeps rollouts of the deployment in progress until :meth:`release`."""
        self._backend._steer(name, namespace, held=True)

    def release(self, name: str, namespace: str) -> None:
        """Lets a held rollout finish."""
        self._backend._steer(name, namespace, held=False)

    def fail(self, name: str, namespace: str, reason: str = "progress deadline exceeded") -> None:
        """Makes the current rollout fail; applying a new revision starts afresh."""
        self._backend._steer(name, namespace, failed=reason)


def _key(kind: type[Resource], namespace: str | None, name: str) -> str:
    return f"{kind.kind}/{namespace}/{name}"


def _find(state: State, kind: type[R], name: str, namespace: str) -> R:
    document = state["objects"].get(_key(kind, namespace, name))
    if document is None:
        raise NotFound.missing(kind.kind, name, namespace)
    resource = from_document(document)
    assert isinstance(resource, kind)
    return resource


def _list(state: State, kind: type[R], namespace: str, labels: Mapping[str, str]) -> list[R]:
    prefix = _key(kind, namespace, "")
    names = sorted(key[len(prefix) :] for key in state["objects"] if key.startswith(prefix))
    found = [_find(state, kind, name, namespace) for name in names]
    return [item for item in found if all(item.labels.get(k) == v for k, v in labels.items())]


def _redacted(resource: R, reveal: bool) -> R:
    if isinstance(resource, Secret) and not reveal:
        return attrs.evolve(resource, data=dict.fromkeys(resource.data, REDACTED))
    return resource


def _record_revision(state: State, spec: Deployment) -> None:
    """A new revision when the template (the spec less replicas and pace) changed."""
    template = to_document(attrs.evolve(spec, replicas=0, rollout=Rollout()))
    rollout = state["rollouts"].setdefault(
        f"{spec.namespace}/{spec.name}",
        {"revision": 0, "revisions": {}, "instances": [], "held": False, "failed": None},
    )
    if rollout["revisions"].get(str(rollout["revision"])) != template:
        # Back to an old template: it moves to a new number, as `kubectl rollout undo` does.
        kept = {number: old for number, old in rollout["revisions"].items() if old != template}
        if not rollout["revisions"]:
            cause = "created"
        else:
            cause = "rollback" if len(kept) < len(rollout["revisions"]) else "updated"
        rollout["revision"] = max(map(int, rollout["revisions"]), default=0) + 1
        rollout["revisions"] = kept | {str(rollout["revision"]): template}
        causes = rollout.get("causes", {})
        kept_causes = {number: why for number, why in causes.items() if number in kept}
        rollout["causes"] = kept_causes | {str(rollout["revision"]): cause}
        rollout["failed"] = None
    _converge(state, spec)


def _converge(state: State, spec: Deployment) -> None:
    """The rollout, done at once: ``replicas`` instances of the current revision."""
    rollout = state["rollouts"][f"{spec.namespace}/{spec.name}"]
    if rollout["held"] or rollout["failed"]:
        return
    revision = rollout["revision"]
    current = [item for item in rollout["instances"] if item["revision"] == revision]
    while len(current) < spec.replicas:
        state["serial"] += 1
        serial = state["serial"]
        host = f"10.{serial >> 16 & 255}.{serial >> 8 & 255}.{serial & 255}"  # a fake address
        current.append(
            {"id": f"{spec.name}-{revision}-{serial:05d}", "host": host, "revision": revision}
        )
    rollout["instances"] = current[: spec.replicas]
