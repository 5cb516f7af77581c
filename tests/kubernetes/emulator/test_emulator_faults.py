"""Injected faults as the real client sees them, the pytest plugin, the kubeconfig and kubectl."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import urllib3
from kube_emulator_helpers import Cluster, body, connect, deployment, error_body, read
from kubernetes import client
from orchsdk_kubernetes.testing import KubernetesEmulator, api_fault

from orchsdk.testing.loopback import Fault


def test_an_injected_503_reaches_the_client_as_an_api_server_status(
    cluster: Cluster, ns: str
) -> None:
    cluster.emulator.fail_next(503, method="GET", path=f"/api/v1/namespaces/{ns}/configmaps")
    with pytest.raises(client.ApiException) as raised:
        cluster.core.list_namespaced_config_map(ns, _preload_content=False)
    assert raised.value.status == 503
    assert error_body(raised) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "the server is currently unable to handle the request",
        "reason": "ServiceUnavailable",
        "code": 503,
    }
    assert body(cluster.core.list_namespaced_config_map(ns, _preload_content=False))["items"] == []


def test_a_plain_fault_gets_a_status_body_and_retry_after(cluster: Cluster, ns: str) -> None:
    cluster.emulator.server.faults.add(Fault(status=429, retry_after=2), method="POST", count=2)
    for _ in range(2):
        with pytest.raises(client.ApiException) as raised:
            cluster.core.create_namespaced_config_map(
                ns, {"metadata": {"name": "c"}}, _preload_content=False
            )
        assert raised.value.status == 429
        assert raised.value.headers["Retry-After"] == "2"
        status = error_body(raised)
        assert (status["reason"], status["code"]) == ("TooManyRequests", 429)
        assert status["details"] == {"retryAfterSeconds": 2}
    read(
        cluster.core.create_namespaced_config_map(
            ns, {"metadata": {"name": "c"}}, _preload_content=False
        )
    )


def test_faults_can_target_one_verb_and_path(cluster: Cluster, ns: str) -> None:
    read(cluster.apps.create_namespaced_deployment(ns, deployment(), _preload_content=False))
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/web"
    cluster.emulator.inject(api_fault(500), method="PATCH", path=path)
    cluster.deployment(ns, "web")  # a GET of the same path is untouched
    with pytest.raises(client.ApiException) as raised:
        cluster.apply(ns, deployment(replicas=3))
    assert raised.value.status == 500
    assert error_body(raised)["reason"] == "InternalError"
    assert cluster.apply(ns, deployment(replicas=3))["spec"]["replicas"] == 3
    assert cluster.emulator.server.count("PATCH", path) == 2


def test_a_dropped_connection_and_a_delay(cluster: Cluster, ns: str) -> None:
    cluster.emulator.inject(
        Fault(drop="before"), method="GET", path=f"/api/v1/namespaces/{ns}/secrets"
    )
    with pytest.raises(urllib3.exceptions.HTTPError):
        cluster.core.list_namespaced_secret(ns, _preload_content=False)
    cluster.emulator.inject(
        Fault(drop="after"), method="POST", path=f"/api/v1/namespaces/{ns}/secrets"
    )
    with pytest.raises(urllib3.exceptions.HTTPError):
        cluster.core.create_namespaced_secret(
            ns, {"metadata": {"name": "s"}}, _preload_content=False
        )
    assert cluster.emulator.get("secrets", "s", ns) is not None  # it acted, then hung up
    cluster.emulator.inject(Fault(delay=0.3), method="GET", path=f"/api/v1/namespaces/{ns}/secrets")
    started = time.monotonic()
    read(cluster.core.list_namespaced_secret(ns, _preload_content=False))
    assert time.monotonic() - started >= 0.3


def test_a_wrong_token_is_401_and_a_missing_one_can_be_required() -> None:
    with KubernetesEmulator(require_token=True) as emulator:
        api = connect(emulator)
        assert body(client.CoreV1Api(api).list_namespace(_preload_content=False))["items"]
        api.close()
        for token in ("wrong", None):
            cfg = client.Configuration(host=emulator.api_url, retries=False)
            if token is not None:
                cfg.api_key, cfg.api_key_prefix = {"BearerToken": token}, {"BearerToken": "Bearer"}
            with client.ApiClient(cfg) as anonymous, pytest.raises(client.ApiException) as raised:
                client.CoreV1Api(anonymous).list_namespace(_preload_content=False)
            assert raised.value.status == 401
            assert error_body(raised)["reason"] == "Unauthorized"


def test_the_kubeconfig_and_url_name_the_emulator() -> None:
    with KubernetesEmulator() as emulator:
        config = json.loads(Path(emulator.kubeconfig).read_text())
        assert config["current-context"] == "orchsdk-emulator"
        (cluster,) = config["clusters"]
        assert cluster["cluster"]["server"] == emulator.api_url
        (context,) = config["contexts"]
        assert context["context"]["namespace"] == "default"
        assert emulator.url.startswith("kubernetes://?kubeconfig=")
        assert emulator.url.endswith("&context=orchsdk-emulator")
        path = emulator.kubeconfig
    assert not Path(path).exists()


def test_the_pytest_plugin_gives_each_test_an_emulator(
    kubernetes_emulator: KubernetesEmulator,
) -> None:
    api = connect(kubernetes_emulator)
    names = {
        item["metadata"]["name"]
        for item in body(client.CoreV1Api(api).list_namespace(_preload_content=False))["items"]
    }
    assert {"default", "kube-system"} <= names
    api.close()


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_applies_waits_and_rolls_back(tmp_path: Path) -> None:
    manifest = tmp_path / "web.json"
    manifest.write_text(json.dumps(deployment(replicas=2)))
    with KubernetesEmulator(rollout_seconds=0.2) as emulator:

        def kubectl(*args: str) -> str:
            done = subprocess.run(
                ["kubectl", "--kubeconfig", emulator.kubeconfig, *args],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            return done.stdout

        assert "serverside-applied" in kubectl("apply", "--server-side", "-f", str(manifest))
        assert "successfully rolled out" in kubectl(
            "rollout", "status", "deployment/web", "--timeout=20s"
        )
        kubectl("set", "image", "deployment/web", "web=nginx:1.28")
        kubectl("rollout", "status", "deployment/web", "--timeout=20s")
        kubectl("rollout", "undo", "deployment/web")
        kubectl("rollout", "status", "deployment/web", "--timeout=20s")
        shown = json.loads(kubectl("get", "deployment", "web", "-o", "json"))
        assert shown["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
        assert shown["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
        table = kubectl("get", "pods")
        assert table.splitlines()[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
        assert emulator.internal_errors == []
