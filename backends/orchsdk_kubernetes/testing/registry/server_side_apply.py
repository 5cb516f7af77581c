"""Server-side apply of a main resource: merge the applied fields, prune what was dropped."""

from __future__ import annotations

import copy
import json

from orchsdk_kubernetes.testing import errors, fieldsets
from orchsdk_kubernetes.testing.fieldsets import Entry
from orchsdk_kubernetes.testing.patching import apply_merge
from orchsdk_kubernetes.testing.registry.meta import Obj, now
from orchsdk_kubernetes.testing.registry.write_path import WritePath
from orchsdk_kubernetes.testing.registry.writes import create
from orchsdk_kubernetes.testing.resources import ResourceType

__all__ = ["apply"]


def apply(
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
    """Creates the object from ``applied``, or merges it in under ``manager``'s ownership."""
    applied = copy.deepcopy(applied)
    kind, api_version = applied.get("kind"), applied.get("apiVersion")
    if not kind or not api_version:
        missing = "Kind" if not kind else "Version"
        raise errors.bad_request(
            f"Object '{missing}' is missing in '{json.dumps(applied, separators=(',', ':'))}'"
        )
    if kind != rt.kind or api_version != rt.api_version:
        raise errors.bad_request(
            f"the kind or API version in the data ({api_version}, Kind={kind}) does not "
            f"match the expected ({rt.api_version}, Kind={rt.kind})"
        )
    metadata = applied.get("metadata")
    if not isinstance(metadata, dict):
        metadata = applied["metadata"] = {}
    if metadata.get("name") not in (None, name):
        raise errors.bad_request(
            f"the name of the object ({metadata.get('name')}) does not match the name on "
            f"the URL ({name})"
        )
    if rt.namespaced and metadata.get("namespace") not in (None, "", namespace):
        raise errors.bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    if metadata.get("managedFields") is not None:
        raise errors.bad_request("metadata.managedFields must be nil")
    metadata["name"] = name
    if rt.namespaced:
        metadata["namespace"] = namespace
    if "status" in rt.subresources:
        applied.pop("status", None)
    live = path.store.get(rt, namespace, name)
    wanted = metadata.pop("resourceVersion", None)
    stamp = now()
    if live is None:
        if wanted:
            raise errors.conflict(rt, name)
        entry = Entry(manager, "Apply", rt.api_version, fieldsets.paths_of(applied), "", stamp)
        return create(
            path, rt, namespace, applied, manager=manager, dry_run=dry_run, entries=[entry]
        )
    if wanted and wanted != live["metadata"]["resourceVersion"]:
        raise errors.conflict(rt, name)
    plan = fieldsets.apply_ownership(
        fieldsets.read_entries(live),
        live,
        applied,
        manager=manager,
        api_version=rt.api_version,
        subresource="",
        force=force,
        now=stamp,
    )
    if plan.conflicts:
        raise errors.apply_conflict(plan.conflicts)
    merged = apply_merge(copy.deepcopy(live), applied)
    merged = fieldsets.prune(merged, plan.removed, plan.entries)
    return path.commit_update(
        rt, live, merged, manager=manager, dry_run=dry_run, entries=plan.entries
    )
