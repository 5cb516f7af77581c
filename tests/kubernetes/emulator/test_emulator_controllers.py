"""The emulated controllers: rollouts, revisions, scale, endpoint slices and autoscalers.

Most tests use the ``manual`` emulator, where time moves only when the test steps a
rollout, so every intermediate state can be checked; a few check the automatic clock.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest
from kube_emulator_helpers import Cluster, body, deployment, error_body, read, wait_for
from kubernetes import client

REVISION = "deployment.kubernetes.io/revision"


class RolloutFailed(Exception):
    pass


def rollout_status(d: dict[str, Any]) -> tuple[str, bool]:
    """kubectl's ``DeploymentStatusViewer.Status``, line for line, on a raw Deployment."""
    status = d.get("status") or {}
    if d["metadata"]["generation"] <= status.get("observedGeneration", 0):
        condition = next(
            (c for c in status.get("conditions") or [] if c["type"] == "Progressing"), None
        )
        if condition is not None and condition["reason"] == "ProgressDeadlineExceeded":
            raise RolloutFailed(
                f'deployment "{d["metadata"]["name"]}" exceeded its progress deadline'
            )
        updated, replicas = status.get("updatedReplicas", 0), status.get("replicas", 0)
        available = status.get("availableReplicas", 0)
        wanted = d["spec"].get("replicas")
        if wanted is not None and updated < wanted:
            return f"{updated} out of {wanted} new replicas have been updated...", False
        if replicas > updated:
            return f"{replicas - updated} old replicas are pending termination...", False
        if available < updated:
            return f"{available} of {updated} updated replicas are available...", False
        return "successfully rolled out", True
    return "Waiting for deployment spec update to be observed...", False


