"""What happens to an object on its way into the store: the API server's registry layer.

For every write (create, replace, the four patch types, subresource writes, delete) this
module does what ``k8s.io/apiserver``'s generic registry and the per-kind strategies do:
preconditions (resourceVersion, uid), system metadata (uid, creationTimestamp,
generation), status kept out of main-resource writes and spec out of status writes,
defaults, Secret ``stringData``, Service IP and node-port allocation, field ownership and
server-side apply, no-op detection (an unchanged write keeps its resourceVersion),
validation, and cascading deletes. Controllers write through the same code, as
``kube-controller-manager`` does through the API.
"""

from __future__ import annotations

import base64
import copy
import datetime
import itertools
import json
import random
import uuid
from collections.abc import Mapping
from typing import Any

from orchsdk_kubernetes.testing import errors, fieldsets
from orchsdk_kubernetes.testing.defaults import apply_defaults
from orchsdk_kubernetes.testing.errors import ApiError, FieldError
from orchsdk_kubernetes.testing.fieldsets import Entry
from orchsdk_kubernetes.testing.patching import (
    PatchError,
    apply_merge,
    json_patch,
    merge_patch,
    strategic_merge_patch,
)
from orchsdk_kubernetes.testing.resources import ResourceType, by_key, by_kind
from orchsdk_kubernetes.testing.selectors import FieldSelector, LabelSelector, selector_string
from orchsdk_kubernetes.testing.store import Store
from orchsdk_kubernetes.testing.validation import (
    SchemaValidator,
    check_decodable,
    rule_errors,
)

__all__ = ["APPLY", "JSON_PATCH", "MERGE_PATCH", "PATCH_TYPES", "STRATEGIC", "Registry", "now"]

Obj = dict[str, Any]

APPLY = "application/apply-patch+yaml"
STRATEGIC = "application/strategic-merge-patch+json"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
PATCH_TYPES = (APPLY, STRATEGIC, MERGE_PATCH, JSON_PATCH)

