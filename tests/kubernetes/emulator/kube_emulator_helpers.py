"""Helpers for the emulator's tests: the real ``kubernetes`` client bound to an emulator.

Every test drives the emulator through the real client over HTTP (typed methods with
``_preload_content=False``, so the JSON on the wire is what the test reads).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client, config
from orchsdk_kubernetes.testing import KubernetesEmulator


def connect(emulator: KubernetesEmulator) -> client.ApiClient:
    """An ApiClient from the emulator's kubeconfig, without urllib3's hidden retries."""
    cfg = client.Configuration(retries=False)
    config.load_kube_config(config_file=emulator.kubeconfig, client_configuration=cfg)
    cfg.proxy = None
    return client.ApiClient(cfg)


def body(response: Any) -> Any:
    """The JSON of a ``_preload_content=False`` response."""
    return json.loads(response.data)


def error_body(raised: pytest.ExceptionInfo[client.ApiException]) -> Any:
    """The Status document of an ApiException."""
    return json.loads(raised.value.body)


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
    """Polls until ``predicate()`` is truthy; returns its value or fails the test."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s")
        time.sleep(interval)


def deployment(
    name: str = "web", replicas: int = 2, image: str = "nginx:1.27", **spec: Any
) -> dict[str, Any]:
    """A small, valid apps/v1 Deployment document."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": name,
                            "image": image,
                            "ports": [{"containerPort": 8080, "name": "http"}],
                        }
                    ]
                },
            },
            **spec,
        },
    }


class Cluster:
    """One emulator and typed API objects of the real client bound to it."""

    def __init__(self, emulator: KubernetesEmulator) -> None:
        self.emulator = emulator
        self.api = connect(emulator)
        self.core = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)
        self.autoscaling = client.AutoscalingV2Api(self.api)
        self.discovery = client.DiscoveryV1Api(self.api)

    def namespace(self) -> str:
        name = f"t-{uuid.uuid4().hex[:8]}"
        self.core.create_namespace({"metadata": {"name": name}}, _preload_content=False)
        return name

    def deployment(self, namespace: str, name: str) -> dict[str, Any]:
        return body(self.apps.read_namespaced_deployment(name, namespace, _preload_content=False))

    def apply(
        self, namespace: str, document: dict[str, Any], manager: str = "orchsdk", force: bool = True
    ) -> dict[str, Any]:
        response = self.apps.patch_namespaced_deployment(
            document["metadata"]["name"],
            namespace,
            document,
            field_manager=manager,
            force=force,
            _content_type="application/apply-patch+yaml",
            _preload_content=False,
        )
        return body(response)  # type: ignore[no-any-return]

    def replica_sets(self, namespace: str) -> list[dict[str, Any]]:
        items = body(self.apps.list_namespaced_replica_set(namespace, _preload_content=False))
        return sorted(items["items"], key=lambda rs: rs["metadata"]["name"])

    def pods(self, namespace: str, selector: str | None = None) -> list[dict[str, Any]]:
        response = self.core.list_namespaced_pod(
            namespace, label_selector=selector, _preload_content=False
        )
        return body(response)["items"]  # type: ignore[no-any-return]

    def close(self) -> None:
        self.api.close()


def read(response: Any) -> bytes:
    """Reads a ``_preload_content=False`` response whose body the test does not need."""
    return bytes(response.data)
