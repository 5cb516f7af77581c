"""An app's launch queue, as ``GET /v2/queue`` shows it: the instances Marathon still has
to launch, the back-off that delays them, and the offers it could not use for them.

An instance waits here when it is new or its task failed; it leaves once a task of it
is staged. After a failure Marathon delays the next launch of the app's version by
``backoffSeconds * backoffFactor ** (failures - 1)``, at most ``maxLaunchDelaySeconds``
(``RateLimiter``); a new version starts again from no delay. The emulator counts these
delays in clock ticks, scaled (``backoff_scale``), so that a test's crash loop takes
well under a second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from orchsdk_marathon.testing.agents import funnel_summary

__all__ = ["LaunchQueue", "Pending"]

Json = dict[str, Any]


@dataclass
class Pending:
    """One instance to launch: ``instance`` is the id of a failed one launched again
    (``None``: a new instance), under ``definition`` (the version it runs)."""

    definition: Json
    instance: str | None = None
    incarnation: int = 1

    @property
    def config(self) -> str:
        return str(self.definition["versionInfo"]["lastConfigChangeAt"])


@dataclass
class LaunchQueue:
    """What ``/v2/queue`` knows of one app (see the module)."""

    pending: list[Pending] = field(default_factory=list)
    since: str | None = None
    processed: int = 0
    unused: int = 0
    last_used_at: str | None = None
    last_unused_at: str | None = None
    last_offers: dict[int, tuple[Json, list[str], str]] = field(default_factory=dict)
    """Agent index -> its last offer, the reasons it was declined, when."""
    attempt: dict[tuple[str, ...], int] = field(default_factory=dict)
    """How many offers of this launch attempt were declined for each set of reasons."""
    backoff_config: str = ""
    failures: int = 0
    delay_ticks: int = 0

    def add(self, pending: Pending, now: str) -> None:
        """Queues an instance; the first one starts a launch attempt."""
        if not self.pending:
            self.since = now
            self.processed = self.unused = 0
            self.last_used_at = self.last_unused_at = None
            self.last_offers.clear()
            self.attempt.clear()
        self.pending.append(pending)

    def offered(self, agent: int, offer: Json, reasons: list[str], now: str) -> None:
        """Records one processed offer and why it was declined (empty: it was used)."""
        self.processed += 1
        self.last_offers[agent] = (offer, reasons, now)
        self.attempt[tuple(reasons)] = self.attempt.get(tuple(reasons), 0) + 1
        if reasons:
            self.unused += 1
            self.last_unused_at = now
        else:
            self.last_used_at = now

    def failed(self, definition: Json, tick_seconds: float, scale: float) -> None:
        """A task of ``definition`` failed: the app's next launch is delayed, longer each
        time for the same version."""
        config = str(definition["versionInfo"]["lastConfigChangeAt"])
        if config != self.backoff_config:
            self.backoff_config, self.failures = config, 0
        self.failures += 1
        base = float(definition.get("backoffSeconds", 1))
        factor = float(definition.get("backoffFactor", 1.15))
        ceiling = float(definition.get("maxLaunchDelaySeconds", 300))
        delay = min(base * factor ** (self.failures - 1), ceiling) * scale
        self.delay_ticks = math.ceil(delay / tick_seconds - 1e-9)

    def to_json(self, app: Json, tick_seconds: float, *, offers: bool) -> Json:
        """The app's ``QueueApp`` item (``raml/v2/types/queue.raml``); ``offers`` embeds
        ``lastUnusedOffers``."""
        summary: Json = {"processedOffersCount": self.processed, "unusedOffersCount": self.unused}
        if self.last_unused_at is not None:
            summary["lastUnusedOfferAt"] = self.last_unused_at
        if self.last_used_at is not None:
            summary["lastUsedOfferAt"] = self.last_used_at
        if self.processed:
            last = [(reasons, 1) for _, reasons, _ in self.last_offers.values()]
            summary["rejectSummaryLastOffers"] = funnel_summary(last)
            summary["rejectSummaryLaunchAttempt"] = funnel_summary(self.attempt.items())
        item: Json = {
            "app": app,
            "count": len(self.pending),
            "role": "*",
            "delay": {
                "timeLeftSeconds": math.ceil(self.delay_ticks * tick_seconds),
                "overdue": self.delay_ticks <= 0,
            },
            "since": self.since,
            "processedOffersSummary": summary,
        }
        if offers:
            item["lastUnusedOffers"] = [
                {"offer": offer, "reason": reasons, "timestamp": when}
                for offer, reasons, when in self.last_offers.values()
                if reasons
            ]
        return item
