"""The Kubernetes backend against the local API emulator: watches, rollback, SSA and HPAs.

The real ``kubernetes`` client talks HTTP to the emulator; these tests check what the
contract suite cannot see from outside: which requests are sent, and how a wait
survives a dropped watch or a compacted history.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from orchsdk_kubernetes.testing import KubernetesEmulator

import orchsdk
from orchsdk import Autoscaler, Deployment, NotFound, Orchestrator, Phase, Port, Service


@pytest.fixture(scope="module")
def emulator() -> Iterator[KubernetesEmulator]:
    with KubernetesEmulator(rollout_seconds=0.3) as emulator:
        yield emulator
        assert emulator.internal_errors == []


_namespaces = iter(range(1_000_000))


@pytest.fixture
def orch(emulator: KubernetesEmulator) -> Iterator[Orchestrator]:
    namespace = f"wire-{next(_namespaces)}"
    with orchsdk.connect(emulator.url, namespace=namespace, create_namespace=True) as orch:
        yield orch


def web(**changes: Any) -> Deployment:
    import attrs

    spec = Deployment(
        "web",
        image="nginx:1.27",
        replicas=2,
        ports=[Port(8080, name="http")],
        labels={"app": "web"},
    )
    return attrs.evolve(spec, **changes)


def wait_in_thread(
    orch: Orchestrator, name: str, timeout: float
) -> tuple[threading.Thread, list[Any]]:
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(orch.wait(name, timeout=timeout))
        except Exception as error:
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_apply_of_a_deployment_is_one_server_side_apply_patch(
    emulator: KubernetesEmulator, orch: Orchestrator
) -> None:
    orch.apply(web())
    before = emulator.server.count("PATCH")
    orch.apply(web(image="nginx:1.28"))
    assert emulator.server.count("PATCH") - before == 1
    managers = {
        entry["manager"]
        for entry in emulator.get("Deployment", "web", orch.namespace)["metadata"]["managedFields"]
    }
    assert "orchsdk" in managers


def test_wait_follows_a_watch_instead_of_polling(
    emulator: KubernetesEmulator, orch: Orchestrator
) -> None:
    orch.apply(web(replicas=3))
    path = f"/apis/apps/v1/namespaces/{orch.namespace}/deployments"
    before = emulator.server.count("GET", path)
    status = orch.wait("web", timeout=10)
    assert status.phase is Phase.COMPLETE
    assert emulator.server.count("GET", path) - before <= 3


def test_wait_resumes_after_the_watch_stream_drops(
    emulator: KubernetesEmulator, orch: Orchestrator
) -> None:
    orch.apply(web(), wait=True, timeout=10)
    emulator.control.hold("web", orch.namespace)
    orch.apply(web(image="nginx:1.28"))
    thread, outcome = wait_in_thread(orch, "web", timeout=10)
    while emulator.open_watches == 0 and thread.is_alive():
        thread.join(0.02)
    emulator.drop_watches()
    emulator.control.release("web", orch.namespace)
    thread.join()
    assert [getattr(result, "phase", result) for result in outcome] == [Phase.COMPLETE]


def test_wait_lists_again_after_410_gone(emulator: KubernetesEmulator, orch: Orchestrator) -> None:
    orch.apply(web(), wait=True, timeout=10)
    emulator.control.hold("web", orch.namespace)
    orch.apply(web(image="nginx:1.28"))
    thread, outcome = wait_in_thread(orch, "web", timeout=10)
    while emulator.open_watches == 0 and thread.is_alive():
        thread.join(0.02)
    lists_before = emulator.server.count("GET", f"/apis/apps/v1/namespaces/{orch.namespace}")
    emulator.compact()
    emulator.drop_watches()
    emulator.control.release("web", orch.namespace)
    thread.join()
    assert [getattr(result, "phase", result) for result in outcome] == [Phase.COMPLETE]
    assert emulator.server.count("GET", f"/apis/apps/v1/namespaces/{orch.namespace}") > lists_before


def test_rollback_to_a_given_revision_restores_that_template(orch: Orchestrator) -> None:
    for image in ("nginx:1.25", "nginx:1.26", "nginx:1.27"):
        orch.apply(web(image=image), wait=True, timeout=10)
    first = orch.status("web").revision - 2
    status = orch.rollback("web", to_revision=first, wait=True, timeout=10)
    assert orch.get(Deployment, "web").image == "nginx:1.25"
    assert status.revision == first + 3


def test_rollback_with_no_history_raises_not_found(orch: Orchestrator) -> None:
    orch.apply(web(), wait=True, timeout=10)
    with pytest.raises(NotFound, match="no revision before the current one"):
        orch.rollback("web")


def test_apply_leaves_replicas_to_the_autoscaler(
    emulator: KubernetesEmulator, orch: Orchestrator
) -> None:
    orch.apply(web(replicas=2), wait=True, timeout=10)
    orch.apply(Autoscaler("web", target="web", min_replicas=3, max_replicas=6, cpu_percent=50))
    emulator.settle()
    orch.wait("web", timeout=10)
    orch.apply(web(replicas=1, image="nginx:1.28"), wait=True, timeout=10)
    deployment = emulator.get("Deployment", "web", orch.namespace)
    assert deployment["spec"]["replicas"] == 3
    owners = [
        entry for entry in deployment["metadata"]["managedFields"] if entry["manager"] == "orchsdk"
    ]
    assert all("f:replicas" not in str(entry.get("fieldsV1")) for entry in owners)


def test_handing_replicas_to_an_autoscaler_keeps_the_current_count(
    emulator: KubernetesEmulator, orch: Orchestrator
) -> None:
    orch.apply(web(replicas=4), wait=True, timeout=10)
    orch.apply(Autoscaler("web", target="web", min_replicas=2, max_replicas=10, cpu_percent=50))
    orch.apply(web(replicas=4, image="nginx:1.28"), wait=True, timeout=10)
    assert emulator.get("Deployment", "web", orch.namespace)["spec"]["replicas"] == 4


def test_scale_uses_the_scale_subresource(emulator: KubernetesEmulator, orch: Orchestrator) -> None:
    orch.apply(web(), wait=True, timeout=10)
    before = emulator.server.count(
        "PATCH", f"/apis/apps/v1/namespaces/{orch.namespace}/deployments/web/scale"
    )
    orch.scale("web", 3, wait=True, timeout=10)
    after = emulator.server.count(
        "PATCH", f"/apis/apps/v1/namespaces/{orch.namespace}/deployments/web/scale"
    )
    assert after - before == 1


def test_instances_carry_the_revision_of_their_replica_set(orch: Orchestrator) -> None:
    orch.apply(web(), wait=True, timeout=10)
    orch.apply(web(image="nginx:1.28"), wait=True, timeout=10)
    revisions = {instance.revision for instance in orch.instances("web")}
    assert revisions == {orch.status("web").revision}


def test_endpoints_come_from_the_services_endpoint_slices(orch: Orchestrator) -> None:
    orch.apply(web(), wait=True, timeout=10)
    orch.apply(
        Service("web", selector={"app": "web"}, ports=[Port(80, name="http", target_port="http")])
    )
    endpoints = orch.endpoints("web")
    assert {(endpoint.port, endpoint.port_name) for endpoint in endpoints} == {(8080, "http")}
    assert {endpoint.instance for endpoint in endpoints} == {
        instance.id for instance in orch.instances("web")
    }


def test_a_missing_namespace_is_not_created_unless_asked(emulator: KubernetesEmulator) -> None:
    with (
        orchsdk.connect(emulator.url, namespace="never-made") as orch,
        pytest.raises(NotFound, match="never-made"),
    ):
        orch.apply(web())


def test_a_transient_503_is_retried_by_the_core(
    emulator: KubernetesEmulator, orch: Orchestrator
) -> None:
    orch.apply(web(), wait=True, timeout=10)
    emulator.fail_next(503, method="GET", path=f"/apis/apps/v1/namespaces/{orch.namespace}")
    assert orch.status("web").phase is Phase.COMPLETE


def test_the_namespace_comes_from_the_kubeconfig_context(emulator: KubernetesEmulator) -> None:
    with orchsdk.connect(emulator.url) as orch:
        assert orch.namespace == "default"


def test_kubernetes_and_its_api_classes_are_imported_only_when_used(
    emulator: KubernetesEmulator,
) -> None:
    script = f"""
import sys
import orchsdk_kubernetes
assert "kubernetes" not in sys.modules, "kubernetes imported with the package"
import orchsdk
orch = orchsdk.connect({emulator.url!r})
assert "kubernetes.client.api.core_v1_api" not in sys.modules, "CoreV1Api imported early"
orch.list("Deployment")
assert "kubernetes.client.api.apps_v1_api" in sys.modules
assert "kubernetes.client.api.core_v1_api" not in sys.modules, "CoreV1Api imported unused"
"""
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
