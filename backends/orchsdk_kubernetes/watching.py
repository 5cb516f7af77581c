"""List-then-watch of one object, as kubectl's rollout status does, resuming on its own.

A dropped stream resumes from the last resourceVersion seen; a ``410 Gone`` (history
compacted past that version) starts over with a fresh list. ``kubernetes.watch.Watch``
is not used: with ``deserialize=False`` its ERROR-event path reads a key that plain
events do not have, and it cannot relist after a 410 when a timeout is set.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

from orchsdk import BackendUnavailable
from orchsdk_kubernetes.errors import ResourceExpired, map_status

__all__ = ["watch_object"]

_QUICK_END = 0.1


def watch_object(
    list_call: Callable[..., Any],
    parse_body: Callable[[Any, str], Any],
    timeout: float,
    request_timeout: tuple[float, float],
) -> Iterator[dict[str, Any] | None]:
    """Yields the object (``None`` while it does not exist) each time it changes, until ``timeout``.

    ``list_call(**kwargs)`` sends the list request (with ``watch=True`` and its options
    for a watch) and returns the raw response.
    """
    from urllib3.exceptions import HTTPError

    deadline = time.monotonic() + timeout
    version: str | None = None
    while (remaining := deadline - time.monotonic()) > 0:
        if version is None:
            listing = parse_body(list_call(), "list")
            items = listing.get("items") or []
            yield items[0] if items else None
            version = listing["metadata"]["resourceVersion"]
            continue
        started = time.monotonic()
        try:
            response = list_call(
                watch=True,
                resource_version=version,
                allow_watch_bookmarks=True,
                timeout_seconds=max(1, math.ceil(remaining)),
                _request_timeout=(request_timeout[0], remaining + request_timeout[0]),
            )
        except ResourceExpired:
            version = None
            continue
        try:
            for event in _events(response):
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    error = map_status(obj, "watch")
                    if isinstance(error, ResourceExpired):
                        version = None
                        break
                    raise error
                version = (obj.get("metadata") or {}).get("resourceVersion", version)
                if kind != "BOOKMARK":
                    yield None if kind == "DELETED" else obj
                if time.monotonic() >= deadline:
                    return
        except (HTTPError, OSError, BackendUnavailable, ValueError):
            pass  # the stream dropped: resume from the last version seen
        finally:
            response.release_conn()
        if time.monotonic() - started < _QUICK_END:
            time.sleep(_QUICK_END)


def _events(response: Any) -> Iterator[dict[str, Any]]:
    buffer = b""
    for chunk in response.stream(amt=None, decode_content=False):
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.strip():
                yield json.loads(line)
    if buffer.strip():
        yield json.loads(buffer)
