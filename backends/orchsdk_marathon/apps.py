"""The Deployment kind handler: a deployment is a Marathon app, ``/<namespace>/<name>``.

Writes are ``PUT /v2/apps/{id}?partialUpdate=false`` (create or replace); an apply that
would change nothing sends no write. The app sent carries the labels of the services
that select it. A write whose answer was lost (the connection dropped or timed out after
sending) is resolved by reading back (:func:`orchsdk.retry.confirm_lost_write`). Status,
instances, scale and rollback are the app's too, and so is the status stream: the
app's events on ``GET /v2/events``.

Why a rollout cannot finish (:mod:`~orchsdk_marathon.failures`) is read with the status:
the app with its tasks and ``lastTaskFailure`` (one request), and ``/v2/queue`` only
while the app has fewer tasks than instances (a second one).
"""

from __future__ import annotations

import builtins
import logging
import time
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from orchsdk import (
    Action,
    BackendUnavailable,
    Comparison,
    Conflict,
    Deployment,
    DeploymentStatus,
    Event,
    Failure,
    Instance,
    OrchestratorError,
    Phase,
    Revision,
    Service,
)
from orchsdk.backend import rollback_revision
from orchsdk.retry import before_any_write, confirm_lost_write
from orchsdk_marathon import labels as L
from orchsdk_marathon.app_definition import definition, render_app
from orchsdk_marathon.app_requests import AppRequests, app_labels, app_path
from orchsdk_marathon.compare import as_compared, matches
from orchsdk_marathon.config import Settings
from orchsdk_marathon.events import AppEvents, open_events
from orchsdk_marathon.failures import instance_of, queue_failure, task_failure
from orchsdk_marathon.history import Numbered, VersionFacts, facts_of, number_versions
from orchsdk_marathon.kinds import not_found
from orchsdk_marathon.memory import BoundedMemory
from orchsdk_marathon.parse import parse_app, user_labels
from orchsdk_marathon.render import app_id
from orchsdk_marathon.reports import app_events
from orchsdk_marathon.services import records_on, selects, without_services
from orchsdk_marathon.status import (
    AppState,
    instances_of,
    sorted_versions,
    status_of,
    task_ready,
)
from orchsdk_marathon.support import REASONS

__all__ = ["Apps"]

Json = dict[str, Any]
log = logging.getLogger("orchsdk.marathon")

_STATUS_EMBED = ["app.tasks", "app.deployments", "app.lastTaskFailure"]
_VERSION_FIELDS = frozenset({"version", "versionInfo"})
_WATCH_INTERVAL = 0.25
"""Seconds a watch lets pass between reads for events other than a deployment's end: a
burst of task updates makes one read."""
_ATTACH_WAIT = 1.0
"""Seconds a watch gives Marathon to register a new stream before it reads the status."""
_UPDATES = 100
"""Task status updates kept per app for :meth:`Apps.events`."""
_RECHECK = 2.0
"""Seconds a watch waits for an event before it reads the status anyway: Marathon sends
none when it declines offers, so an app that no agent can hold shows only in a read."""


