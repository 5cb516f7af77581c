"""Marathon path ids (``/shop/web``): parsing, canonical form and the id rules.

Marathon names apps and groups by slash-separated paths. A body may carry a relative id
(``"web"`` or ``"../web"``); Marathon makes it absolute against the root before it
validates (``AppNormalization.forDeprecated``: ``id = app.id.toAbsolutePath``), so the
emulator does the same.
"""

from __future__ import annotations

import re

__all__ = [
    "RESERVED",
    "SEGMENT_PATTERN",
    "canonical",
    "id_errors",
    "is_within",
    "parent",
    "parents",
    "safe_name",
    "segments",
]

SEGMENT_PATTERN = (
    r"^(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])"
    r"|(\.|\.\.)$"
)
"""Each segment must fully match this (``PathId.scala`` ``ID_PATH_SEGMENT_PATTERN``)."""

_SEGMENT = re.compile(SEGMENT_PATTERN)

RESERVED = ("restart", "tasks", "versions")
"""Words the last segment of an app id must not be: they are sub-resources of an app."""


def segments(path: str) -> list[str]:
    """The non-empty segments of ``path``, as Marathon's ``PathId.apply`` splits it."""
    return [part for part in path.strip("/").split("/") if part]


def canonical(path: str, base: str = "/") -> str:
    """``path`` made absolute against ``base``, with ``.`` and ``..`` resolved.

    >>> canonical("web", "/shop")
    '/shop/web'
    >>> canonical("/shop/../web")
    '/web'
    """
    parts = segments(path) if path.startswith("/") else segments(base) + segments(path)
    result: list[str] = []
    for part in parts:
        if part == ".":
            continue
        if part == "..":
            if result:
                result.pop()
            continue
        result.append(part)
    return "/" + "/".join(result)


def parent(path: str) -> str:
    """The group an app or group lives in: ``/shop/web`` -> ``/shop``; the root is its own."""
    parts = segments(path)
    return "/" + "/".join(parts[:-1])


def parents(path: str) -> list[str]:
    """Every group above ``path``, nearest first, ending with ``/``."""
    result: list[str] = []
    current = path
    while current != "/":
        current = parent(current)
        result.append(current)
    return result


def is_within(path: str, group: str) -> bool:
    """Whether ``path`` is ``group`` itself or lies below it."""
    if group == "/":
        return True
    return path == group or path.startswith(group + "/")


def safe_name(path: str) -> str:
    """The id with ``_`` for ``/``, as task ids use it: ``/shop/web`` -> ``shop_web``."""
    return "_".join(segments(path))


def id_errors(path: str, *, app: bool = True) -> list[str]:
    """Marathon's messages for an invalid (already canonical) id; empty when it is valid."""
    errors: list[str] = []
    parts = segments(path)
    if not all(_SEGMENT.fullmatch(part) for part in parts):
        errors.append(f"must fully match regular expression '{SEGMENT_PATTERN}'")
    if app and parts and parts[-1] in RESERVED:
        errors.append(
            "must not end with any of the following reserved keywords: " + ", ".join(RESERVED)
        )
    return errors
