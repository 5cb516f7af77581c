"""Specs as JSON and back, in plain code: the pure half of the backend.

Every attrs value is written as an object tagged with its class (``"$type": "SecretRef"``),
so unions such as an env value (a string, a ``SecretRef`` or a ``ConfigRef``) read back as
what they were. No valid label, env or data key starts with ``$``, so the tag cannot clash.
``native`` is kept as the raw JSON it is. ``from_json(to_json(spec)) == spec`` for every
valid spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from orchsdk import (
    KINDS,
    ConfigRef,
    Constraint,
    FileMount,
    HealthCheck,
    Port,
    Resource,
    Resources,
    Rollout,
    SecretRef,
)

__all__ = ["API_VERSION", "from_document", "from_json", "to_document", "to_json"]

API_VERSION = "jsonfile.orchsdk.dev/v1"

_VALUES = (Port, Resources, HealthCheck, Rollout, SecretRef, ConfigRef, FileMount, Constraint)
_TYPES: dict[str, type[Any]] = {cls.__name__: cls for cls in (*KINDS, *_VALUES)}
_METADATA = ("name", "namespace", "labels", "annotations", "native")


def to_json(value: Any) -> Any:
    """A spec, or any value in one, as JSON data: tagged objects, lists, strings, numbers."""
    if attrs.has(type(value)):
        fields = attrs.fields(type(value))
        return {"$type": type(value).__name__} | {
            field.name: to_json(getattr(value, field.name)) for field in fields
        }
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [to_json(item) for item in value]
    return value


def from_json(data: Any) -> Any:
    """The inverse of :func:`to_json`; keys a class does not know are ignored."""
    if isinstance(data, list):
        return [from_json(item) for item in data]
    if not isinstance(data, dict):
        return data
    if "$type" not in data:
        return {key: from_json(item) for key, item in data.items()}
    cls = _TYPES[data["$type"]]
    return cls(
        **{
            field.name: data[field.name] if field.name == "native" else from_json(data[field.name])
            for field in attrs.fields(cls)
            if field.name in data
        }
    )


def to_document(resource: Resource) -> dict[str, Any]:
    """The document the store keeps for a resource: kind, metadata and spec."""
    fields = to_json(resource)
    kind = fields.pop("$type")
    metadata = {key: fields.pop(key) for key in _METADATA}
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": fields}


def from_document(document: Mapping[str, Any]) -> Resource:
    """The resource a stored document describes; fields a ``native`` patch added are ignored."""
    resource = from_json(
        {"$type": document["kind"], **document["metadata"], **document.get("spec", {})}
    )
    if not isinstance(resource, Resource):
        raise TypeError(f"not a resource document: kind {document['kind']!r}")
    return resource
