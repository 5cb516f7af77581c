"""The lock and deployment-wait engine: waiting out the deployments that lock an app.

Marathon refuses a write to an app while deployments run for it (409, :class:`AppLocked`);
the write waits for those deployments to end and tries again, for up to
``lock_timeout`` seconds in all (``force=True`` overrides the lock instead: Marathon
cancels the running deployment). A deployment that cannot finish (its new tasks cannot
start: an image that cannot be pulled, a crash loop, no agent that fits) would hold the
lock for ever, so a write that replaces it overrides its lock at once. A service's label
writes restart the apps they change; its apply waits for those restarts the same way.
The wait follows the event stream when Marathon serves one and polls ``/v2/deployments``
with the core's back-off otherwise.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from orchsdk import Conflict, OrchestratorError, UnexpectedResponse
from orchsdk.retry import before_any_write
from orchsdk.waiting import Backoff
from orchsdk_marathon.config import Settings
from orchsdk_marathon.errors import AppLocked
from orchsdk_marathon.events import ENDINGS, AppEvents, concerns, open_events
from orchsdk_marathon.transport import Reply, Transport

__all__ = ["DeploymentWaits", "deployment_of"]

log = logging.getLogger("orchsdk.marathon")

_POLL_FIRST = 0.05
_POLL_MAX = 1.0
"""Polling ``/v2/deployments`` without a stream: from 50 ms, doubling, to 1 s; and with
a stream, a read at least every second in case an event was missed."""
_ATTACH_WAIT = 1.0
"""Seconds a wait gives Marathon to register a new stream before it reads."""


class DeploymentWaits:
    """Waits for Marathon deployments to end, with the event stream when there is one."""

    def __init__(self, marathon: Transport, settings: Settings) -> None:
        self._marathon = marathon
        self._settings = settings
        self.streams = True
        """Whether to try the event stream (the backend turns it off once it is refused)."""

    def __repr__(self) -> str:
        return f"<DeploymentWaits streams={self.streams}>"

    def send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        body: Any,
        identifier: str,
        stuck: Callable[[], str | None] | None = None,
    ) -> Reply:
        """``method path`` (a write: ``PUT`` or ``POST``), waiting out deployment locks in
        turn, up to ``lock_timeout``.

        ``stuck`` tells why the app's running deployment cannot finish (``None``: it may);
        a lock held by such a deployment is overridden (``force=true``) instead.
        """
        deadline = time.monotonic() + self._settings.lock_timeout
        while True:
            try:
                return self._marathon.request(method, path, params=params, json=body)
            except AppLocked as locked:
                with before_any_write():  # the write was refused; only the wait failed
                    why = stuck() if stuck is not None else None
                    if why is not None:
                        log.warning(
                            "%s: overriding deployment(s) %s, which cannot finish: %s",
                            identifier,
                            ", ".join(locked.deployments) or "(not named)",
                            why,
                        )
                        params = {**params, "force": "true"}
                        continue
                    self._wait_unlocked(identifier, locked, deadline)

    def settle(self, replies: Mapping[str, Reply]) -> None:
        """Waits for the restarts that writes started (Marathon relaunches the tasks of an
        app whose labels change), up to ``lock_timeout``; warns when they still run."""
        started = (deployment_of(reply) for reply in replies.values())
        ids = {deployment for deployment in started if deployment is not None}
        if not ids:
            return
        running = self.wait_for(ids, "", self._settings.lock_timeout)
        if running:
            log.warning(
                "the restart of %s for their service labels is still running after %gs",
                ", ".join(sorted(replies)),
                self._settings.lock_timeout,
            )

    def step(self, ids: tuple[str, ...]) -> str:
        """`` (step 1 of 2)`` for the first running deployment, from ``/v2/deployments``."""
        try:
            deployments = self._marathon.request("GET", "/v2/deployments").json()
        except OrchestratorError:
            return ""
        for item in deployments if isinstance(deployments, list) else []:
            if isinstance(item, Mapping) and item.get("id") in ids:
                return f" (step {item.get('currentStep')} of {item.get('totalSteps')})"
        return ""

    def running(self, ids: Collection[str], identifier: str) -> list[Mapping[str, Any]]:
        """The deployments of ``ids`` still in ``/v2/deployments`` (without ids: the app's)."""
        reply = self._marathon.request("GET", "/v2/deployments")
        running = reply.json()
        if not isinstance(running, list):
            raise UnexpectedResponse(f"{reply.what}: expected a list of deployments")
        return [
            item
            for item in running
            if isinstance(item, Mapping)
            and (
                (isinstance(item.get("id"), str) and item["id"] in ids)
                or (not ids and identifier in (item.get("affectedApps") or []))
            )
        ]

    def wait_for(
        self, ids: Collection[str], identifier: str, timeout: float
    ) -> list[Mapping[str, Any]]:
        """Waits until those deployments are gone from ``/v2/deployments``, or the timeout
        passes; returns the ones still running (empty when all are done).

        Follows the event stream when Marathon serves one: ``/v2/deployments`` is read once
        the stream is attached, then after each end of one of those deployments, and at
        least every second in case an event was missed. Polls with back-off otherwise, and
        after the stream drops.
        """
        deadline = time.monotonic() + timeout
        events = self._deployment_events(ids, identifier, timeout)
        backoff = Backoff(_POLL_FIRST, _POLL_MAX, 2.0)
        try:
            while True:
                running = self.running(ids, identifier)
                remaining = deadline - time.monotonic()
                if not running or remaining <= 0:
                    return running
                if events is not None and not events.ended:
                    events.wait(min(remaining, _POLL_MAX), time.monotonic())
                else:
                    backoff.sleep(deadline)
        finally:
            if events is not None:
                events.close()

    def _deployment_events(
        self, ids: Collection[str], identifier: str, timeout: float
    ) -> AppEvents | None:
        """An attached event stream that tells when one of ``ids`` (without ids: a
        deployment of the app) may have ended; None when Marathon serves none now."""
        if not self.streams:
            return None

        def ended(event: Mapping[str, Any]) -> bool:
            if event.get("eventType") not in ENDINGS:
                return False
            return event.get("id") in ids if ids else concerns(event, identifier)

        try:
            events = open_events(
                self._marathon,
                self._settings.timeout,
                identifier or ", ".join(sorted(ids)),
                timeout,
                ended,
            )
        except OrchestratorError as error:
            log.debug("no event stream to wait for deployments (%s); polling", error)
            return None
        if events.attached(min(_ATTACH_WAIT, timeout)):
            return events
        events.close()
        return None

    def _wait_unlocked(self, identifier: str, locked: AppLocked, deadline: float) -> None:
        """Waits until the deployments that lock an app are gone from ``/v2/deployments``,
        until ``deadline`` (a ``time.monotonic()``)."""
        log.info("%s is locked by deployment(s) %s; waiting", identifier, locked.deployments)
        remaining = deadline - time.monotonic()
        if remaining > 0:
            running = self.wait_for(locked.deployments, identifier, remaining)
            blocking = [str(item.get("id")) for item in running]
        else:
            blocking = list(locked.deployments) or ["(not named)"]
        if blocking:
            raise Conflict(
                f"{identifier} is still locked by deployment(s) "
                f"{', '.join(blocking)} after "
                f"{self._settings.lock_timeout:g}s; wait longer (lock_timeout) or connect "
                "with force=True to cancel them",
                reason="locked",
            ) from locked


def deployment_of(reply: Reply) -> str | None:
    """The id of the deployment a write started (``deploymentId``, or an AppInfo's first)."""
    try:
        document = reply.json()
    except OrchestratorError:
        return None
    if not isinstance(document, Mapping):
        return None
    deployment = document.get("deploymentId")
    listed = document.get("deployments")
    if deployment is None and isinstance(listed, list) and listed:
        first = listed[0]
        deployment = first.get("id") if isinstance(first, Mapping) else None
    return deployment if isinstance(deployment, str) else None
