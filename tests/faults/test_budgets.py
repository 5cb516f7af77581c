"""Retry budgets are bounded in count and in time; waits end at their timeout.

A dead backend (nothing listening) gives ``BackendUnavailable`` within the policy's
deadline, after at most ``attempts`` tries; one that accepts connections and never
answers takes at most the deadline plus one read timeout. A wait that does not see its
rollout finish raises ``WaitTimeout`` with the last status it saw, on time.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from faults_helpers import black_hole, free_port, recording
from orchsdk_kubernetes.testing import KubernetesEmulator, api_fault
from orchsdk_marathon.testing import MarathonEmulator

import orchsdk
from orchsdk import (
    BackendUnavailable,
    Deployment,
    Orchestrator,
    Phase,
    RetryPolicy,
    WaitTimeout,
)
from orchsdk.retry import NO_RETRY
from orchsdk.testing.loopback import Fault

POLICY = RetryPolicy(attempts=4, deadline=1.0, initial_delay=0.05, max_delay=0.2, jitter=0)
SLACK = 1.5
"""Seconds a busy 2-core CI machine may add to a bound (thread scheduling, the requests
around a wait): the bounds tell a bounded call from a hang, not a fast one from a slow one."""


def kubernetes_at(port: int, **options: Any) -> Orchestrator:
    return orchsdk.connect(
        f"kubernetes://127.0.0.1:{port}?scheme=http", retry=POLICY, read_timeout=0.3, **options
    )


def marathon_at(port: int, **options: Any) -> Orchestrator:
    return orchsdk.connect(
        f"marathon+http://127.0.0.1:{port}",
        retry=POLICY,
        connect_timeout=0.3,
        read_timeout=0.3,
        **options,
    )


CONNECT = {"kubernetes": kubernetes_at, "marathon": marathon_at}


def _timed(call: Callable[[], Any]) -> tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises(BackendUnavailable) as raised:
        call()
    return raised.value, time.monotonic() - started


@pytest.mark.parametrize("backend", ["kubernetes", "marathon"])
@pytest.mark.parametrize(
    "operation",
    [
        lambda orch: orch.get(Deployment, "web"),
        lambda orch: orch.list(Deployment),
        lambda orch: orch.apply(Deployment("web", image="nginx:1.27")),
        lambda orch: orch.scale("web", 3),
        lambda orch: orch.rollback("web"),
    ],
    ids=["get", "list", "apply", "scale", "rollback"],
)
def test_a_dead_backend_is_unavailable_within_the_deadline(
    backend: str, operation: Callable[[Orchestrator], Any]
) -> None:
    port = free_port()
    with CONNECT[backend](port) as orch:
        with contextlib.suppress(BackendUnavailable):  # the client's first call imports a lot
            operation(Orchestrator(orch.backend, retry=NO_RETRY))
        with recording() as log:
            error, elapsed = _timed(lambda: operation(orch))

    assert elapsed < POLICY.deadline + SLACK
    assert isinstance(error, BackendUnavailable)
    assert error.acted is False  # nothing was ever sent
    assert "127.0.0.1" in str(error)
    assert log.retries == POLICY.attempts - 1  # every try was made, none more


@pytest.mark.parametrize("backend", ["kubernetes", "marathon"])
def test_a_backend_that_never_answers_is_unavailable_within_deadline_and_one_timeout(
    backend: str,
) -> None:
    with black_hole() as port, CONNECT[backend](port) as orch:
        error, elapsed = _timed(lambda: orch.get(Deployment, "web"))

    assert elapsed < POLICY.deadline + 0.3 + SLACK
    assert isinstance(error, BackendUnavailable)


def test_a_retry_after_beyond_the_deadline_ends_the_retries_at_once() -> None:
    with KubernetesEmulator(auto=False) as emulator:
        emulator.inject(api_fault(429, retry_after=60), count=10)
        with orchsdk.connect(emulator.url, retry=POLICY) as orch:
            error, elapsed = _timed(lambda: orch.get(Deployment, "web"))

    assert elapsed < SLACK
    assert isinstance(error, BackendUnavailable)
    assert error.retry_after == 60


def test_marathon_keeps_failing_is_given_up_after_attempts() -> None:
    with MarathonEmulator(deployment_seconds=0.02) as emulator:
        emulator.server.faults.add(Fault(status=500), method="GET", count=100)
        with recording() as log, orchsdk.connect(emulator.url, retry=POLICY) as orch:
            before = emulator.server.count("GET", "/v2/apps")
            _, elapsed = _timed(lambda: orch.list(Deployment))
            tries = emulator.server.count("GET", "/v2/apps") - before

    assert tries == POLICY.attempts
    assert log.retries == POLICY.attempts - 1
    assert elapsed < POLICY.deadline + SLACK


# -- waits -------------------------------------------------------------------------------


@pytest.fixture
def held_kubernetes() -> Iterator[tuple[KubernetesEmulator, Orchestrator]]:
    with KubernetesEmulator(rollout_seconds=0.2) as emulator, orchsdk.connect(emulator.url) as orch:
        emulator.control.hold("web", "default")
        yield emulator, orch


@pytest.fixture
def held_marathon() -> Iterator[tuple[MarathonEmulator, Orchestrator]]:
    with (
        MarathonEmulator(deployment_seconds=0.05) as emulator,
        orchsdk.connect(emulator.url) as orch,
    ):
        orch.apply(Deployment("web", image="nginx:1.27", replicas=2))
        emulator.control.finish("/default/web")
        emulator.control.hold("/default/web")
        yield emulator, orch


@pytest.mark.parametrize("backend", ["held_kubernetes", "held_marathon"])
def test_a_wait_ends_at_its_timeout_with_the_last_status(
    backend: str, request: pytest.FixtureRequest
) -> None:
    _, orch = request.getfixturevalue(backend)
    seen: list[Any] = []
    timeout = 0.5

    started = time.monotonic()
    with pytest.raises(WaitTimeout) as raised:
        orch.apply(
            Deployment("web", image="nginx:1.28", replicas=2),
            wait=True,
            timeout=timeout,
            progress=seen.append,
        )
    elapsed = time.monotonic() - started

    status = raised.value.status
    assert status is not None
    assert status.name == "web"
    assert status.phase is Phase.PROGRESSING
    assert status == seen[-1]
    assert timeout <= elapsed < timeout + SLACK
    assert [str(result) for result in raised.value.applied] == [
        "deployment/web " + ("created" if backend == "held_kubernetes" else "updated")
    ]


@pytest.mark.parametrize("backend", ["held_kubernetes", "held_marathon"])
def test_wait_alone_ends_at_its_timeout(backend: str, request: pytest.FixtureRequest) -> None:
    _, orch = request.getfixturevalue(backend)
    orch.apply(Deployment("web", image="nginx:1.29", replicas=2))

    started = time.monotonic()
    with pytest.raises(WaitTimeout) as raised:
        orch.wait("web", timeout=0.3)

    assert time.monotonic() - started < 0.3 + SLACK
    assert raised.value.status is not None
    assert "did not finish within 0.3s" in str(raised.value)
