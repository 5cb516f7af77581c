"""Rollout status, instances and endpoints from the objects the API server sent; pure.

The backend fetches, these decide. A Deployment's :class:`~orchsdk.DeploymentStatus` is
kubectl's own rules (``kubectl rollout status``), a line-for-line reading of its
``DeploymentStatusViewer``: the controller must have observed the newest generation,
every replica must be updated, no old replica may remain, and every updated replica must
be available; ``ProgressDeadlineExceeded`` means the rollout failed. A deployment's
:class:`~orchsdk.Instance` objects are the pods its ReplicaSets control (by owner uid, as
kubectl finds them); a service's :class:`~orchsdk.Endpoint` objects come from its
EndpointSlices.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from orchsdk import DeploymentStatus, Endpoint, Instance, Phase
from orchsdk_kubernetes.labels import REVISION_ANNOTATION

__all__ = ["controlled_by", "endpoints_of", "instances_of", "rollout_status", "selector_string"]


def rollout_status(deployment: Mapping[str, Any]) -> DeploymentStatus:
    """The :class:`~orchsdk.DeploymentStatus` of a Deployment object as the server returned it."""
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
    )


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
                state=str(status.get("phase", "Unknown")).lower(),
                ready=any(
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
    """The endpoints of a service: each address of its EndpointSlices on each port."""
    endpoints = []
    for piece in slices:
        for endpoint in piece.get("endpoints") or []:
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
