"""Retries: only transient failures, bounded by attempts and a deadline, honouring Retry-After."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
import tenacity
from fake_clock import FakeClock

from orchsdk import BackendUnavailable, Conflict, NotFound, RetryPolicy, ValidationError
from orchsdk.retry import NO_RETRY, retryable

QUICK = RetryPolicy(attempts=4, initial_delay=0, max_delay=0, jitter=0)


def failing(*outcomes: BaseException | str) -> tuple[Callable[[], str], list[int]]:
    """An operation that raises or returns ``outcomes`` in turn, and counts its calls."""
    calls: list[int] = []
    queue = list(outcomes)

    def operation() -> str:
        calls.append(len(calls) + 1)
        outcome = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return operation, calls


# -- call ----------------------------------------------------------------------------


def test_a_transient_failure_is_retried_until_it_succeeds() -> None:
    operation, calls = failing(BackendUnavailable("503"), BackendUnavailable("503"), "done")

    assert QUICK.call(operation) == "done"
    assert len(calls) == 3


def test_a_transient_failure_is_retried_at_most_attempts_times() -> None:
    operation, calls = failing(BackendUnavailable("connection refused"))

    with pytest.raises(BackendUnavailable, match="connection refused"):
        QUICK.call(operation)

    assert len(calls) == 4


@pytest.mark.parametrize(
    "error",
    [NotFound("gone"), Conflict("locked"), ValidationError("x", []), RuntimeError("bug")],
    ids=["NotFound", "Conflict", "ValidationError", "RuntimeError"],
)
def test_other_errors_are_not_retried(error: Exception) -> None:
    operation, calls = failing(error)

    with pytest.raises(type(error)):
        QUICK.call(operation)

    assert len(calls) == 1


def test_a_conflict_of_a_changed_resource_is_retried() -> None:
    operation, calls = failing(Conflict("the object has been modified", reason="changed"), "done")

    assert QUICK.call(operation) == "done"
    assert len(calls) == 2


@pytest.mark.parametrize("reason", ["exists", "locked", "other"])
def test_other_conflicts_are_not_retried(reason: str) -> None:
    operation, calls = failing(Conflict("no", reason=reason), "done")

    with pytest.raises(Conflict):
        QUICK.call(operation)

    assert len(calls) == 1


def test_an_operation_not_safe_to_repeat_is_not_retried_after_an_unknown_outcome() -> None:
    operation, calls = failing(BackendUnavailable("connection reset"), "done")

    with pytest.raises(BackendUnavailable):
        QUICK.call(operation, idempotent=False)

    assert len(calls) == 1


@pytest.mark.parametrize(
    "error",
    [BackendUnavailable("connection refused", acted=False), Conflict("x", reason="changed")],
    ids=["acted-false", "conflict-changed"],
)
def test_an_operation_not_safe_to_repeat_is_retried_when_nothing_happened(
    error: Exception,
) -> None:
    operation, calls = failing(error, "done")

    assert QUICK.call(operation, idempotent=False) == "done"
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("error", "idempotent", "expected"),
    [
        (BackendUnavailable("x"), True, True),
        (BackendUnavailable("x"), False, False),
        (BackendUnavailable("x", acted=False), False, True),
        (BackendUnavailable("x", acted=True), False, False),
        (Conflict("x", reason="changed"), False, True),
        (Conflict("x"), True, False),
        (NotFound("x"), True, False),
        (KeyError("x"), True, False),
    ],
)
def test_retryable(error: BaseException, idempotent: bool, expected: bool) -> None:
    assert retryable(error, idempotent) is expected


def test_the_deadline_bounds_a_call_to_the_deadline_plus_one_try() -> None:
    policy = RetryPolicy(attempts=100, deadline=0.3, initial_delay=0.01, max_delay=0.01, jitter=0)

    def slow() -> str:
        time.sleep(0.1)
        raise BackendUnavailable("read timed out")

    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        policy.call(slow)

    assert time.monotonic() - started < 0.3 + 0.1 + 0.1


def test_no_retry_tries_once() -> None:
    operation, calls = failing(BackendUnavailable("503"), "done")

    with pytest.raises(BackendUnavailable):
        NO_RETRY.call(operation)

    assert len(calls) == 1


def test_the_deadline_bounds_the_total_time() -> None:
    policy = RetryPolicy(attempts=1000, deadline=0.2, initial_delay=0.02, max_delay=0.02, jitter=0)
    operation, calls = failing(BackendUnavailable("503"))

    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        policy.call(operation)

    assert time.monotonic() - started < 1.0
    assert 1 < len(calls) < 1000


def test_a_retry_after_beyond_the_deadline_stops_retrying_at_once() -> None:
    policy = RetryPolicy(attempts=5, deadline=0.5, initial_delay=0, jitter=0)
    operation, calls = failing(BackendUnavailable("429", retry_after=60))

    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        policy.call(operation)

    assert time.monotonic() - started < 0.5
    assert len(calls) == 1


def test_retry_after_is_waited_before_the_next_try() -> None:
    policy = RetryPolicy(attempts=3, initial_delay=0, max_delay=0, jitter=0)
    operation, calls = failing(BackendUnavailable("429", retry_after=0.1), "done")

    started = time.monotonic()
    assert policy.call(operation) == "done"

    assert time.monotonic() - started >= 0.1
    assert len(calls) == 2


def test_each_retry_is_logged_with_the_error(caplog: pytest.LogCaptureFixture) -> None:
    operation, _ = failing(BackendUnavailable("503 from upstream"), "done")

    with caplog.at_level(logging.INFO, logger="orchsdk.retry"):
        QUICK.call(operation, description="apply deployment/web")

    assert [record.getMessage() for record in caplog.records] == [
        "apply deployment/web failed (503 from upstream); try 2 in 0.00s"
    ]


# -- the first try, before any retry loop ------------------------------------------------


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(time, "monotonic", fake.monotonic)
    monkeypatch.setattr(time, "sleep", fake.sleep)
    return fake


@pytest.fixture
def loops_built(monkeypatch: pytest.MonkeyPatch) -> list[tenacity.Retrying]:
    """Every ``tenacity.Retrying`` built while the test runs."""
    built: list[tenacity.Retrying] = []
    real = tenacity.Retrying

    def spy(*args: Any, **kwargs: Any) -> tenacity.Retrying:
        built.append(real(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(tenacity, "Retrying", spy)
    return built


def test_a_call_that_succeeds_at_once_builds_no_retry_loop(
    loops_built: list[tenacity.Retrying],
) -> None:
    assert QUICK.call(lambda: "done") == "done"

    assert loops_built == []


def test_a_failure_not_worth_retrying_builds_no_retry_loop(
    loops_built: list[tenacity.Retrying],
) -> None:
    operation, _ = failing(NotFound("gone"))

    with pytest.raises(NotFound):
        QUICK.call(operation)

    assert loops_built == []


def test_the_retry_loop_is_built_after_a_failure_worth_retrying(
    loops_built: list[tenacity.Retrying],
) -> None:
    operation, calls = failing(BackendUnavailable("503"), "done")

    assert QUICK.call(operation) == "done"

    assert len(loops_built) == 1
    assert len(calls) == 2


def test_the_first_retry_waits_the_first_delay(clock: FakeClock) -> None:
    policy = RetryPolicy(attempts=4, initial_delay=0.25, multiplier=2, max_delay=5, jitter=0)
    operation, _ = failing(BackendUnavailable("503"), BackendUnavailable("503"), "done")

    assert policy.call(operation) == "done"

    assert clock.sleeps == [0.25, 0.5]


def test_the_first_retry_waits_the_first_tries_retry_after(clock: FakeClock) -> None:
    policy = RetryPolicy(attempts=4, initial_delay=0.25, jitter=0)
    operation, _ = failing(BackendUnavailable("429", retry_after=7), "done")

    assert policy.call(operation) == "done"

    assert clock.sleeps == [7]


def test_the_deadline_counts_from_the_start_of_the_first_try(clock: FakeClock) -> None:
    policy = RetryPolicy(attempts=5, deadline=1.0, initial_delay=0.3, max_delay=0.3, jitter=0)

    def slow_failure() -> str:
        clock.now += 0.8  # the next try would start 0.8 + 0.3 s after the first: too late
        raise BackendUnavailable("read timed out")

    with pytest.raises(BackendUnavailable):
        policy.call(slow_failure)

    assert clock.sleeps == []


def test_every_retry_that_fits_in_the_deadline_is_made(clock: FakeClock) -> None:
    policy = RetryPolicy(attempts=10, deadline=1.0, initial_delay=0.3, max_delay=0.3, jitter=0)
    operation, calls = failing(BackendUnavailable("503"))

    with pytest.raises(BackendUnavailable):
        policy.call(operation)

    assert clock.sleeps == [0.3, 0.3, 0.3]  # a fourth would end at 1.2 s
    assert len(calls) == 4


def test_the_last_failure_is_raised_as_it_was() -> None:
    errors = [BackendUnavailable(f"try {n}", acted=False, retry_after=0) for n in range(1, 5)]
    operation, _ = failing(*errors)

    with pytest.raises(BackendUnavailable) as raised:
        QUICK.call(operation, idempotent=False)

    assert raised.value is errors[-1]
    assert raised.value.acted is False


def test_a_first_failure_that_ends_the_retries_is_raised_as_it_was() -> None:
    policy = RetryPolicy(attempts=5, deadline=0.5, initial_delay=0, jitter=0)
    error = BackendUnavailable("429", retry_after=60)

    with pytest.raises(BackendUnavailable) as raised:
        policy.call(failing(error)[0])

    assert raised.value is error
    assert raised.value.retry_after == 60


# -- delay ---------------------------------------------------------------------------


@pytest.mark.parametrize(("attempt", "delay"), [(1, 0.1), (2, 0.2), (3, 0.4), (6, 3.2), (7, 5.0)])
def test_delays_grow_by_the_multiplier_up_to_the_maximum(attempt: int, delay: float) -> None:
    policy = RetryPolicy(initial_delay=0.1, multiplier=2, max_delay=5, jitter=0)

    assert policy.delay(attempt) == pytest.approx(delay)


@pytest.mark.parametrize("multiplier", [2, 2.0, 10.0])
def test_the_delay_of_a_very_late_attempt_is_the_maximum(multiplier: float) -> None:
    policy = RetryPolicy(multiplier=multiplier, max_delay=5, jitter=0)

    assert policy.delay(5000) == 5.0


def test_without_an_initial_delay_every_delay_is_zero() -> None:
    policy = RetryPolicy(initial_delay=0, jitter=0)

    assert policy.delay(1) == policy.delay(5000) == 0.0


def test_jitter_adds_at_most_its_share_of_the_delay() -> None:
    policy = RetryPolicy(initial_delay=1, multiplier=1, max_delay=1, jitter=0.5)

    delays = [policy.delay(1) for _ in range(200)]

    assert all(1 <= delay <= 1.5 for delay in delays)
    assert len(set(delays)) > 1


def test_retry_after_is_a_floor_for_the_delay() -> None:
    policy = RetryPolicy(initial_delay=0.1, jitter=0)

    assert policy.delay(1, retry_after=3.0) == 3.0


def test_a_retry_after_shorter_than_the_backoff_does_not_shorten_it() -> None:
    policy = RetryPolicy(initial_delay=0.1, multiplier=2, jitter=0)

    assert policy.delay(3, retry_after=0.01) == pytest.approx(0.4)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"attempts": 0},
        {"deadline": 0},
        {"initial_delay": -1},
        {"max_delay": -1},
        {"multiplier": 0.5},
        {"jitter": -0.1},
    ],
)
def test_a_policy_must_be_bounded_and_non_negative(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        RetryPolicy(**kwargs)
