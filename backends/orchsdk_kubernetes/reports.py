"""Kubernetes Events as portable :class:`~orchsdk.Event` objects; pure.

``kubectl describe deployment`` shows the Events of the deployment itself; orchsdk also
gathers those of its ReplicaSets and pods, where a failed pull or a crash is reported.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from orchsdk import Event, EventType

__all__ = ["about", "to_event"]


def about(
    events: Iterable[Mapping[str, Any]],
    owners: Iterable[Mapping[str, Any]],
    pods_of: Iterable[str] = (),
) -> list[Event]:
    """The events about any of ``owners`` (objects, matched by uid), or about a pod whose
    name starts with one of ``pods_of`` (the ReplicaSets' names: pods already gone), oldest
    first."""
    uids = {(owner.get("metadata") or {}).get("uid") for owner in owners}
    prefixes = tuple(f"{name}-" for name in pods_of)
    found = []
    for event in events:
        involved = event.get("involvedObject") or {}
        pod_of_ours = (
            involved.get("kind") == "Pod"
            and prefixes
            and (str(involved.get("name", "")).startswith(prefixes))
        )
        if involved.get("uid") in uids or pod_of_ours:
            found.append(to_event(event))
    return sorted(found, key=_order)


def to_event(event: Mapping[str, Any]) -> Event:
    """One Kubernetes Event (core/v1) as an :class:`~orchsdk.Event`."""
    involved = event.get("involvedObject") or {}
    series = event.get("series") or {}
    when = (
        series.get("lastObservedTime")
        or event.get("lastTimestamp")
        or event.get("eventTime")
        or event.get("firstTimestamp")
        or (event.get("metadata") or {}).get("creationTimestamp")
    )
    return Event(
        time=parse_time(when),
        type=EventType.WARNING if event.get("type") == "Warning" else EventType.NORMAL,
        reason=str(event.get("reason") or ""),
        message=str(event.get("message") or ""),
        object=f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}",
        count=int(series.get("count") or event.get("count") or 1),
    )


def parse_time(text: Any) -> datetime.datetime | None:
    """An RFC 3339 time as the API server writes it, or None when it is not one."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _order(event: Event) -> datetime.datetime:
    return event.time or datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)
