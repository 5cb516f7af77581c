"""The contract suite against the Kubernetes backend: on the local emulator, and live on request.

The emulator run must pass with no skip. Set ``ORCHSDK_LIVE_KUBERNETES`` to a kubeconfig
context to run the same suite against that cluster (each test in its own namespace,
deleted afterwards).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from orchsdk_kubernetes import KubernetesBackend
from orchsdk_kubernetes.testing import KubernetesEmulator

from orchsdk import Backend
from orchsdk.testing import BackendContract, RolloutControl

LIVE_CONTEXT = os.environ.get("ORCHSDK_LIVE_KUBERNETES")


class TestKubernetesOnEmulator(BackendContract):
    timeout = 30.0
    emulator: KubernetesEmulator

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def running_emulator(cls) -> Iterator[KubernetesEmulator]:
        with KubernetesEmulator() as emulator:
            cls.emulator = emulator
            yield emulator

    def make_backend(self) -> Backend:
        return KubernetesBackend.from_url(self.emulator.url, create_namespace=True)

    def rollout_control(self, backend: Backend) -> RolloutControl:
        return self.emulator.control


@pytest.mark.skipif(LIVE_CONTEXT is None, reason="set ORCHSDK_LIVE_KUBERNETES to a context")
class TestKubernetesLive(BackendContract):
    timeout = 300.0

    def make_backend(self) -> Backend:
        return KubernetesBackend.from_url(
            f"kubernetes://?context={LIVE_CONTEXT}", create_namespace=True
        )

    @pytest.fixture(autouse=True)
    def delete_namespaces(self, namespace: str) -> Iterator[None]:
        yield
        from kubernetes import client, config

        api = client.CoreV1Api(config.new_client_from_config(context=LIVE_CONTEXT))
        for name in (namespace, f"{namespace}-b"):
            try:
                api.delete_namespace(name)
            except client.ApiException as error:
                if error.status != 404:
                    raise
