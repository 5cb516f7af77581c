"""What the Kubernetes backend remembers of the objects it has seen, so apply sends one request.

``apply`` tells *created*, *updated* and *unchanged* apart by comparing the server's answer
to its server-side apply with the object as it was before. Reading the object first
would cost a request per apply; instead the backend keeps, per ``(kind, namespace,
name)``, what it last saw of the object in an answer (to an apply, a get or a list): its
resourceVersion, a keyed digest of what an apply can change (:func:`content`), and the
autoscaler it is handed to (:func:`autoscaler_of`). A digest rather than the object: an
entry takes a few hundred bytes whatever the object's size, and holds no secret value.

An object's entry says one of three things:

- :class:`Seen`: the object as last seen;
- :data:`ABSENT`: it does not exist (this backend deleted it, or a read found nothing);
- ``None``, unknown: never seen, or forgotten after a write whose outcome is unknown.

A *listing* of a kind in a namespace also tells which objects do not exist: while it is
complete, a name with no entry is absent (as of the listing: an object another client
creates later is met as a 200 answer where a 201 was expected). A listing stops being
complete when one of its entries is evicted, since that name would then read as absent;
and one during which anything was evicted is never complete, as it may have raced such
an eviction.

The cache is bounded (the least recently used entries go first) and safe to share
between threads.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

from orchsdk_kubernetes.labels import (
    AUTOSCALER_ANNOTATION,
    HANDOVER_MANAGER,
    RESTARTED_AT_ANNOTATION,
)

__all__ = [
    "ABSENT",
    "GROUP_LIMIT",
    "OBJECT_LIMIT",
    "Absent",
    "Group",
    "Key",
    "ObjectCache",
    "Seen",
    "autoscaler_of",
    "content",
]

OBJECT_LIMIT: Final = 10_000
"""Objects remembered at most (a few MB); past it, the least recently used are forgotten."""

GROUP_LIMIT: Final = 1_000
"""Listings (kinds per namespace) remembered at most."""

Key = tuple[str, str, str]
"""``(kind, namespace, name)`` of one object; the kind as orchsdk names it (``Deployment``)."""

Group = tuple[str, str]
"""``(kind, namespace)``: what one listing covers."""


@attrs.frozen
class Seen:
    """What the backend last saw of an object."""

    resource_version: str | None
    digest: bytes
    """A keyed hash of the object's :func:`content`: equal digests mean equal content."""
    autoscaler: str | None
    """The autoscaler a deployment is handed to (:func:`autoscaler_of`), else None."""
    restarted_at: str | None = None
    """A deployment's last restart (:func:`restarted_at_of`), which its next apply keeps."""

    def same_content(self, other: Seen) -> bool:
        """Whether an apply can have changed nothing between the two objects.

        The same resourceVersion is the same object; a different one may only be a status
        update by a controller, so the content decides.
        """
        if self.resource_version is not None and self.resource_version == other.resource_version:
            return True
        return self.digest == other.digest


class Absent(enum.Enum):
    """The entry of an object known not to exist."""

    ABSENT = "absent"


ABSENT: Final = Absent.ABSENT

_NOT_CONTENT = ("apiVersion", "kind", "status")
"""Left out of :func:`content`: the type (list items come without it) and the status."""
_VOLATILE_METADATA = ("resourceVersion", "managedFields", "generation", "selfLink")
_CONTROLLER_ANNOTATIONS = ("deployment.kubernetes.io/",)
_MARKER_PATH = ("f:metadata", "f:annotations", f"f:{AUTOSCALER_ANNOTATION}")


def content(obj: Mapping[str, Any]) -> dict[str, Any]:
    """What an apply can change: the object less its type, status and bookkeeping
    metadata, and less a deployment's replica count while an autoscaler owns it."""
    body = {key: value for key, value in obj.items() if key not in _NOT_CONTENT}
    metadata = {
        key: value
        for key, value in (obj.get("metadata") or {}).items()
        if key not in _VOLATILE_METADATA
    }
    metadata["annotations"] = {
        key: value
        for key, value in (metadata.get("annotations") or {}).items()
        if not key.startswith(_CONTROLLER_ANNOTATIONS)
    }
    body["metadata"] = metadata
    spec = body.get("spec")
    if isinstance(spec, Mapping) and "replicas" in spec and autoscaler_of(obj) is not None:
        body["spec"] = {key: value for key, value in spec.items() if key != "replicas"}
    return body


