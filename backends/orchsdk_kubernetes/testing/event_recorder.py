"""Events (core/v1) about objects, as the kubelet, scheduler and controllers record them.

A repeat of the same reason and message about the same object counts up the first
Event (``count``, ``lastTimestamp``) instead of making a new one, as client-go's
recorder does; each namespace keeps its newest :data:`KEPT_PER_NAMESPACE` Events, the
emulator's stand-in for the API server's one-hour time to live.
"""

from __future__ import annotations

import collections
import copy
import secrets
from typing import Any

from orchsdk_kubernetes.testing.registry import Registry
from orchsdk_kubernetes.testing.registry.meta import now
from orchsdk_kubernetes.testing.resources import by_kind

__all__ = ["EVENT", "EventRecorder"]

Obj = dict[str, Any]

EVENT = by_kind("Event")
KEPT_PER_NAMESPACE = 1000
"""How many Events a namespace keeps; older ones are deleted."""


class EventRecorder:
    """Writes Events into the emulator's store; every method runs under the store lock."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.store = registry.store
        self._names: dict[tuple[str, str, str], str] = {}
        self._order: dict[str, collections.deque[str]] = {}

    def emit(
        self,
        obj: Obj,
        kind: str,
        reason: str,
        message: str,
        *,
        component: str = "kubelet",
        host: str | None = None,
    ) -> None:
        """Records that ``reason`` happened to ``obj``: ``kind`` is Normal or Warning."""
        metadata = obj["metadata"]
        namespace, uid = metadata.get("namespace", "default"), metadata["uid"]
        stamp = now()
        name = self._names.get((uid, reason, message))
        existing = self.store.get(EVENT, namespace, name) if name else None
        if existing is not None:
            repeated = copy.deepcopy(existing)
            repeated["count"] = int(repeated.get("count") or 1) + 1
            repeated["lastTimestamp"] = stamp
            self.store.put(EVENT, repeated)
            return
        name = f"{metadata['name']}.{secrets.token_hex(8)}"
        source: Obj = {"component": component}
        if host:
            source["host"] = host
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": {
                "kind": obj.get("kind", ""),
                "namespace": namespace,
                "name": metadata["name"],
                "uid": uid,
                "apiVersion": obj.get("apiVersion", "v1"),
                "resourceVersion": metadata.get("resourceVersion", ""),
            },
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "type": kind,
            "eventTime": None,
            "reportingComponent": "",
            "reportingInstance": "",
        }
        self.registry.create(EVENT, namespace, body, manager=component, validate=False)
        self._names[(uid, reason, message)] = name
        self._keep(namespace, name)

    def _keep(self, namespace: str, name: str) -> None:
        order = self._order.setdefault(namespace, collections.deque())
        order.append(name)
        while len(order) > KEPT_PER_NAMESPACE:
            oldest = order.popleft()
            if self.store.get(EVENT, namespace, oldest) is not None:
                self.registry.remove(EVENT, namespace, oldest)
