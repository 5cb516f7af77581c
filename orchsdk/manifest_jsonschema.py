"""The JSON Schema (draft 2020-12) of the manifest format, generated from the attrs specs.

The schema walks each kind's attrs fields and type hints: required fields are those
without a default, ``Literal`` types become enums, unions ``anyOf``, tuples arrays and
mappings objects; names, namespaces, ports and a few more carry the simple patterns and
bounds of :mod:`orchsdk.validation` (which stays the authority: the schema is for
editors). A copy ships as ``orchsdk/schema/orchsdk-v1.schema.json``; a test keeps it
equal to :func:`manifest_schema`. Regenerate it with ``orchsdk schema``.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, Union

import attrs

from orchsdk._frozen import FrozenDict
from orchsdk.manifests import API_VERSION
from orchsdk.specs import KINDS, Deployment, Resource, Service
from orchsdk.values import FileMount

__all__ = ["SCHEMA_FILE", "manifest_schema", "shipped_schema"]

SCHEMA_FILE = "orchsdk-v1.schema.json"
"""The name of the shipped schema in the ``orchsdk/schema`` package data folder."""

_DNS1123_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_DNS1035_LABEL = "^[a-z]([-a-z0-9]*[a-z0-9])?$"
_DNS1123_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
_PORT_NAME = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_ENV_NAME = "^[A-Za-z_][A-Za-z0-9_]*$"
_CONFIG_KEY = "^[-._a-zA-Z0-9]+$"
_PERCENT = "^(100|[1-9]?[0-9])%$"

_LABEL = {"type": "string", "pattern": _DNS1123_LABEL, "maxLength": 63}
_SUBDOMAIN = {"type": "string", "pattern": _DNS1123_SUBDOMAIN, "maxLength": 253}
_PORT_NUMBER = {"type": "integer", "minimum": 1, "maximum": 65535}
_AMOUNT = {
    "anyOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": _PERCENT},
    ]
}

_FIELDS: dict[tuple[str, str], dict[str, Any]] = {
    ("Resource", "namespace"): {"anyOf": [_LABEL, {"type": "null"}]},
    ("Resource", "native"): {
        "type": "object",
        "description": "Per backend (kubernetes, marathon, ...), a JSON merge patch (RFC 7386) "
        "applied to the rendered document.",
        "additionalProperties": {"type": "object"},
    },
    ("Deployment", "replicas"): {"type": "integer", "minimum": 0},
    ("Deployment", "env"): {"propertyNames": {"pattern": _ENV_NAME}},
    ("Secret", "data"): {"propertyNames": {"pattern": _CONFIG_KEY}},
    ("ConfigMap", "data"): {"propertyNames": {"pattern": _CONFIG_KEY}},
    ("Autoscaler", "target"): _LABEL,
    ("Autoscaler", "min_replicas"): {"type": "integer", "minimum": 1},
    ("Autoscaler", "max_replicas"): {"type": "integer", "minimum": 1},
    ("Autoscaler", "cpu_percent"): {
        "anyOf": [{"type": "integer", "minimum": 1, "maximum": 1000}, {"type": "null"}]
    },
    ("Autoscaler", "memory_percent"): {
        "anyOf": [{"type": "integer", "minimum": 1, "maximum": 1000}, {"type": "null"}]
    },
    ("Port", "port"): _PORT_NUMBER,
    ("Port", "name"): {
        "anyOf": [
            {"type": "string", "pattern": _PORT_NAME, "maxLength": 15},
            {"type": "null"},
        ]
    },
    ("Port", "target_port"): {
        "anyOf": [
            _PORT_NUMBER,
            {"type": "string", "pattern": _PORT_NAME, "maxLength": 15},
            {"type": "null"},
        ]
    },
    ("HealthCheck", "http_path"): {
        "anyOf": [{"type": "string", "pattern": "^/"}, {"type": "null"}]
    },
    ("Rollout", "max_surge"): _AMOUNT,
    ("Rollout", "max_unavailable"): _AMOUNT,
    ("Resources", "gpu"): {
        "anyOf": [{"type": "integer", "minimum": 0, "maximum": 1024}, {"type": "null"}]
    },
}
"""Bounds and patterns beyond the type, by (class, field): the simple part of validation."""

_NAME_PATTERNS = {Deployment: _LABEL, Service: {**_LABEL, "pattern": _DNS1035_LABEL}}


def _description(cls: type) -> str:
    """The first paragraph of a class's docstring, on one line."""
    paragraph = (cls.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(paragraph.replace("``", "`").split())


def _owner(cls: type, field: str) -> str:
    """The class that declares ``field`` (``Resource`` for ``namespace``)."""
    for base in cls.__mro__:
        if field in getattr(base, "__annotations__", {}):
            return base.__name__
    return cls.__name__


class _Builder:
    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any]] = {}

    def of(self, annotation: Any) -> dict[str, Any]:
        """The schema of a type annotation."""
        simple = {str: "string", int: "integer", bool: "boolean", type(None): "null"}
        if annotation in simple:
            return {"type": simple[annotation]}
        if annotation is Any:
            return {}
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is Literal:
            return {"type": "string", "enum": list(args)}
        if origin in (Union, types.UnionType):
            return {"anyOf": [self.of(member) for member in args]}
        if origin is tuple:
            return {"type": "array", "items": self.of(args[0])}
        if origin is FrozenDict:
            return {"type": "object", "additionalProperties": self.of(args[1])}
        if annotation is FileMount:
            return self._ref("FileMount", self._file_mount)
        if attrs.has(annotation):
            return self._ref(annotation.__name__, lambda: self.object_of(annotation))
        raise TypeError(f"no schema for {annotation!r}")  # pragma: no cover - a new field type

    def _ref(self, name: str, build: typing.Callable[[], dict[str, Any]]) -> dict[str, Any]:
        if name not in self.defs:
            self.defs[name] = {}  # reserved first: a class may refer to itself
            self.defs[name] = build()
        return {"$ref": f"#/$defs/{name}"}

    def object_of(self, cls: type, **leading: dict[str, Any]) -> dict[str, Any]:
        """An attrs class as a closed object: its fields, the required ones, no others."""
        hints = typing.get_type_hints(cls)
        properties: dict[str, Any] = dict(leading)
        required = list(leading)
        for field in attrs.fields(cls):
            schema = _FIELDS.get((_owner(cls, field.name), field.name))
            if schema is None:
                schema = self.of(hints[field.name])
            elif "type" not in schema and "anyOf" not in schema:
                schema = {**self.of(hints[field.name]), **schema}
            properties[field.name] = schema
            if field.default is attrs.NOTHING:
                required.append(field.name)
        return {
            "type": "object",
            "description": _description(cls),
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }

    def _file_mount(self) -> dict[str, Any]:
        path = {"type": "string", "pattern": "^/"}
        key = {"type": "string", "pattern": _CONFIG_KEY}
        shapes = [
            {
                "type": "object",
                "description": f"A file in the container whose content is one key of a {kind}.",
                "properties": {"path": path, owner: _SUBDOMAIN, "key": key},
                "required": ["path", owner, "key"],
                "additionalProperties": False,
            }
            for owner, kind in (("secret", "Secret"), ("config", "ConfigMap"))
        ]
        return {"oneOf": shapes}

    def kind(self, cls: type[Resource]) -> dict[str, Any]:
        schema = self.object_of(
            cls,
            apiVersion={"const": API_VERSION},
            kind={"const": cls.kind},
        )
        schema["properties"]["name"] = _NAME_PATTERNS.get(cls, _SUBDOMAIN)
        return schema


def manifest_schema() -> dict[str, Any]:
    """The JSON Schema of one manifest document (every kind), for editors and linters.

    >>> schema = manifest_schema()
    >>> schema["$schema"], sorted(schema["$defs"])[:3]
    ('https://json-schema.org/draft/2020-12/schema', ['Autoscaler', 'ConfigMap', 'ConfigRef'])
    """
    builder = _Builder()
    kinds = {cls.kind: builder.kind(cls) for cls in KINDS}
    defs = {**kinds, **builder.defs}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"orchsdk manifest ({API_VERSION})",
        "description": "One document of an orchsdk manifest: apiVersion, kind, then the "
        "fields of that kind's spec with the Python API's names.",
        "type": "object",
        "required": ["apiVersion", "kind"],
        "properties": {
            "apiVersion": {"const": API_VERSION},
            "kind": {"enum": list(kinds)},
        },
        "oneOf": [{"$ref": f"#/$defs/{name}"} for name in kinds],
        "$defs": dict(sorted(defs.items())),
    }


def shipped_schema() -> dict[str, Any]:
    """The schema shipped in the package (``orchsdk/schema/orchsdk-v1.schema.json``)."""
    import json
    from importlib.resources import files

    text = files("orchsdk").joinpath("schema").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
