"""orchsdk's contract suite against the jsonfile backend: one fresh cluster file per test."""

from pathlib import Path

import pytest
from orchsdk_jsonfile import JsonFileBackend

from orchsdk import Backend
from orchsdk.testing import BackendContract, RolloutControl


class TestJsonFileBackend(BackendContract):
    timeout = 10.0
    path: Path

    @pytest.fixture(autouse=True)
    def _cluster_file(self, tmp_path: Path) -> None:
        # Autouse fixtures run before the suite's `backend` fixture calls make_backend().
        self.path = tmp_path / "cluster.json"

    def make_backend(self) -> Backend:
        return JsonFileBackend(self.path)

    def rollout_control(self, backend: Backend) -> RolloutControl:
        assert isinstance(backend, JsonFileBackend)
        return backend.control
