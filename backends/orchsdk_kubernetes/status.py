"""Rollout status, instances and endpoints from the objects the API server sent; pure.

The backend fetches, these decide. A Deployment's :class:`~orchsdk.DeploymentStatus` is
kubectl's own rules (``kubectl rollout status``), a line-for-line reading of its
``DeploymentStatusViewer``: the controller must have observed the newest generation,
every replica must be updated, no old replica may remain, and every updated replica must
be available; ``ProgressDeadlineExceeded`` means the rollout failed. A deployment's
:class:`~orchsdk.Instance` objects are the pods its ReplicaSets control (by owner uid, as
kubectl finds them); a service's :class:`~orchsdk.Endpoint` objects come from its
EndpointSlices.

Where kubectl stops, so that what orchsdk reports holds on a real cluster:

- A pod with a ``deletionTimestamp`` is *terminating*: never ready, never running, never
  an endpoint. The deployment controller stops counting it at once, so kubectl calls a
  scale-down done while its pods still shut down; here the rollout is complete only once
  they are gone (``DeploymentStatus.terminating`` counts them). Nor is it complete while
  more pods run than are wanted: right after a scale-down, before the ReplicaSet
  controller has begun it, kubectl's rules see nothing left to do.
- A pod of the newest revision that cannot start says why (:func:`pod_failure`): an
  image that cannot be pulled, a container that crashed twice, a missing secret or config
  map, no node that fits. The wait then fails at once instead of at the progress deadline.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from orchsdk import DeploymentStatus, Endpoint, Failure, FailureReason, Instance, Phase
from orchsdk_kubernetes.labels import REVISION_ANNOTATION
from orchsdk_kubernetes.reports import parse_time

__all__ = [
    "TEMPLATE_HASH_LABEL",
    "controlled_by",
    "endpoints_of",
    "instances_of",
    "mount_failure",
    "mounting_since",
    "newest_template_hash",
    "pod_failure",
    "pod_state",
    "rollout_status",
    "selector_string",
]

TEMPLATE_HASH_LABEL = "pod-template-hash"
"""The label the deployment controller puts on a ReplicaSet and its pods: the template's hash."""

CRASH_RESTARTS = 2
"""Restarts after which a crash-looping container is a failure, not a hiccup."""

FAILED_WAITS = {
    "ErrImagePull": FailureReason.IMAGE_PULL,
    "ImagePullBackOff": FailureReason.IMAGE_PULL,
    "InvalidImageName": FailureReason.IMAGE_PULL,
    "ErrImageNeverPull": FailureReason.IMAGE_PULL,
    "CreateContainerConfigError": FailureReason.CONFIGURATION,
    "CreateContainerError": FailureReason.CONFIGURATION,
}
"""Container waiting reasons that a kubelet gives a container it cannot start, and why."""


def rollout_status(
    deployment: Mapping[str, Any],
    pods: Iterable[Mapping[str, Any]] = (),
    failure: Failure | None = None,
) -> DeploymentStatus:
    """The :class:`~orchsdk.DeploymentStatus` of a Deployment object as the server returned
    it, with its ``pods`` (to count the terminating ones) and the ``failure`` of its newest
    revision, if any."""
    metadata = deployment.get("metadata") or {}
    spec = deployment.get("spec") or {}
    status = deployment.get("status") or {}
    name = metadata.get("name", "")
    desired = spec.get("replicas", 1)
    replicas = status.get("replicas") or 0
    updated = status.get("updatedReplicas") or 0
    available = status.get("availableReplicas") or 0
    phase, message = Phase.PROGRESSING, "Waiting for deployment spec update to be observed..."
    if (metadata.get("generation") or 0) <= (status.get("observedGeneration") or 0):
        progressing = next(
            (c for c in status.get("conditions") or [] if c.get("type") == "Progressing"), None
        )
        if progressing is not None and progressing.get("reason") == "ProgressDeadlineExceeded":
            phase, message = Phase.FAILED, f'deployment "{name}" exceeded its progress deadline'
        elif updated < desired:
            message = f"{updated} out of {desired} new replicas have been updated..."
        elif replicas > updated:
            message = f"{replicas - updated} old replicas are pending termination..."
        elif available < updated:
            message = f"{available} of {updated} updated replicas are available..."
        else:
            phase, message = Phase.COMPLETE, "successfully rolled out"
    pods = list(pods)
    terminating = sum(1 for pod in pods if _terminating(pod))
    extra = max(replicas, len(pods) - terminating) - desired
    if phase is Phase.COMPLETE and extra > 0:  # kubectl misses a scale-down not yet begun
        phase, message = Phase.PROGRESSING, f"{extra} extra replicas are pending termination..."
    elif phase is Phase.COMPLETE and terminating:
        phase, message = Phase.PROGRESSING, f"{terminating} old pods are terminating..."
    elif phase is Phase.PROGRESSING and failure is not None:
        message = str(failure)
    return DeploymentStatus(
        name=name,
        namespace=metadata.get("namespace", ""),
        desired=desired,
        ready=status.get("readyReplicas") or 0,
        updated=updated,
        available=available,
        revision=int((metadata.get("annotations") or {}).get(REVISION_ANNOTATION, 0)),
        phase=phase,
        message=message,
        failure=None if phase is Phase.COMPLETE else failure,
        terminating=terminating,
    )


