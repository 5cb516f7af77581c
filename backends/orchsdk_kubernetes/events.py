"""Following one object through the API server's watch stream, as ``kubectl rollout status`` does.

List, then watch from the listing's resourceVersion. A dropped stream resumes from the
last resourceVersion seen; a ``410 Gone`` (history compacted past that version) starts
over with a fresh list. Reconnects back off with :class:`orchsdk.waiting.Backoff`, and a
stream that stayed open longer than the longest back-off reconnects at once.
``kubernetes.watch.Watch`` is not used: with ``deserialize=False`` its ERROR-event path
reads a key that plain events do not have, and it cannot relist after a 410 when a
timeout is set.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from typing import Any

from orchsdk import BackendUnavailable
from orchsdk.waiting import Backoff
from orchsdk_kubernetes.client import Client, ResourceExpired, items_of, status_error

__all__ = ["watch_object"]

RECONNECT_FIRST = 0.1
"""Seconds before the first reconnect of a stream that ended early."""
RECONNECT_MAX = 2.0
"""Seconds between reconnects at most."""


def watch_object(
    client: Client,
    resource: str,
    name: str,
    namespace: str,
    timeout: float,
    *,
    heartbeat: float | None = None,
) -> Iterator[dict[str, Any] | None]:
    """Yields the object (``None`` while it does not exist) each time it changes, until
    ``timeout``; with ``heartbeat``, also the unchanged object after every ``heartbeat``
    seconds without a change (the server ends each stream then, and it resumes at once),
    for a caller that also looks at what the object's events do not show."""
    what = f"watch {resource}/{name} in {namespace}"
    selector = f"metadata.name={name}"
    connect = client.timeout[0]
    backoff = Backoff(RECONNECT_FIRST, RECONNECT_MAX, 2.0)
    deadline = time.monotonic() + timeout
    version: str | None = None
    last: dict[str, Any] | None = None
    while (remaining := deadline - time.monotonic()) > 0:
        if version is None:
            listing = client.request(
                resource, "list", namespace, field_selector=selector, what=what
            )
            items = items_of(listing, what)
            last = items[0] if items else None
            yield last
            version = listing["metadata"]["resourceVersion"]
            continue
        opened = time.monotonic()
        try:
            events = client.watch(
                resource,
                "list",
                namespace,
                field_selector=selector,
                watch=True,
                resource_version=version,
                allow_watch_bookmarks=True,
                timeout_seconds=max(1, math.ceil(min(remaining, heartbeat or remaining))),
                _request_timeout=(connect, remaining + connect),
                what=what,
            )
        except ResourceExpired:  # too old to watch from: list again at once
            version = None
            continue
        ended = False
        try:
            with contextlib.closing(events):
                for event in events:
                    kind, obj = event.get("type"), event.get("object") or {}
                    if kind == "ERROR":
                        raise status_error(obj, what)
                    version = (obj.get("metadata") or {}).get("resourceVersion", version)
                    if kind != "BOOKMARK":
                        last = None if kind == "DELETED" else obj
                        yield last
                    if time.monotonic() >= deadline:
                        return
            ended = True
        except ResourceExpired:
            version = None
        except BackendUnavailable:
            pass  # the stream dropped: resume from the last version seen
        lasted = time.monotonic() - opened
        if heartbeat is not None and ended and lasted >= heartbeat / 2:
            backoff.reset()  # the server closed it on time: beat, and resume at once
            if last is not None and time.monotonic() < deadline:
                yield last
        elif lasted > backoff.maximum:
            backoff.reset()
        else:
            backoff.sleep(deadline)
