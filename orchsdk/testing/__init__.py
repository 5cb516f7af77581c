"""The contract suite every backend must pass, shipped for plugin authors.

Subclass :class:`BackendContract` in a test module and say how to make your backend::

    from orchsdk.testing import BackendContract

    class TestMyBackend(BackendContract):
        def make_backend(self):
            return MyBackend(url="...")

pytest then runs every contract test against it, each in a fresh namespace that is
emptied afterwards, skipping (with the capability's name) what your backend's
:class:`~orchsdk.Capabilities` says it cannot do.

Only :class:`BackendContract` needs pytest, and it is imported when first asked for:
the rest of the kit (:class:`RolloutControl`, :func:`requires`, the loopback server the
emulators run on) works in a plain script.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orchsdk.testing.interface import RolloutControl, requires

if TYPE_CHECKING:
    from orchsdk.testing.contract import BackendContract

__all__ = ["BackendContract", "RolloutControl", "requires"]


def __getattr__(name: str) -> Any:
    if name == "BackendContract":
        from orchsdk.testing.contract import BackendContract

        return BackendContract
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
