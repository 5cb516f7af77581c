"""Finds the backend for a URL scheme: in-process registrations first, then entry points.

Backends are found by the name of their entry point in the ``orchsdk.backends`` group,
exactly like any third-party plugin, and imported only when a URL asks for them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Union
from urllib.parse import urlsplit

from orchsdk.errors import OrchestratorError

if TYPE_CHECKING:
    from orchsdk.backend import Backend
    from orchsdk.orchestrator import Orchestrator
    from orchsdk.retry import RetryPolicy

__all__ = [
    "ENTRY_POINT_GROUP",
    "BackendFactory",
    "connect",
    "installed_schemes",
    "load_backend",
    "register_backend",
    "resolve_scheme",
]

ENTRY_POINT_GROUP = "orchsdk.backends"

BackendFactory = Union["type[Backend]", Callable[..., "Backend"], str]
"""A backend class, a callable ``(url, **options) -> Backend``, or ``"module:attribute"``."""

_registered: dict[str, BackendFactory] = {}

_NOT_BACKENDS = frozenset({"http", "https"})
"""Schemes people write for an orchestrator's address, which name no backend."""

_ALIASES = {"k8s": "kubernetes", "kube": "kubernetes", "dcos": "marathon+https"}
"""Names people write for an installed backend's scheme."""

_INSTALL_HINTS = {
    "kubernetes": "pip install 'orchsdk[kubernetes]'",
    "marathon+http": "pip install 'orchsdk[marathon]'",
    "marathon+https": "pip install 'orchsdk[marathon]'",
}


def register_backend(scheme: str, factory: BackendFactory) -> None:
    """Makes ``connect("<scheme>://...")`` use ``factory``, ahead of installed entry points."""
    if not scheme or "://" in scheme:
        raise ValueError(f"a scheme looks like 'memory' or 'marathon+https', got {scheme!r}")
    _registered[scheme.lower()] = factory


def _entry_point(scheme: str) -> Any | None:
    from importlib.metadata import entry_points

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name.lower() == scheme:
            return entry
    return None


def installed_schemes() -> list[str]:
    """Every URL scheme a backend is registered or installed for, sorted."""
    from importlib.metadata import entry_points

    names = {entry.name.lower() for entry in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(names | set(_registered))


def resolve_scheme(scheme: str) -> BackendFactory:
    """The backend class or factory for a URL scheme, imported on first use."""
    factory = _registered.get(scheme)
    if factory is None:
        entry = _entry_point(scheme)
        if entry is None:
            installed = installed_schemes()
            meant = [] if scheme in _INSTALL_HINTS else _meant(scheme, installed)
            if meant:
                raise OrchestratorError(
                    f"no backend is installed for {scheme}://: did you mean "
                    f"{' or '.join(f'{name}://' for name in meant)}?"
                )
            hint = _INSTALL_HINTS.get(scheme, f"install the plugin that provides {scheme}://")
            known = ", ".join(f"{name}://" for name in installed) or "none"
            raise OrchestratorError(
                f"no backend is installed for {scheme}:// ({hint}, or call "
                f"orchsdk.register_backend); installed: {known}"
            )
        try:
            return entry.load()  # type: ignore[no-any-return]
        except ImportError as error:
            hint = _INSTALL_HINTS.get(scheme, "install its dependencies")
            raise OrchestratorError(
                f"the {scheme}:// backend cannot be imported ({error}); {hint}"
            ) from error
    if isinstance(factory, str):
        module, _, attribute = factory.partition(":")
        return getattr(importlib.import_module(module), attribute)  # type: ignore[no-any-return]
    return factory


def _meant(scheme: str, installed: list[str]) -> list[str]:
    """The installed schemes a mistyped one most likely meant: ``marathon`` for the
    ``marathon+http``/``marathon+https`` pair, an alias (``k8s``), or a close spelling."""
    import difflib

    if scheme in _ALIASES and _ALIASES[scheme] in installed:
        return [_ALIASES[scheme]]
    variants = [name for name in installed if name.startswith(f"{scheme}+")]
    return variants or difflib.get_close_matches(scheme, installed, n=2, cutoff=0.75)


def load_backend(url: str, **options: Any) -> Backend:
    """Builds the backend for ``url`` (e.g. ``"memory://"``) without wrapping it."""
    scheme = urlsplit(url).scheme.lower()
    if not scheme:
        raise OrchestratorError(
            f"{url!r} has no scheme; expected e.g. 'kubernetes://' or 'memory://'"
        )
    if scheme in _NOT_BACKENDS and scheme not in _registered:
        rest = url.split("://", 1)[-1] if "://" in url else url.partition(":")[2]
        raise OrchestratorError(
            f"{url!r} names a protocol, not a backend: for Marathon write "
            f"'marathon+{scheme}://{rest}'; for Kubernetes 'kubernetes://?context=NAME' "
            "(the server comes from the kubeconfig)"
        )
    factory = resolve_scheme(scheme)
    from_url = getattr(factory, "from_url", None)
    if from_url is not None:
        return from_url(url, **options)  # type: ignore[no-any-return]
    return factory(url, **options)  # type: ignore[call-arg,operator]


def connect(
    url: str,
    *,
    namespace: str | None = None,
    lenient: bool = False,
    retry: RetryPolicy | None = None,
    **options: Any,
) -> Orchestrator:
    """Connects to an orchestrator by URL and returns an :class:`~orchsdk.Orchestrator`.

    ``options`` go to the backend (a kubeconfig context, a Marathon token, ...).

    >>> import orchsdk
    >>> with orchsdk.connect("memory://") as orch:
    ...     orch.capabilities.secrets
    True
    """
    from orchsdk.orchestrator import Orchestrator

    return Orchestrator(
        load_backend(url, **options), namespace=namespace, lenient=lenient, retry=retry
    )
