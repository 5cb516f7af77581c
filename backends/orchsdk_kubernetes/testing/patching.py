"""The four ways to PATCH an object, as pure functions on JSON documents.

- :func:`merge_patch`: JSON merge patch (RFC 7386): maps merge, ``null`` deletes, lists
  are replaced whole.
- :func:`strategic_merge_patch`: Kubernetes' strategic merge patch: like a merge patch,
  but lists with a merge key (containers by ``name``, container ports by
  ``containerPort``, service ports by ``port``, env by ``name``, ...) merge item by item,
  with the ``$patch``/``$retainKeys``/``$setElementOrder``/``$deleteFromPrimitiveList``
  directives.
- :func:`json_patch`: RFC 6902 operations (add, remove, replace, move, copy, test).
- :func:`apply_merge`: how server-side apply merges an applied configuration into the
  live object (associative lists by their list-map keys, see :func:`list_keys`); what
  apply *removes* is decided by the field sets in :mod:`.fieldsets`.

All functions return new documents and never modify their arguments.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = [
    "PatchError",
    "apply_merge",
    "json_patch",
    "list_keys",
    "merge_key",
    "merge_patch",
    "strategic_merge_patch",
]

Chain = tuple[str, ...]

_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")

# Server-side apply's list-map keys (``+listMapKey``) by field name.
_LIST_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "imagePullSecrets": ("name",),
    "conditions": ("type",),
    "ownerReferences": ("uid",),
    "hostAliases": ("ip",),
    "topologySpreadConstraints": ("topologyKey", "whenUnsatisfiable"),
    "resizePolicy": ("resourceName",),
    "resourceClaims": ("name",),
    "podIPs": ("ip",),
    "hostIPs": ("ip",),
}

# Defaults the server fills into a key field before items are compared.
_KEY_DEFAULTS = {"protocol": "TCP"}


class PatchError(ValueError):
    """A patch that cannot be applied; ``bad_request`` tells 400 from 422 (RFC 6902 apply)."""

    def __init__(self, message: str, *, bad_request: bool = True) -> None:
        super().__init__(message)
        self.bad_request = bad_request


def list_keys(chain: Chain) -> tuple[str, ...] | None:
    """The list-map keys of the list at ``chain`` (field names from the root), or None.

    None means the list is atomic: replaced whole by apply and by patches.
    """
    if not chain:
        return None
    name = chain[-1]
    if name == "ports":
        if len(chain) >= 2 and chain[-2] in _CONTAINER_LISTS:
            return ("containerPort", "protocol")
        if chain == ("spec", "ports"):
            return ("port", "protocol")
        return None
    return _LIST_KEYS.get(name)


def merge_key(chain: Chain) -> str | None:
    """The strategic-merge-patch merge key (``patchMergeKey``) of the list at ``chain``."""
    keys = list_keys(chain)
    return keys[0] if keys else None


def key_of(item: Any, keys: tuple[str, ...]) -> tuple[Any, ...] | None:
    """The identity of a list item under ``keys`` (with server defaults), or None."""
    if not isinstance(item, dict):
        return None
    return tuple(item.get(key, _KEY_DEFAULTS.get(key)) for key in keys)


# -- JSON merge patch (RFC 7386) ---------------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    """Applies an RFC 7386 merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# -- strategic merge patch ----------------------------------------------------------

_PRIMITIVE_MERGE = ("finalizers",)


def strategic_merge_patch(target: Any, patch: Any, chain: Chain = ()) -> Any:
    """Applies a strategic merge patch to ``target`` (the live object)."""
    if not isinstance(patch, dict):
        raise PatchError("strategic merge patch must be a JSON object")
    return _smp_map(target if isinstance(target, dict) else {}, patch, chain)


def _strip(value: Any) -> Any:
    """A patch value with its directives removed (for values that have no original)."""
    if isinstance(value, dict):
        return {
            key: _strip(item)
            for key, item in value.items()
            if not key.startswith("$") and item is not None
        }
    if isinstance(value, list):
        return [
            _strip(item)
            for item in value
            if not (isinstance(item, dict) and item.get("$patch") == "delete")
        ]
    return value


def _smp_map(original: dict[str, Any], patch: dict[str, Any], chain: Chain) -> Any:
    directive = patch.get("$patch")
    if directive == "replace":
        return _strip({k: v for k, v in patch.items() if k != "$patch"})
    if directive == "delete":
        return None
    if directive not in (None, "merge"):
        raise PatchError(f"Unknown patch type: {directive} in map: {patch}")
    result = dict(original)
    retain = patch.get("$retainKeys")
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys") or key.startswith("$setElementOrder/"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(result.get(field), list) and isinstance(value, list):
                result[field] = [item for item in result[field] if item not in value]
            continue
        if value is None:
            result.pop(key, None)
            continue
        current = result.get(key)
        here = (*chain, key)
        if isinstance(value, dict) and isinstance(current, dict):
            merged = _smp_map(current, value, here)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list) and isinstance(current, list):
            result[key] = _smp_list(current, value, here)
        else:
            stripped = _strip(value)
            if isinstance(value, dict) and value.get("$patch") == "delete":
                result.pop(key, None)
            else:
                result[key] = stripped
    if isinstance(retain, list):
        result = {key: value for key, value in result.items() if key in retain}
    return result


