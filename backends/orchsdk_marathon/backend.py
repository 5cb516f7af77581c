"""The Marathon backend: orchsdk's contract on Marathon's REST API and the DC/OS secret store.

The pure parts (render, parse, services, status) decide; this module fetches, compares
and writes. Writes are ``PUT /v2/apps/{id}?partialUpdate=false`` (create or replace);
an apply that would change nothing sends no write. A write refused because the app is
locked by running deployments (409) waits for those deployments to end and tries again,
for up to ``lock_timeout`` seconds in all; ``force=True`` overrides the lock instead
(Marathon cancels the running deployment), and only when asked. A write whose answer was
lost (the connection dropped or timed out after sending) is resolved by reading back.
"""

from __future__ import annotations

import builtins
import logging
import re
import threading
import time
from collections.abc import Callable, Collection, Generator, Iterable, Iterator, Mapping
from typing import Any, ClassVar, TypeVar

from orchsdk import (
    REDACTED,
    Action,
    Autoscaler,
    Backend,
    BackendUnavailable,
    Capabilities,
    Comparison,
    ConfigMap,
    Conflict,
    Deployment,
    DeploymentStatus,
    Endpoint,
    Instance,
    NotFound,
    OrchestratorError,
    Phase,
    Resource,
    Secret,
    Service,
    Unsupported,
    UnsupportedFeature,
)
from orchsdk_marathon import labels as L
from orchsdk_marathon.compare import as_compared, matches
from orchsdk_marathon.config import Settings, parse_url
from orchsdk_marathon.errors import AppLocked, UnexpectedResponse, reads_answers
from orchsdk_marathon.events import ENDINGS, WATCHED, AppEvents, concerns
from orchsdk_marathon.parse import parse_app, split_app_id, user_labels
from orchsdk_marathon.render import app_id, render_app, render_secret
from orchsdk_marathon.secret_store import SecretStore
from orchsdk_marathon.services import (
    records_on,
    render_service,
    selects,
    with_services,
    without_services,
)
from orchsdk_marathon.status import (
    AppState,
    endpoints_of,
    instances_of,
    revision_of,
    sorted_versions,
    status_of,
)
from orchsdk_marathon.support import capabilities_for, unsupported_fields
from orchsdk_marathon.transport import Reply, SessionBox, Transport, quote_path

__all__ = ["MarathonBackend"]

R = TypeVar("R", bound=Resource)
K = TypeVar("K")
V = TypeVar("V")
Json = dict[str, Any]
log = logging.getLogger("orchsdk.marathon")

_STATUS_EMBED = ["app.tasks", "app.deployments", "app.lastTaskFailure"]
_VERSION_FIELDS = frozenset({"version", "versionInfo"})
_LOCK_POLL_FIRST = 0.05
_LOCK_POLL_MAX = 1.0
_MEMORY_BOUND = 4096
"""Entries each of the backend's memories holds at most before it starts again."""
_WATCH_INTERVAL = 0.25
"""Seconds a wait lets pass between reads for events other than a deployment's end (a
burst of task updates makes one read), and its polling interval without a stream."""
_WATCH_POLL_FIRST = 0.02
_ATTACH_WAIT = 1.0
"""Seconds a wait gives Marathon to register a new stream before it reads the status."""
_STREAM_QUICK_END = 0.1
"""A stream that ends sooner than this is opened again only after as long (no spinning)."""