def pod_failure(pod: Mapping[str, Any]) -> Failure | None:
    """Why a pod cannot start, from its conditions and container states; None while it
    runs, starts normally (scheduling, creating, pulling) or terminates."""
    metadata = pod.get("metadata") or {}
    if metadata.get("deletionTimestamp"):
        return None
    name = metadata.get("name")
    status = pod.get("status") or {}
    for condition in status.get("conditions") or []:
        if (condition.get("type"), condition.get("status")) == ("PodScheduled", "False") and (
            condition.get("reason") == "Unschedulable"
        ):
            message = condition.get("message") or "no node can hold the pod"
            return Failure(FailureReason.UNSCHEDULABLE, message, name)
    containers = [
        *(status.get("initContainerStatuses") or []),
        *(status.get("containerStatuses") or []),
    ]
    for container in containers:
        waiting = (container.get("state") or {}).get("waiting") or {}
        reason = waiting.get("reason")
        if reason in FAILED_WAITS:
            return Failure(FAILED_WAITS[reason], waiting.get("message") or reason, name)
        restarts = container.get("restartCount") or 0
        if reason == "CrashLoopBackOff" and restarts >= CRASH_RESTARTS:
            last = (container.get("lastState") or {}).get("terminated") or {}
            exited = f"exit code {last.get('exitCode')}, " if "exitCode" in last else ""
            message = f"{waiting.get('message') or reason} ({exited}{restarts} restarts)"
            return Failure(FailureReason.CRASH_LOOP, message, name)
    if status.get("phase") == "Failed":
        message = status.get("message") or "the pod's containers exited and are not restarted"
        return Failure(FailureReason.CRASH_LOOP, message, name)
    return None


def mounting_since(pod: Mapping[str, Any]) -> datetime.datetime | None:
    """When a pod bound to a node started waiting for its volumes (every container still
    ``ContainerCreating``), or None when it is not: a kubelet reports a missing secret or
    config map *volume* only as a ``FailedMount`` Event, never in the pod's status."""
    status = pod.get("status") or {}
    if _terminating(pod) or not (pod.get("spec") or {}).get("nodeName"):
        return None
    containers = status.get("containerStatuses") or []
    creating = containers and all(
        ((c.get("state") or {}).get("waiting") or {}).get("reason") == "ContainerCreating"
        for c in containers
    )
    started = status.get("startTime") or (pod.get("metadata") or {}).get("creationTimestamp")
    return parse_time(started) if creating else None


def mount_failure(pod: Mapping[str, Any], events: Iterable[Mapping[str, Any]]) -> Failure | None:
    """The ``configuration`` failure a ``FailedMount`` warning about ``pod`` tells of."""
    uid = (pod.get("metadata") or {}).get("uid")
    for event in events:
        involved = event.get("involvedObject") or {}
        if (event.get("reason"), event.get("type"), involved.get("uid")) == (
            "FailedMount",
            "Warning",
            uid,
        ):
            message = str(event.get("message") or "a volume cannot be mounted")
            return Failure(FailureReason.CONFIGURATION, message, pod["metadata"].get("name"))
    return None


