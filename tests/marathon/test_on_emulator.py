"""The backend against the local Marathon emulator, for what the contract suite cannot see:
requests sent (none for an unchanged apply), locks, a canary joining a service, failed
rollouts seen from another process, revisions across scales, secret files, and faults.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from marathon_helpers import schema_path
from orchsdk_marathon import MarathonBackend

from orchsdk import (
    Action,
    Deployment,
    FileMount,
    HealthCheck,
    Orchestrator,
    Phase,
    Port,
    Resources,
    RetryPolicy,
    Rollout,
    RolloutFailed,
    Secret,
    SecretRef,
    Service,
)
from orchsdk.testing.loopback import Fault

emulator_module = pytest.importorskip("orchsdk_marathon.testing")
MarathonEmulator = emulator_module.MarathonEmulator

QUICK = RetryPolicy(attempts=4, initial_delay=0.01, max_delay=0.05)


@pytest.fixture
def marathon() -> Iterator[Any]:
    with MarathonEmulator(secrets=True, schema=schema_path(), deployment_seconds=0.1) as running:
        yield running


def connect(marathon: Any, **options: Any) -> Orchestrator:
    backend = MarathonBackend.from_url(marathon.url, namespace="shop", **options)
    return Orchestrator(backend, retry=QUICK)


@pytest.fixture
def orch(marathon: Any) -> Iterator[Orchestrator]:
    with connect(marathon) as orchestrator:
        yield orchestrator


def web(**changes: Any) -> Deployment:
    spec = Deployment(
        "web",
        image="nginx:1.27",
        replicas=2,
        ports=[Port(8080, name="http")],
        resources=Resources(cpu="100m", memory="64Mi"),
        health=HealthCheck(http_path="/", port="http"),
        labels={"app": "web"},
    )
    return attrs.evolve(spec, **changes)


def writes(marathon: Any) -> int:
    return int(
        marathon.server.count("PUT")
        + marathon.server.count("POST")
        + marathon.server.count("DELETE")
    )


def test_an_unchanged_apply_sends_no_write(marathon: Any, orch: Orchestrator) -> None:
    orch.apply(web(), wait=True, timeout=10)
    before = writes(marathon)
    [result] = orch.apply(web())
    assert result.action is Action.UNCHANGED
    assert writes(marathon) == before


def test_a_canary_joins_the_service_of_the_stable_deployment(
    marathon: Any, orch: Orchestrator
) -> None:
    service = Service("front", selector={"app": "web"}, ports=[Port(80, target_port="http")])
    orch.apply(web(), wait=True, timeout=10)
    orch.apply(service)
    canary = web(name="web-canary", replicas=1, labels={"app": "web", "track": "canary"})
    orch.apply(canary, wait=True, timeout=10)
    app = marathon.app("/shop/web-canary")
    assert app["container"]["portMappings"][0]["labels"] == {"VIP_0": "/shop/front:80"}
    assert len(orch.endpoints("front")) == 3
    assert orch.get(Deployment, "web-canary") == attrs.evolve(canary, namespace="shop")
    orch.delete(Service, "front")
    assert marathon.app("/shop/web-canary")["container"]["portMappings"][0]["labels"] == {}


def test_diff_of_a_deployment_behind_a_service_shows_only_what_apply_changes(
    orch: Orchestrator,
) -> None:
    """The service's labels on the app are part of what apply writes, not a change."""
    service = Service("front", selector={"app": "web"}, ports=[Port(80, target_port="http")])
    orch.apply(web(), service, wait=True, timeout=10)
    [same] = orch.diff(web())
    assert (same.action, same.changes) == (Action.UNCHANGED, ())
    [changed] = orch.diff(web(image="nginx:1.28"))
    assert changed.action is Action.UPDATED
    assert [change.path for change in changed.changes] == ["container.docker.image"]
    assert orch.apply(web(image="nginx:1.28"))[0].action is Action.UPDATED


def test_a_service_whose_selector_changes_moves_to_the_apps_it_now_selects(
    marathon: Any, orch: Orchestrator
) -> None:
    """The apps are found by two label queries (selected, carrying): both sides move."""
    orch.apply(web(), web(name="api", labels={"app": "api"}), wait=True, timeout=10)
    service = Service("front", selector={"app": "web"}, ports=[Port(80, target_port="http")])
    orch.apply(service)
    [moved] = orch.apply(attrs.evolve(service, selector={"app": "api"}))
    assert moved.action is Action.UPDATED
    assert "orchsdk.service.front" not in marathon.app("/shop/web")["labels"]
    assert "orchsdk.service.front" in marathon.app("/shop/api")["labels"]
    assert orch.get(Service, "front").selector == {"app": "api"}


