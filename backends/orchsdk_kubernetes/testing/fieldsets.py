"""Field ownership (``metadata.managedFields``) and server-side apply's conflict and prune rules.

A *field set* is a set of paths; a path is a tuple of tokens as in ``FieldsV1``:
``"f:spec"`` (a map key), ``"k:{\\"name\\":\\"web\\"}"`` (an associative list item by its
keys). A set holds the leaves a manager owns plus the item markers of list items it set,
which is what ``FieldsV1``'s ``"."`` entries record. Lists without list-map keys are
atomic (one leaf).

The rules follow structured-merge-diff, reduced to what an emulator needs:

- an **update** (create, PUT, non-apply PATCH, subresource write) gives its manager the
  fields whose value it changed and takes them from everyone else; removed fields leave
  every set;
- an **apply** conflicts when it sets a field another manager owns to a different value
  (unless forced, which takes the field over); the applier's set becomes exactly the
  applied fields; fields it applied before but not now are removed from the object unless
  another manager still owns them.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any

import attrs

from orchsdk_kubernetes.testing.patching import key_of, list_keys

__all__ = [
    "SERVER_METADATA",
    "Entry",
    "apply_ownership",
    "describe_manager",
    "format_path",
    "paths_of",
    "read_entries",
    "update_ownership",
    "write_entries",
]

Path = tuple[str, ...]

SERVER_METADATA = (
    "name",
    "generateName",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)
"""The metadata that names an object or that the server maintains, in the server's order."""

# Metadata that no manager owns.
_IGNORED_METADATA = {*SERVER_METADATA, "managedFields", "selfLink"}


@attrs.define
class Entry:
    """One ``managedFields`` entry: a manager, its operation, subresource and field set."""

    manager: str
    operation: str
    api_version: str
    paths: set[Path]
    subresource: str = ""
    time: str | None = None

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.manager, self.operation, self.subresource)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
        }
        if self.time:
            document["time"] = self.time
        document["fieldsType"] = "FieldsV1"
        document["fieldsV1"] = to_fields_v1(self.paths)
        if self.subresource:
            document["subresource"] = self.subresource
        return document


def _item_token(item: Any, keys: tuple[str, ...]) -> str:
    identity = key_of(item, keys) or ()
    fields = {key: value for key, value in zip(keys, identity, strict=True) if value is not None}
    return "k:" + json.dumps(dict(sorted(fields.items())), separators=(",", ":"))


def paths_of(value: Any, *, scope: str = "main") -> set[Path]:
    """The field set of an object or applied configuration.

    ``scope`` picks the part a write may touch: ``main`` (all but status), ``status``
    (status, labels and annotations), ``scale`` (``spec.replicas``).
    """
    paths: set[Path] = set()
    if not isinstance(value, dict):
        return paths
    for key, child in value.items():
        if key in ("apiVersion", "kind"):
            continue
        if key == "status" and scope == "main":
            continue
        if scope == "status" and key not in ("status", "metadata"):
            continue
        if scope == "scale" and key != "spec":
            continue
        if key == "metadata" and isinstance(child, dict):
            for meta_key, meta_value in child.items():
                if meta_key in _IGNORED_METADATA:
                    continue
                if scope == "status" and meta_key not in ("labels", "annotations"):
                    continue
                _collect(meta_value, ("f:metadata", f"f:{meta_key}"), (meta_key,), paths)
            continue
        if scope == "scale":
            if isinstance(child, dict) and "replicas" in child:
                paths.add(("f:spec", "f:replicas"))
            continue
        _collect(child, (f"f:{key}",), (key,), paths)
    return paths


def _collect(value: Any, path: Path, chain: tuple[str, ...], out: set[Path]) -> None:
    if isinstance(value, dict) and value:
        for key, child in value.items():
            _collect(child, (*path, f"f:{key}"), (*chain, key), out)
        return
    keys = list_keys(chain) if isinstance(value, list) else None
    if keys and value and all(isinstance(item, dict) for item in value):
        for item in value:
            item_path = (*path, _item_token(item, keys))
            out.add(item_path)
            for key, child in item.items():
                _collect(child, (*item_path, f"f:{key}"), (*chain, key), out)
        return
    out.add(path)


