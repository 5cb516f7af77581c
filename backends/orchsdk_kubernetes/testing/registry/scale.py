"""The scale subresource: the autoscaling/v1 Scale view of an object, and writes through it."""

from __future__ import annotations

import copy
from typing import Any

from orchsdk_kubernetes.testing import errors, fieldsets
from orchsdk_kubernetes.testing.errors import FieldError
from orchsdk_kubernetes.testing.fieldsets import Entry
from orchsdk_kubernetes.testing.registry.meta import Obj, now
from orchsdk_kubernetes.testing.registry.reads import get
from orchsdk_kubernetes.testing.registry.write_path import WritePath
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
    path: WritePath,
    rt: ResourceType,
    namespace: str,
    name: str,
    scale: Any,
    *,
    manager: str,
    dry_run: bool = False,
    entries: list[Entry] | None = None,
) -> Obj:
    """PUT ``/scale``: sets ``spec.replicas`` from an autoscaling/v1 Scale."""
    old = get(path.store, rt, namespace, name)
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
        entries = fieldsets.update_ownership(
            fieldsets.read_entries(old),
            old,
            new,
            manager=manager,
            api_version=SCALE_VERSION,
            subresource="scale",
            scope="scale",
            now=now(),
        )
    stored = path.commit_update(rt, old, new, manager=manager, dry_run=dry_run, entries=entries)
    return scale_of(rt, stored)


def apply_scale(
    path: WritePath,
    rt: ResourceType,
    namespace: str,
    name: str,
    applied: Obj,
    *,
    manager: str,
    force: bool,
    dry_run: bool = False,
) -> Obj:
    """Server-side apply to ``/scale``: this manager owns ``spec.replicas`` if it sets it."""
    live = get(path.store, rt, namespace, name)
    config = {"spec": {"replicas": (applied.get("spec") or {}).get("replicas")}}
    if config["spec"]["replicas"] is None:
        config = {"spec": {}}
    plan = fieldsets.apply_ownership(
        fieldsets.read_entries(live),
        live,
        config,
        manager=manager,
        api_version=SCALE_VERSION,
        subresource="scale",
        force=force,
        now=now(),
    )
    if plan.conflicts:
        raise errors.apply_conflict(plan.conflicts)
    scale = scale_of(rt, live)
    if "replicas" in config["spec"]:
        scale["spec"]["replicas"] = config["spec"]["replicas"]
    return update_scale(
        path, rt, namespace, name, scale, manager=manager, dry_run=dry_run, entries=plan.entries
    )
