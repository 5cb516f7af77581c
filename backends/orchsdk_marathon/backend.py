"""The Marathon backend: routes each verb to the handler of its kind, and owns the connection.

The handlers decide: :mod:`~orchsdk_marathon.apps` (deployments),
:mod:`~orchsdk_marathon.service_labels` (services) and :mod:`~orchsdk_marathon.secrets`
(the DC/OS secret store); :class:`~orchsdk_marathon.kinds.Absent` answers for the kinds
Marathon cannot hold. This module holds the connection state they share (settings, the
HTTP session, Marathon's ``/v2/info`` features) and the capabilities read from it.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar, TypeVar

from orchsdk import (
    Action,
    Autoscaler,
    Backend,
    Capabilities,
    Comparison,
    ConfigMap,
    Deployment,
    DeploymentStatus,
    Endpoint,
    Event,
    FieldError,
    Instance,
    Resource,
    Revision,
    Secret,
    Service,
    UnexpectedResponse,
    Unsupported,
)
from orchsdk.errors import reads_answers
from orchsdk.settings import settings_from
from orchsdk_marathon.app_requests import AppRequests
from orchsdk_marathon.apps import Apps
from orchsdk_marathon.config import OfflineSettings, Settings, parse_url
from orchsdk_marathon.kinds import Absent, KindHandler
from orchsdk_marathon.locks import DeploymentWaits
from orchsdk_marathon.secret_store import SecretStore
from orchsdk_marathon.secrets import Secrets
from orchsdk_marathon.service_labels import ServiceLabels
from orchsdk_marathon.support import capabilities_for, unsupported_fields
from orchsdk_marathon.transport import SessionBox, Transport

__all__ = ["MarathonBackend"]

R = TypeVar("R", bound=Resource)

_CAPABILITY = {ConfigMap: "config_maps", Autoscaler: "autoscalers", Secret: "secrets"}
_OFFLINE_SERVER = "http://marathon.invalid"


class MarathonBackend(Backend):
    """orchsdk on Marathon: ``orchsdk.connect("marathon+https://host:8080,host2:8080/")``.

    Options (in the URL's query or as keywords): ``username``/``password`` (basic auth) or
    ``token`` (a DC/OS ACS token; also read from ``DCOS_ACS_TOKEN``), ``verify`` (TLS
    verification, on by default: ``false`` or a CA bundle path), ``secret_store`` (the
    DC/OS secret store API, e.g. ``https://master.mesos/secrets/v1``; secrets are off
    without it), ``connect_timeout`` and ``read_timeout`` (seconds), ``namespace`` (the
    default Marathon group), ``force`` (override deployment locks), ``containerizer``
    (``docker``, the default, or ``mesos`` for the UCR, which secret files and GPUs need)
    and ``lock_timeout`` (seconds to wait for a locked app's deployments).
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
        self._waits = DeploymentWaits(self._marathon, settings)
        requests = AppRequests(self._marathon, settings, self._waits)
        self._info_lock = threading.Lock()
        self._features: tuple[str, ...] | None = None
        self._apps = Apps(requests, settings)
        self._services = ServiceLabels(requests)
        self._handlers: dict[type[Resource], KindHandler] = {
            Deployment: self._apps,
            Service: self._services,
        }
        if settings.secret_store is not None:
            store = SecretStore(Transport((settings.secret_store,), settings, self._box))
            enabled = lambda: self.capabilities.secrets  # noqa: E731 - read when asked
            self._handlers[Secret] = Secrets(store, enabled, self._absent(Secret))

    @classmethod
    def from_url(cls, url: str, **options: Any) -> MarathonBackend:
        """``marathon+http(s)://[user:pass@]host[:port][,host2...][/path][?option=value...]``."""
        return cls(parse_url(url, options))

    @classmethod
    def offline(cls, **options: Any) -> MarathonBackend:
        """A backend that renders as a Marathon would, without one: ``containerizer``
        (``docker`` or ``mesos``) and ``secrets`` (assume the DC/OS secret store and
        Marathon's ``secrets`` feature; true by default). It sends no request."""
        assumed = settings_from(OfflineSettings, options, backend="marathon offline")
        settings = Settings(
            servers=(_OFFLINE_SERVER,),
            containerizer=assumed.containerizer,
            secret_store=f"{_OFFLINE_SERVER}/secrets/v1" if assumed.secrets else None,
        )
        backend = cls(settings)
        backend._features = ("gpu_resources", "secrets") if assumed.secrets else ("gpu_resources",)
        return backend

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

    # -- capabilities and checks -------------------------------------------------

    @property
    def capabilities(self) -> Capabilities:
        """Read from ``/v2/info`` once (when the answer matters: a secret store or the UCR)."""
        needs_info = (
            self.settings.secret_store is not None or self.settings.containerizer == "mesos"
        )
        return capabilities_for(
            secret_store=self.settings.secret_store is not None,
            features=self._info_features() if needs_info else None,
            containerizer=self.settings.containerizer,
            status_stream=self._waits.streams,
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

    def validate(self, resource: Resource) -> Iterable[FieldError]:
        """Marathon's own rules (reserved app names, least CPU, distinct constraints) and a
        ``native["marathon"]`` patch that contradicts the spec; pure, sends nothing."""
        if isinstance(resource, Deployment):
            return self._apps.rule_errors(resource)
        return ()

    # -- the kind handlers' verbs ------------------------------------------------

    def render(self, resource: Resource) -> builtins.list[dict[str, Any]]:
        return self._handler(type(resource)).render(resource)

    @reads_answers
    def compare(self, resource: Resource) -> Comparison:
        compared = self._handler(type(resource)).compare(resource)
        return super().compare(resource) if compared is None else compared

    @reads_answers
    def apply(self, resource: Resource) -> Action:
        assert resource.namespace is not None, "the core sets the namespace"
        return self._handler(type(resource)).apply(resource)

    @reads_answers
    def get(self, kind: type[R], name: str, namespace: str, *, reveal: bool = False) -> R:
        return self._handler(kind).get(name, namespace, reveal=reveal)  # type: ignore[return-value]

    @reads_answers
    def list(
        self, kind: type[R], namespace: str, labels: Mapping[str, str], *, reveal: bool = False
    ) -> builtins.list[R]:
        found = self._handler(kind).list(namespace, reveal=reveal)
        wanted = [
            item
            for item in found
            if all(item.labels.get(key) == value for key, value in labels.items())
        ]
        return sorted(wanted, key=lambda item: item.name)  # type: ignore[arg-type]

    @reads_answers
    def delete(self, kind: type[Resource], name: str, namespace: str) -> None:
        self._handler(kind).delete(name, namespace)

    # -- deployments and services ------------------------------------------------

    @reads_answers
    def scale(self, name: str, namespace: str, replicas: int) -> None:
        self._apps.scale(name, namespace, replicas)

    @reads_answers
    def status(self, name: str, namespace: str) -> DeploymentStatus:
        return self._apps.status(name, namespace)

    @reads_answers
    def rollback(self, name: str, namespace: str, revision: int | None) -> None:
        self._apps.rollback(name, namespace, revision)

    @reads_answers
    def restart(self, name: str, namespace: str) -> None:
        self._apps.restart(name, namespace)

    @reads_answers
    def history(self, name: str, namespace: str) -> builtins.list[Revision]:
        return self._apps.history(name, namespace)

    @reads_answers
    def instances(self, name: str, namespace: str) -> builtins.list[Instance]:
        return self._apps.instances(name, namespace)

    @reads_answers
    def events(self, kind: type[Resource], name: str, namespace: str) -> builtins.list[Event]:
        """A deployment's: what Marathon keeps about its app and launch queue (see
        :mod:`~orchsdk_marathon.reports`); other kinds have none on Marathon."""
        if kind is Deployment:
            return self._apps.events(name, namespace)
        self._handler(kind).get(name, namespace, reveal=False)
        return []

    @reads_answers
    def gone(self, kind: type[Resource], name: str, namespace: str) -> bool:
        if kind is Deployment:
            return self._apps.gone(name, namespace)
        return super().gone(kind, name, namespace)

    @reads_answers
    def endpoints(self, name: str, namespace: str) -> builtins.list[Endpoint]:
        return self._services.endpoints(name, namespace)

    def watch_status(self, name: str, namespace: str, timeout: float) -> Iterator[DeploymentStatus]:
        return self._apps.watch_status(name, namespace, timeout)

    def _handler(self, kind: type[Resource]) -> KindHandler:
        return self._handlers.get(kind) or self._absent(kind)

    def _absent(self, kind: type[Resource]) -> Absent:
        capability = _CAPABILITY.get(kind, kind.kind.lower())
        return Absent(kind, lambda: self.capabilities.reason(capability))
