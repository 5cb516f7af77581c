"""The emulator's scheduler and kubelet fail and stop pods as envtest's and a real one do.

Each trigger is one of envtest's "Failure conventions"; the statuses, reasons and
messages asserted are the ones the envtest control plane returned for the same spec.
"""

from __future__ import annotations

from typing import Any

from kube_emulator_helpers import Cluster, body, deployment, wait_for


def containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return (pod.get("status") or {}).get("containerStatuses") or []


def waiting(pod: dict[str, Any]) -> str | None:
    state = containers(pod)[0]["state"] if containers(pod) else {}
    return (state.get("waiting") or {}).get("reason")


def launch(cluster: Cluster, ns: str, replicas: int = 1, **container: Any) -> list[dict[str, Any]]:
    """Creates ``web`` with the container fields given; returns its pods."""
    document = deployment(replicas=replicas)
    document["spec"]["template"]["spec"]["containers"][0].update(container)
    cluster.apps.create_namespaced_deployment(ns, document, _preload_content=False)
    return wait_for(lambda: cluster.pods(ns))  # type: ignore[no-any-return]


def events(cluster: Cluster, ns: str, pod: dict[str, Any]) -> list[dict[str, Any]]:
    selector = f"involvedObject.uid={pod['metadata']['uid']}"
    answer = cluster.core.list_namespaced_event(ns, field_selector=selector, _preload_content=False)
    return body(answer)["items"]  # type: ignore[no-any-return]


def test_image_on_an_invalid_host_goes_from_err_image_pull_to_back_off(
    cluster: Cluster, ns: str
) -> None:
    launch(cluster, ns, image="registry.invalid/app:1")
    wait_for(lambda: waiting(cluster.pods(ns)[0]) == "ErrImagePull")
    [pod] = wait_for(lambda: [p for p in cluster.pods(ns) if waiting(p) == "ImagePullBackOff"])
    message = containers(pod)[0]["state"]["waiting"]["message"]
    assert message == 'Back-off pulling image "registry.invalid/app:1"'
    assert pod["status"]["phase"] == "Pending"


def test_command_false_crash_loops_with_growing_restarts(cluster: Cluster, ns: str) -> None:
    launch(cluster, ns, command=["false"])
    [pod] = wait_for(lambda: [p for p in cluster.pods(ns) if containers(p)[0]["restartCount"] >= 2])
    [status] = containers(pod)
    assert status["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert status["lastState"]["terminated"]["exitCode"] == 1
    assert (pod["status"]["phase"], status["ready"]) == ("Running", False)


def test_env_from_a_missing_secret_is_a_create_container_config_error(
    cluster: Cluster, ns: str
) -> None:
    source = {"secretKeyRef": {"name": "db", "key": "password"}}
    launch(cluster, ns, env=[{"name": "DB_PASSWORD", "valueFrom": source}])
    [pod] = wait_for(
        lambda: [p for p in cluster.pods(ns) if waiting(p) == "CreateContainerConfigError"]
    )
    assert containers(pod)[0]["state"]["waiting"]["message"] == 'secret "db" not found'


def test_pod_starts_once_its_missing_secret_exists(cluster: Cluster, ns: str) -> None:
    source = {"secretKeyRef": {"name": "db", "key": "password"}}
    launch(cluster, ns, env=[{"name": "DB_PASSWORD", "valueFrom": source}])
    wait_for(lambda: waiting(cluster.pods(ns)[0]) == "CreateContainerConfigError")
    secret = {"metadata": {"name": "db"}, "stringData": {"password": "x"}}
    cluster.core.create_namespaced_secret(ns, secret, _preload_content=False)
    wait_for(lambda: containers(cluster.pods(ns)[0])[0]["ready"])


def test_pod_no_node_can_hold_is_unschedulable_with_the_schedulers_message(
    cluster: Cluster, ns: str
) -> None:
    [pod] = launch(cluster, ns, resources={"requests": {"cpu": "64"}})
    [condition] = pod["status"]["conditions"]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "PodScheduled",
        "False",
        "Unschedulable",
    )
    assert condition["message"] == (
        "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: "
        "2 No preemption victims found for incoming pod."
    )
    assert "nodeName" not in pod["spec"]
    assert [event["reason"] for event in events(cluster, ns, pod)] == ["FailedScheduling"]


def test_pod_no_node_matches_is_unschedulable(cluster: Cluster, ns: str) -> None:
    document = deployment(replicas=1)
    term = {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["nowhere"]}
    document["spec"]["template"]["spec"]["affinity"] = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [term]}]
            }
        }
    }
    cluster.apps.create_namespaced_deployment(ns, document, _preload_content=False)
    [pod] = wait_for(lambda: cluster.pods(ns))
    assert "didn't match Pod's node affinity/selector" in pod["status"]["conditions"][0]["message"]


def test_pods_in_a_zone_land_on_that_zones_node(cluster: Cluster, ns: str) -> None:
    document = deployment(replicas=2)
    document["spec"]["template"]["spec"]["nodeSelector"] = {"topology.kubernetes.io/zone": "zone-b"}
    cluster.apps.create_namespaced_deployment(ns, document, _preload_content=False)
    pods = wait_for(lambda: len(cluster.pods(ns)) == 2 and cluster.pods(ns))
    assert {pod["spec"]["nodeName"] for pod in pods} == {"emulator-node-1"}


def test_started_pod_has_the_kubelets_events(cluster: Cluster, ns: str) -> None:
    launch(cluster, ns)
    [pod] = wait_for(lambda: [p for p in cluster.pods(ns) if containers(p)[0]["ready"]])
    reasons = sorted(event["reason"] for event in events(cluster, ns, pod))
    assert reasons == ["Created", "Pulled", "Scheduled", "Started"]


def test_scaled_down_pod_lingers_terminating_and_not_ready(cluster: Cluster, ns: str) -> None:
    launch(cluster, ns, replicas=2)
    wait_for(lambda: all(containers(p)[0]["ready"] for p in cluster.pods(ns)))
    cluster.apps.patch_namespaced_deployment_scale(
        "web", ns, {"spec": {"replicas": 1}}, _preload_content=False
    )
    [stopping] = wait_for(
        lambda: [p for p in cluster.pods(ns) if p["metadata"].get("deletionTimestamp")]
    )
    ready = {c["type"]: c["status"] for c in stopping["status"]["conditions"]}["Ready"]
    assert ready == "False"
    wait_for(lambda: len(cluster.pods(ns)) == 1)


def test_endpoint_slice_marks_a_terminating_pod(cluster: Cluster, ns: str) -> None:
    launch(cluster, ns, replicas=1)
    wait_for(lambda: containers(cluster.pods(ns)[0])[0]["ready"])
    service = {
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    cluster.core.create_namespaced_service(ns, service, _preload_content=False)
    cluster.apps.delete_namespaced_deployment("web", ns, _preload_content=False)

    def conditions() -> list[dict[str, Any]]:
        slices = body(cluster.discovery.list_namespaced_endpoint_slice(ns, _preload_content=False))[
            "items"
        ]
        return [e["conditions"] for s in slices for e in s.get("endpoints") or []]

    assert wait_for(lambda: conditions() and conditions()[0]["terminating"])
    assert conditions()[0]["ready"] is False
    wait_for(lambda: conditions() == [])
