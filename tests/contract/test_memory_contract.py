"""The contract suite against the memory backend: every test must pass, none may skip."""

from orchsdk_memory import MemoryBackend

from orchsdk import Backend
from orchsdk.testing import BackendContract, RolloutControl


class TestMemoryBackend(BackendContract):
    timeout = 10.0

    def make_backend(self) -> Backend:
        return MemoryBackend()

    def rollout_control(self, backend: Backend) -> RolloutControl:
        assert isinstance(backend, MemoryBackend)
        return backend.control


class TestMemoryBackendWithGracePeriod(TestMemoryBackend):
    """The same contract while stopped instances linger, terminating, as pods do."""

    def make_backend(self) -> Backend:
        return MemoryBackend(termination_seconds=0.05)
