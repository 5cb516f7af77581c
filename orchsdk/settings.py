"""Backend settings from a URL and keyword options: strict, typed, one set of rules for all.

Each backend keeps its settings in a frozen attrs class in its ``config.py`` and builds
it with :func:`settings_from`, so on every backend an unknown option is a
:class:`~orchsdk.SettingsError` that lists the known ones, and the converters below read
the same spelling the same way: booleans are ``true/false/1/0/yes/no``, ``verify`` is
``true``, ``false`` or the path of a CA bundle that exists, and timeouts are seconds.

>>> import attrs
>>> @attrs.frozen
... class Settings:
...     verify: bool | str = attrs.field(default=True, converter=verify_option)
...     read_timeout: float = attrs.field(default=30.0, converter=seconds)
>>> settings_from(Settings, {"read_timeout": "5"}, backend="example")
Settings(verify=True, read_timeout=5.0)
>>> settings_from(Settings, {"verify": "ture"}, backend="example")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
orchsdk.errors.SettingsError: example option verify: expected true, false or the path ...
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, TypeVar

import attrs

from orchsdk.errors import SettingsError

__all__ = [
    "NOT_AN_OPTION",
    "byte_count",
    "flag",
    "hidden",
    "optional_seconds",
    "optional_text",
    "seconds",
    "settings_from",
    "verify_option",
]

NOT_AN_OPTION = "orchsdk.not_an_option"
"""Field metadata key: ``attrs.field(metadata={NOT_AN_OPTION: True})`` marks a field that
the URL sets (a Marathon's servers) and no option may; it is left out of the known ones."""

S = TypeVar("S")

_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


def flag(value: Any) -> bool:
    """A boolean option: ``True``/``False``, or ``true/false/1/0/yes/no`` in any case."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, (str, int)) else None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"expected true or false (or 1/0, yes/no), got {value!r}")


def hidden(value: object) -> str:
    """The ``repr`` of a credential field: ``None`` or ``'***'``, so settings log safely."""
    return "None" if value is None else "'***'"


def optional_text(value: Any) -> str | None:
    """A text option that may be absent: a string or ``None``, never another type."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def verify_option(value: Any) -> bool | str:
    """TLS verification: on, off, or on with the CA bundle (file or directory) at a path.

    A value that is neither a boolean spelling nor an existing path is an error: a typo
    such as ``ture`` must never turn verification off, nor a missing file.
    """
    try:
        return flag(value)
    except ValueError:
        pass
    if isinstance(value, (str, os.PathLike)) and str(value).strip():
        path = os.fspath(value)
        if os.path.exists(path):
            return str(path)
    raise ValueError(f"expected true, false or the path of a CA bundle that exists, got {value!r}")


def seconds(value: Any) -> float:
    """A duration in seconds, greater than zero (``"2.5"`` or ``2.5``)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number of seconds, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number of seconds, got {value!r}") from None
    if not 0 < number < float("inf"):
        raise ValueError(f"expected a number of seconds greater than 0, got {value!r}")
    return number


def byte_count(value: Any) -> int:
    """A size in bytes, at least 1: a whole number or a quantity (``"64Mi"``, ``"1G"``)."""
    from orchsdk.quantity import parse_quantity

    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"expected a number of bytes, got {value!r}")
    try:
        size = parse_quantity(str(value))
    except ValueError:
        raise ValueError(f"expected a number of bytes (or like 64Mi), got {value!r}") from None
    if size < 1 or size != int(size):
        raise ValueError(f"expected a whole number of bytes of at least 1, got {value!r}")
    return int(size)


def optional_seconds(value: Any) -> float | None:
    """Like :func:`seconds`, but ``None`` (or an empty string) means "no limit"."""
    if value is None or value == "":
        return None
    return seconds(value)


def settings_from(
    cls: type[S],
    options: Mapping[str, Any],
    *,
    backend: str,
    fixed: Mapping[str, Any] | None = None,
) -> S:
    """Builds the attrs settings class ``cls`` from options given by name.

    Raises :class:`~orchsdk.SettingsError` naming the option for an unknown option
    (listing the known ones) or a value its converter or validator refuses. Fields
    marked :data:`NOT_AN_OPTION` are not options: pass them in ``fixed``.
    """
    fields = {
        field.alias: field
        for field in attrs.fields(cls)  # type: ignore[arg-type]
        if field.init and field.metadata.get(NOT_AN_OPTION) is not True
    }
    unknown = sorted(set(options) - set(fields))
    if unknown:
        known = ", ".join(sorted(fields))
        names = ", ".join(repr(name) for name in unknown)
        raise SettingsError(f"{backend} has no option {names}; its options are: {known}")
    values: dict[str, Any] = {}
    for name, value in options.items():
        converter = fields[name].converter
        try:
            values[name] = converter(value) if callable(converter) else value
        except (TypeError, ValueError) as error:
            raise SettingsError(f"{backend} option {name}: {error}") from None
    try:
        return cls(**values, **(fixed or {}))
    except (TypeError, ValueError) as error:
        raise SettingsError(f"{backend} settings: {error}") from None
