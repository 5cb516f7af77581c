"""Waiting for a rollout: by polling, or by following the backend's status stream."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fake_clock import FakeClock

from orchsdk import (
    Capabilities,
    DeploymentStatus,
    Orchestrator,
    Phase,
    RolloutFailed,
    WaitTimeout,
)
from orchsdk.waiting import wait_for_rollout

PROGRESSING = Phase.PROGRESSING
COMPLETE = Phase.COMPLETE
FAILED = Phase.FAILED


@pytest.fixture
def streaming(backend: Any) -> Any:
    """The fake backend, with a status stream."""
    backend.caps = Capabilities(status_stream=True)
    return backend


# -- polling -------------------------------------------------------------------------


def test_a_wait_returns_the_complete_status(
    orch: Orchestrator, backend: Any, make_status: Any
) -> None:
    backend.statuses = [make_status(PROGRESSING), make_status(COMPLETE, ready=3)]

    assert orch.wait("web", timeout=5) == make_status(COMPLETE, ready=3)


def test_a_wait_of_a_complete_rollout_reads_the_status_once(
    orch: Orchestrator, backend: Any, make_status: Any
) -> None:
    backend.statuses = [make_status(COMPLETE, ready=3)]

    orch.wait("web", timeout=5)

    assert len(backend.called("status")) == 1


def test_a_wait_polls_until_the_rollout_completes(
    orch: Orchestrator, backend: Any, make_status: Any
) -> None:
    backend.statuses = [
        make_status(PROGRESSING, ready=0),
        make_status(PROGRESSING, ready=1),
        make_status(PROGRESSING, ready=2),
        make_status(COMPLETE, ready=3),
    ]

    orch.wait("web", timeout=5)

    assert len(backend.called("status")) == 4
    assert backend.called("watch_status") == []


def test_progress_is_called_with_each_new_status_only(
    orch: Orchestrator, backend: Any, make_status: Any
) -> None:
    backend.statuses = [
        make_status(PROGRESSING, ready=0),
        make_status(PROGRESSING, ready=0),
        make_status(PROGRESSING, ready=1),
        make_status(PROGRESSING, ready=1),
        make_status(COMPLETE, ready=3),
    ]
    seen: list[DeploymentStatus] = []

    orch.wait("web", timeout=5, progress=seen.append)

    assert [(status.phase, status.ready) for status in seen] == [
        (PROGRESSING, 0),
        (PROGRESSING, 1),
        (COMPLETE, 3),
    ]


def test_a_failed_rollout_raises_rollout_failed_with_its_status(
    orch: Orchestrator, backend: Any, make_status: Any
) -> None:
    failed = make_status(FAILED, ready=1, message="progress deadline exceeded")
    backend.statuses = [make_status(PROGRESSING), failed]

    with pytest.raises(RolloutFailed, match="progress deadline exceeded") as caught:
        orch.wait("web", timeout=5)

    assert caught.value.status == failed


def test_a_wait_that_runs_out_of_time_carries_the_last_status(
    orch: Orchestrator, backend: Any, make_status: Any
) -> None:
    last = make_status(PROGRESSING, ready=2, message="2 of 3 updated")
    backend.statuses = [make_status(PROGRESSING, ready=0), make_status(PROGRESSING, ready=1), last]

    with pytest.raises(WaitTimeout, match=r"did not finish within 0\.3s: 2 of 3 updated") as caught:
        orch.wait("web", timeout=0.3)

    assert caught.value.status == last


def test_a_wait_times_out_close_to_its_timeout(
    orch: Orchestrator, backend: Any, make_status: Any
) -> None:
    backend.statuses = [make_status(PROGRESSING)]

    started = time.monotonic()
    with pytest.raises(WaitTimeout):
        orch.wait("web", timeout=0.2)

    assert 0.2 <= time.monotonic() - started < 1.0


def test_polling_backs_off(orch: Orchestrator, backend: Any, make_status: Any) -> None:
    backend.statuses = [make_status(PROGRESSING)]

    with pytest.raises(WaitTimeout):
        orch.wait("web", timeout=0.5)

    assert 3 < len(backend.called("status")) < 20


def test_a_zero_timeout_reads_the_status_once(
    orch: Orchestrator, backend: Any, make_status: Any
) -> None:
    backend.statuses = [make_status(PROGRESSING)]

    with pytest.raises(WaitTimeout):
        orch.wait("web", timeout=0)

    assert len(backend.called("status")) == 1


def test_a_status_read_is_retried_during_a_wait(
    orch: Orchestrator, backend: Any, make_status: Any
) -> None:
    from orchsdk import BackendUnavailable

    backend.statuses = [make_status(PROGRESSING), make_status(COMPLETE, ready=3)]
    backend.fail("status", BackendUnavailable("503"))

    assert orch.wait("web", timeout=5).phase is COMPLETE


# -- status streams ------------------------------------------------------------------


def test_a_wait_follows_the_stream_to_completion(
    orch: Orchestrator, streaming: Any, make_status: Any
) -> None:
    streaming.statuses = [make_status(PROGRESSING)]
    streaming.streams = [
        [make_status(PROGRESSING, ready=1), make_status(COMPLETE, ready=3)],
    ]

    assert orch.wait("web", timeout=5) == make_status(COMPLETE, ready=3)
    assert len(streaming.called("watch_status")) == 1
    assert len(streaming.called("status")) == 1


def test_the_stream_is_asked_for_the_time_left(
    orch: Orchestrator, streaming: Any, make_status: Any
) -> None:
    streaming.statuses = [make_status(PROGRESSING)]
    streaming.streams = [[make_status(COMPLETE, ready=3)]]

    orch.wait("web", timeout=5)

    name, namespace, timeout = streaming.called("watch_status")[0].args
    assert (name, namespace) == ("web", "default")
    assert 4 < timeout <= 5


def test_progress_is_called_with_each_new_streamed_status(
    orch: Orchestrator, streaming: Any, make_status: Any
) -> None:
    streaming.statuses = [make_status(PROGRESSING)]
    streaming.streams = [
        [
            make_status(PROGRESSING),
            make_status(PROGRESSING, ready=1),
            make_status(PROGRESSING, ready=1),
            make_status(COMPLETE, ready=3),
        ]
    ]
    seen: list[DeploymentStatus] = []

    orch.wait("web", timeout=5, progress=seen.append)

    assert [status.ready for status in seen] == [0, 1, 3]


def test_a_wait_resumes_when_a_stream_ends_early(
    orch: Orchestrator, streaming: Any, make_status: Any
) -> None:
    streaming.statuses = [make_status(PROGRESSING)]
    streaming.streams = [
        [make_status(PROGRESSING, ready=1)],
        [make_status(PROGRESSING, ready=2), make_status(COMPLETE, ready=3)],
    ]

    assert orch.wait("web", timeout=5).phase is COMPLETE
    assert len(streaming.called("watch_status")) == 2


def test_a_rollout_that_completed_between_streams_is_seen_by_a_fresh_read(
    orch: Orchestrator, streaming: Any, make_status: Any
) -> None:
    streaming.statuses = [make_status(PROGRESSING), make_status(COMPLETE, ready=3)]
    streaming.streams = [[make_status(PROGRESSING, ready=1)]]

    assert orch.wait("web", timeout=5).phase is COMPLETE
    assert len(streaming.called("watch_status")) == 1


def test_a_failed_rollout_in_the_stream_raises_rollout_failed(
    orch: Orchestrator, streaming: Any, make_status: Any
) -> None:
    streaming.statuses = [make_status(PROGRESSING)]
    streaming.streams = [[make_status(FAILED, message="image pull failed")]]

    with pytest.raises(RolloutFailed, match="image pull failed"):
        orch.wait("web", timeout=5)


def test_a_stream_that_keeps_ending_at_once_does_not_spin(
    orch: Orchestrator, streaming: Any, make_status: Any
) -> None:
    streaming.statuses = [make_status(PROGRESSING)]

    with pytest.raises(WaitTimeout):
        orch.wait("web", timeout=0.5)

    assert len(streaming.called("status")) < 20


def test_the_back_off_starts_again_after_a_stream_that_stayed_open(
    orch: Orchestrator, streaming: Any, make_status: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    monkeypatch.setattr("orchsdk.waiting.time", clock)

    def open_for_a_minute() -> Iterator[DeploymentStatus]:
        clock.now += 60
        yield make_status(PROGRESSING, ready=1)

    streaming.statuses = [make_status(PROGRESSING)]
    streaming.streams = [[], [], open_for_a_minute(), [make_status(COMPLETE, ready=3)]]

    assert orch.wait("web", timeout=600).phase is COMPLETE
    assert clock.sleeps == pytest.approx([0.02, 0.03, 0.02])


def test_wait_for_rollout_reads_the_status_through_the_given_function(
    backend: Any, make_status: Any
) -> None:
    reads: list[DeploymentStatus] = []

    def read() -> DeploymentStatus:
        reads.append(make_status(COMPLETE, ready=3))
        return reads[-1]

    status = wait_for_rollout(backend, read, "web", "default", timeout=1)

    assert status is reads[0]
    assert backend.calls == []
