"""The ``native`` escape hatch: a JSON merge patch (RFC 7386) over a rendered document.

Backends call :func:`apply_native` as the last step of rendering, so whatever the
unified spec cannot say can still be said in the orchestrator's own terms. A patch can
change anything, the fields the spec validated included; so a backend reads the merged
document back into a spec and has the core check it again (:func:`merged_errors`): a
patch that sets an invalid name, port or quantity is refused before anything is sent,
with the field under ``native.<backend>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from orchsdk._frozen import thaw
from orchsdk.errors import FieldError
from orchsdk.specs import Resource

__all__ = ["apply_native", "merge_patch", "merged_errors"]


def merge_patch(document: Any, patch: Any) -> Any:
    """``document`` with ``patch`` merged in by RFC 7386: ``None`` deletes a key, lists replace."""
    if not isinstance(patch, Mapping):
        return thaw(patch)
    merged = dict(document) if isinstance(document, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def apply_native(document: dict[str, Any], resource: Resource, backend: str) -> dict[str, Any]:
    """The document with the resource's ``native[backend]`` patch applied, if it has one."""
    patch = resource.native.get(backend)
    if not patch:
        return document
    return merge_patch(document, patch)  # type: ignore[no-any-return]


def merged_errors(
    resource: Resource, backend: str, read_back: Callable[[], Resource]
) -> list[FieldError]:
    """What the core's validation finds wrong with the spec that ``read_back`` parses
    from the document ``resource`` renders to, once its ``native[backend]`` patch is
    merged in; nothing without a patch. Each field is named ``native.<backend>: <field>``.
    """
    if not resource.native.get(backend):
        return []
    from orchsdk.validation import check

    where = f"native.{backend}"
    try:
        merged = read_back()
    except Exception as error:
        return [FieldError(where, f"the patched document cannot be read back: {error}")]
    return [
        FieldError(where, f"{found.path}: {found.message}" if found.path else found.message)
        for found in check(merged)
    ]
