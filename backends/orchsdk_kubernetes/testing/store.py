"""The emulator's etcd: objects, the cluster-wide resourceVersion, and the watch history.

Every write gets the next resourceVersion (one counter for the whole cluster, as etcd's
revision) and appends an event to a bounded history that watches replay from; events at
or before the *compacted* revision are gone, and a watch asking for them gets 410 Gone.

Stored objects are never changed in place: a write stores a new dict. So readers may
serialize what :meth:`Store.get` returns without copying, and events can share objects.

One re-entrant lock guards everything; :attr:`Store.changed` (a condition on that lock)
wakes watches, which wait on it *without* holding the lock.
"""

from __future__ import annotations

import bisect
import builtins
import collections
import threading
from collections.abc import Iterator
from typing import Any

import attrs

from orchsdk_kubernetes.testing.resources import ResourceType

__all__ = ["Event", "Store"]

Obj = dict[str, Any]


@attrs.frozen
class Event:
    """One change: ``type`` is ADDED, MODIFIED or DELETED; ``old`` is the previous object."""

    rv: int
    type: str
    resource: str
    namespace: str
    object: Obj
    old: Obj | None = None


class Store:
    """Objects by type, namespace and name, with a resourceVersion counter and history."""

    def __init__(self, *, history_limit: int = 20000) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._objects: dict[str, dict[str, dict[str, Obj]]] = collections.defaultdict(
            lambda: collections.defaultdict(dict)
        )
        self._uids: dict[str, tuple[str, str, str]] = {}
        self._rv = 0
        self._history: list[Event] = []
        self._history_limit = history_limit
        self._compacted = 0
        # Bumped to end every open watch (drop_watches); closed ends them for good.
        self.watch_epoch = 0
        self.drop_clean = False
        self.closed = False

    # -- reads ---------------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        """The newest resourceVersion handed out."""
        return self._rv

    @property
    def compacted(self) -> int:
        """Events with a resourceVersion up to this one are no longer in the history."""
        return self._compacted

    def get(self, rt: ResourceType, namespace: str, name: str) -> Obj | None:
        """The stored object (do not modify it), or None."""
        spaces = self._objects[rt.key]
        namespace = namespace if rt.namespaced else ""
        return spaces[namespace].get(name) if namespace in spaces else None

    def by_uid(self, uid: str) -> tuple[str, str, str] | None:
        """``(type key, namespace, name)`` of the object with this uid, if it still exists."""
        return self._uids.get(uid)

    def list(self, rt: ResourceType, namespace: str | None = None) -> builtins.list[Obj]:
        """Objects of a type, in one namespace or all, ordered by namespace then name."""
        spaces = self._objects[rt.key]
        if namespace is not None:
            namespace = namespace if rt.namespaced else ""
            items = spaces.get(namespace) or {}
            return [items[name] for name in sorted(items)]
        return [spaces[ns][name] for ns in sorted(spaces) for name in sorted(spaces[ns])]

    def all_objects(self, namespace: str | None = None) -> Iterator[tuple[str, Obj]]:
        """Every object (of one namespace, or all) with its type key."""
        for key, spaces in builtins.list(self._objects.items()):
            for ns, items in builtins.list(spaces.items()):
                if namespace is None or ns == namespace:
                    for obj in builtins.list(items.values()):
                        yield key, obj

    # -- writes --------------------------------------------------------------------------

    def next_rv(self) -> int:
        self._rv += 1
        return self._rv

    def put(self, rt: ResourceType, obj: Obj) -> Obj:
        """Stores ``obj`` (taking ownership of it) with a new resourceVersion; records the event."""
        with self.lock:
            metadata = obj["metadata"]
            namespace = metadata.get("namespace", "") if rt.namespaced else ""
            items = self._objects[rt.key][namespace]
            old = items.get(metadata["name"])
            rv = self.next_rv()
            metadata["resourceVersion"] = str(rv)
            items[metadata["name"]] = obj
            self._uids[metadata["uid"]] = (rt.key, namespace, metadata["name"])
            self._record(Event(rv, "MODIFIED" if old else "ADDED", rt.key, namespace, obj, old))
            return obj

    def remove(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        metadata: dict[str, Any] | None = None,
    ) -> Obj | None:
        """Deletes an object; the DELETED event carries it with the deletion's resourceVersion.

        ``metadata`` is added to the deleted object's (e.g. a pod's deletionTimestamp).
        """
        with self.lock:
            namespace = namespace if rt.namespaced else ""
            spaces = self._objects[rt.key]
            old = spaces[namespace].pop(name, None) if namespace in spaces else None
            if old is None:
                return None
            if not spaces[namespace]:
                del spaces[namespace]
            self._uids.pop(old["metadata"]["uid"], None)
            rv = self.next_rv()
            stamped = {**old["metadata"], **(metadata or {}), "resourceVersion": str(rv)}
            gone = {**old, "metadata": stamped}
            self._record(Event(rv, "DELETED", rt.key, namespace, gone, old))
            return gone

    def _record(self, event: Event) -> None:
        self._history.append(event)
        if len(self._history) > self._history_limit:
            cut = len(self._history) - self._history_limit // 2
            self._compacted = self._history[cut - 1].rv
            del self._history[:cut]
        self.changed.notify_all()

    # -- history -------------------------------------------------------------------------

    def events_after(self, rv: int, resource: str) -> builtins.list[Event] | None:
        """Events of a type newer than ``rv``; None when ``rv`` is older than the history."""
        if rv < self._compacted:
            return None
        start = bisect.bisect_right(self._history, rv, key=lambda event: event.rv)
        return [event for event in self._history[start:] if event.resource == resource]

    def namespaces_since(self, rv: int) -> set[str] | None:
        """Namespaces with changes after ``rv`` (a Namespace's own changes count for it).

        None when the history no longer reaches back to ``rv``: everything may have changed.
        """
        if rv < self._compacted:
            return None
        start = bisect.bisect_right(self._history, rv, key=lambda event: event.rv)
        return {
            event.namespace or event.object["metadata"]["name"] for event in self._history[start:]
        }

    def namespaces(self) -> set[str]:
        """Every namespace that holds an object or exists."""
        found: set[str] = set()
        for key, spaces in self._objects.items():
            if key == "namespaces":
                found.update(spaces.get("", {}))
            found.update(ns for ns in spaces if ns)
        return found

    def compact(self) -> int:
        """Forgets the whole history: watches from any older resourceVersion get 410 Gone."""
        with self.lock:
            self._history.clear()
            self._compacted = self._rv
            self.changed.notify_all()
            return self._compacted

    def drop_watches(self, *, clean: bool = False) -> None:
        """Ends every open watch stream: cut off (default), or ``clean`` (as at a timeout)."""
        with self.lock:
            self.drop_clean = clean
            self.watch_epoch += 1
            self.changed.notify_all()

    def close(self) -> None:
        """Ends every watch for good (the emulator is stopping)."""
        with self.lock:
            self.closed = True
            self.changed.notify_all()