def pod_state(pod: Mapping[str, Any]) -> str:
    """The pod as an :class:`~orchsdk.Instance` state: ``terminating``, ``failed``,
    ``running`` (every container runs) or ``starting``."""
    if _terminating(pod):
        return "terminating"
    if pod_failure(pod) is not None:
        return "failed"
    status = pod.get("status") or {}
    containers = status.get("containerStatuses") or []
    running = containers and all("running" in (c.get("state") or {}) for c in containers)
    return "running" if status.get("phase") == "Running" and running else "starting"


def newest_template_hash(
    deployment: Mapping[str, Any], replica_sets: Iterable[Mapping[str, Any]]
) -> str | None:
    """The pod-template-hash of the deployment's newest ReplicaSet (its revision's)."""
    revision = ((deployment.get("metadata") or {}).get("annotations") or {}).get(
        REVISION_ANNOTATION
    )
    for replica_set in replica_sets:
        metadata = replica_set.get("metadata") or {}
        if (metadata.get("annotations") or {}).get(REVISION_ANNOTATION) == revision:
            return (metadata.get("labels") or {}).get(TEMPLATE_HASH_LABEL)
    return None


def _terminating(pod: Mapping[str, Any]) -> bool:
    return bool((pod.get("metadata") or {}).get("deletionTimestamp"))


def instances_of(
    name: str,
    namespace: str,
    replica_sets: Iterable[Mapping[str, Any]],
    pods: Iterable[Mapping[str, Any]],
) -> list[Instance]:
    """The instances of a deployment: the pods its ReplicaSets control, sorted by name,
    each with the revision of its ReplicaSet."""
    revisions = {
        rs["metadata"]["uid"]: int(
            (rs["metadata"].get("annotations") or {}).get(REVISION_ANNOTATION, 0)
        )
        for rs in replica_sets
    }
    instances = []
    for pod in pods:
        owner = next((uid for uid in revisions if controlled_by(pod, uid)), None)
        if owner is None:
            continue
        status = pod.get("status") or {}
        containers = (pod.get("spec") or {}).get("containers") or []
        ports = [port["containerPort"] for c in containers for port in c.get("ports") or []]
        instances.append(
            Instance(
                id=pod["metadata"]["name"],
                deployment=name,
                namespace=namespace,
                host=status.get("podIP") or "",
                ports=ports,
                state=pod_state(pod),
                ready=not _terminating(pod)
                and any(
                    c.get("type") == "Ready" and c.get("status") == "True"
                    for c in status.get("conditions") or []
                ),
                revision=revisions[owner],
            )
        )
    return sorted(instances, key=lambda instance: instance.id)


def endpoints_of(
    service: str, namespace: str, slices: Iterable[Mapping[str, Any]]
) -> list[Endpoint]:
    """The endpoints of a service: each address of its EndpointSlices on each port, but
    those of terminating pods (which v1.22 and later list, ``terminating: true``)."""
    endpoints = []
    for piece in slices:
        for endpoint in piece.get("endpoints") or []:
            if (endpoint.get("conditions") or {}).get("terminating"):
                continue
            ready = (endpoint.get("conditions") or {}).get("ready")
            for address in endpoint.get("addresses") or []:
                for port in piece.get("ports") or []:
                    endpoints.append(
                        Endpoint(
                            service=service,
                            namespace=namespace,
                            host=address,
                            port=port.get("port") or 0,
                            port_name=port.get("name") or None,
                            protocol=port.get("protocol", "TCP"),
                            ready=ready is not False,
                            instance=(endpoint.get("targetRef") or {}).get("name"),
                        )
                    )
    return endpoints


def selector_string(selector: Mapping[str, Any]) -> str:
    """A label selector string from a ``LabelSelector`` (matchLabels and matchExpressions)."""
    terms = [f"{key}={value}" for key, value in (selector.get("matchLabels") or {}).items()]
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = ",".join(expression.get("values") or [])
        terms.append(
            {
                "In": f"{key} in ({values})",
                "NotIn": f"{key} notin ({values})",
                "Exists": key,
                "DoesNotExist": f"!{key}",
            }[operator]
        )
    return ",".join(terms)


def controlled_by(obj: Mapping[str, Any], uid: str) -> bool:
    """Whether the object with ``uid`` is the controller of ``obj`` (its owner reference)."""
    return any(
        owner.get("uid") == uid and owner.get("controller")
        for owner in (obj.get("metadata") or {}).get("ownerReferences") or []
    )
