"""The path every write takes into the store: decoding, preconditions, metadata, commit."""

from __future__ import annotations

import uuid
from typing import Any

import attrs

from orchsdk_kubernetes.testing import errors, fieldsets
from orchsdk_kubernetes.testing.defaults import apply_defaults
from orchsdk_kubernetes.testing.fieldsets import ApplyPlan, Entry
from orchsdk_kubernetes.testing.registry.admission import Admission
from orchsdk_kubernetes.testing.registry.meta import (
    Obj,
    drop_nulls,
    generation_changes,
    now,
    ordered_metadata,
    same,
)
from orchsdk_kubernetes.testing.registry.reads import get
from orchsdk_kubernetes.testing.resources import ResourceType, by_kind
from orchsdk_kubernetes.testing.store import Store
from orchsdk_kubernetes.testing.validation import SchemaValidator, check_decodable, rule_errors

__all__ = ["Request", "WritePath", "apply_plan", "updated_ownership"]

NAMESPACES = by_kind("Namespace")


@attrs.frozen
class Request:
    """A write to one named object: which object, the field manager writing, whether dry-run."""

    rt: ResourceType
    namespace: str
    name: str
    manager: str
    dry_run: bool = False


def updated_ownership(
    old: Obj | None, new: Obj, *, manager: str, api_version: str, subresource: str
) -> list[Entry]:
    """``new``'s field ownership once ``manager`` wrote it over ``old`` (``None``: a create),
    the ownership step every update shares."""
    entries = fieldsets.read_entries(old) if old is not None else []
    return fieldsets.update_ownership(
        entries,
        old,
        new,
        manager=manager,
        api_version=api_version,
        subresource=subresource,
        scope=subresource or "main",
        now=now(),
    )


def apply_plan(
    live: Obj, applied: Obj, *, manager: str, api_version: str, subresource: str, force: bool
) -> ApplyPlan:
    """What ``manager``'s server-side apply of ``applied`` to ``live`` does to field
    ownership, 409 on conflicts: the ownership step every apply shares."""
    plan = fieldsets.apply_ownership(
        fieldsets.read_entries(live),
        live,
        applied,
        manager=manager,
        api_version=api_version,
        subresource=subresource,
        force=force,
        now=now(),
    )
    if plan.conflicts:
        raise errors.apply_conflict(plan.conflicts)
    return plan


