"""Testing your own code with the emulators: the example of ``docs/testing.md``.

The page includes this file (``pymdownx.snippets``), so the example on it is this test,
and runs with the suite. It is written as a user's test module would be: the
``kubernetes_emulator`` and ``marathon_emulator`` fixtures come from the pytest plugins
that orchsdk installs, nothing from this project's own test helpers.
"""

# --8<-- [start:code]
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest
import requests
from kubernetes import client, config
from orchsdk_kubernetes.testing import KubernetesEmulator

import orchsdk
from orchsdk import (
    BackendUnavailable,
    Deployment,
    DeploymentStatus,
    Orchestrator,
    Port,
    RetryPolicy,
    RolloutFailed,
    Service,
    WaitTimeout,
)
from orchsdk.testing.loopback import Fault


def release(orch: Orchestrator, version: str, timeout: float = 60) -> DeploymentStatus:
    """The code under test: roll out a version of the web tier, behind its service."""
    orch.apply(
        Deployment(
            "web",
            image=f"nginx:{version}",
            replicas=2,
            ports=[Port(8080, name="http")],
            labels={"app": "web"},
        ),
        Service("web", selector={"app": "web"}, ports=[Port(80, target_port="http")]),
        wait=True,
        timeout=timeout,
    )
    return orch.status("web")


# --8<-- [end:code]
# --8<-- [start:both]
@pytest.fixture(params=["kubernetes", "marathon"])
def orch(request: pytest.FixtureRequest) -> Iterator[Orchestrator]:
    """The same tests on both orchestrators: a fresh emulator for each test."""
    emulator = request.getfixturevalue(f"{request.param}_emulator")
    with orchsdk.connect(emulator.url) as orch:
        yield orch


def test_release_rolls_out_behind_the_service(orch: Orchestrator) -> None:
    status = release(orch, "1.27")
    assert status.done
    assert status.ready == 2
    assert len(orch.endpoints("web")) == 2


def test_a_new_version_is_a_new_revision(orch: Orchestrator) -> None:
    first = release(orch, "1.27")
    second = release(orch, "1.28")
    assert second.revision > first.revision
    assert orch.get(Deployment, "web").image == "nginx:1.28"


# --8<-- [end:both]
# --8<-- [start:shared]
@pytest.fixture(scope="module")
def cluster() -> Iterator[KubernetesEmulator]:
    """One emulator for the module: faster than one per test, but the tests share it."""
    with KubernetesEmulator(rollout_seconds=0.5) as emulator:
        yield emulator


@pytest.mark.parametrize("team", ["shop", "search"])
def test_each_team_in_a_namespace_of_its_own(cluster: KubernetesEmulator, team: str) -> None:
    with orchsdk.connect(cluster.url, namespace=team, create_namespace=True) as orch:
        assert release(orch, "1.27").done
        assert [d.namespace for d in orch.list(Deployment)] == [team]


# --8<-- [end:shared]
# --8<-- [start:rollouts]
def test_a_held_rollout_times_out(kubernetes_emulator) -> None:
    with orchsdk.connect(kubernetes_emulator.url) as orch:
        release(orch, "1.27")
        kubernetes_emulator.control.hold("web", "default")  # new pods stay not ready
        with pytest.raises(WaitTimeout) as caught:
            release(orch, "1.28", timeout=0.5)  # ... and so the wait runs out of time
        assert not caught.value.status.done
        kubernetes_emulator.control.release("web", "default")
        assert orch.wait("web", timeout=30).done


def test_a_failed_rollout_is_rolled_back(marathon_emulator) -> None:
    with orchsdk.connect(marathon_emulator.url) as orch:
        release(orch, "1.27")
        marathon_emulator.control.hold("/default/web")  # Marathon names apps by id
        orch.apply(Deployment("web", image="nginx:1.28", replicas=2, labels={"app": "web"}))
        marathon_emulator.control.fail("/default/web")
        with pytest.raises(RolloutFailed):
            orch.wait("web", timeout=30)
        marathon_emulator.control.release("/default/web")
        orch.rollback("web", wait=True, timeout=30)
        assert orch.get(Deployment, "web").image == "nginx:1.27"


def test_step_by_step() -> None:
    with KubernetesEmulator(auto=False) as cluster, orchsdk.connect(cluster.url) as orch:
        orch.apply(Deployment("web", image="nginx:1.27", replicas=3))
        assert orch.status("web").ready == 0  # no clock: nothing moves until the test says
        cluster.control.step("web", "default")  # one step: the pods created become ready
        assert orch.status("web").done


# --8<-- [end:rollouts]
# --8<-- [start:faults]
def test_release_survives_an_overloaded_api_server(kubernetes_emulator) -> None:
    # The next two reads of the deployment get the API server's 503, with Retry-After.
    kubernetes_emulator.fail_next(
        503,
        method="GET",
        path="/apis/apps/v1/namespaces/default/deployments/web",
        count=2,
        retry_after=0.1,
    )
    with orchsdk.connect(kubernetes_emulator.url) as orch:
        assert release(orch, "1.27").done  # orchsdk retried, and converged
    assert kubernetes_emulator.server.faults.injected == 2


def test_a_lost_answer_is_not_a_lost_write(marathon_emulator) -> None:
    # Marathon acts on the next PUT of the app, then the connection drops: no answer.
    marathon_emulator.server.faults.add(Fault(drop="after"), method="PUT", path="/v2/apps")
    with orchsdk.connect(marathon_emulator.url) as orch:
        assert release(orch, "1.27").done
    assert len(requests.get(f"{marathon_emulator.marathon_url}/v2/apps").json()["apps"]) == 1


def test_without_retries_the_failure_reaches_the_caller(marathon_emulator) -> None:
    marathon_emulator.server.faults.add(Fault(status=503), method="GET", path="/v2/apps")
    no_retries = RetryPolicy(attempts=1)
    with (
        orchsdk.connect(marathon_emulator.url, retry=no_retries) as orch,
        pytest.raises(BackendUnavailable),
    ):
        orch.status("web")


# --8<-- [end:faults]
# --8<-- [start:native]
def test_what_the_cluster_holds(kubernetes_emulator, marathon_emulator) -> None:
    for emulator in (kubernetes_emulator, marathon_emulator):
        with orchsdk.connect(emulator.url) as orch:
            release(orch, "1.27")

    # The real kubernetes client, through the emulator's kubeconfig...
    apps = client.AppsV1Api(config.new_client_from_config(kubernetes_emulator.kubeconfig))
    deployment = apps.read_namespaced_deployment("web", "default", _preload_content=False)
    assert deployment.json()["spec"]["replicas"] == 2

    # ... and kubectl, through the same kubeconfig (where kubectl is installed).
    if shutil.which("kubectl"):
        kubectl = ["kubectl", "--kubeconfig", kubernetes_emulator.kubeconfig]
        shown = subprocess.run(
            [*kubectl, "rollout", "status", "deployment/web", "--timeout=30s"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        assert "successfully rolled out" in shown.stdout

    # Marathon's REST API, with requests.
    app = requests.get(f"{marathon_emulator.marathon_url}/v2/apps/default/web").json()["app"]
    assert app["instances"] == 2
    assert app["container"]["docker"]["image"] == "nginx:1.27"


# --8<-- [end:native]
