"""Manifest data <-> specs with cattrs: strict structuring, every problem under its path.

The converter never coerces: a string is not an integer, ``8080`` is not a string. Its
hooks raise :class:`Invalid` with paths relative to the value; :func:`errors_of` turns
the tree of cattrs errors into ``(manifest path, message)`` pairs. Secret values are
never part of a message. ``cattrs`` is imported on first use.
"""

from __future__ import annotations

import difflib
import functools
import math
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal, Union

import attrs

from orchsdk._frozen import FrozenDict, thaw
from orchsdk.specs import KINDS, REDACTED, Secret
from orchsdk.values import ConfigRef, FileMount, SecretRef

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "FLAT_HINT",
    "converter",
    "errors_of",
    "got",
    "manifest_path",
    "show",
    "suggest",
    "type_name",
]

FLAT_HINT = (
    "orchsdk manifests are flat: name, namespace, labels and annotations sit next to "
    "apiVersion and kind, with the spec's fields"
)


class _Invalid(ValueError):
    """Problems found while structuring, each ``(path relative to the value, message)``."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {message}" for path, message in errors))
        self.errors = errors


def _leaf(message: str) -> _Invalid:
    return _Invalid([("", message)])


def _join(path: str, key: Any) -> str:
    """``ports[0].port``: a key after a dot, an index (``[0]``, from a list) right after."""
    name = key if isinstance(key, str) else show(key)
    if not path or name.startswith("["):
        return f"{path}{name}"
    return f"{path}.{name}"


def show(value: Any) -> str:
    try:
        text = repr(value)
    except ValueError:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 60 else text[:57] + "..."


def type_name(value: Any) -> str:
    names = {
        type(None): "null",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }
    return names.get(type(value), type(value).__name__)


def got(value: Any, *, secret: bool = False) -> str:
    """``got an integer 8080`` (the value itself never for a secret)."""
    if secret or isinstance(value, (list, dict)):
        return f"got {type_name(value)}"
    return f"got {type_name(value)} {show(value)}"


def suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        lowered = [choice for choice in choices if choice.lower() == word.lower()]
        close = lowered[:1]
    return f" (did you mean {close[0]!r}?)" if close else ""


def _quote_hint(value: Any) -> str:
    if isinstance(value, (bool, int, float)) or value is None:
        return " (quote it to make it a string)"
    return ""


def errors_of(error: BaseException, path: str) -> list[tuple[str, str]]:
    """Every problem inside a cattrs error (a tree of exception groups), by manifest path."""
    from cattrs.errors import (
        AttributeValidationNote,
        BaseValidationError,
        ForbiddenExtraKeysError,
        IterableValidationNote,
    )

    if isinstance(error, _Invalid):
        return [(_join(path, sub) if sub else path, message) for sub, message in error.errors]
    if isinstance(error, ForbiddenExtraKeysError):
        known = [field.name for field in attrs.fields(error.cl)]
        return [
            (_join(path, key), "unknown field" + _unknown_hint(key, known))
            for key in sorted(error.extra_fields, key=str)
        ]
    if isinstance(error, BaseValidationError):
        found: list[tuple[str, str]] = []
        for inner in error.exceptions:
            child = path
            for note in getattr(inner, "__notes__", ()):
                if isinstance(note, AttributeValidationNote):
                    child = _join(path, note.name)
                elif isinstance(note, IterableValidationNote):
                    child = f"{path}[{note.index}]"
            if isinstance(inner, KeyError):
                found.append((child, "is required"))
            else:
                found.extend(errors_of(inner, child))
        return found
    return [(path, str(error) or type(error).__name__)]


def _unknown_hint(key: Any, known: Iterable[str]) -> str:
    if key in ("metadata", "spec"):
        return f" ({FLAT_HINT})"
    return suggest(key, known) if isinstance(key, str) else ""


def manifest_path(path: str) -> str:
    """The core's path of a field as the manifest spells it: a file's source is flattened."""
    head, dot, rest = path.partition(".source")
    if dot and head.startswith("files[") and (not rest or rest.startswith(".")):
        return head + rest
    return path


def _strict(kind: type, what: str) -> Callable[[Any, Any], Any]:
    def structure(value: Any, _: Any) -> Any:
        if type(value) is not kind:
            raise _leaf(f"must be {what}, {got(value)}{_quote_hint(value) if kind is str else ''}")
        return value

    return structure


def _describe(annotation: Any) -> str:
    if annotation is str:
        return "a string"
    if annotation is int:
        return "an integer"
    if annotation is bool:
        return "true or false"
    if annotation is type(None):
        return "null"
    if annotation is SecretRef:
        return "{secret: NAME, key: KEY}"
    if annotation is ConfigRef:
        return "{config: NAME, key: KEY}"
    return "a mapping"


def _union_hook(annotation: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    members = typing.get_args(annotation)
    discriminators = {SecretRef: "secret", ConfigRef: "config"}
    described = [_describe(member) for member in members]
    expected = ", ".join(described[:-1]) + f" or {described[-1]}"

    def structure(value: Any, _: Any) -> Any:
        if value is None and type(None) in members:
            return None
        for member in members:
            if member in (str, int, bool) and type(value) is member:
                return value
        classes = [member for member in members if attrs.has(member)]
        if isinstance(value, Mapping) and classes:
            if len(classes) == 1:
                return converter.structure(value, classes[0])
            for member in classes:
                if discriminators.get(member) in value:
                    return converter.structure(value, member)
        raise _leaf(f"must be {expected}, {got(value)}")

    return structure


def _literal_hook(annotation: Any) -> Callable[[Any, Any], Any]:
    choices = typing.get_args(annotation)
    shown = ", ".join(repr(choice) for choice in choices)

    def structure(value: Any, _: Any) -> Any:
        if isinstance(value, str) and value in choices:
            return value
        hint = suggest(value, choices) if isinstance(value, str) else ""
        raise _leaf(f"must be one of {shown}, {got(value)}{hint}")

    return structure


def _tuple_hook(annotation: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    item_type = typing.get_args(annotation)[0]

    def structure(value: Any, _: Any) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise _leaf(f"must be a list, {got(value)}")
        items, errors = [], []
        for index, item in enumerate(value):
            try:
                items.append(converter.structure(item, item_type))
            except Exception as error:
                errors.extend(errors_of(error, f"[{index}]"))
        if errors:
            raise _Invalid(errors)
        return tuple(items)

    return structure


def _mapping_hook(
    annotation: Any, converter: cattrs.Converter, *, secret: bool = False
) -> Callable[[Any, Any], Any]:
    value_type = typing.get_args(annotation)[1]

    def structure(value: Any, _: Any) -> FrozenDict[str, Any]:
        if not isinstance(value, Mapping):
            raise _leaf(f"must be a mapping, {got(value, secret=secret)}")
        items: dict[str, Any] = {}
        errors: list[tuple[str, str]] = []
        for key, item in value.items():
            path = _join("", key)
            if not isinstance(key, str):
                errors.append((path, f"keys must be strings, {got(key)}{_quote_hint(key)}"))
                continue
            if secret:
                if not isinstance(item, str):
                    errors.append((path, f"must be a string, {got(item, secret=True)}"))
                elif item == REDACTED:
                    errors.append(
                        (
                            path,
                            f"is the {REDACTED!r} placeholder of a value that was not "
                            "revealed: write the value itself (dump or get with reveal)",
                        )
                    )
                else:
                    items[key] = item
                continue
            try:
                items[key] = converter.structure(item, value_type)
            except Exception as error:
                errors.extend(errors_of(error, path))
        if errors:
            raise _Invalid(errors)
        return FrozenDict(items)

    return structure


def _native_hook(value: Any, _: Any) -> FrozenDict[str, Any]:
    if not isinstance(value, Mapping):
        raise _leaf(f"must be a mapping of backend name to patch, {got(value)}")
    errors = list(_json_errors(value, ""))
    if errors:
        raise _Invalid(errors)
    return FrozenDict(value)  # deep-frozen by the spec's converter


def _json_errors(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Whatever in a ``native`` patch is not JSON data (a date, a set, binary, NaN)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                yield _join(path, key), f"keys must be strings, {got(key)}"
            else:
                yield from _json_errors(item, _join(path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_errors(item, f"{path}[{index}]")
    elif isinstance(value, float) and not math.isfinite(value):
        yield path, f"must be JSON data, got {value!r}"
    elif value is not None and not isinstance(value, (str, int, float, bool)):
        what = "null, booleans, numbers, strings, lists and mappings"
        yield path, f"must be JSON data ({what}), got {type(value).__name__}"


_FILE_FIELDS = ("path", "secret", "config", "key")


def _file_hook(value: Any, _: Any) -> FileMount:
    """``{path: /etc/app/db, secret: db, key: password}`` (or ``config: NAME``)."""
    if not isinstance(value, Mapping):
        raise _leaf(f"must be a mapping {{path, secret or config, key}}, {got(value)}")
    errors = [
        (_join("", key), "unknown field" + _unknown_hint(key, _FILE_FIELDS))
        for key in value
        if key not in _FILE_FIELDS
    ]
    strings: dict[str, str] = {}
    for field in ("path", "secret", "config", "key"):
        if field in value:
            if type(value[field]) is str:
                strings[field] = value[field]
            else:
                errors.append((field, f"must be a string, {got(value[field])}"))
    for field in ("path", "key"):
        if field not in value:
            errors.append((field, "is required"))
    if ("secret" in value) == ("config" in value):
        errors.append(("", "must name exactly one of secret: NAME or config: NAME"))
    if errors:
        raise _Invalid(errors)
    if "secret" in strings:
        return FileMount(strings["path"], SecretRef(strings["secret"], strings["key"]))
    return FileMount(strings["path"], ConfigRef(strings["config"], strings["key"]))


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (Union, types.UnionType)


def _is_literal(annotation: Any) -> bool:
    return typing.get_origin(annotation) is Literal


def _is_tuple(annotation: Any) -> bool:
    args = typing.get_args(annotation)
    return typing.get_origin(annotation) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_frozen_dict(annotation: Any) -> bool:
    return typing.get_origin(annotation) is FrozenDict


@functools.cache
def converter() -> cattrs.Converter:
    """The converter between manifest data and specs: strict, every error with its path."""
    import cattrs
    from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

    made = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    made.register_structure_hook(str, _strict(str, "a string"))
    made.register_structure_hook(int, _strict(int, "an integer"))
    made.register_structure_hook(bool, _strict(bool, "true or false"))
    made.register_structure_hook_factory(_is_union, _union_hook)
    made.register_structure_hook_factory(_is_literal, _literal_hook)
    made.register_structure_hook_factory(_is_tuple, _tuple_hook)
    made.register_structure_hook_factory(_is_frozen_dict, _mapping_hook)
    made.register_structure_hook(FileMount, _file_hook)

    def mapping_only(cls: type, **overrides: Any) -> None:
        build: Callable[[Any, Any], Any] = make_dict_structure_fn(cls, made, **overrides)

        def structure(value: Any, _: Any) -> Any:
            if not isinstance(value, Mapping):
                raise _leaf(f"must be a mapping, {got(value)}")
            return build(value, cls)

        made.register_structure_hook(cls, structure)

    from orchsdk.values import Constraint, HealthCheck, Port, Resources, Rollout

    for value_class in (Port, Resources, HealthCheck, Rollout, SecretRef, ConfigRef, Constraint):
        mapping_only(value_class)
    native = override(struct_hook=_native_hook)
    for kind in KINDS:
        extra: dict[str, Any] = {}
        if kind is Secret:
            secret_data = _mapping_hook(FrozenDict[str, str], made, secret=True)
            extra["data"] = override(struct_hook=secret_data)
        mapping_only(kind, native=native, **extra)

    # unstructuring: plain data for YAML and JSON, fields at their defaults left out
    made.register_unstructure_hook_func(
        lambda cls: cls is FrozenDict or _is_frozen_dict(cls),
        lambda value: thaw(_plain_strings(value)),
    )
    made.register_unstructure_hook_func(
        lambda cls: isinstance(cls, type) and issubclass(cls, str), str.__str__
    )
    made.register_unstructure_hook(FileMount, _unstructure_file)
    for cls in (Port, Resources, HealthCheck, Rollout, SecretRef, ConfigRef, Constraint, *KINDS):
        made.register_unstructure_hook(
            cls, make_dict_unstructure_fn(cls, made, _cattrs_omit_if_default=True)
        )
    return made


def _plain_strings(value: Any) -> Any:
    """Values with ``str`` subclasses (:data:`~orchsdk.REDACTED`) as plain strings, for YAML."""
    if isinstance(value, Mapping):
        return {_plain_strings(key): _plain_strings(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_strings(item) for item in value]
    if isinstance(value, str):
        return str.__str__(value)
    if hasattr(value, "__attrs_attrs__"):
        return converter().unstructure(value)
    return value


def _unstructure_file(mount: FileMount) -> dict[str, str]:
    if isinstance(mount.source, SecretRef):
        return {"path": mount.path, "secret": mount.source.secret, "key": mount.source.key}
    return {"path": mount.path, "config": mount.source.config, "key": mount.source.key}
