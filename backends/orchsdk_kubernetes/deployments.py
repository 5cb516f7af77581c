"""The deployment handler: apply (following the autoscaler handover), scale, status, watch,
rollback, instances, events, and whether a deleted one is gone."""

from __future__ import annotations

import builtins
import datetime
from collections.abc import Iterator, Mapping
from typing import Any

from orchsdk import (
    Deployment,
    DeploymentStatus,
    Event,
    Failure,
    Instance,
    NotFound,
    Resource,
    Revision,
)
from orchsdk.errors import reads_answers
from orchsdk.retry import before_any_write, confirm_lost_write
from orchsdk_kubernetes.autoscaling import Handover
from orchsdk_kubernetes.client import as_object, items_of
from orchsdk_kubernetes.events import watch_object
from orchsdk_kubernetes.handlers import APPLY_PATCH, FIELD_MANAGER, Context, Handler
from orchsdk_kubernetes.labels import SELECTOR_LABEL
from orchsdk_kubernetes.object_cache import Seen, restarted_at_of
from orchsdk_kubernetes.reports import about
from orchsdk_kubernetes.rollback import (
    RollbackTarget,
    history_of,
    restart_manifest,
    restarted,
    rollback_manifest,
    rollback_target,
    rolled_back,
)
from orchsdk_kubernetes.status import (
    TEMPLATE_HASH_LABEL,
    controlled_by,
    instances_of,
    mount_failure,
    mounting_since,
    newest_template_hash,
    pod_failure,
    rollout_status,
    selector_string,
)

__all__ = ["DeploymentHandler"]

_END = object()
"""What :meth:`DeploymentHandler._next_status` returns when the watch is over."""

MOUNT_GRACE_SECONDS = 2.0
"""How long a pod of the newest revision may wait for its volumes before its Events are
read for a ``FailedMount`` (the only place a kubelet reports a missing volume source)."""

POD_CHECK_SECONDS = 1.0
"""How often a wait looks at the pods when the deployment itself did not change: pods
that fail to start, or finish terminating, change no field of the deployment."""


