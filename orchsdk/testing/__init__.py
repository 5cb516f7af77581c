"""The contract suite every backend must pass, shipped for plugin authors.

Subclass :class:`BackendContract` in a test module and say how to make your backend::

    from orchsdk.testing import BackendContract

    class TestMyBackend(BackendContract):
        def make_backend(self):
            return MyBackend(url="...")

pytest then runs every contract test against it, each in a fresh namespace that is
emptied afterwards, skipping (with the capability's name) what your backend's
:class:`~orchsdk.Capabilities` says it cannot do.
"""

from orchsdk.testing.contract import BackendContract, RolloutControl, requires

__all__ = ["BackendContract", "RolloutControl", "requires"]
