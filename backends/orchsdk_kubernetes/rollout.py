"""A Deployment's rollout status by kubectl's own rules (``kubectl rollout status``).

A line-for-line reading of kubectl's ``DeploymentStatusViewer``: the controller must
have observed the newest generation, every replica must be updated, no old replica
may remain, and every updated replica must be available. ``ProgressDeadlineExceeded``
means the rollout failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchsdk import DeploymentStatus, Phase
from orchsdk_kubernetes.names import REVISION_ANNOTATION

__all__ = ["rollout_status"]


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