class Apps:
    """Deployments as Marathon apps (see the module)."""

    def __init__(self, requests: AppRequests, settings: Settings) -> None:
        self._requests = requests
        self._settings = settings
        self._before_lost: BoundedMemory[str, Json | None] = BoundedMemory()
        """App id -> the app (None: none) before an apply whose outcome stayed unknown."""
        self._revisions: BoundedMemory[tuple[str, str], int] = BoundedMemory()
        """(app id, config version) -> its revision: a version's number never changes."""
        self._facts: BoundedMemory[tuple[str, str], VersionFacts] = BoundedMemory()
        """(app id, version) -> what numbering needs of it: a stored version never changes."""
        self._failed: BoundedMemory[tuple[str, str], frozenset[str]] = BoundedMemory()
        """(app id, config version) -> the failed tasks of it that status reads saw."""
        self._updates: BoundedMemory[str, tuple[Json, ...]] = BoundedMemory()
        """App id -> the last task status updates a watch saw on the event stream."""

    def __repr__(self) -> str:
        return f"<Apps {self._requests.marathon!r}>"

    # -- the kind handler --------------------------------------------------------

    def render(self, spec: Deployment) -> builtins.list[Json]:
        return [render_app(spec, containerizer=self._settings.containerizer)]

    def rule_errors(self, spec: Deployment) -> tuple[Any, ...]:
        """Marathon's rules (and a ``native`` patch's) that ``spec`` breaks; pure."""
        return definition(spec, self._settings.containerizer).errors

    def compare(self, spec: Deployment) -> Comparison:
        """The stored app as apply compares it (:func:`as_compared`), and the app apply
        would write, services' labels included."""
        _, current, document = self._desired_app(spec)
        live = None if current is None else [as_compared(document, current)]
        return Comparison(live, [document])

    def apply(self, spec: Deployment) -> Action:
        """Writes the app unless the stored one matches; says what changed since before.

        "Before" is the app as read now, or, when an earlier apply of it lost both its
        answer and its read-back, the app as it was before that apply: the retry then
        reports what the lost try did, not *unchanged*.
        """
        identifier, current, document = self._desired_app(spec)
        lost = identifier in self._before_lost
        before = self._before_lost.pop(identifier, current) if lost else current
        if current is not None and matches(document, current):
            return _action_since(before, document)

        def write() -> Action:
            reply = self._requests.write(
                identifier, document, partial=False, stuck=lambda: self._stuck(identifier)
            )
            if reply.status == 201 or (lost and before is None):
                return Action.CREATED
            return Action.UPDATED  # (also when another client created it since our read)

        def landed() -> Action | None:
            return _action_since(before, document) if self._landed(identifier, document) else None

        try:
            return confirm_lost_write(write, landed, what=identifier)
        except BackendUnavailable as error:
            if lost or error.acted is not False:
                self._before_lost.put(identifier, before)
            raise
        except OrchestratorError:
            if lost:
                self._before_lost.put(identifier, before)
            raise

    def get(self, name: str, namespace: str, *, reveal: bool) -> Deployment:
        app = self._requests.app(app_id(name, namespace))
        if app is None:
            raise not_found("Deployment", name, namespace)
        return parse_app(app, namespace, containerizer=self._settings.containerizer)

    def list(self, namespace: str, *, reveal: bool) -> builtins.list[Deployment]:
        containerizer = self._settings.containerizer
        return [
            parse_app(app, namespace, containerizer=containerizer)
            for app in self._requests.apps(namespace)
        ]

    def delete(self, name: str, namespace: str) -> None:
        identifier = app_id(name, namespace)
        current = self._requests.app(identifier)
        if current is None:
            raise not_found("Deployment", name, namespace)
        services = records_on(app_labels(current), namespace)
        if services:
            log.warning(
                "deleting %s also removes it from service(s) %s; a service that selects "
                "no other app goes with it",
                identifier,
                ", ".join(sorted(services)),
            )
        marathon = self._requests.marathon
        reply = marathon.request("DELETE", "/v2/apps/" + app_path(identifier), accept=(404,))
        if reply.status == 404 and not reply.resent:
            raise not_found("Deployment", name, namespace)
        self._requests.ours.pop(identifier)

    # -- deployment verbs --------------------------------------------------------

    def scale(self, name: str, namespace: str, replicas: int) -> None:
        identifier = app_id(name, namespace)
        # Marathon's PUT is an upsert: read first, so a missing app is NotFound, not a 422.
        self._requests.app_required(identifier, name, namespace, [])
        self._requests.write(
            identifier, {"instances": replicas}, partial=True, stuck=lambda: self._stuck(identifier)
        )

    def status(self, name: str, namespace: str) -> DeploymentStatus:
        identifier = app_id(name, namespace)
        app = self._requests.app_required(identifier, name, namespace, _STATUS_EMBED)
        state = AppState.of(app)
        revision = self._revision(identifier, state.config)
        ours = self._requests.ours.get(identifier)
        ours_ended = ours is not None and ours not in state.deployments
        step = self._requests.waits.step(state.deployments) if state.deployments else ""
        failure = self._failure(identifier, state)
        status = status_of(
            name, namespace, state, revision, ours_ended=ours_ended, step=step, failure=failure
        )
        if ours is not None and ours_ended and status.phase is Phase.COMPLETE:
            self._requests.ours.forget_if(identifier, ours)
        return status

    def instances(self, name: str, namespace: str) -> builtins.list[Instance]:
        identifier = app_id(name, namespace)
        app = self._requests.app_required(identifier, name, namespace, _STATUS_EMBED)
        state = AppState.of(app)
        numbered, facts = self._numbered(identifier, state.config)
        failure = self._failure(identifier, state, queue=False)

        def revision_of(version: str) -> int:
            known = facts.get(version)
            return numbered.number(known.config if known is not None else version)

        return instances_of(name, namespace, state, revision_of, failure)

    def history(self, name: str, namespace: str) -> builtins.list[Revision]:
        """The app's revisions (:mod:`~orchsdk_marathon.history`): its versions list, and
        each version not seen before (a stored version never changes)."""
        identifier = app_id(name, namespace)
        app = self._requests.app_required(identifier, name, namespace, [])
        numbered, _ = self._numbered(identifier, AppState.of(app).config)
        return list(numbered.history)

    def events(self, name: str, namespace: str) -> builtins.list[Event]:
        """What Marathon keeps about the app (see :mod:`~orchsdk_marathon.reports`): two
        requests, the app and the launch queue."""
        identifier = app_id(name, namespace)
        app = self._requests.app_required(identifier, name, namespace, _STATUS_EMBED)
        queued = self._requests.queued(identifier, offers=True)
        return app_events(name, app, queued, self._updates.get(identifier) or ())

    def gone(self, name: str, namespace: str) -> bool:
        """Whether the app is gone and so are its tasks: Marathon removes a deleted app at
        once and kills its tasks in a deployment, which ends once they are all gone."""
        identifier = app_id(name, namespace)
        if self._requests.app(identifier) is not None:
            return False
        return not self._requests.waits.running((), identifier)

    def rollback(self, name: str, namespace: str, revision: int | None) -> None:
        """``PUT {"version": <older version>}``. Rolling back is not safe to repeat (a second
        "previous" is one further back), so a write whose answer was lost is resolved by
        reading the app back; failures before the write say ``acted=False``."""
        identifier = app_id(name, namespace)
        with before_any_write():
            app = self._requests.app_required(identifier, name, namespace, [])
            numbered, _ = self._numbered(identifier, AppState.of(app).config)
        current = numbered.number(AppState.of(app).config)
        target = numbered.targets[rollback_revision(name, revision, numbered.targets, current)]
        confirm_lost_write(
            lambda: self._requests.write(identifier, {"version": target}, partial=None),
            lambda: True if self._rolled_back(identifier, app, target) else None,
            what=identifier,
        )

    def restart(self, name: str, namespace: str) -> None:
        """``POST /v2/apps/{id}/restart``: Marathon makes a new config version of the same
        definition and replaces the tasks by the app's upgrade strategy. A restart whose
        answer was lost is resolved by reading the app back: its config version moved on."""
        identifier = app_id(name, namespace)
        with before_any_write():
            before = self._requests.app_required(identifier, name, namespace, [])
        confirm_lost_write(
            lambda: self._requests.restart(identifier, stuck=lambda: self._stuck(identifier)),
            lambda: True if self._config_moved(identifier, before) else None,
            what=identifier,
        )

    def _config_moved(self, identifier: str, before: Json) -> bool:
        now = self._requests.app(identifier)
        return now is not None and AppState.of(now).config != AppState.of(before).config

    def watch_status(self, name: str, namespace: str, timeout: float) -> Iterator[DeploymentStatus]:
        """Follows the app through Marathon's event stream (``GET /v2/events``).

        Yields the status read once the stream is attached, then a fresh one each time an
        event about the app arrives: at once after one of its deployments ends, else at
        most every 250 ms. Ends when the stream ends, after ``timeout`` seconds, or when a
        status read fails; the core reads the status again and reopens, with its own
        back-off. When the stream cannot be opened it ends at once; when Marathon refuses
        it for good (no permission to read events, a proxy that does not carry it, only
        standby servers), the backend's ``status_stream`` capability turns off, and waits
        poll. Closing the generator closes the stream.
        """
        waits = self._requests.waits
        if not waits.streams:
            return
        deadline = time.monotonic() + timeout
        identifier = app_id(name, namespace)
        try:
            events = open_events(
                self._requests.marathon,
                self._settings.timeout,
                identifier,
                timeout,
                seen=lambda event: self._saw(identifier, event),
            )
        except BackendUnavailable:
            return
        except OrchestratorError as refused:
            log.info("%s: no event stream (%s); waits poll its status", identifier, refused)
            waits.streams = False
            return
        try:
            yield from self._follow(events, name, namespace, deadline)
        finally:
            events.close()

    # -- helpers -----------------------------------------------------------------

    def _follow(
        self, events: AppEvents, name: str, namespace: str, deadline: float
    ) -> Iterator[DeploymentStatus]:
        """Yields the status once the stream is attached, then after each change it tells
        of, until the deadline, the stream's end, or a failed status read."""
        events.attached(min(_ATTACH_WAIT, deadline - time.monotonic()))
        while True:
            try:
                status = self.status(name, namespace)
            except BackendUnavailable:
                return
            calm_until = time.monotonic() + _WATCH_INTERVAL
            yield status
            remaining = deadline - time.monotonic()
            changed = events.wait(min(remaining, _RECHECK), calm_until)
            if not changed and (events.ended or remaining <= _RECHECK):
                return

    def _saw(self, identifier: str, event: Mapping[str, Any]) -> None:
        """Keeps a task status update of the app (the last :data:`_UPDATES` of them)."""
        if event.get("eventType") == "status_update_event":
            kept = (*(self._updates.get(identifier) or ()), dict(event))
            self._updates.put(identifier, kept[-_UPDATES:])

    def _stuck(self, identifier: str) -> str | None:
        """Why the app's running deployment cannot finish (its failure), or None."""
        app = self._requests.app(identifier, _STATUS_EMBED)
        if app is None:
            return None
        failure = self._failure(identifier, AppState.of(app))
        return None if failure is None else str(failure)

    def _failure(self, identifier: str, state: AppState, *, queue: bool = True) -> Failure | None:
        """Why the app's new tasks cannot start, if it has not converged: its
        ``lastTaskFailure`` of the current configuration (unless that instance runs again
        and is ready), else, with ``queue``, its ``/v2/queue`` item."""
        if state.converged or state.instances == 0:
            return None
        last = state.last_failure
        if last is not None:
            task = str(last.get("taskId", ""))
            key = (identifier, state.config)
            seen = (self._failed.get(key) or frozenset()) | {task}
            self._failed.put(key, seen)
            instance = instance_of(task)[0]
            recovered = any(
                instance_of(str(live.get("id", "")))[0] == instance
                and task_ready(live, state.checks)
                for live in state.tasks
            )
            failure = None if recovered else task_failure(last, state.image, len(seen))
            if failure is not None:
                return failure
        if queue and state.missing and not state.terminating:
            item = self._requests.queued(identifier)
            if item is not None:
                return queue_failure(item)
        return None

    def _desired_app(self, spec: Deployment) -> tuple[str, Json | None, Json]:
        """The app's id, the app as stored (None when new) and the app apply would write."""
        namespace = spec.namespace or self._settings.namespace
        identifier = app_id(spec.name, namespace)
        current = self._requests.app(identifier)
        services = self._services_selecting(spec, current, namespace)
        document = render_app(spec, services=services, containerizer=self._settings.containerizer)
        return identifier, current, document

    def _services_selecting(
        self, spec: Deployment, current: Json | None, namespace: str
    ) -> Collection[Service]:
        """The namespace's services whose selector matches the deployment's labels.

        When the app exists with the same labels and every service recorded on it still
        selects it, those records are the answer: a service that selects these labels
        was put on the app when either of them was applied. Only a new app or new labels
        need the namespace's service carriers, one request whose answer grows with the
        namespace, and the check that no service is left selecting nothing.
        """
        if current is not None:
            base, recorded = without_services(current, namespace)
            if user_labels(base) == dict(spec.labels) and all(
                selects(service, spec.labels) for service in recorded.values()
            ):
                return recorded.values()
        carriers = self._requests.service_carriers(namespace)
        if current is not None:
            _check_orphans(spec, current, carriers, namespace)
        services: dict[str, Service] = {}
        for app in carriers:
            for name, service in records_on(app_labels(app), namespace).items():
                services.setdefault(name, service)
        return services.values()

    def _landed(self, identifier: str, document: Json) -> bool:
        """Whether a write whose answer was lost did land: the app reads back as sent.

        Then the apply is reported for what it did (created, updated) rather than retried
        and reported "unchanged"; its deployment is remembered for status.
        """
        after = self._requests.app(identifier, ["app.deployments"])
        if after is None or not matches(document, after):
            return False
        deployments = after.get("deployments")
        if isinstance(deployments, list) and deployments:
            first = deployments[0]
            if isinstance(first, Mapping) and isinstance(first.get("id"), str):
                self._requests.ours.put(identifier, first["id"])
        return True

    def _revision(self, identifier: str, config: str) -> int:
        """The revision of a config version; remembered, as a version's number never changes."""
        key = (identifier, config)
        cached = self._revisions.get(key)
        if cached is not None:
            return cached
        return self._numbered(identifier, config)[0].number(config)

    def _numbered(self, identifier: str, config: str) -> tuple[Numbered, dict[str, VersionFacts]]:
        """The app's numbered revisions, and the facts of each of its versions: the
        versions list, and ``GET .../versions/{v}`` for each version not seen before."""
        versions = sorted_versions(self._requests.versions(identifier))
        facts = {}
        for version in versions:
            known = self._facts.get((identifier, version))
            if known is None:
                known = facts_of(version, self._requests.version(identifier, version))
                self._facts.put((identifier, version), known)
            facts[version] = known
        numbered = number_versions(versions, facts, config)
        for seen, number in numbered.numbers.items():
            self._revisions.put((identifier, seen), number)
        return numbered, facts

    def _rolled_back(self, identifier: str, before: Json, target: str) -> bool:
        """Whether the app's configuration moved on since ``before`` and is now the one of
        version ``target``."""
        wanted = self._requests.version(identifier, target)
        now = self._requests.app(identifier)
        if not isinstance(wanted, dict) or now is None:
            return False
        if AppState.of(now).config == AppState.of(before).config:
            return False
        sent = {key: value for key, value in wanted.items() if key not in _VERSION_FIELDS}
        return matches(sent, now)


def _check_orphans(
    spec: Deployment, current: Json, carriers: builtins.list[Json], namespace: str
) -> None:
    """Refuses a relabel that would leave a service selecting no app at all."""
    identifier = current.get("id")
    for name, service in records_on(app_labels(current), namespace).items():
        if selects(service, spec.labels):
            continue
        others = [
            app
            for app in carriers
            if app.get("id") != identifier and L.SERVICE + name in app_labels(app)
        ]
        if not others:
            raise Conflict(
                f"applying Deployment {spec.name!r} would leave Service {name!r} selecting "
                f"no app, and {REASONS['standalone_services']} "
                "(capability standalone_services is off): delete the service first, or "
                "keep labels that match its selector"
            )


def _action_since(before: Json | None, document: Json) -> Action:
    """What writing ``document`` did to an app that was ``before`` (None: no app)."""
    if before is None:
        return Action.CREATED
    return Action.UNCHANGED if matches(document, before) else Action.UPDATED
