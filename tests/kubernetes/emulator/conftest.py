"""Fixtures for the emulator's own tests: shared emulators and a namespace per test.

Module-scoped emulators are shared by the tests of a module; each test works in a
namespace of its own, so they do not see each other's objects. pytest imports with
``--import-mode=importlib``, so this directory is put on ``sys.path`` for the test
modules' ``import kube_emulator_helpers``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from orchsdk_kubernetes.testing import KubernetesEmulator

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from kube_emulator_helpers import Cluster  # noqa: E402


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """An emulator whose rollouts run on their own, quickly, shared by a module."""
    with KubernetesEmulator(rollout_seconds=0.2) as emulator:
        shared = Cluster(emulator)
        yield shared
        shared.close()
        assert emulator.internal_errors == []


@pytest.fixture(scope="module")
def manual() -> Iterator[Cluster]:
    """An emulator whose rollouts move only when the test steps them."""
    with KubernetesEmulator(auto=False) as emulator:
        shared = Cluster(emulator)
        yield shared
        shared.close()
        assert emulator.internal_errors == []


@pytest.fixture
def ns(cluster: Cluster) -> str:
    return cluster.namespace()


@pytest.fixture
def mns(manual: Cluster) -> str:
    return manual.namespace()
