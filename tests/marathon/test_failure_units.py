"""Why a Marathon rollout cannot finish, and the events of a deployment, from Marathon's
documents: the pure functions, on hand-written JSON in Marathon's shapes."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from orchsdk_marathon.failures import instance_of, queue_failure, task_failure
from orchsdk_marathon.reports import app_events
from orchsdk_marathon.status import AppState, instances_of, status_of

from orchsdk import EventType, Failure, FailureReason, Phase

V1 = "2026-01-01T00:00:00.000Z"
V2 = "2026-01-02T00:00:00.000Z"
TASK = "shop_web.instance-1a2b._app.1"
PULL = (
    "Failed to launch container: Failed to run 'docker -H unix:///var/run/docker.sock pull "
    "registry.invalid/app:1': exited with status 1; stderr='Error response from daemon'"
)


def last_failure(message: str, task: str = TASK, state: str = "TASK_FAILED") -> dict[str, Any]:
    return {
        "appId": "/shop/web",
        "host": "agent-1",
        "message": message,
        "state": state,
        "taskId": task,
        "timestamp": V2,
        "version": V2,
    }


def queued(*declined: tuple[str, int], agents: int = 2, overdue: bool = True) -> dict[str, Any]:
    steps = [{"reason": "UnfulfilledRole", "declined": 0, "processed": agents}]
    steps += [
        {"reason": reason, "declined": count, "processed": agents} for reason, count in declined
    ]
    return {
        "app": {"id": "/shop/web", "cpus": 64, "mem": 64},
        "count": 2,
        "delay": {"timeLeftSeconds": 0 if overdue else 3, "overdue": overdue},
        "since": V2,
        "processedOffersSummary": {
            "processedOffersCount": 10,
            "unusedOffersCount": 10,
            "lastUnusedOfferAt": V2,
            "rejectSummaryLastOffers": steps,
        },
    }


def test_a_task_id_names_its_instance_and_incarnation() -> None:
    assert instance_of("shop_web.instance-1a2b._app.3") == ("shop_web.instance-1a2b", 3)


def test_an_old_task_id_is_its_own_instance() -> None:
    assert instance_of("shop_web.5f1e") == ("shop_web.5f1e", 1)


def test_a_pull_error_is_an_image_pull_failure_at_once() -> None:
    failure = task_failure(last_failure(PULL), "registry.invalid/app:1", seen=1)
    assert failure == Failure(FailureReason.IMAGE_PULL, PULL, "shop_web.instance-1a2b")


def test_a_pull_error_without_the_image_gets_it_named() -> None:
    message = "Failed to launch container: Failed to perform 'curl': curl: (6) Could not resolve"
    failure = task_failure(last_failure(message), "registry.invalid/app:1", seen=1)
    assert failure is not None
    assert failure.message == f"{message} (image registry.invalid/app:1)"


def test_an_unresolved_secret_is_a_configuration_failure() -> None:
    message = "Failed to resolve secrets: secret 'shop/db/password' not found"
    failure = task_failure(last_failure(message), None, seen=1)
    assert failure is not None
    assert failure.reason is FailureReason.CONFIGURATION


def test_task_error_is_a_configuration_failure() -> None:
    failure = task_failure(last_failure("", state="TASK_ERROR"), None, seen=1)
    assert failure is not None
    assert failure.reason is FailureReason.CONFIGURATION


@pytest.mark.parametrize(("incarnation", "seen"), [(1, 1), (2, 1), (1, 2)])
def test_an_exit_before_the_third_failure_is_no_failure(incarnation: int, seen: int) -> None:
    task = f"shop_web.instance-1a2b._app.{incarnation}"
    assert task_failure(last_failure("Command exited with status 1", task), None, seen) is None


@pytest.mark.parametrize(("incarnation", "seen"), [(3, 1), (1, 3)])
def test_the_third_failure_is_a_crash_loop(incarnation: int, seen: int) -> None:
    task = f"shop_web.instance-1a2b._app.{incarnation}"
    failure = task_failure(last_failure("Command exited with status 1", task), None, seen)
    assert failure is not None
    assert failure.reason is FailureReason.CRASH_LOOP
    assert failure.message == "Command exited with status 1 (3 failures)"


def test_the_third_kill_for_failed_health_checks_is_a_health_check_failure() -> None:
    task = "shop_web.instance-1a2b._app.3"
    message = "Instance was killed because it failed its health checks"
    failure = task_failure(last_failure(message, task, "TASK_KILLED"), None, seen=1)
    assert failure is not None
    assert failure.reason is FailureReason.HEALTH_CHECK


def test_every_last_offer_declined_is_unschedulable() -> None:
    failure = queue_failure(queued(("InsufficientCpus", 2)))
    assert failure is not None
    assert failure.reason is FailureReason.UNSCHEDULABLE
    assert "InsufficientCpus (2 of 2)" in failure.message
    assert "asks for 64 cpus, 64 MiB" in failure.message


def test_offers_declined_for_several_reasons_are_all_named() -> None:
    failure = queue_failure(queued(("UnfulfilledConstraint", 1), ("InsufficientMemory", 1)))
    assert failure is not None
    assert "UnfulfilledConstraint (1 of 2), InsufficientMemory (1 of 2)" in failure.message


def test_an_agent_whose_offer_fits_is_no_failure() -> None:
    assert queue_failure(queued(("InsufficientCpus", 1))) is None


def test_a_backed_off_app_is_no_placement_failure() -> None:
    assert queue_failure(queued(("InsufficientCpus", 2), overdue=False)) is None


def test_a_queue_item_before_any_offer_is_no_failure() -> None:
    item = queued()
    del item["processedOffersSummary"]["rejectSummaryLastOffers"]
    assert queue_failure(item) is None


def app(tasks: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    return {
        "id": "/shop/web",
        "instances": 2,
        "version": V2,
        "versionInfo": {"lastConfigChangeAt": V2, "lastScalingAt": V2},
        "tasks": tasks,
        "deployments": [],
        **more,
    }


def task(n: int, state: str = "TASK_RUNNING") -> dict[str, Any]:
    return {
        "id": f"shop_web.instance-{n}._app.1",
        "host": f"agent-{n}",
        "state": state,
        "version": V2,
        "stagedAt": V1,
        "startedAt": V2,
    }


def test_killing_tasks_are_terminating_and_keep_the_phase_progressing() -> None:
    state = AppState.of(app([task(1), task(2), task(3, "TASK_KILLING")]))
    status = status_of("web", "shop", state, 2, ours_ended=False)
    assert (status.ready, status.terminating, status.phase) == (2, 1, Phase.PROGRESSING)


def test_killing_tasks_are_terminating_instances_never_ready() -> None:
    state = AppState.of(app([task(1, "TASK_STAGING"), task(2, "TASK_KILLING")]))
    found = instances_of("web", "shop", state, lambda version: 1)
    assert [(i.id, i.state, i.ready) for i in found] == [
        ("shop_web.instance-1", "starting", False),
        ("shop_web.instance-2", "terminating", False),
    ]


def test_the_failed_instance_is_listed_from_last_task_failure() -> None:
    state = AppState.of(app([task(1)], lastTaskFailure=last_failure(PULL)))
    failure = Failure(FailureReason.IMAGE_PULL, PULL, "shop_web.instance-1a2b")
    found = instances_of("web", "shop", state, lambda version: 1, failure)
    assert [(i.id, i.state) for i in found] == [
        ("shop_web.instance-1", "running"),
        ("shop_web.instance-1a2b", "failed"),
    ]


def test_a_status_with_a_failure_carries_it() -> None:
    failure = Failure(FailureReason.UNSCHEDULABLE, "no offer")
    state = AppState.of(app([], deployments=[{"id": "d-1"}]))
    status = status_of("web", "shop", state, 1, ours_ended=False, failure=failure)
    assert status.failure == failure
    assert "unschedulable: no offer" in status.message


def test_events_are_the_change_the_tasks_the_failure_and_the_queue_oldest_first() -> None:
    document = app([task(1)], lastTaskFailure=last_failure(PULL, "shop_web.instance-9._app.2"))
    events = app_events("web", document, queued(("InsufficientCpus", 2)))
    assert [(e.reason, e.type, e.object) for e in events] == [
        ("ConfigChanged", EventType.NORMAL, "app/web"),
        ("TASK_RUNNING", EventType.NORMAL, "task/shop_web.instance-1._app.1"),
        ("TASK_FAILED", EventType.WARNING, "task/shop_web.instance-9._app.2"),
        ("OffersDeclined", EventType.WARNING, "app/web"),
    ]
    assert events[2].count == 2
    assert events[0].time == datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc)


def test_a_backed_off_launch_is_a_warning_event() -> None:
    events = app_events("web", app([]), queued(overdue=False))
    delayed = [event for event in events if event.reason == "LaunchDelayed"]
    assert [event.type for event in delayed] == [EventType.WARNING]
    assert "delayed 3s" in delayed[0].message


def test_a_status_update_seen_on_the_stream_is_told_once() -> None:
    update = {
        "eventType": "status_update_event",
        "taskId": "shop_web.instance-9._app.2",
        "taskStatus": "TASK_FAILED",
        "message": PULL,
        "host": "agent-1",
        "timestamp": V2,
    }
    document = app([], lastTaskFailure=last_failure(PULL, "shop_web.instance-9._app.2"))
    failed = [e for e in app_events("web", document, None, [update]) if e.reason == "TASK_FAILED"]
    assert [(e.type, e.message) for e in failed] == [(EventType.WARNING, PULL)]
