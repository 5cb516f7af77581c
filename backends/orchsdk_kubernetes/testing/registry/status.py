"""The status subresource: writes that replace an object's status and keep its spec."""

from __future__ import annotations

import copy
from typing import Any

from orchsdk_kubernetes.testing.registry.meta import Obj
from orchsdk_kubernetes.testing.registry.write_path import Request, WritePath
from orchsdk_kubernetes.testing.resources import ResourceType

__all__ = ["update_status", "write_status"]

STATUS = "status"


def update_status(path: WritePath, request: Request, body: Any) -> Obj:
    """PUT ``/status``: the body's status, labels and annotations; the rest stays stored."""
    old, new = path.replacement(request, body)
    status_write = copy.deepcopy(old)
    if "status" in new:
        status_write["status"] = new["status"]
    else:
        status_write.pop("status", None)
    for key in ("labels", "annotations"):
        if key in new["metadata"]:
            status_write["metadata"][key] = new["metadata"][key]
        else:
            status_write["metadata"].pop(key, None)
    return path.commit_update(request, old, status_write, subresource=STATUS)


def write_status(
    path: WritePath, rt: ResourceType, new: Obj, *, manager: str, validate: bool
) -> Obj:
    """A controller's status write: ``new``'s status and the labels and annotations it has."""
    request, old = path.controller_request(rt, new, manager)
    metadata = new["metadata"]
    merged = {**old, "metadata": dict(old["metadata"]), "status": new.get("status")}
    if merged["status"] is None:
        merged.pop("status")
    for key in ("labels", "annotations"):
        if key in metadata:
            merged["metadata"][key] = metadata[key]
    return path.commit_update(request, old, merged, subresource=STATUS, validate=validate)