class DeploymentHandler(Handler):
    """apps/v1 Deployments; a deployment handed to an autoscaler is applied without
    ``replicas`` (see :mod:`~orchsdk_kubernetes.autoscaling`)."""

    def __init__(self, context: Context) -> None:
        super().__init__(Deployment, "deployment", context)
        self.handover = Handover(self)

    def follow_autoscaler(
        self, spec: Resource, answer: Mapping[str, Any], after: Seen, what: str
    ) -> Seen:
        """Follows a handover to an autoscaler, or back, made by another client."""
        return self.handover.follow(spec, answer, after, what)

    def manifest_over(self, spec: Resource, before: Seen | None) -> dict[str, Any]:
        """As for any kind, and keeping the deployment's last restart: without it the apply
        would remove the annotation (orchsdk's field manager set it) and so roll the
        deployment again, undoing nothing but replacing every pod."""
        manifest = super().manifest_over(spec, before)
        if before is not None and before.restarted_at is not None:
            restarted(manifest, before.restarted_at)
        return manifest

    @reads_answers
    def history(self, name: str, namespace: str) -> builtins.list[Revision]:
        """The revisions of the ReplicaSets the deployment controls (two requests)."""
        deployment = self.deployment(name, namespace)
        return history_of(deployment, self.replica_sets(deployment))

    @reads_answers
    def restart(self, name: str, namespace: str) -> None:
        """``kubectl rollout restart``: the pod template's ``restartedAt`` annotation set to
        now, as a server-side apply by ``orchsdk`` of what it applied last (so it owns the
        annotation, its next apply keeps it, and a rollback can replace it), guarded by the
        resourceVersion that was read. A lost answer is resolved by reading the annotation
        back. The deployment is forgotten, so the next apply reads it afresh."""
        with before_any_write():
            deployment = self.deployment(name, namespace)
        stamp = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds")
        stamp = stamp.replace("+00:00", "Z")
        manifest = restart_manifest(deployment, stamp, FIELD_MANAGER)
        what = f"restart deployment/{name} in {namespace}"
        try:
            confirm_lost_write(
                lambda: self.apply_manifest(manifest, namespace, what),
                lambda: restarted_at_of(self.deployment(name, namespace)) == stamp or None,
                what=what,
            )
        finally:
            self.seen.forget(self.key(namespace, name))

    def scale(self, name: str, namespace: str, replicas: int) -> None:
        """Patches the ``/scale`` subresource, and forgets the deployment: its answer is the
        Scale, not the deployment, so the next apply reads the deployment afresh (and
        reports a count it puts back as *updated*)."""
        try:
            self.client.send(
                "deployment_scale",
                "patch",
                name,
                namespace,
                {"spec": {"replicas": replicas}},
                what=f"scale {name} in {namespace}",
            )
        finally:
            self.seen.forget(self.key(namespace, name))

    def deployment(self, name: str, namespace: str) -> dict[str, Any]:
        """The Deployment object as the server sends it."""
        what = f"get deployment/{name} in {namespace}"
        return as_object(
            self.client.request("deployment", "read", name, namespace, what=what), what
        )

    @reads_answers
    def status(self, name: str, namespace: str) -> DeploymentStatus:
        """The rollout status, by kubectl's rules, less terminating pods and with the
        failure of the newest revision's pods (see :mod:`~orchsdk_kubernetes.status`)."""
        return self._status_of(self.deployment(name, namespace))

    def watch_status(self, name: str, namespace: str, timeout: float) -> Iterator[DeploymentStatus]:
        """The rollout status each time the deployment changes, and at least every
        :data:`POD_CHECK_SECONDS`, for at most ``timeout``."""
        events = watch_object(
            self.client, "deployment", name, namespace, timeout, heartbeat=POD_CHECK_SECONDS
        )
        while (status := self._next_status(events, name, namespace)) is not _END:
            assert isinstance(status, DeploymentStatus)
            yield status

    @reads_answers
    def _next_status(
        self, events: Iterator[dict[str, Any] | None], name: str, namespace: str
    ) -> DeploymentStatus | object:
        """The status of the next object the watch yields (``_END`` when it ends); a
        malformed object or event is :class:`~orchsdk.UnexpectedResponse`."""
        obj = next(events, _END)
        if obj is _END:
            return _END
        if obj is None:
            raise NotFound.missing("Deployment", name, namespace)
        assert isinstance(obj, dict)
        return self._status_of(obj)

    def _status_of(self, deployment: Mapping[str, Any]) -> DeploymentStatus:
        pods = self.pods(deployment)
        return rollout_status(deployment, pods, self._failure(deployment, pods))

    def _failure(
        self, deployment: Mapping[str, Any], pods: builtins.list[dict[str, Any]]
    ) -> Failure | None:
        """The first failure of a pod of the newest revision; the ReplicaSets are read only
        when some pod fails, to tell the newest revision's from an old one's. Until the
        controller has seen the newest spec, the newest revision it names is an older one."""
        generation = deployment["metadata"].get("generation") or 0
        if generation > ((deployment.get("status") or {}).get("observedGeneration") or 0):
            return None
        failures = [(pod, failure) for pod in pods if (failure := pod_failure(pod))]
        waiting = [pod for pod in pods if self._mounting_long(pod)]
        if not failures and not waiting:
            return None
        newest = newest_template_hash(deployment, self.replica_sets(deployment))

        def is_newest(pod: Mapping[str, Any]) -> bool:
            return (pod["metadata"].get("labels") or {}).get(TEMPLATE_HASH_LABEL) == newest

        found = next((failure for pod, failure in failures if is_newest(pod)), None)
        stuck = next((pod for pod in waiting if is_newest(pod)), None)
        if found is None and stuck is not None:
            found = mount_failure(stuck, self._events_about(stuck))
        return found

    @staticmethod
    def _mounting_long(pod: Mapping[str, Any]) -> bool:
        since = mounting_since(pod)
        now = datetime.datetime.now(datetime.timezone.utc)
        return since is not None and (now - since).total_seconds() >= MOUNT_GRACE_SECONDS

    def _events_about(self, obj: Mapping[str, Any]) -> builtins.list[dict[str, Any]]:
        metadata = obj["metadata"]
        what = f"list events of pod/{metadata['name']}"
        found = self.client.request(
            "event",
            "list",
            metadata["namespace"],
            field_selector=f"involvedObject.uid={metadata['uid']}",
            what=what,
        )
        return items_of(found, what)

    def pods(self, deployment: Mapping[str, Any]) -> builtins.list[dict[str, Any]]:
        """The pods the deployment's selector matches, terminating ones included."""
        return self._selected("pod", deployment)

    def _selected(
        self, resource: str, deployment: Mapping[str, Any]
    ) -> builtins.list[dict[str, Any]]:
        """The objects of ``resource`` in the deployment's namespace that its selector matches."""
        metadata = deployment["metadata"]
        what = f"list {resource.replace('_', '')}s of {metadata['name']}"
        found = self.client.request(
            resource,
            "list",
            metadata["namespace"],
            label_selector=selector_string(deployment["spec"]["selector"]),
            what=what,
        )
        return items_of(found, what)

    @reads_answers
    def gone(self, name: str, namespace: str) -> bool:
        """Whether the deployment is deleted and its last pod has terminated (found by the
        label orchsdk selects on, since the deployment that knew its selector is gone)."""
        try:
            self.deployment(name, namespace)
        except NotFound:
            what = f"list pods of deleted {name}"
            found = self.client.request(
                "pod", "list", namespace, label_selector=f"{SELECTOR_LABEL}={name}", what=what
            )
            return not items_of(found, what)
        return False

    @reads_answers
    def events(self, name: str, namespace: str) -> builtins.list[Event]:
        """The Events of the deployment, its ReplicaSets and their pods, oldest first."""
        deployment = self.deployment(name, namespace)
        replica_sets = self.replica_sets(deployment)
        pods = self.pods(deployment)
        what = f"list events of {name}"
        found = items_of(self.client.request("event", "list", namespace, what=what), what)
        names = [rs["metadata"]["name"] for rs in replica_sets]
        return about(found, [deployment, *replica_sets, *pods], names)

    @reads_answers
    def rollback(self, name: str, namespace: str, revision: int | None) -> None:
        """``kubectl rollout undo`` as a server-side apply by ``orchsdk`` (see
        :func:`~orchsdk_kubernetes.rollback.rollback_manifest`), guarded by the
        resourceVersion it was computed from: a deployment changed in between gives
        ``Conflict("changed")`` (and the core tries again from a fresh read) instead of a
        rollback to the wrong place. An apply whose answer was lost is resolved by reading
        the template back. The deployment is forgotten (its answer is not read: a rollback
        that landed must not fail on it), so the next apply reads it afresh."""
        with before_any_write():
            deployment = self.deployment(name, namespace)
            replica_sets = self.replica_sets(deployment)
        target = rollback_target(deployment, replica_sets, revision)
        if target is None:
            return
        manifest = rollback_manifest(deployment, target, FIELD_MANAGER)
        what = f"roll back {name} in {namespace} to revision {target.revision}"
        try:
            confirm_lost_write(
                lambda: self.client.send(
                    "deployment",
                    "patch",
                    name,
                    namespace,
                    manifest,
                    field_manager=FIELD_MANAGER,
                    force=True,
                    _content_type=APPLY_PATCH,
                    what=what,
                ),
                lambda: self._rolled_back(name, namespace, target),
                what=what,
            )
        finally:
            self.seen.forget(self.key(namespace, name))

    @reads_answers
    def _rolled_back(self, name: str, namespace: str, target: RollbackTarget) -> bool:
        return rolled_back(self.deployment(name, namespace), target)

    def replica_sets(self, deployment: Mapping[str, Any]) -> builtins.list[dict[str, Any]]:
        """The ReplicaSets this deployment controls (by owner uid, as kubectl finds them)."""
        uid = deployment["metadata"]["uid"]
        return [rs for rs in self._selected("replica_set", deployment) if controlled_by(rs, uid)]

    @reads_answers
    def instances(self, name: str, namespace: str) -> builtins.list[Instance]:
        """The pods of the deployment's ReplicaSets, terminating ones included (as such)."""
        deployment = self.deployment(name, namespace)
        replica_sets = self.replica_sets(deployment)
        return instances_of(name, namespace, replica_sets, self.pods(deployment))
