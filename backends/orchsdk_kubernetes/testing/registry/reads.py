"""Reads: one stored object by name, or the objects of a type that match selectors."""

from __future__ import annotations

from orchsdk_kubernetes.testing import errors
from orchsdk_kubernetes.testing.registry.meta import Obj
from orchsdk_kubernetes.testing.resources import ResourceType
from orchsdk_kubernetes.testing.selectors import FieldSelector, LabelSelector
from orchsdk_kubernetes.testing.store import Store

__all__ = ["get", "select"]


def get(store: Store, rt: ResourceType, namespace: str, name: str) -> Obj:
    """The stored object or the server's 404."""
    obj = store.get(rt, namespace, name)
    if obj is None:
        raise errors.not_found(rt, name)
    return obj


def select(
    store: Store,
    rt: ResourceType,
    namespace: str | None,
    labels: LabelSelector,
    fields: FieldSelector,
) -> list[Obj]:
    """Objects of a type matching both selectors (list, watch and deletecollection)."""
    return [
        obj
        for obj in store.list(rt, namespace)
        if labels.matches((obj.get("metadata") or {}).get("labels")) and fields.matches(obj)
    ]
