"""Why new tasks of a Marathon app cannot start, from what Marathon shows: pure functions.

Marathon keeps one ``lastTaskFailure`` per app (the state and Mesos' message of the task
that failed last) and lists the instances it still has to launch in ``/v2/queue``, with
the back-off that delays them and a summary of the offers it could not use. From these:

- **image pull**: the failure's message is a pull error (Docker's ``... pull <image>``,
  the Mesos containerizer's fetch or ``curl`` errors, "manifest unknown", ...): at the
  first failure, as the image will not appear by itself;
- **configuration**: a secret that cannot be resolved, or ``TASK_ERROR`` (Mesos found
  the task invalid): at the first failure;
- **crash loop**: any other failure, once the same instance has failed three times
  (two restarts): its task id's incarnation (``<instance>._app.3``) says so, or the
  three failed tasks this backend has seen for the version; **health check** the same,
  when the failure is Marathon's kill of a task that failed its health checks;
- **unschedulable**: the app waits in the queue, not backed off, and every agent's last
  offer was declined (``rejectSummaryLastOffers``: ``InsufficientCpus``,
  ``UnfulfilledConstraint``, ...).

A failure counts only while it is of the app's current configuration and the app has
not converged: a task that failed once and was replaced is history, not a failure.

What a user sees (``RolloutFailed.reason``, its message, ``instance``), and how fast:

- ``image-pull``: Mesos' pull error from ``lastTaskFailure`` (Docker: ``Failed to launch
  container: Failed to run 'docker ... pull <image>': ...``; UCR: the fetcher's error,
  with `` (image <image>)`` added when it does not name it); the failed instance. As soon
  as the first task fails: ~0.5 s on the emulator (``deployment_seconds=0.5``).
- ``crash-loop``: the exit message (``Container exited with status 1``) and `` (3
  failures)``, once the same instance failed a third time; the emulator takes ~1.3-1.6 s,
  a real Marathon ``backoffSeconds`` (1 s, then x1.15) per restart plus the run time.
- ``configuration``: the agent's message about the secret it could not resolve, or a
  ``TASK_ERROR``; at the first failure (~0.3 s on the emulator).
- ``unschedulable``: the queue's words, ``every agent's last offer was declined:
  InsufficientCpus (2 of 2)``, and what the app asks for; no instance. Marathon sends no
  event for a declined offer, so a wait reads the status at least every 2 s: ~0.3 s on
  the emulator, at most one offer cycle plus 2 s on a real cluster.
- ``health-check``: Marathon's words for the kill of an unhealthy task, after the third
  (the emulator does not model failing health checks); ``progress-deadline`` when a
  deployment this backend started ended without the app converging.

Marathon's own limits: it remembers one failure per app, so a status read by another
process counts a crash loop from the task id's incarnation alone (Marathon 1.8+ ids), and
an app without health checks whose deployment finished while its tasks were briefly
running looks rolled out until a task fails again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from orchsdk import Failure, FailureReason

__all__ = [
    "CRASH_LOOP_FAILURES",
    "declined_offers",
    "instance_of",
    "queue_failure",
    "task_failure",
]

CRASH_LOOP_FAILURES = 3
"""Failures of one instance that make a crash loop: it failed after two restarts."""

_TASK_ID = re.compile(r"(?P<instance>.+)\._app(?:\.(?P<incarnation>\d+))?")
_PULL = re.compile(
    r"\bpull\b|manifest unknown|Failed to fetch|Failed to perform 'curl'|"
    r"Could not resolve host|image .* not found|Failed to provision|repository does not exist",
    re.IGNORECASE,
)
_CONFIGURATION = re.compile(r"secret", re.IGNORECASE)
_HEALTH = re.compile(r"health", re.IGNORECASE)


def instance_of(task_id: str) -> tuple[str, int]:
    """The instance id and incarnation of a task id: ``web.instance-1a._app.2`` is the
    second task of instance ``web.instance-1a`` (Marathon 1.8+); a task id of an older
    form is its own instance, in its first incarnation."""
    match = _TASK_ID.fullmatch(task_id)
    if match is None:
        return task_id, 1
    return match["instance"], int(match["incarnation"] or 1)


def task_failure(failure: Mapping[str, Any], image: str | None, seen: int) -> Failure | None:
    """The failure a ``lastTaskFailure`` of the current configuration stands for, or
    ``None`` while Marathon is only restarting a task. ``image`` is the app's (named in
    the message when Marathon's words do not); ``seen`` how many failed tasks of the
    version this backend saw."""
    message = str(failure.get("message") or "")
    state = str(failure.get("state") or "")
    task = failure.get("taskId")
    instance = instance_of(task)[0] if isinstance(task, str) else None
    if _PULL.search(message):
        if image and image not in message:
            message = f"{message} (image {image})"
        return Failure(FailureReason.IMAGE_PULL, message, instance)
    if _CONFIGURATION.search(message) or state == "TASK_ERROR":
        return Failure(FailureReason.CONFIGURATION, message or state, instance)
    failures = max(instance_of(task)[1] if isinstance(task, str) else 1, seen)
    if failures >= CRASH_LOOP_FAILURES:
        reason = FailureReason.HEALTH_CHECK if _HEALTH.search(message) else FailureReason.CRASH_LOOP
        return Failure(reason, f"{message or state} ({failures} failures)", instance)
    return None


def declined_offers(item: Mapping[str, Any]) -> list[tuple[str, int, int]]:
    """``(reason, declined, processed)`` of each step of the queue item's
    ``rejectSummaryLastOffers`` that declined offers, in Marathon's order."""
    summary = item.get("processedOffersSummary")
    steps = summary.get("rejectSummaryLastOffers") if isinstance(summary, Mapping) else None
    found = []
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, Mapping):
            continue
        declined, processed = step.get("declined"), step.get("processed")
        if isinstance(declined, int) and isinstance(processed, int) and declined > 0:
            found.append((str(step.get("reason")), declined, processed))
    return found


