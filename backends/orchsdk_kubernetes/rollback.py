"""``kubectl rollout undo`` and ``rollout restart`` step by step, as server-side applies.

Kubernetes' apps/v1 has no rollback endpoint; kubectl picks the ReplicaSet of the
wanted revision (by default the one before the newest), copies its pod template and
annotations onto the Deployment, and lets the controller roll out as for any change.
orchsdk makes the same change as a server-side apply by its own field manager (see
:func:`rollback_manifest` for why), guarded by the resourceVersion it was computed from.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from orchsdk import Conflict, Revision
from orchsdk.backend import rollback_revision
from orchsdk_kubernetes.fields import owned_by
from orchsdk_kubernetes.labels import (
    CHANGE_CAUSE_ANNOTATION,
    RESTARTED_AT_ANNOTATION,
    REVISION_ANNOTATION,
    REVISION_HISTORY_ANNOTATION,
)
from orchsdk_kubernetes.reports import parse_time

__all__ = [
    "RollbackTarget",
    "history_of",
    "restart_manifest",
    "restarted",
    "rollback_manifest",
    "rollback_target",
    "rolled_back",
]

_KEPT_FROM_DEPLOYMENT = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION_ANNOTATION,
        REVISION_HISTORY_ANNOTATION,
        "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to",
    }
)
_CONTROLLER_PREFIX = "deployment.kubernetes.io/"


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


@attrs.frozen
class RollbackTarget:
    """Where a rollback goes: the pod template of the chosen revision (without its
    ``pod-template-hash``) and the annotations ``kubectl rollout undo`` copies back."""

    revision: int
    template: dict[str, Any]
    annotations: dict[str, str]


def rollback_target(
    deployment: Mapping[str, Any],
    replica_sets: Sequence[Mapping[str, Any]],
    revision: int | None,
) -> RollbackTarget | None:
    """The revision to go back to, as kubectl picks it; ``None`` when the deployment
    has that template already. ``revision=None`` means the one before the newest."""
    name = deployment["metadata"]["name"]
    if deployment.get("spec", {}).get("paused"):
        raise Conflict(f"deployment/{name} is paused; resume it before rolling back")
    by_revision = {_revision(rs): rs for rs in replica_sets if _revision(rs) > 0}
    newest = by_revision.get(max(by_revision, default=0))
    current = _without_hash(deployment["spec"]["template"])
    if newest is not None and _without_hash(newest["spec"]["template"]) != current:
        # The history was read after the deployment changed (or before its controller
        # caught up): deciding from it could pick the wrong revision, or none at all.
        raise Conflict(
            f"deployment/{name} changed while its history was read; read both again",
            reason="changed",
        )
    revision = rollback_revision(name, revision, by_revision, max(by_revision, default=0))
    target = by_revision[revision]
    template = _without_hash(target["spec"]["template"])
    if template == current:
        return None
    annotations = {
        key: str(value)
        for key, value in ((target["metadata"].get("annotations") or {}).items())
        if key not in _KEPT_FROM_DEPLOYMENT and not key.startswith(_CONTROLLER_PREFIX)
    }
    return RollbackTarget(revision, template, annotations)


def rollback_manifest(
    deployment: Mapping[str, Any], target: RollbackTarget, manager: str
) -> dict[str, Any]:
    """The server-side apply that rolls ``deployment`` back to ``target`` as ``manager``.

    It is what ``manager`` applied last (read from ``managedFields``) with the pod
    template and the annotations of the target revision, and the resourceVersion that was
    read, as a precondition: a deployment that changed since gives 409 instead of a
    rollback computed from stale history. Applying it makes ``manager`` the owner of the
    whole template, so its next apply of a spec converges exactly (a JSON patch, as
    kubectl sends, would leave the restored fields to another manager, and the next
    apply could not remove them).
    """
    metadata = deployment["metadata"]
    manifest = owned_by(deployment, manager)
    manifest.update(apiVersion="apps/v1", kind="Deployment")
    own_metadata = manifest.setdefault("metadata", {})
    own_metadata.update(
        name=metadata["name"],
        namespace=metadata["namespace"],
        resourceVersion=metadata["resourceVersion"],
    )
    own_metadata.pop("annotations", None)
    if target.annotations:
        own_metadata["annotations"] = dict(target.annotations)
    manifest.setdefault("spec", {})["template"] = copy.deepcopy(target.template)
    manifest["spec"].setdefault("selector", copy.deepcopy(deployment["spec"]["selector"]))
    return manifest


def restart_manifest(deployment: Mapping[str, Any], stamp: str, manager: str) -> dict[str, Any]:
    """The server-side apply that restarts ``deployment`` as ``manager``: what ``manager``
    applied last, with the pod template's restart annotation set to ``stamp``, and the
    resourceVersion that was read as a precondition (as :func:`rollback_manifest`)."""
    metadata = deployment["metadata"]
    manifest = owned_by(deployment, manager)
    manifest.update(apiVersion="apps/v1", kind="Deployment")
    manifest.setdefault("metadata", {}).update(
        name=metadata["name"],
        namespace=metadata["namespace"],
        resourceVersion=metadata["resourceVersion"],
    )
    return restarted(manifest, stamp)


def restarted(manifest: dict[str, Any], stamp: str) -> dict[str, Any]:
    """``manifest`` (a Deployment's), its pod template annotated as restarted at ``stamp``."""
    template = manifest.setdefault("spec", {}).setdefault("template", {})
    template.setdefault("metadata", {}).setdefault("annotations", {})[RESTARTED_AT_ANNOTATION] = (
        stamp
    )
    return manifest


def history_of(
    deployment: Mapping[str, Any], replica_sets: Sequence[Mapping[str, Any]]
) -> list[Revision]:
    """``kubectl rollout history``: one revision per ReplicaSet the deployment controls,
    oldest first, with the image of its first container and when it was made.

    The cause is the ReplicaSet's ``kubernetes.io/change-cause`` when someone set one;
    else ``rollback`` when the controller reused it (it keeps the numbers it had in
    ``deployment.kubernetes.io/revision-history``), ``restart`` when its template
    differs from the revision before only by the restart annotation, ``created`` for
    revision 1 and ``updated`` for the others."""
    current = _revision(deployment)
    found: list[Revision] = []
    previous: dict[str, Any] | None = None
    for rs in sorted((rs for rs in replica_sets if _revision(rs) > 0), key=_revision):
        template = _unrestarted(rs["spec"]["template"])
        containers = (template.get("spec") or {}).get("containers") or [{}]
        annotations = rs["metadata"].get("annotations") or {}
        if annotations.get(CHANGE_CAUSE_ANNOTATION):
            cause = str(annotations[CHANGE_CAUSE_ANNOTATION])
        elif annotations.get(REVISION_HISTORY_ANNOTATION):
            cause = "rollback"
        elif template == previous:
            cause = "restart"
        else:
            cause = "created" if _revision(rs) == 1 else "updated"
        found.append(
            Revision(
                _revision(rs),
                str(containers[0].get("image") or ""),
                parse_time(rs["metadata"].get("creationTimestamp")),
                _revision(rs) == current,
                cause,
            )
        )
        previous = template
    return found


def _unrestarted(template: Mapping[str, Any]) -> dict[str, Any]:
    """The template without its ``pod-template-hash`` and restart annotation: what a
    restart leaves unchanged."""
    bare = _without_hash(template)
    metadata = bare.get("metadata") or {}
    annotations = metadata.get("annotations") or {}
    annotations.pop(RESTARTED_AT_ANNOTATION, None)
    if not annotations:
        metadata.pop("annotations", None)
    return bare


def rolled_back(deployment: Mapping[str, Any], target: RollbackTarget) -> bool:
    """Whether ``deployment`` has the target's pod template: how a rollback whose
    answer was lost is told apart."""
    return bool(_without_hash(deployment["spec"]["template"]) == target.template)