def restarted_at_of(obj: Mapping[str, Any]) -> str | None:
    """The pod template's :data:`~orchsdk_kubernetes.labels.RESTARTED_AT_ANNOTATION`, if any."""
    spec = obj.get("spec")
    template = spec.get("template") if isinstance(spec, Mapping) else None
    metadata = template.get("metadata") if isinstance(template, Mapping) else None
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    value = annotations.get(RESTARTED_AT_ANNOTATION) if isinstance(annotations, Mapping) else None
    return value if isinstance(value, str) else None


def autoscaler_of(obj: Mapping[str, Any]) -> str | None:
    """The autoscaler a deployment is handed to, told from the deployment alone.

    It is the value of :data:`~orchsdk_kubernetes.labels.AUTOSCALER_ANNOTATION` when the
    handover's field manager owns that annotation (its ``managedFields`` entry lists it);
    the same annotation set by anyone else (a spec copied from ``kubectl get``) says nothing.
    """
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        return None
    annotations = metadata.get("annotations")
    value = annotations.get(AUTOSCALER_ANNOTATION) if isinstance(annotations, Mapping) else None
    if not isinstance(value, str):
        return None
    for entry in metadata.get("managedFields") or ():
        if (
            isinstance(entry, Mapping)
            and entry.get("manager") == HANDOVER_MANAGER
            and _has_path(entry.get("fieldsV1"), _MARKER_PATH)
        ):
            return value
    return None


def _has_path(fields: Any, path: tuple[str, ...]) -> bool:
    for step in path:
        if not isinstance(fields, Mapping) or step not in fields:
            return False
        fields = fields[step]
    return True


class ObjectCache:
    """The last object seen per ``(kind, namespace, name)``, and which kinds were listed
    where; bounded, and shared between threads (see the module)."""

    def __init__(self, limit: int = OBJECT_LIMIT, groups: int = GROUP_LIMIT) -> None:
        self._limit = limit
        self._group_limit = groups
        self._entries: OrderedDict[Key, Seen | Absent | None] = OrderedDict()
        self._listings: OrderedDict[Group, bool] = OrderedDict()
        """The kinds listed per namespace: True while the listing is complete."""
        self._evictions = 0
        self._digest_key = os.urandom(16)
        self._lock = threading.Lock()

    def seen(self, obj: Mapping[str, Any]) -> Seen:
        """What to remember of an object as the server sent it."""
        text = json.dumps(content(obj), sort_keys=True, separators=(",", ":"), default=str)
        digest = hashlib.blake2b(text.encode(), digest_size=16, key=self._digest_key).digest()
        version = obj["metadata"].get("resourceVersion")
        return Seen(
            None if version is None else str(version),
            digest,
            autoscaler_of(obj),
            restarted_at_of(obj),
        )

    def lookup(self, key: Key) -> Seen | Absent | None:
        """What is known of an object: as last seen, absent, or None (unknown)."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            return ABSENT if self._listings.get(key[:2]) else None

    def listed(self, group: Group) -> bool:
        """Whether this kind was listed in this namespace (the listing may since be partial)."""
        with self._lock:
            return group in self._listings

    def remember(self, key: Key, entry: Seen | Absent) -> None:
        """Records an object as the server just showed it, or as just found absent."""
        with self._lock:
            self._put(key, entry)

    def forget(self, key: Key) -> None:
        """Makes an object unknown (a write to it may or may not have acted)."""
        with self._lock:
            self._put(key, None)

    def mark(self) -> int:
        """To take before sending a listing, and give to :meth:`remember_listing`."""
        with self._lock:
            return self._evictions

    def fill(self, group: Group, items: Iterable[tuple[str, Seen]]) -> None:
        """Records objects of ``group`` that a listing showed, by name, where there is no
        entry: one made by an answer that came meanwhile may be newer than the listing."""
        with self._lock:
            self._fill(group, items)

    def remember_listing(
        self, group: Group, items: Iterable[tuple[str, Seen]], *, complete: bool, mark: int
    ) -> None:
        """Records a listing of a whole ``group``, sent after ``mark`` was taken: fills in
        its objects (see :meth:`fill`) and marks the group listed. ``complete``: every
        object of the group is in it (it was not cut at a page)."""
        with self._lock:
            self._fill(group, items)
            self._listings[group] = complete and self._evictions == mark
            self._listings.move_to_end(group)
            while len(self._listings) > self._group_limit:
                self._listings.popitem(last=False)

    def _fill(self, group: Group, items: Iterable[tuple[str, Seen]]) -> None:
        for name, seen in items:
            key = (*group, name)
            if key not in self._entries:
                self._put(key, seen)

    def _put(self, key: Key, entry: Seen | Absent | None) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self._limit:
            evicted, _ = self._entries.popitem(last=False)
            self._evictions += 1
            if self._listings.get(evicted[:2]):
                self._listings[evicted[:2]] = False