class MarathonBackend(Backend):
    """orchsdk on Marathon: ``orchsdk.connect("marathon+https://host:8080,host2:8080/")``.

    Options (in the URL's query or as keywords): ``username``/``password`` (basic auth) or
    ``token`` (a DC/OS ACS token; also read from ``DCOS_ACS_TOKEN``), ``verify`` (TLS
    verification, on by default: ``False`` or a CA bundle path), ``secret_store`` (the
    DC/OS secret store API, e.g. ``https://master.mesos/secrets/v1``; secrets are off
    without it), ``timeout`` (seconds, or ``(connect, read)``), ``namespace`` (the default
    Marathon group), ``force`` (override deployment locks), ``containerizer`` (``docker``,
    the default, or ``mesos`` for the UCR, which secret files and GPUs need) and
    ``lock_timeout`` (seconds to wait for a locked app's deployments).
    """

    name: ClassVar[str] = "marathon"

    def __init__(self, settings: Settings | None = None, **options: Any) -> None:
        if settings is None:
            settings = parse_url(options.pop("url", "marathon+http://localhost:8080"), options)
        elif options:
            raise TypeError("pass either settings or options, not both")
        self.settings = settings
        self._box = SessionBox(settings)
        self._marathon = Transport(settings.servers, settings, self._box)
        self._secrets: SecretStore | None = None
        if settings.secret_store is not None:
            store = Transport((settings.secret_store,), settings, self._box)
            self._secrets = SecretStore(store)
        self._lock = threading.Lock()
        self._info_lock = threading.Lock()
        self._features: tuple[str, ...] | None = None
        self._ours: dict[str, str] = {}
        """App id -> the last deployment this backend started for it."""
        self._before_lost: dict[str, Json | None] = {}
        """App id -> the app (None: none) before an apply whose outcome stayed unknown."""
        self._revisions: dict[tuple[str, str], int] = {}
        self._secret_keys_known: dict[tuple[str, str], frozenset[str]] = {}
        """(namespace, secret) -> the keys this backend last wrote or listed there."""

    @classmethod
    def from_url(cls, url: str, **options: Any) -> MarathonBackend:
        """``marathon+http(s)://[user:pass@]host[:port][,host2...][/path][?option=value...]``."""
        return cls(parse_url(url, options))

    def __repr__(self) -> str:
        s = self.settings
        return (
            f"<MarathonBackend {', '.join(s.servers)} namespace={s.namespace!r} "
            f"auth={s.auth_kind} secret_store={s.secret_store!r}>"
        )

    @property
    def default_namespace(self) -> str:
        return self.settings.namespace

    def close(self) -> None:
        self._box.close()

    # -- capabilities ------------------------------------------------------------

    @property
    def capabilities(self) -> Capabilities:
        """Read from ``/v2/info`` once (when the answer matters: a secret store or the UCR)."""
        needs_info = self._secrets is not None or self.settings.containerizer == "mesos"
        features = self._info_features() if needs_info else None
        return capabilities_for(
            secret_store=self._secrets is not None,
            features=features,
            containerizer=self.settings.containerizer,
        )

    def _info_features(self) -> tuple[str, ...]:
        # One read for all the threads that ask at once (its own lock: the request is slow).
        with self._info_lock:
            if self._features is not None:
                return self._features
            info = self._marathon.request("GET", "/v2/info").json()
            config = info.get("marathon_config") if isinstance(info, Mapping) else None
            features = config.get("features") if isinstance(config, Mapping) else None
            if not isinstance(features, list):
                raise UnexpectedResponse("GET /v2/info: no marathon_config.features list")
            self._features = tuple(str(feature) for feature in features)
            return self._features

    def unsupported(self, resource: Resource) -> builtins.list[Unsupported]:
        return builtins.list(unsupported_fields(resource))

    # -- render ------------------------------------------------------------------

    def render(self, resource: Resource) -> builtins.list[dict[str, Any]]:
        if isinstance(resource, Deployment):
            return [render_app(resource, containerizer=self.settings.containerizer)]
        if isinstance(resource, Service):
            return [render_service(resource)]
        if isinstance(resource, Secret):
            return render_secret(resource)
        raise self._kind_unsupported(type(resource), resource.name)

    def _cannot_exist(self, kind: type[Resource], name: str, namespace: str) -> NotFound:
        """Reads and deletes of a kind this Marathon cannot hold: there is none of them."""
        reason = self._kind_unsupported(kind, name).reason
        return NotFound(f"{kind.kind} {name!r} not found in namespace {namespace!r} ({reason})")

    def _kind_unsupported(self, kind: type[Resource], name: str) -> UnsupportedFeature:
        capability = {ConfigMap: "config_maps", Autoscaler: "autoscalers", Secret: "secrets"}
        reason = self.capabilities.reason(capability.get(kind, kind.kind.lower()))
        return UnsupportedFeature(self.name, f"{kind.kind} {name!r}", kind.kind, reason)

    # -- apply -------------------------------------------------------------------

    @reads_answers
    def apply(self, resource: Resource) -> Action:
        assert resource.namespace is not None, "the core sets the namespace"
        if isinstance(resource, Deployment):
            return self._apply_deployment(resource)
        if isinstance(resource, Service):
            return self._apply_service(resource)
        if isinstance(resource, Secret):
            return self._apply_secret(resource)
        raise self._kind_unsupported(type(resource), resource.name)

    def _apply_deployment(self, spec: Deployment) -> Action:
        """Writes the app unless the stored one matches; says what changed since before.

        "Before" is the app as read now, or, when an earlier apply of it lost both its
        answer and its read-back (:meth:`_landed`), the app as it was before that apply:
        the retry then reports what the lost try did, not *unchanged*.
        """
        identifier, current, document = self._desired_app(spec)
        with self._lock:
            lost = identifier in self._before_lost
            before = self._before_lost.pop(identifier, current)
        if current is not None and matches(document, current):
            return _action_since(before, document)
        try:
            reply = self._write(identifier, document, partial=False)
        except BackendUnavailable as error:
            if error.acted is not False and self._landed(identifier, document):
                return _action_since(before, document)
            if lost or error.acted is not False:
                self._remember_before_lost(identifier, before)
            raise
        except OrchestratorError:
            if lost:
                self._remember_before_lost(identifier, before)
            raise
        if reply.status == 201 or (lost and before is None):
            return Action.CREATED
        return Action.UPDATED  # (also when another client created it since our read)

    def _remember_before_lost(self, identifier: str, before: Json | None) -> None:
        """Keeps the app as it was before an apply whose outcome is unknown."""
        with self._lock:
            _keep_bounded(self._before_lost, identifier, before)

    def _desired_app(self, spec: Deployment) -> tuple[str, Json | None, Json]:
        """The app's id, the app as stored (None when new) and the app apply would write."""
        namespace = spec.namespace or self.default_namespace
        identifier = app_id(spec.name, namespace)
        current = self._app(identifier)
        services = self._services_selecting(spec, current, namespace)
        document = render_app(spec, services=services, containerizer=self.settings.containerizer)
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
        carriers = self._service_carriers(namespace)
        if current is not None:
            self._check_orphans(spec, current, carriers, namespace)
        services: dict[str, Service] = {}
        for app in carriers:
            for name, service in records_on(_labels(app), namespace).items():
                services.setdefault(name, service)
        return services.values()

    @reads_answers
    def compare(self, resource: Resource) -> Comparison:
        """A deployment's stored app as apply compares it (:func:`as_compared`), and the
        app apply would write, services' labels included; other kinds as the default."""
        if not isinstance(resource, Deployment):
            return super().compare(resource)
        _, current, document = self._desired_app(resource)
        live = None if current is None else [as_compared(document, current)]
        return Comparison(live, [document])

    def _landed(self, identifier: str, document: Json) -> bool:
        """Whether a write whose answer was lost did land: the app reads back as sent.

        Then the apply is reported for what it did (created, updated) rather than retried
        and reported "unchanged"; its deployment is remembered for status.
        """
        try:
            after = self._app(identifier, ["app.deployments"])
        except OrchestratorError:
            return False
        if after is None or not matches(document, after):
            return False
        log.info("%s: the answer was lost, but the app reads back as sent", identifier)
        deployments = after.get("deployments")
        if isinstance(deployments, builtins.list) and deployments:
            first = deployments[0]
            if isinstance(first, Mapping) and isinstance(first.get("id"), str):
                with self._lock:
                    self._ours[identifier] = first["id"]
        return True

    def _check_orphans(
        self, spec: Deployment, current: Json, carriers: builtins.list[Json], namespace: str
    ) -> None:
        """Refuses a relabel that would leave a service selecting no app at all."""
        identifier = current.get("id")
        for name, service in records_on(_labels(current), namespace).items():
            if selects(service, spec.labels):
                continue
            others = [
                app
                for app in carriers
                if app.get("id") != identifier and L.SERVICE + name in _labels(app)
            ]
            if not others:
                raise Conflict(
                    f"applying Deployment {spec.name!r} would leave Service {name!r} selecting "
                    f"no app, and {self.capabilities.reason('standalone_services')} "
                    "(capability standalone_services is off): delete the service first, or "
                    "keep labels that match its selector"
                )

    def _apply_service(self, service: Service) -> Action:
        """Puts the service's labels on every app it selects, and takes them off the
        apps it no longer selects: one partial write per app that changes."""
        namespace = service.namespace or self.default_namespace
        writes: builtins.list[tuple[str, Json]] = []
        selected = 0
        existed = False
        for app in self._apps_concerning(service, namespace):
            base, services = without_services(app, namespace)
            existed = existed or service.name in services
            if selects(service, user_labels(base)):
                selected += 1
                services[service.name] = service
            elif services.pop(service.name, None) is None:
                continue
            updated = with_services(base, services.values())
            if _labels(updated) != _labels(app) or _mappings(updated) != _mappings(app):
                writes.append((str(app["id"]), updated))
        if not selected:
            raise UnsupportedFeature(
                self.name,
                f"Service {service.name!r}",
                "selector",
                f"no app in namespace {namespace!r} has the labels {dict(service.selector)}; "
                + self.capabilities.reason("standalone_services")
                + " (capability standalone_services is off)",
            )
        self._settle(
            {
                identifier: self._write(identifier, _label_update(updated), partial=True)
                for identifier, updated in writes
            }
        )
        if not existed:
            return Action.CREATED
        return Action.UPDATED if writes else Action.UNCHANGED

    def _apps_concerning(self, service: Service, namespace: str) -> builtins.list[Json]:
        """The apps a service may select and those that carry it: two label queries.

        Marathon filters by label selector, so a service's apply reads the apps it
        concerns rather than every app of the namespace (the answer would grow with the
        namespace, and applying every service with it). The selector query sees all of
        an app's labels, the bookkeeping ones too, so it finds a superset of the apps
        :func:`selects` keeps.
        """
        selector = ",".join(
            f"{_selector_escaped(key)}=={_selector_escaped(value)}"
            for key, value in service.selector.items()
        )
        candidates = {str(app["id"]): app for app in self._apps(namespace, label=selector)}
        for app in self._apps(namespace, label=_selector_escaped(L.SERVICE + service.name)):
            candidates.setdefault(str(app["id"]), app)
        return [candidates[identifier] for identifier in sorted(candidates)]

    def _apply_secret(self, secret: Secret) -> Action:
        """Writes the keys whose value differs and removes the keys the spec dropped.

        The DC/OS store keeps one path per key and has no multi-key read, so each key is
        read on its own (absent: a new key). The secret's keys are listed first, one more
        request, only when the store may hold keys the spec has not: when this backend
        does not know the secret's key set, or knows one with keys the spec lacks. The
        known set is the one this backend last wrote or listed; it is forgotten while an
        apply runs, so one that fails part way makes the next apply list again. A key
        that another client added since this backend wrote the secret is therefore left
        in place (until a backend that does not know the secret applies it).

        CREATED when no key existed, UPDATED when a key was written or removed,
        UNCHANGED otherwise, as the store answered these requests.
        """
        store = self._store(secret.name)
        namespace = secret.namespace or self.default_namespace
        wanted = frozenset(secret.data)
        known = self._known_keys(namespace, secret.name)
        self._remember_keys(namespace, secret.name, None)
        present = None
        if known is None or not known <= wanted:
            present = frozenset(self._listed_keys(store, namespace, secret.name))
        existed, changed = self._write_keys(store, secret, namespace, present)
        stale = frozenset() if present is None else present - wanted
        for key in sorted(stale):
            changed = store.remove(namespace, secret.name, key) or changed
        self._remember_keys(namespace, secret.name, wanted)
        if not existed and not present:
            return Action.CREATED
        return Action.UPDATED if changed else Action.UNCHANGED

    @staticmethod
    def _write_keys(
        store: SecretStore, secret: Secret, namespace: str, present: frozenset[str] | None
    ) -> tuple[bool, bool]:
        """Writes each key whose value differs; whether any key existed, and any was written.

        ``present``: the keys just listed (a key not among them is new, not read), or
        None when each key must be read to know.
        """
        existed = changed = False
        for key, value in secret.data.items():
            current = None
            if present is None or key in present:
                current = store.find(namespace, secret.name, key)
            existed = existed or current is not None
            if current != value:
                store.write(value, namespace, secret.name, key)
                changed = True
        return existed, changed

    # -- read --------------------------------------------------------------------

    @reads_answers
    def get(self, kind: type[R], name: str, namespace: str, *, reveal: bool = False) -> R:
        if kind is Deployment:
            app = self._app(app_id(name, namespace))
            if app is None:
                raise NotFound(f"Deployment {name!r} not found in namespace {namespace!r}")
            return parse_app(app, namespace, containerizer=self.settings.containerizer)  # type: ignore[return-value]
        if kind is Service:
            for app in self._service_carriers(namespace):
                service = records_on(_labels(app), namespace).get(name)
                if service is not None:
                    return service  # type: ignore[return-value]
            raise NotFound(f"Service {name!r} not found in namespace {namespace!r}")
        if kind is Secret:
            store = self._readable_store(name)
            if store is None:
                raise self._cannot_exist(kind, name, namespace)
            keys = self._secret_keys(store, namespace, name)
            if not keys:
                raise NotFound(f"Secret {name!r} not found in namespace {namespace!r}")
            return self._secret(store, namespace, name, keys, reveal)  # type: ignore[return-value]
        raise self._cannot_exist(kind, name, namespace)

    @reads_answers
    def list(
        self, kind: type[R], namespace: str, labels: Mapping[str, str], *, reveal: bool = False
    ) -> builtins.list[R]:
        found: builtins.list[Any]
        if kind is Deployment:
            found = [
                parse_app(app, namespace, containerizer=self.settings.containerizer)
                for app in self._apps(namespace)
            ]
        elif kind is Service:
            by_name: dict[str, Service] = {}
            for app in self._service_carriers(namespace):
                for name, service in records_on(_labels(app), namespace).items():
                    by_name.setdefault(name, service)
            found = builtins.list(by_name.values())
        elif kind is Secret:
            store = self._readable_store("*")
            found = (
                [] if store is None else builtins.list(self._secrets_in(store, namespace, reveal))
            )
        else:  # config maps and autoscalers cannot exist on Marathon
            found = []
        wanted = [
            item
            for item in found
            if all(item.labels.get(key) == value for key, value in labels.items())
        ]
        return sorted(wanted, key=lambda item: item.name)

    def _secrets_in(
        self, store: SecretStore, namespace: str, reveal: bool
    ) -> builtins.list[Secret]:
        """Every secret of a namespace: its paths ``<secret>/<key>``, grouped by secret."""
        grouped: dict[str, builtins.list[str]] = {}
        for entry in store.list(namespace):
            secret, _, key = entry.partition("/")
            if secret and key and "/" not in key:
                grouped.setdefault(secret, []).append(key)
        return [
            self._secret(store, namespace, name, keys, reveal) for name, keys in grouped.items()
        ]

    def _secret(
        self, store: SecretStore, namespace: str, name: str, keys: builtins.list[str], reveal: bool
    ) -> Secret:
        if reveal:
            data = {key: store.read(namespace, name, key) for key in keys}
        else:
            data = dict.fromkeys(keys, REDACTED)
        return Secret(name, namespace=namespace, data=data)

    # -- delete ------------------------------------------------------------------

    @reads_answers
    def delete(self, kind: type[Resource], name: str, namespace: str) -> None:
        if kind is Deployment:
            identifier = app_id(name, namespace)
            current = self._app(identifier)
            if current is None:
                raise NotFound(f"Deployment {name!r} not found in namespace {namespace!r}")
            services = records_on(_labels(current), namespace)
            if services:
                log.warning(
                    "deleting %s also removes it from service(s) %s; a service that selects "
                    "no other app goes with it",
                    identifier,
                    ", ".join(sorted(services)),
                )
            reply = self._marathon.request("DELETE", "/v2/apps/" + _path(identifier), accept=(404,))
            if reply.status == 404 and not reply.resent:
                raise NotFound(f"Deployment {name!r} not found in namespace {namespace!r}")
            with self._lock:
                self._ours.pop(identifier, None)
            return
        if kind is Service:
            written: dict[str, Reply] = {}
            for app in self._service_carriers(namespace):
                base, services = without_services(app, namespace)
                if services.pop(name, None) is None:
                    continue
                updated = with_services(base, services.values())
                identifier = str(app["id"])
                written[identifier] = self._write(identifier, _label_update(updated), partial=True)
            if not written:
                raise NotFound(f"Service {name!r} not found in namespace {namespace!r}")
            self._settle(written)
            return
        if kind is Secret:
            store = self._readable_store(name)
            if store is None:
                raise self._cannot_exist(kind, name, namespace)
            keys = self._secret_keys(store, namespace, name)
            if not keys:
                raise NotFound(f"Secret {name!r} not found in namespace {namespace!r}")
            for key in keys:
                store.remove(namespace, name, key)
            return
        raise self._cannot_exist(kind, name, namespace)

    # -- deployments -------------------------------------------------------------

    @reads_answers
    def scale(self, name: str, namespace: str, replicas: int) -> None:
        identifier = app_id(name, namespace)
        # Marathon's PUT is an upsert: read first, so a missing app is NotFound, not a 422.
        self._app_required(identifier, name, namespace, [])
        self._write(identifier, {"instances": replicas}, partial=True)

    @reads_answers
    def status(self, name: str, namespace: str) -> DeploymentStatus:
        identifier = app_id(name, namespace)
        state = AppState.of(self._app_required(identifier, name, namespace, _STATUS_EMBED))
        revision = self._revision(identifier, state.config)
        with self._lock:
            ours = self._ours.get(identifier)
        ours_ended = ours is not None and ours not in state.deployments
        step = self._step(state.deployments) if state.deployments else ""
        status = status_of(name, namespace, state, revision, ours_ended=ours_ended, step=step)
        if ours_ended and status.phase is Phase.COMPLETE:
            with self._lock:
                if self._ours.get(identifier) == ours:
                    del self._ours[identifier]
        return status

    def _step(self, ids: tuple[str, ...]) -> str:
        """`` (step 1 of 2)`` for the first running deployment, from ``/v2/deployments``."""
        try:
            deployments = self._marathon.request("GET", "/v2/deployments").json()
        except OrchestratorError:
            return ""
        for item in deployments if isinstance(deployments, builtins.list) else []:
            if isinstance(item, Mapping) and item.get("id") in ids:
                return f" (step {item.get('currentStep')} of {item.get('totalSteps')})"
        return ""

    def watch_status(self, name: str, namespace: str, timeout: float) -> Iterator[DeploymentStatus]:
        """Follows the app through Marathon's event stream (``GET /v2/events``).

        Yields the status read once the stream is attached, then a fresh one each time an
        event about the app arrives: at once after one of its deployments ends, else at
        most every 250 ms. A stream that drops is opened again and the status read again
        (events sent meanwhile are lost, the state is not). When the stream cannot be
        opened now, or a status read fails, for a reason the core retries
        (``BackendUnavailable``), the watch ends: the core reads the status with its
        retries and calls again. When the stream is refused for good (no permission to
        read events, a proxy that does not carry it, only standby servers configured),
        the status is polled instead, every 250 ms at most. Ends after ``timeout``
        seconds; closing the generator closes the stream.
        """
        deadline = time.monotonic() + timeout
        identifier = app_id(name, namespace)
        while (remaining := deadline - time.monotonic()) > 0:
            opened = time.monotonic()
            try:
                events = self._events(identifier, remaining)
            except BackendUnavailable:
                return
            except OrchestratorError as refused:
                log.info("%s: no event stream (%s); polling its status", identifier, refused)
                yield from self._poll_status(name, namespace, deadline)
                return
            try:
                dropped = yield from self._follow(events, name, namespace, deadline)
            finally:
                events.close()
            if not dropped:
                return
            if time.monotonic() - opened < _STREAM_QUICK_END:
                time.sleep(max(0.0, min(_STREAM_QUICK_END, deadline - time.monotonic())))

    def _events(
        self,
        identifier: str,
        remaining: float,
        relevant: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> AppEvents:
        """Opens ``/v2/events`` for the event types a wait follows, in Marathon's light
        format (1.7+; later ones have no other, earlier ones ignore the option). Its
        timeouts end within ``remaining`` seconds: a silent server cannot hold the wait.
        ``relevant`` picks the events that wake the waiter (default: those of the app)."""
        connect, read = self.settings.timeout
        response = self._marathon.stream(
            "/v2/events",
            params={"event_type": builtins.list(WATCHED), "plan-format": "light"},
            accept="text/event-stream",
            timeout=(min(connect, remaining), min(read, remaining)),
        )
        return AppEvents(response, identifier, relevant)

    def _follow(
        self, events: AppEvents, name: str, namespace: str, deadline: float
    ) -> Generator[DeploymentStatus, None, bool]:
        """Yields the status once the stream is attached, then after each change it tells
        of. Returns True when the stream ended (to be opened again), False at the
        deadline or when a status read failed."""
        events.attached(min(_ATTACH_WAIT, deadline - time.monotonic()))
        while True:
            try:
                status = self.status(name, namespace)
            except BackendUnavailable:
                return False
            calm_until = time.monotonic() + _WATCH_INTERVAL
            yield status
            if not events.wait(deadline - time.monotonic(), calm_until):
                return events.ended

    def _poll_status(
        self, name: str, namespace: str, deadline: float
    ) -> Iterator[DeploymentStatus]:
        """Yields the status every 250 ms at most (from 20 ms, growing) until ``deadline``:
        a wait without an event stream. Ends early when a read fails, as :meth:`_follow`."""
        delay = _WATCH_POLL_FIRST
        while True:
            try:
                status = self.status(name, namespace)
            except BackendUnavailable:
                return
            yield status
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            time.sleep(min(delay, remaining))
            delay = min(delay * 1.5, _WATCH_INTERVAL)

    @reads_answers
    def rollback(self, name: str, namespace: str, revision: int | None) -> None:
        """``PUT {"version": <older version>}``. Rolling back is not safe to repeat (a second
        "previous" is one further back), so a write whose answer was lost is resolved by
        reading the app back; failures before the write say ``acted=False``."""
        identifier = app_id(name, namespace)
        try:
            app = self._app_required(identifier, name, namespace, [])
            versions = self._versions(identifier)
        except BackendUnavailable as error:
            error.acted = False  # nothing was written yet: safe to try again
            raise
        current = revision_of(versions, AppState.of(app).config)
        if revision is None:
            if current <= 1:
                raise NotFound(f"Deployment {name!r} has no revision before {current}")
            target = versions[current - 2]
        else:
            if not 1 <= revision <= len(versions):
                raise NotFound(
                    f"Deployment {name!r} has no revision {revision} (has 1 to {len(versions)})"
                )
            target = versions[revision - 1]
        try:
            self._write(identifier, {"version": target}, partial=None)
        except BackendUnavailable as error:
            if error.acted is False or not self._rolled_back(identifier, app, target):
                raise
            log.info("%s: the answer was lost, but the app reads back rolled back", identifier)

    def _rolled_back(self, identifier: str, before: Json, target: str) -> bool:
        """Whether the app's configuration moved on since ``before`` and is now the one of
        version ``target``."""
        try:
            reply = self._marathon.request(
                "GET", f"/v2/apps/{_path(identifier)}/versions/{quote_path(target)}"
            )
            wanted = reply.json()
            now = self._app(identifier)
        except OrchestratorError:
            return False
        if not isinstance(wanted, dict) or now is None:
            return False
        if AppState.of(now).config == AppState.of(before).config:
            return False
        sent = {key: value for key, value in wanted.items() if key not in _VERSION_FIELDS}
        return matches(sent, now)

    @reads_answers
    def instances(self, name: str, namespace: str) -> builtins.list[Instance]:
        identifier = app_id(name, namespace)
        state = AppState.of(self._app_required(identifier, name, namespace, ["app.tasks"]))
        versions = self._versions(identifier)
        return instances_of(name, namespace, state, versions)

    @reads_answers
    def endpoints(self, name: str, namespace: str) -> builtins.list[Endpoint]:
        carriers = self._service_carriers(namespace, tasks=True)
        service = None
        behind = []
        for app in carriers:
            found = records_on(_labels(app), namespace).get(name)
            if found is not None:
                service = service or found
                behind.append(app)
        if service is None:
            raise NotFound(f"Service {name!r} not found in namespace {namespace!r}")
        states = {str(app.get("id")): AppState.of(app) for app in behind}
        return endpoints_of(service, behind, states)

    # -- HTTP helpers ------------------------------------------------------------

    def _app(self, identifier: str, embed: builtins.list[str] | None = None) -> Json | None:
        """``GET /v2/apps/{id}``'s app, or None if there is no such app."""
        params = {"embed": embed} if embed else None
        reply = self._marathon.request(
            "GET", "/v2/apps/" + _path(identifier), params=params, accept=(404,)
        )
        if reply.status == 404:
            return None
        document = reply.json()
        app = document.get("app") if isinstance(document, Mapping) else None
        if not isinstance(app, dict):
            raise UnexpectedResponse(f"{reply.what}: expected {{'app': {{...}}}}")
        return app

    def _app_required(
        self, identifier: str, name: str, namespace: str, embed: builtins.list[str]
    ) -> Json:
        app = self._app(identifier, embed)
        if app is None:
            raise NotFound(f"Deployment {name!r} not found in namespace {namespace!r}")
        return app

    def _apps(self, namespace: str, **params: str | builtins.list[str]) -> builtins.list[Json]:
        """The apps directly in the namespace's group (Marathon's ``id`` filter is a
        substring match, so the result is filtered again here)."""
        reply = self._marathon.request("GET", "/v2/apps", params={"id": f"/{namespace}/", **params})
        document = reply.json()
        apps = document.get("apps") if isinstance(document, Mapping) else None
        if not isinstance(apps, builtins.list):
            raise UnexpectedResponse(f"{reply.what}: expected {{'apps': [...]}}")
        found = []
        for app in apps:
            if not isinstance(app, dict) or not isinstance(app.get("id"), str):
                raise UnexpectedResponse(f"{reply.what}: an app without an id")
            split = split_app_id(app["id"])
            if split is not None and split[0] == namespace:
                found.append(app)
        return sorted(found, key=lambda app: str(app["id"]))

    def _service_carriers(self, namespace: str, *, tasks: bool = False) -> builtins.list[Json]:
        """The namespace's apps that carry services (found by the ``orchsdk.services`` label)."""
        params: dict[str, str | builtins.list[str]] = {"label": L.SERVICES}
        if tasks:
            params["embed"] = ["apps.tasks"]
        return [app for app in self._apps(namespace, **params) if L.SERVICES in _labels(app)]

    def _versions(self, identifier: str) -> builtins.list[str]:
        reply = self._marathon.request("GET", f"/v2/apps/{_path(identifier)}/versions")
        return sorted_versions(reply.json())

    def _revision(self, identifier: str, config: str) -> int:
        """The revision of a config version; cached, as a version's place never changes."""
        key = (identifier, config)
        with self._lock:
            cached = self._revisions.get(key)
        if cached is not None:
            return cached
        revision = revision_of(self._versions(identifier), config)
        with self._lock:
            _keep_bounded(self._revisions, key, revision)
        return revision

    def _write(self, identifier: str, body: Json, *, partial: bool | None) -> Reply:
        """``PUT /v2/apps/{id}``, waiting out deployment locks (or forcing them, if asked).

        ``partial``: ``False`` replaces the app, ``True`` changes only the fields sent,
        ``None`` sends no ``partialUpdate`` (a rollback to a ``version``).
        """
        params: dict[str, str] = {}
        if partial is not None:
            params["partialUpdate"] = "true" if partial else "false"
        if self.settings.force:
            params["force"] = "true"
        path = "/v2/apps/" + _path(identifier)
        deadline = time.monotonic() + self.settings.lock_timeout
        while True:
            try:
                reply = self._marathon.request("PUT", path, params=params, json=body)
                break
            except AppLocked as locked:
                # Others' writes may take the lock first: wait, in turn, up to lock_timeout.
                try:
                    self._wait_unlocked(identifier, locked, deadline)
                except BackendUnavailable as error:
                    error.acted = False  # the write was refused; only the wait failed
                    raise
        self._remember(identifier, reply)
        return reply

    def _remember(self, identifier: str, reply: Reply) -> None:
        deployment = _deployment_of(reply)
        if deployment is not None:
            with self._lock:
                self._ours[identifier] = deployment

    def _running(self, ids: Collection[str], identifier: str) -> builtins.list[Mapping[str, Any]]:
        """The deployments of ``ids`` still in ``/v2/deployments`` (without ids: the app's)."""
        reply = self._marathon.request("GET", "/v2/deployments")
        running = reply.json()
        if not isinstance(running, builtins.list):
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

    def _wait_for(
        self, ids: Collection[str], identifier: str, timeout: float
    ) -> builtins.list[Mapping[str, Any]]:
        """Waits until those deployments are gone from ``/v2/deployments``, or the timeout
        passes; returns the ones still running (empty when all are done).

        Follows the event stream when Marathon serves one: ``/v2/deployments`` is read once
        the stream is attached, then after each end of one of those deployments, and at
        least every second in case an event was missed. Polls with backoff otherwise, and
        after the stream drops.
        """
        deadline = time.monotonic() + timeout
        events = self._deployment_events(ids, identifier, timeout)
        delay = _LOCK_POLL_FIRST
        try:
            while True:
                running = self._running(ids, identifier)
                remaining = deadline - time.monotonic()
                if not running or remaining <= 0:
                    return running
                if events is not None and not events.ended:
                    events.wait(min(remaining, _LOCK_POLL_MAX), time.monotonic())
                else:
                    time.sleep(min(delay, remaining))
                    delay = min(delay * 2, _LOCK_POLL_MAX)
        finally:
            if events is not None:
                events.close()

    def _deployment_events(
        self, ids: Collection[str], identifier: str, timeout: float
    ) -> AppEvents | None:
        """An attached event stream that tells when one of ``ids`` (without ids: a
        deployment of the app) may have ended; None when Marathon serves none now."""
        if not self.capabilities.status_stream:
            return None

        def ended(event: Mapping[str, Any]) -> bool:
            if event.get("eventType") not in ENDINGS:
                return False
            return event.get("id") in ids if ids else concerns(event, identifier)

        try:
            events = self._events(identifier or ", ".join(sorted(ids)), timeout, ended)
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
            running = self._wait_for(locked.deployments, identifier, remaining)
            blocking = [str(item.get("id")) for item in running]
        else:
            blocking = builtins.list(locked.deployments) or ["(not named)"]
        if blocking:
            raise Conflict(
                f"{identifier} is still locked by deployment(s) "
                f"{', '.join(blocking)} after "
                f"{self.settings.lock_timeout:g}s; wait longer (lock_timeout) or connect "
                "with force=True to cancel them",
                reason="locked",
            ) from locked

    def _settle(self, replies: Mapping[str, Reply]) -> None:
        """Waits for the restarts that a service's label writes started (Marathon relaunches
        the tasks of an app whose labels change), so that the service's endpoints are the
        relaunched, labelled tasks when ``apply`` returns."""
        started = (_deployment_of(reply) for reply in replies.values())
        ids = {deployment for deployment in started if deployment is not None}
        if not ids:
            return
        running = self._wait_for(ids, "", self.settings.lock_timeout)
        if running:
            log.warning(
                "the restart of %s for their service labels is still running after %gs",
                ", ".join(sorted(replies)),
                self.settings.lock_timeout,
            )

    # -- secrets -----------------------------------------------------------------

    def _store(self, name: str) -> SecretStore:
        """The secret store, if secrets are on (else the reason, as UnsupportedFeature)."""
        if self._secrets is None or not self.capabilities.secrets:
            raise self._kind_unsupported(Secret, name)
        return self._secrets

    def _readable_store(self, name: str) -> SecretStore | None:
        """The secret store for reads and deletes; None when secrets are off (none exist)."""
        try:
            return self._store(name)
        except UnsupportedFeature:
            return None

    def _secret_keys(self, store: SecretStore, namespace: str, name: str) -> builtins.list[str]:
        """The secret's keys, listed (one request), and remembered as its known key set."""
        keys = self._listed_keys(store, namespace, name)
        self._remember_keys(namespace, name, keys)
        return keys

    @staticmethod
    def _listed_keys(store: SecretStore, namespace: str, name: str) -> builtins.list[str]:
        """The secret's keys as the store lists them now (one request)."""
        return [entry for entry in store.list(namespace, name) if entry and "/" not in entry]

    def _known_keys(self, namespace: str, name: str) -> frozenset[str] | None:
        """The keys this backend last wrote or listed for a secret; None when unknown."""
        with self._lock:
            return self._secret_keys_known.get((namespace, name))

    def _remember_keys(self, namespace: str, name: str, keys: Iterable[str] | None) -> None:
        """Records a secret's key set (None forgets it)."""
        with self._lock:
            if keys is None:
                self._secret_keys_known.pop((namespace, name), None)
                return
            _keep_bounded(self._secret_keys_known, (namespace, name), frozenset(keys))


def _labels(app: Mapping[str, Any]) -> dict[str, Any]:
    labels = app.get("labels")
    return labels if isinstance(labels, dict) else {}


def _deployment_of(reply: Reply) -> str | None:
    """The id of the deployment a write started (``deploymentId``, or an AppInfo's first)."""
    try:
        document = reply.json()
    except OrchestratorError:
        return None
    if not isinstance(document, Mapping):
        return None
    deployment = document.get("deploymentId")
    listed = document.get("deployments")
    if deployment is None and isinstance(listed, builtins.list) and listed:
        first = listed[0]
        deployment = first.get("id") if isinstance(first, Mapping) else None
    return deployment if isinstance(deployment, str) else None


def _label_update(app: Json) -> Json:
    """The partial update that sets an app's labels and port-mapping labels to ``app``'s.

    ``container`` goes whole (as Marathon returned it, with its assigned service ports):
    a partial update replaces a top-level field entirely.
    """
    return {"labels": app.get("labels", {}), "container": app.get("container")}


def _mappings(app: Mapping[str, Any]) -> Any:
    container = app.get("container")
    return container.get("portMappings") if isinstance(container, Mapping) else None


def _keep_bounded(memory: dict[K, V], key: K, value: V) -> None:
    """Sets ``memory[key]``; a memory past :data:`_MEMORY_BOUND` entries is emptied first.

    The backend's memories (revisions, secret key sets, apps before a lost apply) only
    save requests or sharpen a report, so forgetting them all at once is always safe.
    """
    if len(memory) > _MEMORY_BOUND:
        memory.clear()
    memory[key] = value


def _action_since(before: Json | None, document: Json) -> Action:
    """What writing ``document`` did to an app that was ``before`` (None: no app)."""
    if before is None:
        return Action.CREATED
    return Action.UNCHANGED if matches(document, before) else Action.UPDATED


def _selector_escaped(text: str) -> str:
    """A label key or value inside a Marathon label selector (``LabelSelector.scala``
    treats ``,=!()``, spaces and backslashes as syntax unless escaped)."""
    return re.sub(r"([\\,=!() ])", r"\\\1", text)


def _path(identifier: str) -> str:
    """An app id as the URL path after ``/v2/apps/`` (no leading slash: no ``//``)."""
    return quote_path(*identifier.strip("/").split("/"))
