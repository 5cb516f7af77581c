"""How the backend reaches a cluster: kubeconfig, in-cluster service account, or host + token.

Always a ``Configuration`` of our own (the client's process-wide default is never
touched), explicit timeouts, a connection pool sized for threads, and urllib3's
hidden retries off, so that orchsdk's bounded retry policy is the only one.
"""

from __future__ import annotations

import os
from typing import Any

import attrs

__all__ = ["ConnectionSettings", "connect_client"]

DEFAULT_POOL_SIZE = 32


@attrs.frozen
class ConnectionSettings:
    """Where the cluster is and how to talk to it; built from a ``kubernetes://`` URL's options."""

    kubeconfig: str | None = None
    context: str | None = None
    in_cluster: bool = False
    host: str | None = None
    token: str | None = attrs.field(default=None, repr=False)
    verify: bool = True
    ca_cert: str | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    pool_size: int = DEFAULT_POOL_SIZE

    @property
    def timeout(self) -> tuple[float, float]:
        """The ``_request_timeout`` of every call: (connect, read) seconds."""
        return (self.connect_timeout, self.read_timeout)


def connect_client(settings: ConnectionSettings) -> tuple[Any, str | None]:
    """An ``ApiClient`` for the settings, and the namespace the kubeconfig context names."""
    from kubernetes import client, config

    configuration = client.Configuration()
    namespace = None
    if settings.host is not None:
        configuration.host = settings.host
        if settings.token is not None:
            configuration.api_key = {"BearerToken": settings.token}
            configuration.api_key_prefix = {"BearerToken": "Bearer"}
    elif settings.in_cluster or _in_cluster_only(settings):
        config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        namespace = _service_account_namespace()
    else:
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=settings.kubeconfig,
            context=settings.context,
            client_configuration=configuration,
            persist_config=False,
        )
        namespace = _context_namespace(settings)
    if not settings.verify:
        configuration.verify_ssl = False
    if settings.ca_cert is not None:
        configuration.ssl_ca_cert = settings.ca_cert
    configuration.retries = False
    configuration.connection_pool_maxsize = settings.pool_size
    if _is_loopback(configuration.host):
        configuration.proxy = None
    return client.ApiClient(configuration), namespace


def _in_cluster_only(settings: ConnectionSettings) -> bool:
    path = (
        settings.kubeconfig or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
    )
    return not os.path.exists(path.split(os.pathsep)[0]) and bool(
        os.environ.get("KUBERNETES_SERVICE_HOST")
    )


def _service_account_namespace() -> str | None:
    path = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
    try:
        with open(path, encoding="utf-8") as file:
            return file.read().strip() or None
    except OSError:
        return None


def _context_namespace(settings: ConnectionSettings) -> str | None:
    from kubernetes import config

    contexts, active = config.list_kube_config_contexts(  # type: ignore[no-untyped-call]
        config_file=settings.kubeconfig
    )
    chosen = next((c for c in contexts if c["name"] == settings.context), active)
    namespace = (chosen or {}).get("context", {}).get("namespace")
    return str(namespace) if namespace else None


def _is_loopback(host: str) -> bool:
    return any(part in host for part in ("://127.", "://localhost", "://[::1]"))