def to_fields_v1(paths: Iterable[Path]) -> dict[str, Any]:
    """A field set as the nested ``FieldsV1`` document (``"."`` marks an owned item)."""
    root: dict[str, Any] = {}
    for path in sorted(paths):
        node = root
        for token in path:
            node = node.setdefault(token, {})
        if path and path[-1].startswith("k:"):
            node.setdefault(".", {})
    return root


def from_fields_v1(document: Any, prefix: Path = ()) -> set[Path]:
    """The inverse of :func:`to_fields_v1`."""
    paths: set[Path] = set()
    if not isinstance(document, dict):
        return paths
    if not document and prefix:
        paths.add(prefix)
    for token, child in document.items():
        if token == ".":
            paths.add(prefix)
        else:
            paths |= from_fields_v1(child, (*prefix, token))
    return paths


def read_entries(obj: dict[str, Any]) -> list[Entry]:
    """The object's ``managedFields`` as entries."""
    entries = []
    for raw in (obj.get("metadata") or {}).get("managedFields") or []:
        if not isinstance(raw, dict):
            continue
        entries.append(
            Entry(
                manager=str(raw.get("manager", "")),
                operation=str(raw.get("operation", "Update")),
                api_version=str(raw.get("apiVersion", "")),
                paths=from_fields_v1(raw.get("fieldsV1") or {}),
                subresource=str(raw.get("subresource", "")),
                time=raw.get("time"),
            )
        )
    return entries


def write_entries(obj: dict[str, Any], entries: list[Entry]) -> None:
    """Stores entries into ``metadata.managedFields`` (dropping empty ones)."""
    kept = [entry.to_json() for entry in entries if entry.paths]
    metadata = obj.setdefault("metadata", {})
    if kept:
        metadata["managedFields"] = kept
    else:
        metadata.pop("managedFields", None)


# -- navigation -------------------------------------------------------------------------


def _step(node: Any, token: str, chain: tuple[str, ...]) -> tuple[Any, tuple[str, ...], bool]:
    if token.startswith("f:"):
        name = token[2:]
        if isinstance(node, dict) and name in node:
            return node[name], (*chain, name), True
        return None, (*chain, name), False
    if token.startswith("k:") and isinstance(node, list):
        keys = list_keys(chain)
        wanted = json.loads(token[2:])
        if keys:
            for item in node:
                identity = key_of(item, keys) or ()
                have = {k: v for k, v in zip(keys, identity, strict=True) if v is not None}
                if have == wanted:
                    return item, chain, True
    return None, chain, False


def get_path(obj: Any, path: Path) -> tuple[Any, bool]:
    """The value at ``path`` and whether it exists."""
    node: Any = obj
    chain: tuple[str, ...] = ()
    for token in path:
        node, chain, found = _step(node, token, chain)
        if not found:
            return None, False
    return node, True


def remove_path(obj: Any, path: Path) -> bool:
    """Deletes the field or list item at ``path``; False when it was not there."""
    if not path:
        return False
    parent, found = get_path(obj, path[:-1])
    if not found:
        return False
    last = path[-1]
    if last.startswith("f:") and isinstance(parent, dict):
        return parent.pop(last[2:], _MISSING) is not _MISSING
    if last.startswith("k:") and isinstance(parent, list):
        item, found = get_path(obj, path)
        if found:
            parent.remove(item)
            return True
    return False


_MISSING = object()


def format_path(path: Path) -> str:
    """A path as structured-merge-diff prints it.

    E.g. ``.spec.template.spec.containers[name="web"].image``.
    """
    text = ""
    for token in path:
        if token.startswith("f:"):
            text += "." + token[2:]
        elif token.startswith("k:"):
            fields = json.loads(token[2:])
            text += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in fields.items()) + "]"
    return text


def describe_manager(entry: Entry) -> str:
    """How an apply conflict names the other manager (``printManager`` in apimachinery)."""
    text = json.dumps(entry.manager)
    if entry.subresource:
        text += f" with subresource {json.dumps(entry.subresource)}"
    if entry.operation == "Update":
        text += f" using {entry.api_version}"
        if entry.time:
            text += f" at {entry.time}"
    return text


# -- ownership rules ---------------------------------------------------------------------


