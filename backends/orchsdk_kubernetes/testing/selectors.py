"""Label and field selectors: parsing the query strings, matching objects, and printing.

Label selectors follow ``k8s.io/apimachinery/pkg/labels``: ``a=b``, ``a==b``, ``a!=b``,
``a in (x,y)``, ``a notin (x,y)``, ``a`` (exists), ``!a`` (does not exist), ``a>1``,
``a<1``, joined by commas. Field selectors are ``path=value`` / ``path!=value`` terms over
the field labels a resource type supports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from orchsdk_kubernetes.testing.errors import bad_request

__all__ = [
    "FieldSelector",
    "LabelSelector",
    "Requirement",
    "from_object",
    "parse_field_selector",
    "parse_label_selector",
    "selector_string",
]

_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$"
)
_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


@attrs.frozen
class Requirement:
    """One term: ``operator`` is one of ``=``, ``!=``, ``in``, ``notin``, ``exists``,
    ``!``, ``gt``, ``lt``."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        op = self.operator
        if op in ("=", "in"):
            return present and value in self.values
        if op in ("!=", "notin"):
            return not present or value not in self.values
        if op == "exists":
            return present
        if op == "!":
            return not present
        if op in ("gt", "lt"):
            try:
                number, bound = int(value or ""), int(self.values[0])
            except ValueError:
                return False
            return number > bound if op == "gt" else number < bound
        raise AssertionError(op)

    def __str__(self) -> str:
        op = self.operator
        if op == "exists":
            return self.key
        if op == "!":
            return f"!{self.key}"
        if op in ("in", "notin"):
            return f"{self.key} {op} ({','.join(sorted(self.values))})"
        if op in ("gt", "lt"):
            return f"{self.key}{'>' if op == 'gt' else '<'}{self.values[0]}"
        return f"{self.key}{op}{self.values[0]}"


@attrs.frozen
class LabelSelector:
    """All requirements must hold; the empty selector matches everything."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        return all(requirement.matches(labels) for requirement in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements

    def __str__(self) -> str:
        return ",".join(str(r) for r in sorted(self.requirements, key=lambda r: r.key))


def _split_terms(text: str) -> list[str]:
    """Splits on commas that are not inside ``( )``."""
    terms: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append("".join(current))
            current = []
        else:
            current.append(char)
    terms.append("".join(current))
    return [term.strip() for term in terms]


_SET_TERM = re.compile(r"^(?P<key>[^\s!=<>()]+)\s+(?P<op>in|notin)\s*\((?P<values>[^()]*)\)$")
_EQ_TERM = re.compile(r"^(?P<key>[^\s!=<>()]+)\s*(?P<op>==|=|!=|>|<)\s*(?P<value>[^\s!=<>(),]*)$")


def _check_key(key: str) -> None:
    if not _KEY.match(key) or len(key.rsplit("/", 1)[-1]) > 63:
        raise bad_request(
            f'unable to parse requirement: <nil>: Invalid value: "{key}": name part must '
            "consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
            "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
            "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        )


def _check_value(value: str) -> None:
    if not _VALUE.match(value) or len(value) > 63:
        raise bad_request(
            f'unable to parse requirement: <nil>: Invalid value: "{value}": a valid label must '
            "be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
            "must start and end with an alphanumeric character (e.g. 'MyValue',  or "
            "'my_value',  or '12345', regex used for validation is "
            "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        )


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parses a ``labelSelector`` query value; :class:`ApiError` 400 when malformed."""
    if not text or not text.strip():
        return LabelSelector()
    requirements = []
    for term in _split_terms(text):
        if not term:
            raise bad_request(
                f"unable to parse requirement: found '', expected: identifier in {text!r}"
            )
        match = _SET_TERM.match(term)
        if match:
            values = tuple(v.strip() for v in match["values"].split(",") if v.strip())
            _check_key(match["key"])
            for value in values:
                _check_value(value)
            requirements.append(Requirement(match["key"], match["op"], values))
            continue
        match = _EQ_TERM.match(term)
        if match:
            op = {"==": "=", ">": "gt", "<": "lt"}.get(match["op"], match["op"])
            _check_key(match["key"])
            if op in ("gt", "lt") and not match["value"].lstrip("-").isdigit():
                raise bad_request(
                    f"unable to parse requirement: for 'Gt', 'Lt' operators, the value must be "
                    f"an integer: {match['value']!r}"
                )
            if op not in ("gt", "lt"):
                _check_value(match["value"])
            requirements.append(Requirement(match["key"], op, (match["value"],)))
            continue
        if term.startswith("!"):
            _check_key(term[1:].strip())
            requirements.append(Requirement(term[1:].strip(), "!"))
            continue
        if re.match(r"^[^\s!=<>(),]+$", term):
            _check_key(term)
            requirements.append(Requirement(term, "exists"))
            continue
        raise bad_request(f"unable to parse requirement: invalid label selector term {term!r}")
    return LabelSelector(tuple(requirements))


def from_object(selector: Mapping[str, Any] | None) -> LabelSelector:
    """A ``metav1.LabelSelector`` object (matchLabels + matchExpressions) as a selector.

    ``None`` selects nothing in Kubernetes; callers decide what that means for them.
    """
    if not selector:
        return LabelSelector()
    requirements = [
        Requirement(key, "=", (str(value),))
        for key, value in (selector.get("matchLabels") or {}).items()
    ]
    operators = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for expression in selector.get("matchExpressions") or []:
        op = operators.get(expression.get("operator", ""), "in")
        requirements.append(
            Requirement(expression["key"], op, tuple(expression.get("values") or ()))
        )
    return LabelSelector(tuple(requirements))


def selector_string(selector: Mapping[str, Any] | None) -> str:
    """The string form ``metav1.LabelSelectorAsSelector(s).String()`` gives (Scale status)."""
    return str(from_object(selector))


@attrs.frozen
class FieldSelector:
    """``(path, operator, value)`` terms; operator ``=`` or ``!=``."""

    terms: tuple[tuple[str, str, str], ...] = ()

    def matches(self, obj: Mapping[str, Any]) -> bool:
        for path, op, value in self.terms:
            actual = field_value(obj, path)
            if (actual == value) != (op == "="):
                return False
        return True

    def value_of(self, path: str) -> str | None:
        """The value an equality term requires for ``path`` (e.g. ``metadata.name``)."""
        for term_path, op, value in self.terms:
            if term_path == path and op == "=":
                return value
        return None


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The string a field selector compares: missing fields read as ``""``."""
    current: Any = obj
    for part in path.split("."):
        current = current.get(part) if isinstance(current, Mapping) else None
    if current is None:
        return ""
    if isinstance(current, bool):
        return "true" if current else "false"
    return str(current)


def parse_field_selector(text: str | None, supported: tuple[str, ...]) -> FieldSelector:
    """Parses a ``fieldSelector``; unknown field labels give the server's 400."""
    if not text or not text.strip():
        return FieldSelector()
    terms = []
    for term in text.split(","):
        term = term.strip()
        match = re.match(r"^([^=!]+?)\s*(==|=|!=)\s*(.*)$", term)
        if not match:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        path, op, value = match[1], "!=" if match[2] == "!=" else "=", match[3]
        if path not in supported:
            raise bad_request(f"field label not supported: {path}")
        terms.append((path, op, value))
    return FieldSelector(tuple(terms))
