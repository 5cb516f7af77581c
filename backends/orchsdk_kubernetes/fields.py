"""The part of an object one field manager owns, read from its ``managedFields``.

What client-go's ``Extract<Kind>`` functions do: the ``fieldsV1`` set of a manager's
entry names the fields it set (``f:<name>`` for a map key, ``k:{...}`` for the item of
a keyed list, ``v:<json>`` for an item of a set, ``i:<n>`` for a list index, and ``.``
for the node itself); following it through the object gives back what that manager
applied. The backend needs it to re-apply a Deployment with one part replaced (a
rollback's pod template) without dropping the other fields it owns.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["owned_by"]


def owned_by(
    obj: Mapping[str, Any], manager: str, operation: str = "Apply", subresource: str = ""
) -> dict[str, Any]:
    """The fields of ``obj`` that ``manager`` owns through ``operation`` (``{}`` if none)."""
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        if (
            isinstance(entry, Mapping)
            and entry.get("manager") == manager
            and entry.get("operation") == operation
            and (entry.get("subresource") or "") == subresource
        ):
            extracted = _extract(obj, entry.get("fieldsV1") or {})
            return extracted if isinstance(extracted, dict) else {}
    return {}


def _children(fields: Any) -> dict[str, Any]:
    if not isinstance(fields, Mapping):
        return {}
    return {key: value for key, value in fields.items() if key != "."}


def _extract(value: Any, fields: Any) -> Any:
    children = _children(fields)
    if not children:  # a leaf, or a node owned whole (an atomic map or list)
        return copy.deepcopy(value)
    if isinstance(value, Mapping):
        return {
            key[2:]: _extract(value[key[2:]], sub)
            for key, sub in children.items()
            if key.startswith("f:") and key[2:] in value
        }
    if isinstance(value, list):
        picked: dict[int, Any] = {}
        for key, sub in children.items():
            index = _find(value, key)
            if index is None:
                continue
            item = _extract(value[index], sub)
            if key.startswith("k:") and isinstance(item, dict):
                item = {**json.loads(key[2:]), **item}  # the item's key always goes with it
            picked[index] = item
        return [picked[index] for index in sorted(picked)]
    return copy.deepcopy(value)


def _find(items: list[Any], key: str) -> int | None:
    try:
        if key.startswith("k:"):
            wanted = json.loads(key[2:])
            return next(
                index
                for index, item in enumerate(items)
                if isinstance(item, Mapping)
                and all(item.get(name) == value for name, value in wanted.items())
            )
        if key.startswith("v:"):
            return items.index(json.loads(key[2:]))
        if key.startswith("i:"):
            index = int(key[2:])
            return index if 0 <= index < len(items) else None
    except (StopIteration, ValueError):
        return None
    return None