def locked_for_a_moment(marathon: Any, orch: Orchestrator) -> None:
    """Runs ``web``, then holds a deployment on it that ends 0.3 s from now."""
    orch.apply(web(), wait=True, timeout=10)
    marathon.control.lock("/shop/web")
    threading.Timer(0.3, marathon.control.release, ["/shop/web"]).start()


def test_a_write_to_a_locked_app_waits_for_the_lock_then_succeeds(
    marathon: Any, orch: Orchestrator
) -> None:
    locked_for_a_moment(marathon, orch)
    started = time.monotonic()
    [result] = orch.apply(web(image="nginx:1.28"))
    assert result.action is Action.UPDATED
    assert time.monotonic() - started >= 0.25
    assert marathon.server.count("GET", "/v2/deployments") >= 1
    assert orch.wait("web", timeout=10).phase is Phase.COMPLETE


def test_a_lock_wait_follows_the_event_stream_instead_of_polling(
    marathon: Any, orch: Orchestrator
) -> None:
    """/v2/deployments is read once the stream is attached and once the lock is gone."""
    locked_for_a_moment(marathon, orch)
    reads, streams = (
        marathon.server.count("GET", "/v2/deployments"),
        marathon.server.count("GET", "/v2/events"),
    )
    [result] = orch.apply(web(image="nginx:1.28"))
    assert result.action is Action.UPDATED
    assert marathon.server.count("GET", "/v2/events") == streams + 1
    assert marathon.server.count("GET", "/v2/deployments") - reads <= 3


def test_force_cancels_the_running_deployment_instead_of_waiting(marathon: Any) -> None:
    with connect(marathon, force=True) as orch:
        orch.apply(web(), wait=True, timeout=10)
        marathon.control.lock("/shop/web")
        polls = marathon.server.count("GET", "/v2/deployments")
        orch.apply(web(image="nginx:1.28"))
        assert marathon.server.count("GET", "/v2/deployments") == polls  # no waiting
        marathon.control.release("/shop/web")
        assert orch.wait("web", timeout=10).phase is Phase.COMPLETE


def test_another_process_sees_a_failed_rollout(marathon: Any, orch: Orchestrator) -> None:
    orch.apply(web(), wait=True, timeout=10)
    marathon.control.hold("/shop/web")
    orch.apply(web(image="nginx:does-not-exist"))
    marathon.control.fail("/shop/web")
    with connect(marathon) as other, pytest.raises(RolloutFailed) as raised:
        other.wait("web", timeout=5)
    assert raised.value.status is not None
    assert "emulated failure" in raised.value.status.message


def test_the_revision_moves_on_config_changes_not_on_scale(orch: Orchestrator) -> None:
    orch.apply(web(), wait=True, timeout=10)
    first = orch.status("web").revision
    scaled = orch.scale("web", 3, wait=True, timeout=10)
    assert scaled.revision == first
    orch.apply(web(replicas=3, image="nginx:1.28"), wait=True, timeout=10)
    assert orch.status("web").revision > first
    orch.rollback("web", to_revision=first, wait=True, timeout=10)
    assert orch.get(Deployment, "web").image == "nginx:1.27"


def test_a_rollout_in_counts_reads_back_after_a_scale(orch: Orchestrator) -> None:
    spec = web(rollout=Rollout(max_surge=1, max_unavailable=0))
    orch.apply(spec, wait=True, timeout=10)
    orch.scale("web", 4, wait=True, timeout=10)
    assert orch.get(Deployment, "web").rollout == Rollout(max_surge=1, max_unavailable=0)


def test_secret_files_on_the_ucr(marathon: Any) -> None:
    with connect(marathon, containerizer="mesos") as orch:
        mount = FileMount("/etc/web/token", SecretRef("api", "token"))
        spec = web(files=[mount], env={"TOKEN": SecretRef("api", "token")})
        orch.apply(Secret("api", data={"token": "t0k3n"}), spec, wait=True, timeout=10)
        assert marathon.secret_store.values == {"shop/api/token": "t0k3n"}
        app = marathon.app("/shop/web")
        assert app["container"]["type"] == "MESOS"
        assert app["container"]["volumes"] == [
            {"containerPath": "/etc/web/token", "secret": "api/token"}
        ]
        assert orch.get(Deployment, "web") == attrs.evolve(spec, namespace="shop")


def test_transient_faults_are_retried_and_nothing_is_duplicated(
    marathon: Any, orch: Orchestrator
) -> None:
    marathon.server.faults.add(
        Fault(status=503, retry_after=0.05), method="GET", path="/v2/apps", count=1
    )
    marathon.server.faults.add(Fault(drop="after"), method="PUT", path="/v2/apps/shop/web", count=1)
    [result] = orch.apply(web())
    assert result.action is Action.CREATED
    assert orch.wait("web", timeout=10).phase is Phase.COMPLETE
    assert [app.name for app in orch.list(Deployment)] == ["web"]
    assert len(orch.instances("web")) == 2
