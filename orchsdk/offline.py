"""Rendering without a cluster: the native documents specs become on a backend, for dry runs.

A backend's ``render`` is pure, but making a backend usually means connecting to one.
The ``orchsdk.renderers`` entry-point group names, per *target* (``kubernetes``,
``marathon``, ``memory``), something that renders offline:

- a factory: a :class:`~orchsdk.Backend` subclass, or a callable without required
  positional parameters, that, called with the target's options as keywords, returns a
  backend that renders and reports its capabilities and unsupported fields without a
  request (its other methods are never called here); or
- a pure function ``render(resource) -> dict | list[dict]`` (its one required positional
  parameter tells it apart) for a backend that supports every capability; it takes no
  options.

:func:`render_offline` validates the specs and checks them against the target's
capabilities exactly as :meth:`Orchestrator.render <orchsdk.Orchestrator.render>` does,
then renders. ``orchsdk render --to TARGET`` is built on it. Plugins add targets with an
entry point, or in-process with :func:`register_renderer`.
"""

from __future__ import annotations

import builtins
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NoReturn, TypeVar

from orchsdk.backend import Backend
from orchsdk.capabilities import Capabilities
from orchsdk.errors import OrchestratorError
from orchsdk.models import Action, DeploymentStatus, Endpoint, Instance
from orchsdk.specs import Resource

__all__ = [
    "RENDERERS_GROUP",
    "OfflineBackend",
    "offline_backend",
    "register_renderer",
    "render_offline",
    "renderer_targets",
]

RENDERERS_GROUP = "orchsdk.renderers"

R = TypeVar("R", bound=Resource)
Renderer = Callable[..., Any]
"""A backend class or factory ``(**options) -> Backend``, or ``render(resource)``."""

_registered: dict[str, Renderer] = {}


def register_renderer(target: str, renderer: Renderer) -> None:
    """Makes ``render_offline(target, ...)`` use ``renderer``, ahead of installed entry points."""
    if not target or "://" in target:
        raise ValueError(f"a target looks like 'kubernetes' or 'marathon', got {target!r}")
    _registered[target.lower()] = renderer


def renderer_targets() -> builtins.list[str]:
    """Every target that can be rendered for offline, sorted."""
    from importlib.metadata import entry_points

    names = {entry.name.lower() for entry in entry_points(group=RENDERERS_GROUP)}
    return sorted(names | set(_registered))


def _load(target: str) -> Renderer:
    renderer = _registered.get(target)
    if renderer is not None:
        return renderer
    from importlib.metadata import entry_points

    for entry in entry_points(group=RENDERERS_GROUP):
        if entry.name.lower() == target:
            try:
                loaded: Renderer = entry.load()
            except ImportError as error:
                raise OrchestratorError(
                    f"the {target} renderer cannot be imported ({error}); "
                    f"pip install 'orchsdk[{target}]'"
                ) from error
            return loaded
    known = ", ".join(renderer_targets()) or "none"
    raise OrchestratorError(f"no offline renderer for {target!r}; known targets: {known}")


def offline_backend(target: str, **options: Any) -> Backend:
    """A backend for ``target`` that renders without a cluster (and does nothing else)."""
    renderer = _load(target.lower())
    if _is_render_function(renderer):
        if options:
            raise OrchestratorError(
                f"the {target} renderer takes no options, got {sorted(options)}"
            )
        return OfflineBackend(target.lower(), renderer)
    backend = renderer(**options)
    if not isinstance(backend, Backend):
        raise OrchestratorError(f"the {target} renderer made {backend!r}, not a Backend")
    return backend


def _is_render_function(renderer: Renderer) -> bool:
    """A render function takes the resource as a required positional parameter; a factory none."""
    if inspect.isclass(renderer):
        return False
    try:
        parameters = inspect.signature(renderer).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return any(p.kind in positional and p.default is p.empty for p in parameters)


def render_offline(
    target: str,
    *resources: Resource,
    namespace: str | None = None,
    lenient: bool = False,
    **options: Any,
) -> builtins.list[dict[str, Any]]:
    """The native documents ``resources`` become on ``target``, validated, without a cluster.

    Raises :class:`~orchsdk.ValidationError` and :class:`~orchsdk.UnsupportedFeature`
    exactly as an apply would (``lenient=True`` leaves unsupported fields out, with a
    warning).

    >>> from orchsdk import Deployment
    >>> [doc["kind"] for doc in render_offline("memory", Deployment("web", image="nginx"))]
    ['Deployment']
    """
    from orchsdk.orchestrator import Orchestrator

    with Orchestrator(
        offline_backend(target, **options), namespace=namespace, lenient=lenient
    ) as orch:
        return orch.render(*resources)


class OfflineBackend(Backend):
    """A backend that only renders, with a pure function, and supports every capability.

    Any call that would need a cluster raises :class:`~orchsdk.OrchestratorError`.
    """

    def __init__(
        self,
        name: str,
        render: Callable[[Resource], dict[str, Any] | Iterable[dict[str, Any]]],
        capabilities: Capabilities | None = None,
    ) -> None:
        self.name = name  # type: ignore[misc]  # an instance attribute, per wrapped backend
        self._render = render
        self._capabilities = capabilities or Capabilities()

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    def render(self, resource: Resource) -> builtins.list[dict[str, Any]]:
        rendered = self._render(resource)
        if isinstance(rendered, Mapping):
            return [dict(rendered)]
        return [dict(document) for document in rendered]

    def _offline(self, operation: str) -> NoReturn:
        raise OrchestratorError(
            f"{operation} needs a cluster: the offline {self.name} renderer only renders"
        )

    def apply(self, resource: Resource) -> Action:
        self._offline("apply")

    def get(self, kind: type[R], name: str, namespace: str, *, reveal: bool = False) -> R:
        self._offline("get")

    def list(
        self, kind: type[R], namespace: str, labels: Mapping[str, str], *, reveal: bool = False
    ) -> builtins.list[R]:
        self._offline("list")

    def delete(self, kind: type[Resource], name: str, namespace: str) -> None:
        self._offline("delete")

    def scale(self, name: str, namespace: str, replicas: int) -> None:
        self._offline("scale")

    def status(self, name: str, namespace: str) -> DeploymentStatus:
        self._offline("status")

    def rollback(self, name: str, namespace: str, revision: int | None) -> None:
        self._offline("rollback")

    def instances(self, name: str, namespace: str) -> builtins.list[Instance]:
        self._offline("instances")

    def endpoints(self, name: str, namespace: str) -> builtins.list[Endpoint]:
        self._offline("endpoints")

    def watch_status(self, name: str, namespace: str, timeout: float) -> Iterator[DeploymentStatus]:
        self._offline("watch")
