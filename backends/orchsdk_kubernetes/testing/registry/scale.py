"""The scale subresource: the autoscaling/v1 Scale view of an object, and writes through it."""

from __future__ import annotations

import copy
from typing import Any

from orchsdk_kubernetes.testing import errors
from orchsdk_kubernetes.testing.errors import FieldError
from orchsdk_kubernetes.testing.fieldsets import Entry
from orchsdk_kubernetes.testing.registry.meta import Obj
from orchsdk_kubernetes.testing.registry.reads import get
from orchsdk_kubernetes.testing.registry.write_path import (
    Request,
    WritePath,
    apply_plan,
    updated_ownership,
)
from orchsdk_kubernetes.testing.resources import ResourceType
from orchsdk_kubernetes.testing.selectors import selector_string

__all__ = ["apply_scale", "scale_of", "update_scale"]

SCALE_VERSION = "autoscaling/v1"


def scale_of(rt: ResourceType, obj: Obj) -> Obj:
    """The autoscaling/v1 Scale view of a Deployment or ReplicaSet."""
    metadata = obj["metadata"]
    spec = obj.get("spec") or {}
    scale_spec = {"replicas": spec["replicas"]} if spec.get("replicas") else {}
    return {
        "kind": "Scale",
        "apiVersion": SCALE_VERSION,
        "metadata": {
            "name": metadata["name"],
            "namespace": metadata.get("namespace", ""),
            "uid": metadata["uid"],
            "resourceVersion": metadata["resourceVersion"],
            "creationTimestamp": metadata["creationTimestamp"],
        },
        "spec": scale_spec,
        "status": {
            "replicas": (obj.get("status") or {}).get("replicas", 0),
            "selector": selector_string(spec.get("selector")),
        },
    }


def update_scale(
    path: WritePath, request: Request, scale: Any, entries: list[Entry] | None = None
) -> Obj:
    """PUT ``/scale``: sets ``spec.replicas`` from an autoscaling/v1 Scale."""
    rt, name = request.rt, request.name
    old = get(path.store, rt, request.namespace, name)
    if not isinstance(scale, dict):
        raise errors.bad_request("the object provided is unrecognized (must be of type Scale)")
    metadata = scale.get("metadata") or {}
    if metadata.get("name") not in (None, "", name):
        raise errors.bad_request(
            f"the name of the object ({metadata.get('name')}) does not match the name on "
            f"the URL ({name})"
        )
    wanted = metadata.get("resourceVersion")
    if wanted not in (None, "") and wanted != old["metadata"]["resourceVersion"]:
        raise errors.conflict(rt, name)
    replicas = (scale.get("spec") or {}).get("replicas", 0)
    problems = []
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        problems.append(
            FieldError("spec.replicas", "type", "must be of type integer", replicas, True)
        )
    elif replicas < 0:
        problems.append(
            FieldError.invalid("spec.replicas", replicas, "must be greater than or equal to 0")
        )
    if problems:
        raise errors.invalid("Scale.autoscaling", name, problems)
    new = copy.deepcopy(old)
    new.setdefault("spec", {})["replicas"] = replicas
    if entries is None:
        entries = updated_ownership(
            old, new, manager=request.manager, api_version=SCALE_VERSION, subresource="scale"
        )
    stored = path.commit_update(request, old, new, entries=entries)
    return scale_of(rt, stored)


def apply_scale(path: WritePath, request: Request, applied: Obj, *, force: bool) -> Obj:
    """Server-side apply to ``/scale``: this manager owns ``spec.replicas`` if it sets it."""
    live = get(path.store, request.rt, request.namespace, request.name)
    config = {"spec": {"replicas": (applied.get("spec") or {}).get("replicas")}}
    if config["spec"]["replicas"] is None:
        config = {"spec": {}}
    plan = apply_plan(
        live,
        config,
        manager=request.manager,
        api_version=SCALE_VERSION,
        subresource="scale",
        force=force,
    )
    scale = scale_of(request.rt, live)
    if "replicas" in config["spec"]:
        scale["spec"]["replicas"] = config["spec"]["replicas"]
    return update_scale(path, request, scale, plan.entries)