def _smp_list(original: list[Any], patch: list[Any], chain: Chain) -> list[Any]:
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return [_strip(item) for item in patch if not (isinstance(item, dict) and "$patch" in item)]
    key = merge_key(chain)
    if key is None:
        if chain and chain[-1] in _PRIMITIVE_MERGE:
            return list(original) + [item for item in patch if item not in original]
        return _strip(patch)  # type: ignore[no-any-return]
    result = [copy.deepcopy(item) for item in original]
    for item in patch:
        if not isinstance(item, dict):
            raise PatchError(f"map: {item} does not contain declared merge key: {key}")
        if key not in item:
            raise PatchError(f"map: {item} does not contain declared merge key: {key}")
        index = next(
            (
                i
                for i, old in enumerate(result)
                if isinstance(old, dict) and old.get(key) == item[key]
            ),
            None,
        )
        if item.get("$patch") == "delete":
            if index is not None:
                del result[index]
            continue
        if index is None:
            result.append(_strip(item))
        else:
            merged = _smp_map(result[index], item, chain)
            if merged is None:
                del result[index]
            else:
                result[index] = merged
    return result


# -- JSON patch (RFC 6902) -----------------------------------------------------------


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"JSON pointer must start with '/': {path!r}", bad_request=False)
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _parent(doc: Any, parts: list[str], path: str) -> Any:
    current = doc
    for part in parts[:-1]:
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise PatchError(f'doc is missing path: "{path}": missing value', bad_request=False)
    return current


def _get(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    if not parts:
        return doc
    parent = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent[int(last)]
    raise PatchError(f'doc is missing key: "{path}": missing value', bad_request=False)


def _remove(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    parent = _parent(doc, parts, path)
    last = parts[-1] if parts else ""
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise PatchError(f"unable to remove nonexistent key: {last}: missing value", bad_request=False)


def _add(doc: Any, path: str, value: Any, *, replace: bool = False) -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    parent = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise PatchError(
                f"replace operation does not apply: doc is missing key: {path}: missing value",
                bad_request=False,
            )
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent) - (1 if replace else 0):
            if replace:
                parent[int(last)] = value
            else:
                parent.insert(int(last), value)
        else:
            raise PatchError(f"Unable to access invalid index: {last}", bad_request=False)
    else:
        raise PatchError(f'doc is missing path: "{path}": missing value', bad_request=False)
    return doc


def json_patch(document: Any, operations: Any) -> Any:
    """Applies RFC 6902 operations in order; :class:`PatchError` on the first failure."""
    if not isinstance(operations, list):
        raise PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(document)
    for operation in operations:
        if not isinstance(operation, dict) or "op" not in operation:
            raise PatchError("Unexpected kind: <nil>")
        op, path = operation["op"], operation.get("path", "")
        if op in ("add", "replace", "test") and "value" not in operation:
            raise PatchError(f"missing value for {op} operation", bad_request=False)
        if op == "add":
            doc = _add(doc, path, copy.deepcopy(operation["value"]))
        elif op == "replace":
            doc = _add(doc, path, copy.deepcopy(operation["value"]), replace=True)
        elif op == "remove":
            _remove(doc, path)
        elif op == "move":
            value = _remove(doc, operation.get("from", ""))
            doc = _add(doc, path, value)
        elif op == "copy":
            doc = _add(doc, path, copy.deepcopy(_get(doc, operation.get("from", ""))))
        elif op == "test":
            if _get(doc, path) != operation["value"]:
                raise PatchError(f"testing value {path} failed: test failed", bad_request=False)
        else:
            raise PatchError(f"Unexpected kind: {op}", bad_request=False)
    return doc


# -- server-side apply merge -------------------------------------------------------------


def apply_merge(live: Any, applied: Any, chain: Chain = ()) -> Any:
    """Merges an applied configuration into the live object (no removals: see fieldsets)."""
    if not isinstance(applied, dict) or not isinstance(live, dict):
        return _drop_nulls(copy.deepcopy(applied))
    result = dict(live)
    for key, value in applied.items():
        if value is None:
            continue
        here = (*chain, key)
        current = result.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            result[key] = apply_merge(current, value, here)
        elif isinstance(value, list) and isinstance(current, list) and list_keys(here):
            result[key] = _apply_list(current, value, here)
        else:
            result[key] = _drop_nulls(copy.deepcopy(value))
    return result


def _apply_list(live: list[Any], applied: list[Any], chain: Chain) -> list[Any]:
    keys = list_keys(chain)
    assert keys is not None
    result = list(live)
    for item in applied:
        identity = key_of(item, keys)
        index = next((i for i, old in enumerate(result) if key_of(old, keys) == identity), None)
        if index is None:
            result.append(_drop_nulls(copy.deepcopy(item)))
        else:
            result[index] = apply_merge(result[index], item, chain)
    return result


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value
