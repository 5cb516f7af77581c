"""The shape every kind handler has, and the handler of the kinds Marathon cannot hold.

:class:`~orchsdk_marathon.MarathonBackend` routes each verb to the handler of the
resource's kind (:mod:`~orchsdk_marathon.apps`, :mod:`~orchsdk_marathon.service_labels`,
:mod:`~orchsdk_marathon.secrets`); a kind without one (config maps, autoscalers, and
secrets without a secret store) gets :class:`Absent`: nothing of it exists, and nothing
of it can be written. :func:`not_found` is the one message for a missing resource.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from orchsdk import Action, Comparison, NotFound, Resource, UnsupportedFeature

__all__ = ["Absent", "KindHandler", "not_found"]

Json = dict[str, Any]


def not_found(kind: str, name: str, namespace: str, why: str = "") -> NotFound:
    """``Deployment 'web' not found in namespace 'shop'`` (and why, when there is a reason)."""
    return NotFound.missing(kind, name, namespace, why)


class KindHandler(Protocol):
    """What the backend asks of the handler of one kind; resources' namespaces are set."""

    def render(self, resource: Any) -> builtins.list[Json]:
        """The documents the resource becomes; sends nothing."""

    def compare(self, resource: Any) -> Comparison | None:
        """Live and desired documents, when the handler decides them (else None: the
        backend's default, from :meth:`get` and :meth:`render`)."""

    def apply(self, resource: Any) -> Action:
        """Creates or updates the resource; says which."""

    def get(self, name: str, namespace: str, *, reveal: bool) -> Resource:
        """The resource; :class:`~orchsdk.NotFound` when it does not exist."""

    def list(self, namespace: str, *, reveal: bool) -> Sequence[Resource]:
        """Every resource of the kind in the namespace."""

    def delete(self, name: str, namespace: str) -> None:
        """Deletes the resource; :class:`~orchsdk.NotFound` when it does not exist."""


class Absent:
    """The handler of a kind this Marathon cannot hold: none exists, none can be written."""

    def __init__(self, kind: type[Resource], reason: Callable[[], str]) -> None:
        self._kind = kind
        self._reason = reason

    def __repr__(self) -> str:
        return f"<Absent {self._kind.kind}>"

    def unsupported(self, name: str) -> UnsupportedFeature:
        """The error of a write (or render) of this kind."""
        kind = self._kind.kind
        return UnsupportedFeature("marathon", f"{kind} {name!r}", kind, self._reason())

    def render(self, resource: Resource) -> builtins.list[Json]:
        raise self.unsupported(resource.name)

    def compare(self, resource: Resource) -> Comparison | None:
        raise self.unsupported(resource.name)

    def apply(self, resource: Resource) -> Action:
        raise self.unsupported(resource.name)

    def get(self, name: str, namespace: str, *, reveal: bool) -> Resource:
        raise not_found(self._kind.kind, name, namespace, self._reason())

    def list(self, namespace: str, *, reveal: bool) -> builtins.list[Resource]:
        return []

    def delete(self, name: str, namespace: str) -> None:
        raise not_found(self._kind.kind, name, namespace, self._reason())
