"""Rendering without a cluster: the native documents specs become on a backend, for dry runs.

A backend's ``render`` is pure, but making a backend usually means connecting to one. So
every backend class offers :meth:`Backend.offline <orchsdk.Backend.offline>`, a
classmethod that makes a backend which renders, and reports its capabilities, unsupported
fields and own rules, without a request. A *target* is a backend's name as a URL scheme
names it: ``kubernetes``, ``memory``, ``marathon`` (for ``marathon+http`` and
``marathon+https``), or any plugin's; backends are found exactly as
:func:`orchsdk.connect` finds them, in the one ``orchsdk.backends`` entry-point group.

:func:`render_offline` validates the specs and checks them exactly as
:meth:`Orchestrator.render <orchsdk.Orchestrator.render>` does, then renders.
``orchsdk render --to TARGET`` is built on it.
"""

from __future__ import annotations

import builtins
from typing import Any

from orchsdk.backend import Backend
from orchsdk.errors import OrchestratorError
from orchsdk.plugins import installed_schemes, resolve_scheme
from orchsdk.specs import Resource

__all__ = ["offline_backend", "offline_targets", "render_offline"]


def offline_targets() -> builtins.list[str]:
    """Every target that can be rendered for without a cluster, sorted."""
    return sorted({scheme.partition("+")[0] for scheme in installed_schemes()})


def _scheme_for(target: str) -> str:
    if not target or "://" in target or ":" in target:
        raise OrchestratorError(
            f"a target is a backend's name such as 'kubernetes' or 'marathon', got {target!r}"
        )
    schemes = installed_schemes()
    if target in schemes:
        return target
    for scheme in schemes:
        if scheme.partition("+")[0] == target:
            return scheme
    known = ", ".join(offline_targets()) or "none"
    raise OrchestratorError(f"no backend is installed for target {target!r}; known: {known}")


def offline_backend(target: str, **options: Any) -> Backend:
    """A backend for ``target`` that renders without a cluster (and does nothing else)."""
    factory = resolve_scheme(_scheme_for(target.lower()))
    if not (isinstance(factory, type) and issubclass(factory, Backend)):
        raise OrchestratorError(
            f"the {target} backend is registered as a factory, not a Backend class, "
            "so it has no offline() to render with"
        )
    backend = factory.offline(**options)
    if not isinstance(backend, Backend):
        raise OrchestratorError(f"{factory.__name__}.offline() made {backend!r}, not a Backend")
    return backend


def render_offline(
    target: str,
    *resources: Resource,
    namespace: str | None = None,
    lenient: bool = False,
    reveal: bool = False,
    **options: Any,
) -> builtins.list[dict[str, Any]]:
    """The native documents ``resources`` become on ``target``, validated, without a cluster.

    Raises :class:`~orchsdk.ValidationError` and :class:`~orchsdk.UnsupportedFeature`
    exactly as an apply would (``lenient=True`` leaves unsupported fields out, with a
    warning). Secret values are redacted unless ``reveal=True``.

    >>> from orchsdk import Deployment
    >>> [doc["kind"] for doc in render_offline("memory", Deployment("web", image="nginx"))]
    ['Deployment']
    """
    from orchsdk.orchestrator import Orchestrator

    with Orchestrator(
        offline_backend(target, **options), namespace=namespace, lenient=lenient
    ) as orch:
        return orch.render(*resources, reveal=reveal)
