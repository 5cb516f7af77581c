"""Deletes: preconditions, terminating namespaces, cascades to dependents, the answer body."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from orchsdk_kubernetes.testing import errors
from orchsdk_kubernetes.testing.registry.meta import Obj, now
from orchsdk_kubernetes.testing.registry.reads import get
from orchsdk_kubernetes.testing.registry.write_path import WritePath
from orchsdk_kubernetes.testing.registry.writes import write
from orchsdk_kubernetes.testing.resources import ResourceType, by_key
from orchsdk_kubernetes.testing.store import Store

__all__ = ["delete", "remove"]


def delete(
    path: WritePath,
    rt: ResourceType,
    namespace: str,
    name: str,
    *,
    propagation: str | None = None,
    preconditions: Mapping[str, Any] | None = None,
    dry_run: bool = False,
) -> Obj:
    """DELETE: the answer body (the deleted object, or a Success Status, per kind)."""
    old = get(path.store, rt, namespace, name)
    preconditions = preconditions or {}
    uid, rv = preconditions.get("uid"), preconditions.get("resourceVersion")
    if uid and uid != old["metadata"]["uid"]:
        raise errors.conflict(
            rt,
            name,
            f"Precondition failed: UID in precondition: {uid}, UID in object meta: "
            f"{old['metadata']['uid']}",
        )
    if rv and rv != old["metadata"]["resourceVersion"]:
        raise errors.conflict(
            rt,
            name,
            f"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion "
            f"in object meta: {old['metadata']['resourceVersion']}",
        )
    if dry_run:
        return _deleted_answer(rt, old)
    if rt.kind == "Namespace":
        if old["metadata"].get("deletionTimestamp"):
            return old
        terminating = copy.deepcopy(old)
        terminating["metadata"]["deletionTimestamp"] = now()
        terminating.setdefault("status", {})["phase"] = "Terminating"
        return path.store.put(rt, terminating)
    if propagation == "Orphan":
        _orphan_dependents(path, old["metadata"]["uid"])
    elif propagation == "Foreground":
        _delete_dependents(path, old["metadata"]["uid"])
    gone = remove(path, rt, namespace, name)
    if propagation == "Foreground" and gone is not None:
        marked = copy.deepcopy(gone)
        marked["metadata"].setdefault("deletionTimestamp", now())
        marked["metadata"]["finalizers"] = ["foregroundDeletion"]
        return marked
    return _deleted_answer(rt, gone or old)


def remove(path: WritePath, rt: ResourceType, namespace: str, name: str) -> Obj | None:
    """Deletes at once (no grace period), releasing what the object held."""
    stamp = (
        {"deletionTimestamp": now(), "deletionGracePeriodSeconds": 0} if rt.kind == "Pod" else None
    )
    gone = path.store.remove(rt, namespace, name, stamp)
    if gone is not None:
        path.admission.release(rt, gone)
    return gone


def _dependents(store: Store, uid: str) -> list[tuple[ResourceType, Obj]]:
    """Objects whose ownerReferences name ``uid``."""
    found = []
    for key, obj in store.all_objects():
        for reference in (obj.get("metadata") or {}).get("ownerReferences") or []:
            if reference.get("uid") == uid:
                found.append((by_key(key), obj))
                break
    return found


def _delete_dependents(path: WritePath, uid: str) -> None:
    """Foreground cascade: dependents (and theirs) go before the owner."""
    for rt, obj in _dependents(path.store, uid):
        _delete_dependents(path, obj["metadata"]["uid"])
        remove(path, rt, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])


def _orphan_dependents(path: WritePath, uid: str) -> None:
    for rt, obj in _dependents(path.store, uid):
        new = copy.deepcopy(obj)
        references = [
            ref for ref in new["metadata"].get("ownerReferences", []) if ref.get("uid") != uid
        ]
        if references:
            new["metadata"]["ownerReferences"] = references
        else:
            new["metadata"].pop("ownerReferences", None)
        write(path, rt, new, manager="kube-controller-manager", validate=False)


def _deleted_answer(rt: ResourceType, obj: Obj) -> Obj:
    if rt.returns_deleted:
        return obj
    details: dict[str, Any] = {"name": obj["metadata"]["name"]}
    if rt.group:
        details["group"] = rt.group
    details["kind"] = rt.plural
    details["uid"] = obj["metadata"]["uid"]
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    }