def queue_failure(item: Mapping[str, Any]) -> Failure | None:
    """Unschedulable when the app's queue item is not backed off and every agent's last
    offer was declined; ``None`` while some offer may still be taken."""
    delay = item.get("delay")
    if isinstance(delay, Mapping) and delay.get("overdue") is False:
        return None
    declined = declined_offers(item)
    if not declined:
        return None
    offers = _first_processed(item)
    if offers <= 0 or sum(count for _, count, _ in declined) < offers:
        return None
    reasons = ", ".join(f"{reason} ({count} of {offers})" for reason, count, _ in declined)
    count = item.get("count")
    message = (
        f"{count} instance(s) in Marathon's launch queue; every agent's last offer was "
        f"declined: {reasons}{_asks(item.get('app'))}"
    )
    return Failure(FailureReason.UNSCHEDULABLE, message)


def _first_processed(item: Mapping[str, Any]) -> int:
    """How many last offers (one per agent) the summary covers: its first step's count."""
    summary = item.get("processedOffersSummary")
    steps = summary.get("rejectSummaryLastOffers") if isinstance(summary, Mapping) else None
    first = steps[0] if isinstance(steps, Sequence) and steps else None
    processed = first.get("processed") if isinstance(first, Mapping) else None
    return processed if isinstance(processed, int) else 0


def _asks(app: Any) -> str:
    """``; the app asks for 64 cpus, 64 MiB, constraints [...]`` from the queued app."""
    if not isinstance(app, Mapping):
        return ""
    asks = [f"{app.get('cpus')} cpus", f"{app.get('mem')} MiB"]
    if app.get("gpus"):
        asks.append(f"{app.get('gpus')} gpus")
    if app.get("constraints"):
        asks.append(f"constraints {app.get('constraints')}")
    return "; the app asks for " + ", ".join(asks)
