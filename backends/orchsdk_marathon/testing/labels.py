"""Marathon's label selectors (``GET /v2/apps?label=...``).

Comma-separated terms, all of which must hold: ``key`` (exists), ``key==value``,
``key!=value``, ``key in (a, b)`` and ``key notin (a, b)``; a backslash escapes the next
character (``LabelSelector.scala``).
"""

from __future__ import annotations

import re

__all__ = ["matches"]

_SET = re.compile(r"^(?P<key>.+?)\s+(?P<op>in|notin)\s*\((?P<values>.*)\)$")


def _split(text: str, separator: str) -> list[str]:
    """Splits on ``separator`` outside parentheses, keeping backslash escapes."""
    parts: list[str] = []
    current = ""
    depth = 0
    escaped = False
    for char in text:
        if escaped:
            current += "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "(":
            depth += 1
            current += char
        elif char == ")":
            depth -= 1
            current += char
        elif char == separator and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text.strip())


def _holds(term: str, labels: dict[str, str]) -> bool:
    match = _SET.match(term)
    if match:
        key = _unescape(match["key"])
        values = {_unescape(value) for value in _split(match["values"], ",")}
        if match["op"] == "in":
            return key in labels and labels[key] in values
        return key in labels and labels[key] not in values
    for operator in ("==", "!="):
        index = term.find(operator)
        if index > 0 and term[index - 1] != "\\":
            key, value = _unescape(term[:index]), _unescape(term[index + 2 :])
            if operator == "==":
                return labels.get(key) == value
            return key in labels and labels[key] != value
    return _unescape(term) in labels


def matches(selector: str, labels: dict[str, str]) -> bool:
    """Whether ``labels`` satisfy every term of ``selector``.

    >>> matches("tier==web, env in (prod, stage)", {"tier": "web", "env": "prod"})
    True
    """
    terms = [term.strip() for term in _split(selector, ",") if term.strip()]
    return all(_holds(term, labels) for term in terms)
