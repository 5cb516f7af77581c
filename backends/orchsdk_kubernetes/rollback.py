"""``kubectl rollout undo`` step by step: the JSON patch restoring an older ReplicaSet's template.

Kubernetes' apps/v1 has no rollback endpoint; kubectl picks the ReplicaSet of the
wanted revision (by default the one before the newest), copies its pod template and
annotations onto the Deployment, and lets the controller roll out as for any change.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from orchsdk import Conflict, NotFound
from orchsdk_kubernetes.names import REVISION_ANNOTATION

__all__ = ["rollback_patch"]

_KEPT_FROM_DEPLOYMENT = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION_ANNOTATION,
        "deployment.kubernetes.io/revision-history",
        "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to",
    }
)


def _revision(obj: Mapping[str, Any]) -> int:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    try:
        return int(annotations.get(REVISION_ANNOTATION, 0))
    except ValueError:
        return 0


def _without_hash(template: Mapping[str, Any]) -> dict[str, Any]:
    bare = copy.deepcopy(dict(template))
    labels = (bare.get("metadata") or {}).get("labels")
    if labels:
        labels.pop("pod-template-hash", None)
    return bare


def rollback_patch(
    deployment: Mapping[str, Any],
    replica_sets: Sequence[Mapping[str, Any]],
    revision: int | None,
) -> list[dict[str, Any]]:
    """The JSON patch (RFC 6902) that rolls ``deployment`` back; ``[]`` when nothing changes.

    ``revision=None`` means the one before the newest, as ``kubectl rollout undo``.
    """
    name = deployment["metadata"]["name"]
    if deployment.get("spec", {}).get("paused"):
        raise Conflict(f"deployment/{name} is paused; resume it before rolling back")
    by_revision = {_revision(rs): rs for rs in replica_sets if _revision(rs) > 0}
    if revision is None:
        history = sorted(by_revision)
        if len(history) < 2:
            raise NotFound(f"deployment/{name} has no rollout history to go back to")
        revision = history[-2]
    target = by_revision.get(revision)
    if target is None:
        known = ", ".join(map(str, sorted(by_revision))) or "none"
        raise NotFound(f"deployment/{name} has no revision {revision} (revisions: {known})")
    template = _without_hash(target["spec"]["template"])
    if template == _without_hash(deployment["spec"]["template"]):
        return []
    own = deployment["metadata"].get("annotations") or {}
    annotations = {key: value for key, value in own.items() if key in _KEPT_FROM_DEPLOYMENT}
    annotations.update(
        (key, value)
        for key, value in ((target["metadata"].get("annotations") or {}).items())
        if key not in _KEPT_FROM_DEPLOYMENT
    )
    return [
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ]
