"""What an apply would change, field by field, in the backend's documents (like ``kubectl diff``).

Secret values are never shown: both sides carry placeholders that only say whether a
value changed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from orchsdk._frozen import freeze_sequence
from orchsdk.models import Action
from orchsdk.specs import Resource, Secret

__all__ = ["Change", "Comparison", "ResourceDiff", "changes_between", "mask_secret_values"]

_MISSING: Any = object()


@attrs.frozen
class Change:
    """One field that differs; ``old`` or ``new`` is ``None`` when the field is added or removed."""

    path: str
    old: Any
    new: Any

    def __str__(self) -> str:
        if self.old is None:
            return f"+ {self.path}: {self.new!r}"
        if self.new is None:
            return f"- {self.path}: {self.old!r}"
        return f"~ {self.path}: {self.old!r} -> {self.new!r}"


@attrs.frozen
class ResourceDiff:
    """What applying one resource would do, and the native fields it would change."""

    kind: str
    name: str
    namespace: str
    action: Action
    changes: tuple[Change, ...] = attrs.field(default=(), converter=freeze_sequence)

    def __str__(self) -> str:
        lines = [f"{self.kind.lower()}/{self.name} ({self.namespace}): {self.action.value}"]
        lines += [f"  {change}" for change in self.changes]
        return "\n".join(lines)


@attrs.frozen
class Comparison:
    """The two sides :meth:`~orchsdk.Orchestrator.diff` compares for one resource.

    ``live`` is what the orchestrator holds now (``None`` when the resource does not
    exist, so apply would create it) and ``desired`` what apply would write, both as
    native documents in the form the backend's apply compares them, with secret values
    masked. When the two are equal, apply reports the resource unchanged.
    """

    live: list[dict[str, Any]] | None
    desired: list[dict[str, Any]]


def changes_between(old: Any, new: Any, path: str = "") -> Iterator[Change]:
    """The leaf fields that differ between two JSON-like documents, by dotted path."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new), key=str):
            child = f"{path}.{key}" if path else str(key)
            yield from changes_between(old.get(key, _MISSING), new.get(key, _MISSING), child)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (before, after) in enumerate(zip(old, new, strict=True)):
            yield from changes_between(before, after, f"{path}[{index}]")
    elif old != new or isinstance(old, bool) is not isinstance(new, bool):
        yield Change(path, None if old is _MISSING else old, None if new is _MISSING else new)


def mask_secret_values(current: Resource | None, desired: Resource) -> tuple[Any, Resource]:
    """Both sides of a secret's diff, values replaced by ``(hidden)`` or ``(hidden, changed)``."""
    if not isinstance(desired, Secret):
        return current, desired
    before = current.data if isinstance(current, Secret) else {}
    masked_new = {
        key: "(hidden)" if before.get(key) == value else "(hidden, changed)"
        for key, value in desired.data.items()
    }
    masked_old = dict.fromkeys(before, "(hidden)")
    masked_current = (
        Secret(
            current.name,
            namespace=current.namespace,
            labels=current.labels,
            annotations=current.annotations,
            native=current.native,
            data=masked_old,
        )
        if isinstance(current, Secret)
        else current
    )
    return masked_current, attrs.evolve(desired, data=masked_new)
