"""The Kubernetes backend: routes each call to the handler of its kind, and owns the connection.

What each kind does is in its handler (:mod:`~orchsdk_kubernetes.handlers`,
:mod:`~orchsdk_kubernetes.deployments`, :mod:`~orchsdk_kubernetes.autoscaling`); every
request goes through one :class:`~orchsdk_kubernetes.client.Client`. ``kubernetes`` is
imported when the backend is made, each API class on its first use.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

import attrs

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
)
from orchsdk.native import merged_errors
from orchsdk.settings import settings_from
from orchsdk_kubernetes.autoscaling import AutoscalerHandler
from orchsdk_kubernetes.client import Client
from orchsdk_kubernetes.config import Settings, connect_client, parse_url
from orchsdk_kubernetes.deployments import DeploymentHandler
from orchsdk_kubernetes.handlers import Context, Handler, ServiceHandler
from orchsdk_kubernetes.object_cache import ObjectCache
from orchsdk_kubernetes.parse import parse

__all__ = ["KubernetesBackend"]

R = TypeVar("R", bound=Resource)

CAPABILITIES = Capabilities(status_stream=True)


class KubernetesBackend(Backend):
    """orchsdk on Kubernetes: ``orchsdk.connect("kubernetes://?context=prod&namespace=shop")``.

    URL forms: ``kubernetes://`` (the current kubeconfig context, or the in-cluster
    service account inside a pod), ``kubernetes://in-cluster``, and
    ``kubernetes://HOST:PORT?token=...`` (``scheme=http`` for a plain-HTTP server).
    Options (:class:`~orchsdk_kubernetes.config.Settings`): ``kubeconfig``, ``context``,
    ``namespace``, ``verify`` (``true``, ``false`` or a CA bundle path),
    ``connect_timeout``, ``read_timeout``, ``create_namespace`` (create namespaces on
    demand), ``pool_size``; an unknown one is a :class:`~orchsdk.SettingsError`.
    """

    name = "kubernetes"

    def __init__(self, **options: Any) -> None:
        settings = settings_from(Settings, options, backend="kubernetes")
        api_client, context_namespace = connect_client(settings)
        client = Client(api_client, settings.timeout, settings.max_answer_bytes)
        self._open(settings, client, context_namespace)

    def _open(self, settings: Settings, client: Client, context_namespace: str | None) -> None:
        self.settings = settings
        self._client = client
        self._namespace = settings.namespace or context_namespace or "default"
        context = Context(client, ObjectCache(), create_namespace=settings.create_namespace)
        self._deployments = DeploymentHandler(context)
        self._services = ServiceHandler(Service, "service", context)
        self._handlers: dict[type[Resource], Handler] = {
            Deployment: self._deployments,
            Service: self._services,
            Secret: Handler(Secret, "secret", context),
            ConfigMap: Handler(ConfigMap, "config_map", context),
            Autoscaler: AutoscalerHandler(context, self._deployments.handover),
        }

    @classmethod
    def from_url(cls, url: str, **options: Any) -> KubernetesBackend:
        return cls(**attrs.asdict(parse_url(url, options), recurse=False))

    @classmethod
    def offline(cls, **options: Any) -> KubernetesBackend:
        """A backend that renders and reports its capabilities without a kubeconfig or a
        request; ``options`` are the same as when connecting (``namespace``)."""
        backend = cls.__new__(cls)
        settings = settings_from(Settings, options, backend="kubernetes")
        backend._open(settings, Client(None, settings.timeout), None)
        return backend

    @property
    def default_namespace(self) -> str:
        return self._namespace

    @property
    def capabilities(self) -> Capabilities:
        return CAPABILITIES

    def close(self) -> None:
        self._client.close()

    def validate(self, resource: Resource) -> builtins.list[FieldError]:
        """A ``native`` patch may not make the manifest one the spec could not be: the
        patched manifest, read back, must pass the core's validation."""
        handler = self._handlers[type(resource)]
        return merged_errors(
            resource,
            self.name,
            lambda: parse(type(resource), handler.render(resource), reveal=True),
        )

    def render(self, resource: Resource) -> builtins.list[dict[str, Any]]:
        """The manifest of the spec as written: pure, so a deployment keeps its ``replicas``
        even while an autoscaler owns them (``apply`` and ``diff`` leave them out then)."""
        return [self._handlers[type(resource)].render(resource)]

    def apply(self, resource: Resource) -> Action:
        return self._handlers[type(resource)].apply(resource)

    def compare(self, resource: Resource) -> Comparison:
        return self._handlers[type(resource)].compare(resource)

    def get(self, kind: type[R], name: str, namespace: str, *, reveal: bool = False) -> R:
        return self._handlers[kind].get(name, namespace, reveal=reveal)  # type: ignore[return-value]

    def list(
        self, kind: type[R], namespace: str, labels: Mapping[str, str], *, reveal: bool = False
    ) -> builtins.list[R]:
        return self._handlers[kind].list(namespace, labels, reveal=reveal)  # type: ignore[return-value]

    def delete(self, kind: type[Resource], name: str, namespace: str) -> None:
        self._handlers[kind].delete(name, namespace)

    def gone(self, kind: type[Resource], name: str, namespace: str) -> bool:
        if kind is Deployment:
            return self._deployments.gone(name, namespace)
        return super().gone(kind, name, namespace)

    def events(self, kind: type[Resource], name: str, namespace: str) -> builtins.list[Event]:
        return self._handlers[kind].events(name, namespace)

    def scale(self, name: str, namespace: str, replicas: int) -> None:
        self._deployments.scale(name, namespace, replicas)

    def status(self, name: str, namespace: str) -> DeploymentStatus:
        return self._deployments.status(name, namespace)

    def watch_status(self, name: str, namespace: str, timeout: float) -> Iterator[DeploymentStatus]:
        return self._deployments.watch_status(name, namespace, timeout)

    def rollback(self, name: str, namespace: str, revision: int | None) -> None:
        self._deployments.rollback(name, namespace, revision)

    def restart(self, name: str, namespace: str) -> None:
        self._deployments.restart(name, namespace)

    def history(self, name: str, namespace: str) -> builtins.list[Revision]:
        return self._deployments.history(name, namespace)

    def instances(self, name: str, namespace: str) -> builtins.list[Instance]:
        return self._deployments.instances(name, namespace)

    def endpoints(self, name: str, namespace: str) -> builtins.list[Endpoint]:
        return self._services.endpoints(name, namespace)
