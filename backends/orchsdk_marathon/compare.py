"""Whether an app as Marathon stores it already is what the backend would send.

Marathon fills in defaults (``backoffSeconds``, ``servicePort``, ``forcePullImage``...)
and may leave out empty fields, so the stored app never equals the sent one. An apply
is "unchanged" (and sends no write) when every field that was *sent* has the same value
in the stored app:

- objects: each sent key matches; keys Marathon added are ignored, except in maps whose
  keys are data (``labels``, ``env``, ``secrets``, a port mapping's ``labels``), which
  must be equal as a whole, so that a removed env var or label is a change;
- lists: same length, item by item; an empty list or map matches a missing field;
- numbers: equal as doubles; constraints as a set (Marathon keeps a ``Set``), and
  ``[f, "UNIQUE"]`` equals ``[f, "UNIQUE", ""]``;
- ``cmd``/``args`` that were not sent must be absent: one of them replaced the other.

:func:`as_compared` gives the stored app in the shape of the sent one, so that a diff
shows exactly the fields that make an apply write.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from orchsdk_marathon.fields import constraint_set

__all__ = ["as_compared", "matches"]

_EXACT_MAPS = frozenset({"labels", "env", "secrets"})
_EXCLUSIVE = ("cmd", "args")


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


def _present(entries: Mapping[str, Any]) -> set[str]:
    """The keys of a map whose keys are data, less those set to null (as if absent)."""
    return {key for key, value in entries.items() if value is not None}


def _same(sent: Any, stored: Any, key: str) -> bool:
    if isinstance(sent, bool) or isinstance(stored, bool):
        return sent is stored or (_empty(sent) and _empty(stored))
    if isinstance(sent, (int, float)) and isinstance(stored, (int, float)):
        return math.isclose(sent, stored, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(sent, Mapping):
        if stored is None:
            return not sent
        if not isinstance(stored, Mapping):
            return False
        if key in _EXACT_MAPS and _present(sent) != _present(stored):
            return False
        return all(_same(value, stored.get(name), name) for name, value in sent.items())
    if isinstance(sent, list):
        if stored is None:
            return not sent
        if not isinstance(stored, list) or len(sent) != len(stored):
            return False
        if key == "constraints":
            return constraint_set(sent) == constraint_set(stored)
        return all(_same(a, b, key) for a, b in zip(sent, stored, strict=True))
    return bool(sent == stored)


def matches(sent: Mapping[str, Any], stored: Mapping[str, Any]) -> bool:
    """True when writing ``sent`` would not change the app ``stored`` (see the module)."""
    for key in _EXCLUSIVE:
        if key not in sent and not _empty(stored.get(key)):
            return False
    return _same(dict(sent), stored, "")


def _project(sent: Any, stored: Any, key: str) -> Any:
    """``stored`` in the shape of ``sent``: what ``_same`` finds equal is given as sent."""
    if _same(sent, stored, key):
        return sent
    if isinstance(sent, Mapping) and isinstance(stored, Mapping):
        projected = {}
        for name, value in sent.items():
            inner = stored.get(name)
            if key in _EXACT_MAPS and inner is None and value is not None:
                continue  # an entry the stored map lacks, even an empty one, is a change
            if _same(value, inner, name):
                projected[name] = value
            elif inner is not None:
                projected[name] = _project(value, inner, name)
        if key in _EXACT_MAPS:
            projected.update(
                {
                    name: value
                    for name, value in stored.items()
                    if name not in sent and value is not None
                }
            )
        return projected
    if (
        isinstance(sent, list)
        and isinstance(stored, list)
        and len(sent) == len(stored)
        and key != "constraints"
    ):
        return [_project(a, b, key) for a, b in zip(sent, stored, strict=True)]
    return stored


def as_compared(sent: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """The stored app as :func:`matches` sees it next to ``sent``.

    Fields that match are given as sent and fields Marathon added are left out, so the
    result equals ``sent`` exactly when ``matches(sent, stored)``; where they differ it
    holds the stored values (and a stored ``cmd`` or ``args`` that was not sent).
    """
    projected: dict[str, Any] = _project(dict(sent), stored, "")
    for key in _EXCLUSIVE:
        if key not in sent and not _empty(stored.get(key)):
            projected[key] = stored[key]
    return projected
