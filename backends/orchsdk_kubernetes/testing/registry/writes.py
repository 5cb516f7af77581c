"""Writes of a whole main resource: create (POST), replace (PUT) and controllers' updates."""

from __future__ import annotations

import copy
from typing import Any

from orchsdk_kubernetes.testing import errors
from orchsdk_kubernetes.testing.fieldsets import Entry
from orchsdk_kubernetes.testing.registry.meta import Obj, random_suffix
from orchsdk_kubernetes.testing.registry.write_path import Request, WritePath
from orchsdk_kubernetes.testing.resources import ResourceType
from orchsdk_kubernetes.testing.validation import check_decodable

__all__ = ["create", "update", "write"]


def create(
    path: WritePath,
    rt: ResourceType,
    namespace: str,
    body: Any,
    *,
    manager: str,
    dry_run: bool = False,
    entries: list[Entry] | None = None,
    validate: bool = True,
) -> Obj:
    """POST: a new object (409 AlreadyExists when the name is taken).

    ``validate=False`` is for controllers, whose objects are valid by construction.
    """
    obj = path.decode(rt, body, namespace)
    metadata = obj["metadata"]
    if not metadata.get("name") and metadata.get("generateName"):
        metadata["name"] = f"{metadata['generateName']}{random_suffix()}"
    name = metadata.get("name") or ""
    if rt.namespaced:
        path.check_namespace(rt, namespace, name)
    if name and path.store.get(rt, namespace, name) is not None:
        raise errors.already_exists(rt, name)
    check_decodable(rt, obj)
    if "status" in rt.subresources:
        obj.pop("status", None)
    return path.insert(
        rt, obj, manager=manager, dry_run=dry_run, entries=entries, validate=validate
    )


def update(path: WritePath, request: Request, body: Any) -> Obj:
    """PUT of the object: a full replacement, resourceVersion-guarded; its status stays."""
    old, new = path.replacement(request, body)
    if "status" in request.rt.subresources:
        if "status" in old:
            new["status"] = copy.deepcopy(old["status"])
        else:
            new.pop("status", None)
    return path.commit_update(request, old, new)


def write(path: WritePath, rt: ResourceType, new: Obj, *, manager: str, validate: bool) -> Obj:
    """A controller's update of the latest object (no precondition, no-op aware).

    ``new`` may share nested parts with the stored object (they are not modified).
    """
    request, old = path.controller_request(rt, new, manager)
    if "status" in rt.subresources:
        new = {**new, "status": copy.deepcopy(old.get("status"))}
        if new["status"] is None:
            del new["status"]
    return path.commit_update(request, old, new, validate=validate)
