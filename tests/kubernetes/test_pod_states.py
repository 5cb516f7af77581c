"""What a pod's status means to orchsdk: its state, why it cannot start, and whether a
rollout is done while pods terminate (pure functions of :mod:`orchsdk_kubernetes.status`
and :mod:`orchsdk_kubernetes.reports`)."""

from __future__ import annotations

from typing import Any

from orchsdk_kubernetes.reports import about, to_event
from orchsdk_kubernetes.status import (
    endpoints_of,
    mount_failure,
    mounting_since,
    pod_failure,
    pod_state,
    rollout_status,
)

from orchsdk import EventType, FailureReason, Phase


def pod(
    *,
    phase: str = "Running",
    waiting: tuple[str, str] | None = None,
    restarts: int = 0,
    deleting: bool = False,
    conditions: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    state: dict[str, Any] = {"running": {"startedAt": "2026-12-07T12:00:00Z"}}
    if waiting is not None:
        state = {"waiting": {"reason": waiting[0], "message": waiting[1]}}
    metadata: dict[str, Any] = {"name": "web-1", "uid": "u1"}
    if deleting:
        metadata["deletionTimestamp"] = "2026-12-07T12:00:01Z"
    return {
        "metadata": metadata,
        "status": {
            "phase": phase,
            "conditions": conditions or [{"type": "Ready", "status": "True"}],
            "containerStatuses": [
                {
                    "name": "app",
                    "state": state,
                    "restartCount": restarts,
                    "lastState": {"terminated": {"exitCode": 1}} if restarts else {},
                }
            ],
        },
    }


def complete_deployment() -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "namespace": "shop", "generation": 2},
        "spec": {"replicas": 1},
        "status": {
            "observedGeneration": 2,
            "replicas": 1,
            "updatedReplicas": 1,
            "availableReplicas": 1,
            "readyReplicas": 1,
        },
    }


def test_image_pull_back_off_is_an_image_pull_failure() -> None:
    failure = pod_failure(pod(phase="Pending", waiting=("ImagePullBackOff", "Back-off pulling")))
    assert failure is not None
    assert (failure.reason, failure.message, failure.instance) == (
        FailureReason.IMAGE_PULL,
        "Back-off pulling",
        "web-1",
    )


def test_container_config_error_is_a_configuration_failure() -> None:
    failure = pod_failure(pod(waiting=("CreateContainerConfigError", 'secret "db" not found')))
    assert failure is not None
    assert failure.reason is FailureReason.CONFIGURATION


def test_one_crash_is_not_yet_a_failure() -> None:
    assert pod_failure(pod(waiting=("CrashLoopBackOff", "back-off 10s"), restarts=1)) is None


def test_two_restarts_in_crash_loop_back_off_are_a_crash_loop() -> None:
    failure = pod_failure(pod(waiting=("CrashLoopBackOff", "back-off 20s"), restarts=2))
    assert failure is not None
    assert failure.reason is FailureReason.CRASH_LOOP
    assert "exit code 1" in failure.message


def test_unschedulable_condition_is_an_unschedulable_failure() -> None:
    condition = {
        "type": "PodScheduled",
        "status": "False",
        "reason": "Unschedulable",
        "message": "0/2 nodes are available: 2 Insufficient cpu.",
    }
    failure = pod_failure(pod(phase="Pending", conditions=[condition]))
    assert failure is not None
    assert failure.reason is FailureReason.UNSCHEDULABLE
    assert "Insufficient cpu" in failure.message


def test_creating_or_pulling_is_not_a_failure() -> None:
    assert pod_failure(pod(phase="Pending", waiting=("ContainerCreating", ""))) is None


def test_terminating_pod_is_never_a_failure_and_never_running() -> None:
    stopping = pod(deleting=True, waiting=("ImagePullBackOff", "x"))
    assert pod_failure(stopping) is None
    assert pod_state(stopping) == "terminating"