class WritePath:
    """The store with the steps shared by every verb that writes to it."""

    def __init__(self, store: Store, *, validate: bool) -> None:
        self.store = store
        self.validate = validate
        self.schema = SchemaValidator()
        self.admission = Admission()

    def decode(self, rt: ResourceType, body: Any, namespace: str) -> Obj:
        """The request body as an object of ``rt`` in ``namespace`` (400 when it is not)."""
        if not isinstance(body, dict):
            raise errors.bad_request(
                f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: '
                "the object provided is unrecognized (must be of type object)"
            )
        obj: Obj = drop_nulls(body)
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if api_version not in (None, "", rt.api_version):
            raise errors.bad_request(
                f"the API version in the data ({api_version}) does not match the expected "
                f"API version ({rt.api_version})"
            )
        if kind not in (None, "", rt.kind):
            raise errors.bad_request(
                f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})"
            )
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        metadata = obj.get("metadata")
        if metadata is None:
            metadata = obj["metadata"] = {}
        if not isinstance(metadata, dict):
            raise errors.bad_request(
                f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: '
                "metadata must be an object"
            )
        if rt.namespaced:
            if metadata.get("namespace") not in (None, "", namespace):
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request"
                )
            metadata["namespace"] = namespace
        else:
            metadata.pop("namespace", None)
        return obj

    def decode_named(self, rt: ResourceType, body: Any, namespace: str, name: str) -> Obj:
        """:meth:`decode` for a write to the URL of ``name`` (400 when the body names another)."""
        new = self.decode(rt, body, namespace)
        if new["metadata"].get("name") not in (None, name):
            raise errors.bad_request(
                f"the name of the object ({new['metadata'].get('name')}) does not match the "
                f"name on the URL ({name})"
            )
        new["metadata"]["name"] = name
        return new

    def controller_request(self, rt: ResourceType, new: Obj, manager: str) -> tuple[Request, Obj]:
        """A controller's write of ``new`` as a request, and the stored object it replaces:
        controllers name the object in its metadata, not in a URL."""
        metadata = new["metadata"]
        request = Request(rt, metadata.get("namespace", ""), metadata["name"], manager)
        return request, get(self.store, rt, request.namespace, request.name)

    def replacement(self, request: Request, body: Any) -> tuple[Obj, Obj]:
        """The stored object a PUT replaces and the body decoded in its place (404, 400, or
        409 when the body's preconditions do not hold): the start every PUT shares."""
        old = get(self.store, request.rt, request.namespace, request.name)
        new = self.decode_named(request.rt, body, request.namespace, request.name)
        self.check_precondition(request.rt, old, new)
        return old, new

    def check_namespace(self, rt: ResourceType, namespace: str, name: str) -> None:
        """404 when the namespace is missing, 403 while it terminates."""
        ns = self.store.get(NAMESPACES, "", namespace)
        if ns is None:
            raise errors.not_found(NAMESPACES, namespace)
        if ns["metadata"].get("deletionTimestamp"):
            raise errors.forbidden_terminating(rt, name, namespace)

    def check_precondition(self, rt: ResourceType, old: Obj, new: Obj) -> None:
        """409 when ``new`` names a resourceVersion or uid other than the stored one."""
        wanted = new["metadata"].get("resourceVersion")
        if wanted not in (None, "") and wanted != old["metadata"]["resourceVersion"]:
            raise errors.conflict(rt, old["metadata"]["name"])
        uid = new["metadata"].get("uid")
        if uid not in (None, "") and uid != old["metadata"]["uid"]:
            raise errors.conflict(
                rt,
                old["metadata"]["name"],
                f"Precondition failed: UID in precondition: {uid}, UID in object meta: "
                f"{old['metadata']['uid']}",
            )

    def insert(
        self,
        rt: ResourceType,
        obj: Obj,
        *,
        manager: str,
        dry_run: bool,
        entries: list[Entry] | None,
        validate: bool,
    ) -> Obj:
        """Stores a new object: system metadata, admission, defaults, ownership, validation."""
        metadata = obj["metadata"]
        for key in ("resourceVersion", "selfLink", "deletionTimestamp", "managedFields", "uid"):
            metadata.pop(key, None)
        metadata["uid"] = str(uuid.uuid4())
        metadata["creationTimestamp"] = now()
        if rt.has_generation:
            metadata["generation"] = 1
        self.admission.admit(rt, obj, None)
        apply_defaults(rt.kind, obj)
        if entries is None:
            entries = updated_ownership(
                None, obj, manager=manager, api_version=rt.api_version, subresource=""
            )
        fieldsets.write_entries(obj, entries)
        if validate:
            self.check(rt, obj, None)
        ordered_metadata(obj)
        if dry_run:
            return obj
        self.admission.commit(rt, obj)
        return self.store.put(rt, obj)

    def commit_update(
        self,
        request: Request,
        old: Obj,
        new: Obj,
        *,
        subresource: str = "",
        entries: list[Entry] | None = None,
        validate: bool = True,
    ) -> Obj:
        """Stores ``new`` in place of ``old`` (or returns ``old`` when nothing changes)."""
        rt = request.rt
        metadata = new["metadata"] = dict(new.get("metadata") or {})
        for key in ("uid", "creationTimestamp", "deletionTimestamp", "namespace", "name"):
            if key in old["metadata"]:
                metadata[key] = old["metadata"][key]
        metadata.pop("selfLink", None)
        metadata["resourceVersion"] = old["metadata"]["resourceVersion"]
        if subresource != "status":  # a status write keeps the stored spec as it is
            check_decodable(rt, new)
            self.admission.admit(rt, new, old)
            apply_defaults(rt.kind, new)
        if rt.has_generation:
            generation = old["metadata"].get("generation", 1)
            if not subresource and generation_changes(rt, old, new):
                generation += 1
            metadata["generation"] = generation
        if entries is None:
            entries = updated_ownership(
                old,
                new,
                manager=request.manager,
                api_version=rt.api_version,
                subresource=subresource,
            )
        fieldsets.write_entries(new, entries)
        ordered_metadata(new)
        if same(old, new):
            return old
        if validate:
            self.check(rt, new, old)
        if request.dry_run:
            return new
        self.admission.commit(rt, new, old)
        return self.store.put(rt, new)

    def check(self, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
        """422 with every rule and schema violation, unless validation is off."""
        if not self.validate:
            return
        problems = rule_errors(rt, obj, old)
        problems.extend(self.schema.errors(obj))
        if problems:
            name = obj["metadata"].get("name") or ""
            raise errors.invalid(rt.qualified_kind, name, problems, rt.group)
