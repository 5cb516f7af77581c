"""A deployment's events, from what Marathon keeps about its app: pure functions.

Marathon keeps no event history: its event stream (``/v2/events``) tells only clients
that listen at the time, and replays nothing. What it keeps, and so what
:meth:`~orchsdk_marathon.MarathonBackend.events` reports, oldest first:

- the app's last configuration change and last scale (``versionInfo``), normal;
- the task status updates (``status_update_event``) this backend saw on the event
  stream while a wait followed the app, a warning for a task that failed;
- each task it has now, in its Mesos state, since it was staged or started, normal;
- ``lastTaskFailure``, the one task that failed last, with Mesos' message, a warning
  (``count`` is how many times that instance has failed, from its incarnation);
- the launch queue (``/v2/queue``): the back-off that delays a failed app's next launch,
  and the offers that every agent made and Marathon declined, with the reasons
  (``InsufficientCpus``, ``UnfulfilledConstraint``, ...), warnings.

It cannot tell the tasks that failed before the last one unless a wait of this backend
saw them go by, nor why a deployment was cancelled.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from orchsdk import Event, EventType
from orchsdk_marathon.failures import declined_offers, instance_of
from orchsdk_marathon.status import parse_time

__all__ = ["app_events"]

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _time(value: Any) -> datetime.datetime | None:
    moment = parse_time(value)
    return None if moment == _EPOCH else moment


def app_events(
    name: str,
    app: Mapping[str, Any],
    queued: Mapping[str, Any] | None,
    updates: Sequence[Mapping[str, Any]] = (),
) -> list[Event]:
    """The events of the app of deployment ``name`` (``GET /v2/apps/{id}`` with tasks and
    ``lastTaskFailure`` embedded), of its ``/v2/queue`` item, if it has one, and the
    task status ``updates`` seen on the event stream. What an update told is not told
    again by the app's tasks or its ``lastTaskFailure``."""
    events = _version_events(name, app)
    told = set()
    for update in updates:
        event = _update_event(update)
        told.add((event.object, event.reason))
        events.append(event)
    for task in app.get("tasks") or []:
        if isinstance(task, Mapping):
            event = _task_event(task)
            if (event.object, event.reason) not in told:
                events.append(event)
    failure = app.get("lastTaskFailure")
    task = str(failure.get("taskId", "")) if isinstance(failure, Mapping) else ""
    if isinstance(failure, Mapping) and (f"task/{task}", failure.get("state")) not in told:
        events.append(
            Event(
                time=_time(failure.get("timestamp")),
                type=EventType.WARNING,
                reason=str(failure.get("state") or "TASK_FAILED"),
                message=str(failure.get("message") or ""),
                object=f"task/{task}",
                count=instance_of(task)[1],
            )
        )
    if queued is not None:
        events.extend(_queue_events(name, queued))
    return sorted(events, key=lambda event: event.time or _EPOCH)


def _version_events(name: str, app: Mapping[str, Any]) -> list[Event]:
    info = app.get("versionInfo")
    if not isinstance(info, Mapping):
        return []
    events = []
    config = info.get("lastConfigChangeAt")
    scaled = info.get("lastScalingAt")
    if config is not None:
        message = f"configuration changed (version {config})"
        events.append(
            Event(_time(config), EventType.NORMAL, "ConfigChanged", message, f"app/{name}")
        )
    if scaled is not None and scaled != config:
        message = f"scaled to {app.get('instances')} instances (version {scaled})"
        events.append(Event(_time(scaled), EventType.NORMAL, "Scaled", message, f"app/{name}"))
    return events


_FAILED = frozenset({"TASK_FAILED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED", "TASK_GONE"})


def _update_event(update: Mapping[str, Any]) -> Event:
    """A ``status_update_event`` as an event: a warning when the task failed."""
    state = str(update.get("taskStatus") or "")
    kind = EventType.WARNING if state in _FAILED else EventType.NORMAL
    message = str(update.get("message") or "") or f"{state} on {update.get('host')}"
    task = f"task/{update.get('taskId')}"
    return Event(_time(update.get("timestamp")), kind, state, message, task)


def _task_event(task: Mapping[str, Any]) -> Event:
    state = str(task.get("state") or "")
    when = task.get("startedAt") or task.get("stagedAt")
    message = f"{state} on {task.get('host')}"
    return Event(_time(when), EventType.NORMAL, state, message, f"task/{task.get('id')}")


def _queue_events(name: str, item: Mapping[str, Any]) -> list[Event]:
    events = []
    count = item.get("count")
    delay = item.get("delay")
    if isinstance(delay, Mapping) and delay.get("overdue") is False:
        message = (
            f"launch of {count} instance(s) delayed {delay.get('timeLeftSeconds')}s more "
            "after failed tasks (backoffSeconds, backoffFactor)"
        )
        events.append(
            Event(
                _time(item.get("since")), EventType.WARNING, "LaunchDelayed", message, f"app/{name}"
            )
        )
    declined = declined_offers(item)
    if declined:
        summary = item.get("processedOffersSummary")
        when = summary.get("lastUnusedOfferAt") if isinstance(summary, Mapping) else None
        reasons = ", ".join(f"{reason} ({n} of {offers})" for reason, n, offers in declined)
        message = f"{count} instance(s) waiting; the agents' last offers were declined: {reasons}"
        events.append(
            Event(_time(when), EventType.WARNING, "OffersDeclined", message, f"app/{name}")
        )
    return events