def condition(d: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(c for c in d["status"]["conditions"] if c["type"] == kind)


def set_image(cluster: Cluster, ns: str, image: str, name: str = "web") -> None:
    patch = {"spec": {"template": {"spec": {"containers": [{"name": name, "image": image}]}}}}
    read(cluster.apps.patch_namespaced_deployment(name, ns, patch, _preload_content=False))


# -- rollouts -----------------------------------------------------------------------------------


def test_a_rollout_finishes_on_its_own(cluster: Cluster, ns: str) -> None:
    started = time.monotonic()
    cluster.apps.create_namespaced_deployment(ns, deployment(replicas=3), _preload_content=False)
    wait_for(lambda: rollout_status(cluster.deployment(ns, "web"))[1], timeout=5)
    assert time.monotonic() - started < 2
    done = cluster.deployment(ns, "web")
    assert done["status"]["readyReplicas"] == 3
    assert condition(done, "Available")["reason"] == "MinimumReplicasAvailable"
    assert condition(done, "Progressing")["reason"] == "NewReplicaSetAvailable"
    assert done["metadata"]["annotations"][REVISION] == "1"
    (rs,) = cluster.replica_sets(ns)
    pods = cluster.pods(ns, "app=web")
    assert len(pods) == 3
    for pod in pods:
        assert pod["status"]["phase"] == "Running"
        assert pod["status"]["podIP"]
        assert pod["spec"]["nodeName"]
        assert (
            pod["metadata"]["labels"]["pod-template-hash"]
            == rs["metadata"]["labels"]["pod-template-hash"]
        )
        (owner,) = pod["metadata"]["ownerReferences"]
        assert (owner["kind"], owner["uid"], owner["controller"]) == (
            "ReplicaSet",
            rs["metadata"]["uid"],
            True,
        )
        ready = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "True"


def test_a_rolling_update_moves_by_max_surge_and_max_unavailable(manual: Cluster, mns: str) -> None:
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    manual.apps.create_namespaced_deployment(
        mns, deployment(replicas=3, strategy=strategy), _preload_content=False
    )
    first = manual.deployment(mns, "web")
    assert rollout_status(first) == ("0 of 3 updated replicas are available...", False)
    assert condition(first, "Progressing")["reason"] in (
        "NewReplicaSetCreated",
        "ReplicaSetUpdated",
    )
    manual.emulator.control.step("web", mns)
    assert rollout_status(manual.deployment(mns, "web")) == ("successfully rolled out", True)

    set_image(manual, mns, "nginx:1.28")
    seen = []
    for _ in range(10):
        current = manual.deployment(mns, "web")
        message, done = rollout_status(current)
        seen.append(message)
        status = current["status"]
        assert status.get("replicas", 0) <= 4  # never more than replicas + maxSurge
        assert status.get("availableReplicas", 0) >= 3  # never fewer than replicas - maxUnavailable
        if done:
            break
        manual.emulator.control.step("web", mns)
    assert seen == [
        "1 out of 3 new replicas have been updated...",
        "2 out of 3 new replicas have been updated...",
        "1 old replicas are pending termination...",
        "successfully rolled out",
    ]
    final = manual.deployment(mns, "web")
    assert condition(final, "Progressing")["reason"] == "NewReplicaSetAvailable"
    old, new = sorted(
        manual.replica_sets(mns), key=lambda rs: rs["metadata"]["annotations"][REVISION]
    )
    assert (old["spec"]["replicas"], new["spec"]["replicas"]) == (0, 3)


def test_new_templates_make_revisions_and_rollback_reuses_the_old_replica_set(
    manual: Cluster, mns: str
) -> None:
    manual.apps.create_namespaced_deployment(mns, deployment(), _preload_content=False)
    manual.emulator.control.finish("web", mns)
    (first,) = manual.replica_sets(mns)
    assert first["metadata"]["name"].startswith("web-")
    assert first["metadata"]["annotations"][REVISION] == "1"
    assert (
        first["spec"]["template"]["metadata"]["labels"]["pod-template-hash"]
        == first["metadata"]["name"][4:]
    )
    assert (
        first["spec"]["selector"]["matchLabels"]["pod-template-hash"]
        == first["metadata"]["name"][4:]
    )
    set_image(manual, mns, "nginx:1.28")
    manual.emulator.control.finish("web", mns)
    assert manual.deployment(mns, "web")["metadata"]["annotations"][REVISION] == "2"
    by_revision = {rs["metadata"]["annotations"][REVISION]: rs for rs in manual.replica_sets(mns)}
    assert set(by_revision) == {"1", "2"}

    # kubectl rollout undo: the revision-1 template (without its hash) and annotations
    template = copy.deepcopy(by_revision["1"]["spec"]["template"])
    del template["metadata"]["labels"]["pod-template-hash"]
    current = manual.deployment(mns, "web")
    read(
        manual.apps.patch_namespaced_deployment(
            "web",
            mns,
            [
                {"op": "replace", "path": "/spec/template", "value": template},
                {
                    "op": "replace",
                    "path": "/metadata/annotations",
                    "value": current["metadata"]["annotations"],
                },
            ],
            _preload_content=False,
        )
    )
    manual.emulator.control.finish("web", mns)
    replica_sets = manual.replica_sets(mns)
    assert len(replica_sets) == 2
    reused = next(rs for rs in replica_sets if rs["metadata"]["uid"] == first["metadata"]["uid"])
    assert reused["metadata"]["annotations"][REVISION] == "3"
    assert reused["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    assert reused["spec"]["replicas"] == 2
    rolled_back = manual.deployment(mns, "web")
    assert rolled_back["metadata"]["annotations"][REVISION] == "3"
    assert rolled_back["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert rollout_status(rolled_back)[1]


def test_a_held_rollout_stays_in_progress_until_released(cluster: Cluster, ns: str) -> None:
    cluster.apps.create_namespaced_deployment(ns, deployment(), _preload_content=False)
    wait_for(lambda: rollout_status(cluster.deployment(ns, "web"))[1])
    cluster.emulator.control.hold("web", ns)
    set_image(cluster, ns, "nginx:1.28")
    time.sleep(0.3)  # many clock steps
    message, done = rollout_status(cluster.deployment(ns, "web"))
    assert not done
    assert message == "1 out of 2 new replicas have been updated..."
    cluster.emulator.control.release("web", ns)
    wait_for(lambda: rollout_status(cluster.deployment(ns, "web"))[1])


def test_a_failed_rollout_reports_progress_deadline_exceeded(manual: Cluster, mns: str) -> None:
    manual.apps.create_namespaced_deployment(mns, deployment(), _preload_content=False)
    manual.emulator.control.finish("web", mns)
    set_image(manual, mns, "nginx:does-not-exist")
    manual.emulator.control.fail("web", mns)
    failed = manual.deployment(mns, "web")
    progressing = condition(failed, "Progressing")
    new_rs = max(
        manual.replica_sets(mns), key=lambda rs: int(rs["metadata"]["annotations"][REVISION])
    )
    assert (progressing["status"], progressing["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert (
        progressing["message"]
        == f'ReplicaSet "{new_rs["metadata"]["name"]}" has timed out progressing.'
    )
    with pytest.raises(RolloutFailed, match="exceeded its progress deadline"):
        rollout_status(failed)
    manual.emulator.control.step("web", mns)
    assert (
        condition(manual.deployment(mns, "web"), "Progressing")["reason"]
        == "ProgressDeadlineExceeded"
    )
    set_image(manual, mns, "nginx:1.29")  # a new template starts a new rollout
    manual.emulator.control.finish("web", mns)
    assert rollout_status(manual.deployment(mns, "web"))[1]


def test_the_progress_deadline_passes_on_its_own(cluster: Cluster, ns: str) -> None:
    cluster.emulator.control.hold("slow", ns)
    cluster.apps.create_namespaced_deployment(
        ns, deployment("slow", progressDeadlineSeconds=1), _preload_content=False
    )
    wait_for(
        lambda: (
            condition(cluster.deployment(ns, "slow"), "Progressing")["reason"]
            == "ProgressDeadlineExceeded"
        ),
        timeout=4,
    )


def test_recreate_stops_the_old_pods_before_starting_new_ones(manual: Cluster, mns: str) -> None:
    manual.apps.create_namespaced_deployment(
        mns, deployment(replicas=2, strategy={"type": "Recreate"}), _preload_content=False
    )
    manual.emulator.control.finish("web", mns)
    set_image(manual, mns, "nginx:1.28")
    images = {pod["spec"]["containers"][0]["image"] for pod in manual.pods(mns)}
    assert images == {"nginx:1.28"}
    manual.emulator.control.finish("web", mns)
    assert rollout_status(manual.deployment(mns, "web"))[1]


def test_old_replica_sets_beyond_the_history_limit_are_deleted(manual: Cluster, mns: str) -> None:
    manual.apps.create_namespaced_deployment(
        mns, deployment(revisionHistoryLimit=1), _preload_content=False
    )
    for image in ("nginx:1.1", "nginx:1.2", "nginx:1.3"):
        manual.emulator.control.finish("web", mns)
        set_image(manual, mns, image)
    manual.emulator.control.finish("web", mns)
    revisions = sorted(
        int(rs["metadata"]["annotations"][REVISION]) for rs in manual.replica_sets(mns)
    )
    assert revisions == [3, 4]


# -- scale -----------------------------------------------------------------------------------------


def test_the_scale_subresource_reads_and_writes_replicas(manual: Cluster, mns: str) -> None:
    manual.apps.create_namespaced_deployment(mns, deployment(replicas=2), _preload_content=False)
    manual.emulator.control.finish("web", mns)
    scale = body(manual.apps.read_namespaced_deployment_scale("web", mns, _preload_content=False))
    current = manual.deployment(mns, "web")
    assert scale == {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": "web",
            "namespace": mns,
            "uid": current["metadata"]["uid"],
            "resourceVersion": current["metadata"]["resourceVersion"],
            "creationTimestamp": current["metadata"]["creationTimestamp"],
        },
        "spec": {"replicas": 2},
        "status": {"replicas": 2, "selector": "app=web"},
    }
    patched = body(
        manual.apps.patch_namespaced_deployment_scale(
            "web", mns, {"spec": {"replicas": 4}}, _preload_content=False
        )
    )
    assert patched["spec"]["replicas"] == 4
    assert manual.deployment(mns, "web")["metadata"]["generation"] == 2
    assert len(manual.pods(mns)) == 4
    stale = copy.deepcopy(scale)
    stale["spec"]["replicas"] = 1
    with pytest.raises(client.ApiException) as raised:
        manual.apps.replace_namespaced_deployment_scale("web", mns, stale, _preload_content=False)
    assert raised.value.status == 409
    assert error_body(raised)["reason"] == "Conflict"
    with pytest.raises(client.ApiException) as raised:
        manual.apps.patch_namespaced_deployment_scale(
            "web", mns, {"spec": {"replicas": -1}}, _preload_content=False
        )
    assert raised.value.status == 422
    assert error_body(raised)["details"]["causes"][0]["field"] == "spec.replicas"


def test_scaling_to_zero_and_back(manual: Cluster, mns: str) -> None:
    manual.apps.create_namespaced_deployment(mns, deployment(replicas=2), _preload_content=False)
    manual.emulator.control.finish("web", mns)
    read(
        manual.apps.patch_namespaced_deployment_scale(
            "web", mns, {"spec": {"replicas": 0}}, _preload_content=False
        )
    )
    empty = manual.deployment(mns, "web")
    assert manual.pods(mns) == []
    assert "replicas" not in empty["status"]  # zero counts are omitted, as by the real server
    assert rollout_status(empty) == ("successfully rolled out", True)
    scale = body(manual.apps.read_namespaced_deployment_scale("web", mns, _preload_content=False))
    assert scale["spec"] == {}
    assert scale["status"]["replicas"] == 0
    read(
        manual.apps.patch_namespaced_deployment_scale(
            "web", mns, {"spec": {"replicas": 1}}, _preload_content=False
        )
    )
    manual.emulator.control.finish("web", mns)
    assert manual.deployment(mns, "web")["status"]["readyReplicas"] == 1


# -- endpoint slices and load balancers ------------------------------------------------------------


def test_endpoint_slices_follow_the_ready_pods(manual: Cluster, mns: str) -> None:
    manual.apps.create_namespaced_deployment(mns, deployment(replicas=2), _preload_content=False)
    service = {
        "metadata": {"name": "web", "labels": {"team": "a"}},
        "spec": {
            "selector": {"app": "web"},
            "ports": [{"name": "web", "port": 80, "targetPort": "http"}],
        },
    }
    read(manual.core.create_namespaced_service(mns, service, _preload_content=False))

    def slice_of() -> dict[str, Any]:
        listed = body(
            manual.discovery.list_namespaced_endpoint_slice(
                mns, label_selector="kubernetes.io/service-name=web", _preload_content=False
            )
        )
        (only,) = listed["items"]
        return only  # type: ignore[no-any-return]

    pending = slice_of()
    assert pending["addressType"] == "IPv4"
    assert pending["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == (
        "endpointslice-controller.k8s.io"
    )
    assert pending["metadata"]["labels"]["team"] == "a"
    assert pending["ports"] == [{"name": "web", "protocol": "TCP", "port": 8080}]
    assert [e["conditions"]["ready"] for e in pending["endpoints"]] == [False, False]
    manual.emulator.control.step("web", mns)
    ready = slice_of()
    pods = {pod["metadata"]["name"]: pod for pod in manual.pods(mns)}
    assert len(ready["endpoints"]) == 2
    for endpoint in ready["endpoints"]:
        pod = pods[endpoint["targetRef"]["name"]]
        assert endpoint["addresses"] == [pod["status"]["podIP"]]
        assert endpoint["conditions"] == {"ready": True, "serving": True, "terminating": False}
        assert endpoint["nodeName"] == pod["spec"]["nodeName"]
    read(
        manual.apps.patch_namespaced_deployment_scale(
            "web", mns, {"spec": {"replicas": 3}}, _preload_content=False
        )
    )
    assert sorted(e["conditions"]["ready"] for e in slice_of()["endpoints"]) == [False, True, True]
    read(
        manual.apps.patch_namespaced_deployment_scale(
            "web", mns, {"spec": {"replicas": 0}}, _preload_content=False
        )
    )
    assert "endpoints" not in slice_of()
    read(manual.core.delete_namespaced_service("web", mns, _preload_content=False))
    assert manual.emulator.list("endpointslices", mns) == []


# -- autoscalers -----------------------------------------------------------------------------------


def test_an_autoscaler_keeps_replicas_within_its_bounds(manual: Cluster, mns: str) -> None:
    manual.apps.create_namespaced_deployment(mns, deployment(replicas=1), _preload_content=False)
    hpa = {
        "metadata": {"name": "web"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 2,
            "maxReplicas": 4,
        },
    }
    created = body(
        manual.autoscaling.create_namespaced_horizontal_pod_autoscaler(
            mns, hpa, _preload_content=False
        )
    )
    assert created["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 80
    assert manual.deployment(mns, "web")["spec"]["replicas"] == 2
    manual.emulator.control.recommend("web", mns, 9)
    assert manual.deployment(mns, "web")["spec"]["replicas"] == 4
    status = body(
        manual.autoscaling.read_namespaced_horizontal_pod_autoscaler(
            "web", mns, _preload_content=False
        )
    )["status"]
    assert status["desiredReplicas"] == 4
    limited = next(c for c in status["conditions"] if c["type"] == "ScalingLimited")
    assert (limited["status"], limited["reason"]) == ("True", "TooManyReplicas")
    # an apply without replicas leaves the autoscaler's count alone
    without = deployment(image="nginx:1.28")
    del without["spec"]["replicas"]
    assert manual.apply(mns, without)["spec"]["replicas"] == 4
    manual.emulator.control.recommend("web", mns, None)
    read(
        manual.apps.patch_namespaced_deployment_scale(
            "web", mns, {"spec": {"replicas": 1}}, _preload_content=False
        )
    )
    assert manual.deployment(mns, "web")["spec"]["replicas"] == 2


def test_invalid_autoscalers_are_rejected(manual: Cluster, mns: str) -> None:
    hpa = {
        "metadata": {"name": "web"},
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "web"},
            "minReplicas": 5,
            "maxReplicas": 2,
        },
    }
    with pytest.raises(client.ApiException) as raised:
        manual.autoscaling.create_namespaced_horizontal_pod_autoscaler(
            mns, hpa, _preload_content=False
        )
    assert raised.value.status == 422
    assert [c["field"] for c in error_body(raised)["details"]["causes"]] == ["spec.maxReplicas"]
