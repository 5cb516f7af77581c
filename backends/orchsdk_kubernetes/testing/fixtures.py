"""The ``kubernetes_emulator`` pytest fixture, registered as a pytest plugin (``pytest11``).

Any project that installs orchsdk gets it::

    def test_deploys(kubernetes_emulator):
        with orchsdk.connect(kubernetes_emulator.url) as orch:
            orch.apply(Deployment("web", image="nginx:1.27"), wait=True)

Each test gets a fresh emulator (it starts in milliseconds). This module imports the
emulator only when the fixture is used, so loading the plugin costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from orchsdk_kubernetes.testing.emulator import KubernetesEmulator

__all__ = ["kubernetes_emulator"]


@pytest.fixture
def kubernetes_emulator() -> Iterator[KubernetesEmulator]:
    """A started :class:`~orchsdk_kubernetes.testing.KubernetesEmulator`, stopped afterwards."""
    from orchsdk_kubernetes.testing.emulator import KubernetesEmulator

    with KubernetesEmulator() as emulator:
        yield emulator