def _find(entries: list[Entry], identity: tuple[str, str, str]) -> Entry | None:
    return next((entry for entry in entries if entry.identity == identity), None)


def update_ownership(
    entries: list[Entry],
    old: dict[str, Any] | None,
    new: dict[str, Any],
    *,
    manager: str,
    api_version: str,
    subresource: str,
    scope: str,
    now: str,
) -> list[Entry]:
    """Field ownership after an update operation by ``manager``."""
    entries = [attrs.evolve(entry, paths=set(entry.paths)) for entry in entries]
    old_paths = paths_of(old, scope=scope) if old is not None else set()
    new_paths = paths_of(new, scope=scope)
    changed = {
        path
        for path in new_paths
        if path not in old_paths or get_path(old, path)[0] != get_path(new, path)[0]
    }
    removed = old_paths - new_paths
    mine = _find(entries, (manager, "Update", subresource))
    for entry in entries:
        entry.paths -= removed
        if entry is not mine:
            entry.paths -= changed
    if changed:
        if mine is None:
            mine = Entry(manager, "Update", api_version, set(), subresource)
            entries.append(mine)
        mine.paths |= changed
        mine.time = now
        mine.api_version = api_version
    return [entry for entry in entries if entry.paths]


@attrs.frozen
class ApplyPlan:
    """What an apply does: conflicts to report, and the new entries; ``removed`` to prune."""

    conflicts: list[tuple[str, str]]
    entries: list[Entry]
    removed: list[Path]


def apply_ownership(
    entries: list[Entry],
    live: dict[str, Any],
    applied: dict[str, Any],
    *,
    manager: str,
    api_version: str,
    subresource: str,
    force: bool,
    now: str,
) -> ApplyPlan:
    """Conflicts, new field ownership and the paths to prune for an apply by ``manager``."""
    scope = "scale" if subresource == "scale" else "main"
    entries = [attrs.evolve(entry, paths=set(entry.paths)) for entry in entries]
    applied_paths = paths_of(applied, scope=scope)
    mine = _find(entries, (manager, "Apply", subresource))
    conflicts: list[tuple[str, str]] = []
    for entry in entries:
        if entry is mine:
            continue
        for path in sorted(entry.paths & applied_paths):
            if path and path[-1].startswith("k:"):
                continue
            live_value, in_live = get_path(live, path)
            applied_value, _ = get_path(applied, path)
            if in_live and live_value != applied_value:
                if force:
                    entry.paths.discard(path)
                else:
                    conflicts.append((describe_manager(entry), format_path(path)))
    previous = set(mine.paths) if mine else set()
    if mine is None:
        mine = Entry(manager, "Apply", api_version, set(), subresource)
        entries.append(mine)
    if mine.paths != applied_paths:
        mine.time = now
    mine.paths = applied_paths
    mine.api_version = api_version
    others = [entry.paths for entry in entries if entry is not mine]
    removed = []
    # Whole list items first (outermost first), then fields (deepest first): a field
    # removal may take an item's key, after which the item could not be found.
    order = sorted(
        previous - applied_paths,
        key=lambda p: (0, len(p)) if p[-1].startswith("k:") else (1, -len(p)),
    )
    for path in order:
        if any(_owns_under(paths, path) for paths in others):
            continue
        if any(_owns_under({p}, path) for p in applied_paths):
            continue
        removed.append(path)
    return ApplyPlan(conflicts, [entry for entry in entries if entry.paths], removed)


def _owns_under(paths: set[Path], prefix: Path) -> bool:
    size = len(prefix)
    return any(path[:size] == prefix for path in paths)


def prune(obj: dict[str, Any], removed: list[Path], entries: list[Entry]) -> dict[str, Any]:
    """Removes the given paths, then the maps and lists that pruning left empty."""
    result = copy.deepcopy(obj)
    owned = [entry.paths for entry in entries]
    for path in removed:
        if not remove_path(result, path):
            continue
        for depth in range(len(path) - 1, 1, -1):
            ancestor = path[:depth]
            value, found = get_path(result, ancestor)
            if not found or value not in ({}, []):
                break
            if any(ancestor in paths for paths in owned):
                break
            remove_path(result, ancestor)
    return result
