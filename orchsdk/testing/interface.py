"""The contract suite's pytest-free interface: what a test needs, and how rollouts are steered.

Emulators import :class:`RolloutControl` from here, so that they (and scripts that use
them) run without pytest; only :class:`~orchsdk.testing.contract.BackendContract` needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

__all__ = ["REQUIRES", "RolloutControl", "requires"]

F = TypeVar("F", bound=Callable[..., Any])

REQUIRES = "__orchsdk_requires__"
"""The attribute :func:`requires` sets on a test: the capabilities it needs."""


def requires(*capabilities: str) -> Callable[[F], F]:
    """Declares the capabilities a contract test needs (none is a valid answer)."""

    def mark(test: F) -> F:
        setattr(test, REQUIRES, capabilities)
        return test

    return mark


class RolloutControl(Protocol):
    """Steers rollouts for the tests that need one held or failed; emulators provide it."""

    def hold(self, name: str, namespace: str) -> None:
        """Keeps the deployment's rollout from finishing: its new instances stay not ready."""

    def release(self, name: str, namespace: str) -> None:
        """Lets a held rollout go on."""

    def fail(self, name: str, namespace: str) -> None:
        """Makes the deployment's current rollout fail, as when its progress deadline passes."""
