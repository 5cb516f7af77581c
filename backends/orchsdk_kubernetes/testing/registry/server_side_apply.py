"""Server-side apply of a main resource: merge the applied fields, prune what was dropped."""

from __future__ import annotations

import copy
import json

from orchsdk_kubernetes.testing import errors, fieldsets
from orchsdk_kubernetes.testing.fieldsets import Entry
from orchsdk_kubernetes.testing.patching import apply_merge
from orchsdk_kubernetes.testing.registry.meta import Obj, now
from orchsdk_kubernetes.testing.registry.write_path import Request, WritePath, apply_plan
from orchsdk_kubernetes.testing.registry.writes import create

__all__ = ["apply"]


def apply(path: WritePath, request: Request, applied: Obj, *, force: bool) -> Obj:
    """Creates the object from ``applied``, or merges it in under the manager's ownership."""
    rt, namespace, name, manager = request.rt, request.namespace, request.name, request.manager
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
    if live is None:
        if wanted:
            raise errors.conflict(rt, name)
        entry = Entry(manager, "Apply", rt.api_version, fieldsets.paths_of(applied), "", now())
        return create(
            path, rt, namespace, applied, manager=manager, dry_run=request.dry_run, entries=[entry]
        )
    if wanted and wanted != live["metadata"]["resourceVersion"]:
        raise errors.conflict(rt, name)
    plan = apply_plan(
        live, applied, manager=manager, api_version=rt.api_version, subresource="", force=force
    )
    merged = apply_merge(copy.deepcopy(live), applied)
    merged = fieldsets.prune(merged, plan.removed, plan.entries)
    return path.commit_update(request, live, merged, entries=plan.entries)
