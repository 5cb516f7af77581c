"""The ``native`` escape hatch: a JSON merge patch (RFC 7386) over a rendered document.

Backends call :func:`apply_native` as the last step of rendering, so whatever the
unified spec cannot say can still be said in the orchestrator's own terms.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchsdk._frozen import thaw
from orchsdk.specs import Resource

__all__ = ["apply_native", "merge_patch"]


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