NAMESPACES = by_kind("Namespace")
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def now() -> str:
    """The current time as the API server writes timestamps (RFC 3339, seconds, UTC)."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def random_suffix(length: int = 5) -> str:
    """A name suffix as ``generateName`` and the ReplicaSet controller make them."""
    return "".join(random.choice(_SUFFIX_ALPHABET) for _ in range(length))


class _Allocator:
    """Hands out unique values from a sequence, with release."""

    def __init__(self, values: Any) -> None:
        self._values = values
        self.used: set[Any] = set()

    def peek(self) -> Any:
        while True:
            value = next(self._values)
            if value not in self.used:
                self._values = itertools.chain([value], self._values)
                return value

    def take(self, value: Any) -> None:
        self.used.add(value)

    def release(self, value: Any) -> None:
        self.used.discard(value)


def _cluster_ips() -> Any:
    for n in itertools.count(10):
        yield f"10.96.{(n // 254) % 256}.{n % 254 + 1}"


def _node_ports() -> Any:
    return itertools.cycle(range(30000, 32768))


class Registry:
    """The write paths of the emulated API server, on top of a :class:`Store`."""

    def __init__(self, store: Store, *, validate: bool = True) -> None:
        self.store = store
        self.validate = validate
        # Also validate what the controllers write (slower; for the emulator's own tests).
        self.validate_controllers = False
        self.schema = SchemaValidator()
        self.cluster_ips = _Allocator(_cluster_ips())
        self.node_ports = _Allocator(_node_ports())

    # -- reads -------------------------------------------------------------------------------

    def get(self, rt: ResourceType, namespace: str, name: str) -> Obj:
        """The stored object or the server's 404."""
        obj = self.store.get(rt, namespace, name)
        if obj is None:
            raise errors.not_found(rt, name)
        return obj

    def select(
        self,
        rt: ResourceType,
        namespace: str | None,
        labels: LabelSelector,
        fields: FieldSelector,
    ) -> list[Obj]:
        """Objects of a type matching both selectors."""
        return [
            obj
            for obj in self.store.list(rt, namespace)
            if labels.matches((obj.get("metadata") or {}).get("labels")) and fields.matches(obj)
        ]

    # -- create ------------------------------------------------------------------------------

    def create(
        self,
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
        obj = self._decode(rt, body, namespace)
        metadata = obj["metadata"]
        if not metadata.get("name") and metadata.get("generateName"):
            metadata["name"] = f"{metadata['generateName']}{random_suffix()}"
        name = metadata.get("name") or ""
        if rt.namespaced:
            self._check_namespace(rt, namespace, name)
        if name and self.store.get(rt, namespace, name) is not None:
            raise errors.already_exists(rt, name)
        check_decodable(rt, obj)
        if "status" in rt.subresources:
            obj.pop("status", None)
        for key in ("resourceVersion", "selfLink", "deletionTimestamp", "managedFields", "uid"):
            metadata.pop(key, None)
        metadata["uid"] = str(uuid.uuid4())
        metadata["creationTimestamp"] = now()
        if rt.has_generation:
            metadata["generation"] = 1
        self._admit(rt, obj, None)
        apply_defaults(rt.kind, obj)
        if entries is None:
            entries = fieldsets.update_ownership(
                [],
                None,
                obj,
                manager=manager,
                api_version=rt.api_version,
                subresource="",
                scope="main",
                now=now(),
            )
        fieldsets.write_entries(obj, entries)
        if validate:
            self._validate(rt, obj, None)
        _ordered_metadata(obj)
        if dry_run:
            return obj
        self._commit_allocations(rt, obj)
        return self.store.put(rt, obj)

    def _check_namespace(self, rt: ResourceType, namespace: str, name: str) -> None:
        ns = self.store.get(NAMESPACES, "", namespace)
        if ns is None:
            raise errors.not_found(NAMESPACES, namespace)
        if ns["metadata"].get("deletionTimestamp"):
            raise errors.forbidden_terminating(rt, name, namespace)

    def _decode(self, rt: ResourceType, body: Any, namespace: str) -> Obj:
        if not isinstance(body, dict):
            raise errors.bad_request(
                f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: '
                "the object provided is unrecognized (must be of type object)"
            )
        obj: Obj = _drop_nulls(body)
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

    # -- update ------------------------------------------------------------------------------

    def update(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        body: Any,
        *,
        manager: str,
        subresource: str = "",
        dry_run: bool = False,
    ) -> Obj:
        """PUT of the object or its ``status``: a full replacement, resourceVersion-guarded."""
        old = self.get(rt, namespace, name)
        new = self._decode(rt, body, namespace)
        if new["metadata"].get("name") not in (None, name):
            raise errors.bad_request(
                f"the name of the object ({new['metadata'].get('name')}) does not match the "
                f"name on the URL ({name})"
            )
        new["metadata"]["name"] = name
        self._check_precondition(rt, old, new)
        if subresource == "status":
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
            new = status_write
        elif "status" in rt.subresources:
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
        return self._commit_update(
            rt, old, new, manager=manager, subresource=subresource, dry_run=dry_run
        )

    def _check_precondition(self, rt: ResourceType, old: Obj, new: Obj) -> None:
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

    def _commit_update(
        self,
        rt: ResourceType,
        old: Obj,
        new: Obj,
        *,
        manager: str,
        subresource: str = "",
        dry_run: bool = False,
        entries: list[Entry] | None = None,
        validate: bool = True,
    ) -> Obj:
        metadata = new["metadata"] = dict(new.get("metadata") or {})
        for key in ("uid", "creationTimestamp", "deletionTimestamp", "namespace", "name"):
            if key in old["metadata"]:
                metadata[key] = old["metadata"][key]
        metadata.pop("selfLink", None)
        metadata["resourceVersion"] = old["metadata"]["resourceVersion"]
        if subresource != "status":  # a status write keeps the stored spec as it is
            check_decodable(rt, new)
            self._admit(rt, new, old)
            apply_defaults(rt.kind, new)
        if rt.has_generation:
            generation = old["metadata"].get("generation", 1)
            if not subresource and _generation_changes(rt, old, new):
                generation += 1
            metadata["generation"] = generation
        if entries is None:
            scope = subresource or "main"
            entries = fieldsets.update_ownership(
                fieldsets.read_entries(old),
                old,
                new,
                manager=manager,
                api_version=rt.api_version,
                subresource=subresource,
                scope=scope,
                now=now(),
            )
        fieldsets.write_entries(new, entries)
        _ordered_metadata(new)
        if _same(old, new):
            return old
        if validate:
            self._validate(rt, new, old)
        if dry_run:
            return new
        self._commit_allocations(rt, new, old)
        return self.store.put(rt, new)

    # -- patch and apply ---------------------------------------------------------------------

    def patch(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        content_type: str,
        raw: bytes,
        *,
        manager: str,
        force: bool | None,
        subresource: str = "",
        dry_run: bool = False,
    ) -> Obj:
        """PATCH with any of the four patch types (``apply`` is server-side apply)."""
        if content_type not in PATCH_TYPES:
            raise errors.unsupported_media_type()
        _check_patch_options(content_type, manager, force)
        try:
            patch = json.loads(raw or b"null")
        except ValueError as error:
            if content_type == APPLY:
                patch = _yaml(raw)
            else:
                raise errors.bad_request(f"error decoding patch: {error}") from None
        if content_type == APPLY:
            return self.apply(
                rt,
                namespace,
                name,
                patch,
                manager=manager,
                force=bool(force),
                subresource=subresource,
                dry_run=dry_run,
            )
        old = self.get(rt, namespace, name)
        document = copy.deepcopy(scale_of(rt, old) if subresource == "scale" else old)
        try:
            if content_type == JSON_PATCH:
                patched = json_patch(document, patch)
            elif content_type == MERGE_PATCH:
                if not isinstance(patch, dict):
                    raise PatchError("merge patch must be a JSON object")
                patched = merge_patch(document, patch)
            else:
                patched = strategic_merge_patch(document, patch)
        except PatchError as error:
            if error.bad_request:
                raise errors.bad_request(str(error)) from None
            raise ApiError(
                errors.status(
                    422,
                    "Invalid",
                    "the server rejected our request due to an error in our request",
                    {"causes": [{"reason": "UnexpectedServerResponse", "message": str(error)}]},
                )
            ) from None
        if subresource == "scale":
            return self.update_scale(rt, namespace, name, patched, manager=manager, dry_run=dry_run)
        return self.update(
            rt,
            namespace,
            name,
            patched,
            manager=manager,
            subresource=subresource,
            dry_run=dry_run,
        )

    def apply(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        applied: Any,
        *,
        manager: str,
        force: bool,
        subresource: str = "",
        dry_run: bool = False,
    ) -> Obj:
        """Server-side apply: merge the applied fields, prune what this manager dropped."""
        if not isinstance(applied, dict):
            raise errors.bad_request("the object provided is unrecognized (must be of type object)")
        if subresource == "scale":
            return self._apply_scale(rt, namespace, name, applied, manager, force, dry_run)
        if subresource:
            raise errors.method_not_allowed()
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
                "the namespace of the provided object does not match the namespace sent on "
                "the request"
            )
        if metadata.get("managedFields") is not None:
            raise errors.bad_request("metadata.managedFields must be nil")
        metadata["name"] = name
        if rt.namespaced:
            metadata["namespace"] = namespace
        if "status" in rt.subresources:
            applied.pop("status", None)
        live = self.store.get(rt, namespace, name)
        wanted = metadata.pop("resourceVersion", None)
        stamp = now()
        if live is None:
            if wanted:
                raise errors.conflict(rt, name)
            entry = Entry(
                manager,
                "Apply",
                rt.api_version,
                fieldsets.paths_of(applied),
                "",
                stamp,
            )
            return self.create(
                rt, namespace, applied, manager=manager, dry_run=dry_run, entries=[entry]
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
        return self._commit_update(
            rt, live, merged, manager=manager, dry_run=dry_run, entries=plan.entries
        )

    # -- scale -------------------------------------------------------------------------------

    def update_scale(
        self,
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
        old = self.get(rt, namespace, name)
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
                api_version="autoscaling/v1",
                subresource="scale",
                scope="scale",
                now=now(),
            )
        stored = self._commit_update(
            rt, old, new, manager=manager, subresource="", dry_run=dry_run, entries=entries
        )
        return scale_of(rt, stored)

    def _apply_scale(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        applied: Obj,
        manager: str,
        force: bool,
        dry_run: bool,
    ) -> Obj:
        live = self.get(rt, namespace, name)
        config = {"spec": {"replicas": (applied.get("spec") or {}).get("replicas")}}
        if config["spec"]["replicas"] is None:
            config = {"spec": {}}
        plan = fieldsets.apply_ownership(
            fieldsets.read_entries(live),
            live,
            config,
            manager=manager,
            api_version="autoscaling/v1",
            subresource="scale",
            force=force,
            now=now(),
        )
        if plan.conflicts:
            raise errors.apply_conflict(plan.conflicts)
        scale = scale_of(rt, live)
        if "replicas" in config["spec"]:
            scale["spec"]["replicas"] = config["spec"]["replicas"]
        return self.update_scale(
            rt, namespace, name, scale, manager=manager, dry_run=dry_run, entries=plan.entries
        )

    # -- delete ------------------------------------------------------------------------------

    def delete(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        *,
        propagation: str | None = None,
        preconditions: Mapping[str, Any] | None = None,
        dry_run: bool = False,
    ) -> Obj:
        """DELETE: the answer body (the deleted object, or a Success Status, per kind)."""
        old = self.get(rt, namespace, name)
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
            return self.store.put(rt, terminating)
        if propagation == "Orphan":
            self._orphan_dependents(old["metadata"]["uid"])
        elif propagation == "Foreground":
            self.delete_dependents(old["metadata"]["uid"])
        gone = self.remove(rt, namespace, name)
        if propagation == "Foreground" and gone is not None:
            marked = copy.deepcopy(gone)
            marked["metadata"].setdefault("deletionTimestamp", now())
            marked["metadata"]["finalizers"] = ["foregroundDeletion"]
            return marked
        return _deleted_answer(rt, gone or old)

    def remove(self, rt: ResourceType, namespace: str, name: str) -> Obj | None:
        """Deletes at once (no grace period), releasing what the object held."""
        stamp = (
            {"deletionTimestamp": now(), "deletionGracePeriodSeconds": 0}
            if rt.kind == "Pod"
            else None
        )
        gone = self.store.remove(rt, namespace, name, stamp)
        if gone is not None and rt.kind == "Service":
            spec = gone.get("spec") or {}
            self.cluster_ips.release(spec.get("clusterIP"))
            for port in spec.get("ports") or []:
                self.node_ports.release(port.get("nodePort"))
        return gone

    def dependents(self, uid: str) -> list[tuple[ResourceType, Obj]]:
        """Objects whose ownerReferences name ``uid``."""
        found = []
        for key, obj in self.store.all_objects():
            for reference in (obj.get("metadata") or {}).get("ownerReferences") or []:
                if reference.get("uid") == uid:
                    found.append((by_key(key), obj))
                    break
        return found

    def delete_dependents(self, uid: str) -> None:
        """Foreground cascade: dependents (and theirs) go before the owner."""
        for rt, obj in self.dependents(uid):
            self.delete_dependents(obj["metadata"]["uid"])
            self.remove(rt, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])

    def _orphan_dependents(self, uid: str) -> None:
        for rt, obj in self.dependents(uid):
            new = copy.deepcopy(obj)
            references = [
                ref for ref in new["metadata"].get("ownerReferences", []) if ref.get("uid") != uid
            ]
            if references:
                new["metadata"]["ownerReferences"] = references
            else:
                new["metadata"].pop("ownerReferences", None)
            self.write(rt, new, manager="kube-controller-manager")

    # -- controllers' writes ----------------------------------------------------------------

    def write(
        self,
        rt: ResourceType,
        new: Obj,
        *,
        manager: str,
        subresource: str = "",
        validate: bool | None = None,
    ) -> Obj:
        """A controller's update of the latest object (no precondition, no-op aware).

        ``new`` may share nested parts with the stored object (they are not modified).
        Controllers' writes skip validation unless :attr:`validate_controllers`.
        """
        metadata = new["metadata"]
        old = self.get(rt, metadata.get("namespace", ""), metadata["name"])
        if subresource == "status":
            merged = {**old, "metadata": dict(old["metadata"]), "status": new.get("status")}
            if merged["status"] is None:
                merged.pop("status")
            for key in ("labels", "annotations"):
                if key in metadata:
                    merged["metadata"][key] = metadata[key]
            new = merged
        elif "status" in rt.subresources:
            new = {**new, "status": copy.deepcopy(old.get("status"))}
            if new["status"] is None:
                del new["status"]
        if validate is None:
            validate = self.validate_controllers
        return self._commit_update(
            rt, old, new, manager=manager, subresource=subresource, validate=validate
        )

    # -- admission ----------------------------------------------------------------------------

    def _admit(self, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
        """Kind-specific mutation at write time: Secret stringData, Service allocations."""
        if rt.kind == "Secret" and "stringData" in obj:
            data = dict(obj.get("data") or {})
            for key, value in (obj.pop("stringData") or {}).items():
                data[key] = base64.b64encode(str(value).encode()).decode()
            obj["data"] = data
        elif rt.kind == "Service":
            self._admit_service(obj, old)

    def _admit_service(self, obj: Obj, old: Obj | None) -> None:
        spec = obj.setdefault("spec", {})
        kind = spec.get("type") or "ClusterIP"
        old_spec = (old or {}).get("spec") or {}
        if kind == "ExternalName":
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
            return
        if not spec.get("clusterIP"):
            if old_spec.get("clusterIP") and old_spec.get("type") != "ExternalName":
                spec["clusterIP"] = old_spec["clusterIP"]
            else:
                spec["clusterIP"] = self.cluster_ips.peek()
        if spec["clusterIP"] == "None":
            spec["clusterIPs"] = ["None"]
        else:
            spec["clusterIPs"] = [spec["clusterIP"]]
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
        if spec["clusterIP"] == "None":
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
        ports = spec.get("ports") or []
        if kind in ("NodePort", "LoadBalancer"):
            previous = {
                (p.get("port"), p.get("protocol", "TCP")): p.get("nodePort")
                for p in old_spec.get("ports") or []
            }
            taken: set[int] = set()
            for port in ports:
                if not isinstance(port, dict):
                    continue
                if port.get("nodePort") is None:
                    earlier = previous.get((port.get("port"), port.get("protocol", "TCP")))
                    if earlier is not None:
                        port["nodePort"] = earlier
                    else:
                        value = self.node_ports.peek()
                        while value in taken:
                            self.node_ports.take(value)
                            value = self.node_ports.peek()
                        port["nodePort"] = value
                taken.add(port["nodePort"])
        else:
            for port in ports:
                if isinstance(port, dict) and old is not None:
                    port.pop("nodePort", None)

    def _commit_allocations(self, rt: ResourceType, obj: Obj, old: Obj | None = None) -> None:
        if rt.kind != "Service":
            return
        spec, old_spec = obj.get("spec") or {}, (old or {}).get("spec") or {}
        if spec.get("clusterIP") not in (None, "None"):
            self.cluster_ips.take(spec["clusterIP"])
        if old_spec.get("clusterIP") not in (None, "None", spec.get("clusterIP")):
            self.cluster_ips.release(old_spec["clusterIP"])
        now_ports = {p.get("nodePort") for p in spec.get("ports") or [] if p.get("nodePort")}
        for port in now_ports:
            self.node_ports.take(port)
        for port in old_spec.get("ports") or []:
            if port.get("nodePort") and port["nodePort"] not in now_ports:
                self.node_ports.release(port["nodePort"])

    # -- validation ----------------------------------------------------------------------------

    def _validate(self, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
        if not self.validate:
            return
        problems = rule_errors(rt, obj, old)
        problems.extend(self.schema.errors(obj))
        if problems:
            name = obj["metadata"].get("name") or ""
            raise errors.invalid(rt.qualified_kind, name, problems, rt.group)


# -- helpers --------------------------------------------------------------------------------------


def _drop_nulls(value: Any) -> Any:
    """A deep copy without ``null`` members: a JSON null decodes to Go's zero value."""
    if isinstance(value, dict):
        return {key: _drop_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_drop_nulls(item) for item in value]
    return value


def _check_patch_options(content_type: str, manager: str, force: bool | None) -> None:
    problems = []
    if content_type != APPLY and force is not None:
        problems.append(FieldError.forbidden("force", "may not be specified for non-apply patch"))
    if content_type == APPLY and not manager:
        problems.append(FieldError.required("fieldManager", "is required for apply patch"))
    if len(manager) > 128:
        problems.append(
            FieldError("fieldManager", "toolong", "may not be more than 128 bytes", manager, True)
        )
    if problems:
        raise errors.invalid("PatchOptions.meta.k8s.io", "", problems, "meta.k8s.io")


def _yaml(raw: bytes) -> Any:
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - PyYAML comes with kubernetes
        raise errors.bad_request("error decoding YAML: PyYAML is not installed") from None
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as error:
        raise errors.bad_request(f"error decoding YAML: {error}") from None


def _generation_changes(rt: ResourceType, old: Obj, new: Obj) -> bool:
    if old.get("spec") != new.get("spec"):
        return True
    if rt.kind == "Deployment":
        return bool(old["metadata"].get("annotations") != new["metadata"].get("annotations"))
    return False


def _strip_times(obj: Obj) -> Obj:
    metadata = dict(obj.get("metadata") or {})
    metadata.pop("resourceVersion", None)
    metadata["managedFields"] = [
        {key: value for key, value in entry.items() if key != "time"}
        for entry in metadata.get("managedFields") or []
    ]
    return {**obj, "metadata": metadata}


def _same(old: Obj, new: Obj) -> bool:
    """Whether a write changes nothing but timestamps (the server then skips it)."""
    return _strip_times(old) == _strip_times(new)


_METADATA_ORDER = (
    "name",
    "generateName",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
)


def _ordered_metadata(obj: Obj) -> Obj:
    """Puts metadata keys in the server's order (cosmetic: readable dumps)."""
    metadata = obj.get("metadata") or {}
    ordered = {key: metadata[key] for key in _METADATA_ORDER if key in metadata}
    ordered.update({key: value for key, value in metadata.items() if key not in ordered})
    obj["metadata"] = ordered
    return ordered


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


def scale_of(rt: ResourceType, obj: Obj) -> Obj:
    """The autoscaling/v1 Scale view of a Deployment or ReplicaSet."""
    metadata = obj["metadata"]
    spec = obj.get("spec") or {}
    scale_spec = {"replicas": spec["replicas"]} if spec.get("replicas") else {}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
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
