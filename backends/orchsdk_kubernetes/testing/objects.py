"""Small facts about objects that the controllers share: owners, readiness, kinds.

Names of the field managers the controllers write as, the resource types they touch,
and helpers over ``ownerReferences``, pod readiness and status documents.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from orchsdk_kubernetes.testing.resources import by_kind

__all__ = [
    "DEPLOYMENT",
    "HASH_LABEL",
    "HPA",
    "KUBELET",
    "MANAGER",
    "NAMESPACE",
    "POD",
    "REPLICASET",
    "SERVICE",
    "SLICE",
    "Key",
    "compact",
    "controller_uid",
    "is_ready",
    "owner_reference",
]

Obj = dict[str, Any]
Key = tuple[str, str]
"""``(namespace, name)`` of a namespaced object."""

MANAGER = "kube-controller-manager"
KUBELET = "kubelet"
HASH_LABEL = "pod-template-hash"

NAMESPACE = by_kind("Namespace")
POD = by_kind("Pod")
SERVICE = by_kind("Service")
DEPLOYMENT = by_kind("Deployment")
REPLICASET = by_kind("ReplicaSet")
HPA = by_kind("HorizontalPodAutoscaler")
SLICE = by_kind("EndpointSlice")


def controller_uid(obj: Obj) -> str | None:
    for reference in obj["metadata"].get("ownerReferences") or []:
        if reference.get("controller"):
            return str(reference.get("uid"))
    return None


def owner_reference(owner: Obj, kind: str, api_version: str) -> Obj:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def is_ready(pod: Obj) -> bool:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return bool(condition.get("status") == "True")
    return False


def compact(status: Obj, keep: Iterable[str] = ()) -> Obj:
    """Drops zero counters, as Go's ``omitempty`` does in DeploymentStatus."""
    return {k: v for k, v in status.items() if v not in (0, None, []) or k in keep}