def test_pod_states() -> None:
    assert pod_state(pod()) == "running"
    assert pod_state(pod(phase="Pending", waiting=("ContainerCreating", ""))) == "starting"
    assert pod_state(pod(phase="Pending", waiting=("ErrImagePull", "x"))) == "failed"


def test_rollout_with_a_terminating_pod_is_not_complete() -> None:
    status = rollout_status(complete_deployment(), [pod(), pod(deleting=True)])
    assert (status.phase, status.terminating) == (Phase.PROGRESSING, 1)
    assert status.message == "1 old pods are terminating..."


def test_rollout_complete_once_terminating_pods_are_gone() -> None:
    status = rollout_status(complete_deployment(), [pod()])
    assert (status.phase, status.terminating, status.failure) == (Phase.COMPLETE, 0, None)


def test_endpoints_leave_out_terminating_pods() -> None:
    slices = [
        {
            "ports": [{"port": 8080, "name": "http"}],
            "endpoints": [
                {"addresses": ["10.0.0.1"], "conditions": {"ready": True}},
                {
                    "addresses": ["10.0.0.2"],
                    "conditions": {"ready": False, "terminating": True},
                },
            ],
        }
    ]
    assert [e.host for e in endpoints_of("web", "shop", slices)] == ["10.0.0.1"]


def test_events_about_the_deployment_and_its_pods_come_oldest_first() -> None:
    ours, theirs = {"metadata": {"uid": "d1"}}, {"kind": "Pod", "name": "other-1", "uid": "x"}
    events = [
        {
            "involvedObject": {"kind": "Pod", "name": "web-5d-x", "uid": "gone"},
            "type": "Warning",
            "reason": "Failed",
            "message": "pull failed",
            "lastTimestamp": "2026-12-07T12:00:05Z",
        },
        {
            "involvedObject": {"kind": "Deployment", "name": "web", "uid": "d1"},
            "type": "Normal",
            "reason": "ScalingReplicaSet",
            "message": "Scaled up",
            "lastTimestamp": "2026-12-07T12:00:01Z",
            "count": 2,
        },
        {"involvedObject": theirs, "reason": "Started", "lastTimestamp": "2026-12-07T12:00:02Z"},
    ]
    found = about(events, [ours], ["web-5d"])
    assert [(e.object, e.type, e.count) for e in found] == [
        ("deployment/web", EventType.NORMAL, 2),
        ("pod/web-5d-x", EventType.WARNING, 1),
    ]


def test_event_without_any_time_has_none() -> None:
    assert to_event({"involvedObject": {"kind": "Pod", "name": "p"}}).time is None


def test_a_failed_mount_event_is_a_configuration_failure() -> None:
    waiting = pod(phase="Pending", waiting=("ContainerCreating", ""))
    waiting["spec"] = {"nodeName": "node-1"}
    waiting["status"]["startTime"] = "2026-12-07T12:00:00Z"
    event = {
        "involvedObject": {"kind": "Pod", "uid": "u1"},
        "type": "Warning",
        "reason": "FailedMount",
        "message": 'MountVolume.SetUp failed for volume "files" : secret "db" not found',
    }
    failure = mount_failure(waiting, [event])
    assert mounting_since(waiting) is not None
    assert failure is not None
    assert (failure.reason, failure.instance) == (FailureReason.CONFIGURATION, "web-1")
    assert 'secret "db" not found' in failure.message


def test_a_pod_not_yet_bound_to_a_node_is_not_mounting() -> None:
    assert mounting_since(pod(phase="Pending", waiting=("ContainerCreating", ""))) is None


def test_rollout_with_more_pods_than_wanted_is_not_complete() -> None:
    scaled_down = complete_deployment()
    scaled_down["spec"]["replicas"] = 1
    scaled_down["status"].update(replicas=3, updatedReplicas=3, availableReplicas=3)
    status = rollout_status(scaled_down, [pod(), pod(), pod()])
    assert status.phase is Phase.PROGRESSING
    assert status.message == "2 extra replicas are pending termination..."
