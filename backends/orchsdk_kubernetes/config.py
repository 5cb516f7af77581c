"""How to reach a cluster: a strict, frozen settings class parsed from the URL and options.

A connection URL is ``kubernetes://`` (the current kubeconfig context, or the pod's
service account inside a pod with no kubeconfig), ``kubernetes://in-cluster``, or
``kubernetes://HOST:PORT`` (``?scheme=http`` for a plain-HTTP server).
:func:`parse_url` turns it and the keyword options (which win) into :class:`Settings`
with :func:`orchsdk.settings.settings_from`, so an unknown option or a malformed value
(``verify=ture``) is an :class:`orchsdk.SettingsError`, as on every backend.

:func:`connect_client` then builds the ``kubernetes`` client from the settings: always a
``Configuration`` of its own (the client's process-wide default is never touched),
explicit timeouts, a connection pool sized for threads, and urllib3's hidden retries off,
so that orchsdk's bounded retry policy is the only one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import attrs

from orchsdk import SettingsError
from orchsdk.answers import MAX_ANSWER_BYTES
from orchsdk.header_deadline import bound_header_wait
from orchsdk.settings import (
    byte_count,
    flag,
    hidden,
    optional_text,
    seconds,
    settings_from,
    verify_option,
)

__all__ = ["Settings", "connect_client", "parse_url"]

DEFAULT_POOL_SIZE = 32


def _host(value: Any) -> str | None:
    text = optional_text(value)
    if text is not None and urlsplit(text).scheme not in ("http", "https"):
        raise ValueError(f"expected an http(s) URL, got {value!r}")
    return text


def _ca_bundle(value: Any) -> bool | str:
    """``verify``: on, off, or on with the CA bundle *file* at a path (the client takes no
    directory of certificates)."""
    verify = verify_option(value)
    if isinstance(verify, str) and not os.path.isfile(verify):
        raise ValueError(f"expected the path of a CA bundle file, got the directory {value!r}")
    return verify


def _pool_size(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number of connections, got {value!r}")
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a whole number of connections, got {value!r}") from None
    if size < 1:
        raise ValueError(f"expected at least 1 connection, got {value!r}")
    return size


@attrs.frozen
class Settings:
    """Where the cluster is and how to talk to it.

    ``kubeconfig`` and ``context`` pick a kubeconfig context; ``in_cluster`` uses the pod's
    service account; ``host`` (with ``token``) names an API server directly. ``verify`` is
    ``True``, ``False`` (test clusters only) or the path of a CA bundle to verify the
    server with. ``namespace`` overrides the context's; ``create_namespace`` creates
    namespaces on demand. ``connect_timeout`` bounds each connection, ``read_timeout``
    each answer, whole (a server that trickles its answer past it is given up on);
    ``max_answer_bytes`` caps an answer, and each event of a watch (64 MiB; ``"16Mi"``
    works too). The token is kept out of ``repr``.
    """

    kubeconfig: str | None = attrs.field(default=None, converter=optional_text)
    context: str | None = attrs.field(default=None, converter=optional_text)
    in_cluster: bool = attrs.field(default=False, converter=flag)
    host: str | None = attrs.field(default=None, converter=_host)
    token: str | None = attrs.field(default=None, repr=hidden, converter=optional_text)
    verify: bool | str = attrs.field(default=True, converter=_ca_bundle)
    namespace: str | None = attrs.field(default=None, converter=optional_text)
    create_namespace: bool = attrs.field(default=False, converter=flag)
    connect_timeout: float = attrs.field(default=5.0, converter=seconds)
    read_timeout: float = attrs.field(default=30.0, converter=seconds)
    pool_size: int = attrs.field(default=DEFAULT_POOL_SIZE, converter=_pool_size)
    max_answer_bytes: int = attrs.field(default=MAX_ANSWER_BYTES, converter=byte_count)

    @property
    def timeout(self) -> tuple[float, float]:
        """The ``_request_timeout`` of every call: (connect, read) seconds."""
        return (self.connect_timeout, self.read_timeout)


def parse_url(url: str, options: Mapping[str, Any]) -> Settings:
    """Settings from a ``kubernetes://`` URL and keyword options (which win).

    The URL's location is ``in-cluster`` or the API server's ``HOST:PORT``; ``scheme``
    (``https`` by default, or ``http``) says how to reach that host. Raises
    :class:`~orchsdk.SettingsError`.
    """
    parts = urlsplit(url)
    if not url.lower().startswith("kubernetes://") or parts.path not in ("", "/") or parts.fragment:
        raise SettingsError(
            "a Kubernetes URL looks like 'kubernetes://' (the kubeconfig's current context), "
            "'kubernetes://?context=NAME', 'kubernetes://HOST:PORT?token=...' or "
            f"'kubernetes://in-cluster', got {url!r}"
        )
    given: dict[str, Any] = dict(parse_qsl(parts.query, keep_blank_values=True))
    given.update(options)
    scheme = given.pop("scheme", "https")
    if scheme not in ("http", "https"):
        raise SettingsError(f"kubernetes option scheme: expected http or https, got {scheme!r}")
    if parts.netloc == "in-cluster":
        given["in_cluster"] = True
    elif parts.netloc:
        given["host"] = f"{scheme}://{parts.netloc}"
    return settings_from(Settings, given, backend="kubernetes")


def connect_client(settings: Settings) -> tuple[Any, str | None]:
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
        try:
            config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        except config.ConfigException as error:
            raise SettingsError(
                f"kubernetes in-cluster: not running in a pod with a service account ({error})"
            ) from None
        namespace = _service_account_namespace()
    else:
        try:
            config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=_kubeconfig_path(settings),
                context=settings.context,
                client_configuration=configuration,
                persist_config=False,
            )
        except config.ConfigException as error:
            raise SettingsError(_kubeconfig_problem(settings, error)) from None
        namespace = _context_namespace(settings)
    if settings.verify is False:
        configuration.verify_ssl = False
    elif isinstance(settings.verify, str):
        configuration.verify_ssl = True
        configuration.ssl_ca_cert = settings.verify
    configuration.retries = False
    configuration.connection_pool_maxsize = settings.pool_size
    if _is_loopback(configuration.host):
        configuration.proxy = None
    api_client = client.ApiClient(configuration)
    bound_header_wait(api_client.rest_client.pool_manager)
    return api_client, namespace


def _kubeconfig_path(settings: Settings) -> str:
    """The kubeconfig to read: the option, ``$KUBECONFIG`` (now, not when ``kubernetes``
    was imported) or ``~/.kube/config``; a list of paths joined by ``os.pathsep`` too."""
    return (
        settings.kubeconfig or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
    )


def _kubeconfig_problem(settings: Settings, error: Exception) -> str:
    """Why the kubeconfig could not be used, and what to give instead, as kubectl says it."""
    path = _kubeconfig_path(settings)
    if not os.path.exists(path.split(os.pathsep)[0]):
        if settings.kubeconfig:
            source = "the kubeconfig option"
        elif os.environ.get("KUBECONFIG"):
            source = "$KUBECONFIG"
        else:
            source = "the default path"
        return (
            f"kubernetes: no kubeconfig at {path} ({source}); set KUBECONFIG, or connect "
            "with 'kubernetes://?kubeconfig=PATH', 'kubernetes://HOST:PORT?token=...' or "
            "'kubernetes://in-cluster'"
        )
    if settings.context is not None:
        return f"kubernetes: the kubeconfig {path} cannot use context {settings.context!r}: {error}"
    return f"kubernetes: the kubeconfig {path} cannot be used: {error}"


def _in_cluster_only(settings: Settings) -> bool:
    return not os.path.exists(_kubeconfig_path(settings).split(os.pathsep)[0]) and bool(
        os.environ.get("KUBERNETES_SERVICE_HOST")
    )


def _service_account_namespace() -> str | None:
    path = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
    try:
        with open(path, encoding="utf-8") as file:
            return file.read().strip() or None
    except OSError:
        return None


def _context_namespace(settings: Settings) -> str | None:
    from kubernetes import config

    contexts, active = config.list_kube_config_contexts(  # type: ignore[no-untyped-call]
        config_file=_kubeconfig_path(settings)
    )
    chosen = next((c for c in contexts if c["name"] == settings.context), active)
    namespace = (chosen or {}).get("context", {}).get("namespace")
    return str(namespace) if namespace else None


def _is_loopback(host: str) -> bool:
    return any(part in host for part in ("://127.", "://localhost", "://[::1]"))
