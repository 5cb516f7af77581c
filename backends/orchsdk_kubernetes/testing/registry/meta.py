"""Object metadata as the API server writes it: timestamps, generated names, key order, no-ops."""

from __future__ import annotations

import datetime
import random
from typing import Any

from orchsdk_kubernetes.testing.fieldsets import SERVER_METADATA
from orchsdk_kubernetes.testing.resources import ResourceType

__all__ = [
    "Obj",
    "drop_nulls",
    "generation_changes",
    "now",
    "ordered_metadata",
    "random_suffix",
    "same",
]

Obj = dict[str, Any]

_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

_METADATA_ORDER = (
    *SERVER_METADATA,
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
)


def now() -> str:
    """The current time as the API server writes timestamps (RFC 3339, seconds, UTC)."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def random_suffix(length: int = 5) -> str:
    """A name suffix as ``generateName`` and the ReplicaSet controller make them."""
    return "".join(random.choice(_SUFFIX_ALPHABET) for _ in range(length))


def drop_nulls(value: Any) -> Any:
    """A deep copy without ``null`` members: a JSON null decodes to Go's zero value."""
    if isinstance(value, dict):
        return {key: drop_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [drop_nulls(item) for item in value]
    return value


def generation_changes(rt: ResourceType, old: Obj, new: Obj) -> bool:
    """Whether a main-resource write bumps ``metadata.generation``."""
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


def same(old: Obj, new: Obj) -> bool:
    """Whether a write changes nothing but timestamps (the server then skips it)."""
    return _strip_times(old) == _strip_times(new)


def ordered_metadata(obj: Obj) -> Obj:
    """Puts metadata keys in the server's order (cosmetic: readable dumps)."""
    metadata = obj.get("metadata") or {}
    ordered = {key: metadata[key] for key in _METADATA_ORDER if key in metadata}
    ordered.update({key: value for key, value in metadata.items() if key not in ordered})
    obj["metadata"] = ordered
    return ordered
