"""What happens to an object on its way into the store: the API server's registry layer.

For every write (create, replace, the four patch types, subresource writes, delete) the
modules of this package do what ``k8s.io/apiserver``'s generic registry and the per-kind
strategies do: preconditions (resourceVersion, uid), system metadata (uid,
creationTimestamp, generation), status kept out of main-resource writes and spec out of
status writes, defaults, Secret ``stringData``, Service IP and node-port allocation, field
ownership and server-side apply, no-op detection (an unchanged write keeps its
resourceVersion), validation, and cascading deletes. Controllers write through the same
code, as ``kube-controller-manager`` does through the API.

:class:`Registry` routes each verb, by subresource, to the module that carries it out:

- :mod:`.reads`: get and select (list, watch, deletecollection);
- :mod:`.writes`: create, replace and controllers' updates of the main resource;
- :mod:`.patches` and :mod:`.server_side_apply`: the four patch types;
- :mod:`.status` and :mod:`.scale`: the two subresources;
- :mod:`.deletes`: delete, with its cascades;
- :mod:`.write_path`, :mod:`.admission` and :mod:`.meta`: the steps every write shares.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Literal

from orchsdk_kubernetes.testing import errors
from orchsdk_kubernetes.testing.registry import (
    deletes,
    patches,
    reads,
    scale,
    server_side_apply,
    status,
    writes,
)
from orchsdk_kubernetes.testing.registry.meta import Obj
from orchsdk_kubernetes.testing.registry.patches import APPLY
from orchsdk_kubernetes.testing.registry.write_path import Request, WritePath
from orchsdk_kubernetes.testing.resources import ResourceType
from orchsdk_kubernetes.testing.selectors import FieldSelector, LabelSelector
from orchsdk_kubernetes.testing.store import Store

__all__ = ["Registry"]


class Registry:
    """The verbs of the emulated API server on top of a :class:`Store`, routed by subresource.

    ``subresource`` is ``""`` (the object itself), ``"status"`` or ``"scale"``.
    """

    def __init__(self, store: Store, *, validate: bool = True) -> None:
        self.store = store
        self._path = WritePath(store, validate=validate)

    def get(self, rt: ResourceType, namespace: str, name: str, subresource: str = "") -> Obj:
        """The stored object (or its Scale), or the server's 404."""
        obj = reads.get(self.store, rt, namespace, name)
        return scale.scale_of(rt, obj) if subresource == "scale" else obj

    def select(
        self,
        rt: ResourceType,
        namespace: str | None,
        labels: LabelSelector,
        fields: FieldSelector,
    ) -> list[Obj]:
        """Objects of a type matching both selectors."""
        return reads.select(self.store, rt, namespace, labels, fields)

    def create(
        self,
        rt: ResourceType,
        namespace: str,
        body: Any,
        *,
        manager: str,
        dry_run: bool = False,
        validate: bool = True,
    ) -> Obj:
        """POST: a new object; ``validate=False`` is for controllers' objects."""
        return writes.create(
            self._path, rt, namespace, body, manager=manager, dry_run=dry_run, validate=validate
        )

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
        """PUT of the object, its ``status`` or its ``scale`` (which answers with the Scale)."""
        request = Request(rt, namespace, name, manager, dry_run)
        if subresource == "scale":
            return scale.update_scale(self._path, request, body)
        if subresource == "status":
            return status.update_status(self._path, request, body)
        return writes.update(self._path, request, body)

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
        patch = patches.decode(content_type, raw, manager=manager, force=force)
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
        document = copy.deepcopy(self.get(rt, namespace, name, subresource))
        return self.update(
            rt,
            namespace,
            name,
            patches.patched(document, content_type, patch),
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
        """Server-side apply to the object or its ``scale`` (``status`` is not allowed)."""
        if not isinstance(applied, dict):
            raise errors.bad_request("the object provided is unrecognized (must be of type object)")
        request = Request(rt, namespace, name, manager, dry_run)
        if subresource == "scale":
            return scale.apply_scale(self._path, request, applied, force=force)
        if subresource:
            raise errors.method_not_allowed()
        return server_side_apply.apply(self._path, request, applied, force=force)

    def write(
        self,
        rt: ResourceType,
        new: Obj,
        *,
        manager: str,
        subresource: Literal["", "status"] = "",
        validate: bool = False,
    ) -> Obj:
        """A controller's update of the latest object or its status (no precondition).

        ``new`` may share nested parts with the stored object (they are not modified).
        """
        if subresource == "status":
            return status.write_status(self._path, rt, new, manager=manager, validate=validate)
        return writes.write(self._path, rt, new, manager=manager, validate=validate)

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
        return deletes.delete(
            self._path,
            rt,
            namespace,
            name,
            propagation=propagation,
            preconditions=preconditions,
            dry_run=dry_run,
        )

    def remove(self, rt: ResourceType, namespace: str, name: str) -> Obj | None:
        """Deletes at once (no grace period), releasing what the object held."""
        return deletes.remove(self._path, rt, namespace, name)
