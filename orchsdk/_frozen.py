"""Immutable containers, so that a spec can be shared, compared and hashed safely."""

from __future__ import annotations

from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class FrozenDict(Mapping[K, V]):
    """A read-only, hashable mapping that compares equal to a ``dict`` with the same items."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        self._data: dict[K, V] = dict(data)
        self._hash: int | None = None

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    # The views and ``in`` of the dict inside (read-only too): the Mapping defaults would
    # call __getitem__ once per item, and specs are read item by item on every call.

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def keys(self) -> KeysView[K]:
        return self._data.keys()

    def items(self) -> ItemsView[K, V]:
        return self._data.items()

    def values(self) -> ValuesView[V]:
        return self._data.values()

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenDict):  # specs compare their fields often: no copy then
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return repr(self._data)


def freeze_mapping(value: Mapping[Any, Any] | None) -> FrozenDict[Any, Any]:
    """Converter for mapping fields: an immutable copy, safe from the caller's later edits.

    Anything that is not a mapping is kept as given, for validation to report with its path.
    """
    if value is None:
        return FrozenDict()
    if isinstance(value, Mapping) and not isinstance(value, FrozenDict):
        return FrozenDict(value)
    return value  # not a mapping: validation reports it


def freeze_sequence(value: Iterable[Any] | None) -> tuple[Any, ...]:
    """Converter for sequence fields: a tuple, so the spec stays immutable.

    Strings, mappings and scalars are kept as given: ``command="run"`` is a mistake that
    validation reports, not something to split by letters.
    """
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return value  # type: ignore[return-value]  # not a list: validation reports it


MAX_DEPTH = 100
"""How deep ``native`` patches may nest (a Kubernetes object nests about 15 levels)."""


class TooDeep:
    """Stands for the part of a value nested deeper than :data:`MAX_DEPTH`.

    Freezing, comparing, hashing and printing a spec recurse through it; a hostile patch
    nested thousands of levels deep would end them all in ``RecursionError``. What is
    below the limit is replaced by :data:`TOO_DEEP`, which validation reports.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "<nested too deeply>"


TOO_DEEP = TooDeep()


def freeze_native(value: Mapping[str, Any] | None) -> FrozenDict[str, Any]:
    """Converter for ``native``: deep-freezes the per-backend patches so specs stay hashable."""
    if value is None:
        return FrozenDict()
    frozen: FrozenDict[str, Any] = deep_freeze(value)
    return frozen  # anything but a mapping is kept as given, for validation to report


def deep_freeze(value: Any, depth: int = 0) -> Any:
    """Turns nested dicts and lists into ``FrozenDict`` and tuples (down to :data:`MAX_DEPTH`)."""
    if isinstance(value, (Mapping, list, tuple)) and depth >= MAX_DEPTH:
        return TOO_DEEP
    if isinstance(value, Mapping):
        return FrozenDict({key: deep_freeze(item, depth + 1) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(deep_freeze(item, depth + 1) for item in value)
    return value


def thaw(value: Any) -> Any:
    """The inverse of :func:`deep_freeze`: plain dicts and lists, ready to be sent as JSON."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [thaw(item) for item in value]
    return value
