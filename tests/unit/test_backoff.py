"""The one back-off for polls and reopened streams (``orchsdk.waiting.Backoff``)."""

from __future__ import annotations

import pytest
from fake_clock import FakeClock

from orchsdk import waiting
from orchsdk.waiting import Backoff


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(waiting.time, "monotonic", fake.monotonic)
    monkeypatch.setattr(waiting.time, "sleep", fake.sleep)
    return fake


def test_delays_grow_by_the_factor_up_to_the_maximum() -> None:
    backoff = Backoff(first=0.1, maximum=0.5, factor=2)

    assert [backoff.next_delay() for _ in range(5)] == [0.1, 0.2, 0.4, 0.5, 0.5]


def test_reset_starts_again_from_the_first_delay() -> None:
    backoff = Backoff(first=0.1, maximum=1.0, factor=2)
    backoff.next_delay()
    backoff.next_delay()

    backoff.reset()

    assert backoff.next_delay() == 0.1


def test_sleep_never_passes_the_deadline(clock: FakeClock) -> None:
    backoff = Backoff(first=0.5, maximum=1.0)

    backoff.sleep(deadline=clock.now + 0.2)
    backoff.sleep(deadline=clock.now)

    assert clock.sleeps == [pytest.approx(0.2)]


@pytest.mark.parametrize(
    ("first", "maximum", "factor"), [(0, 1, 2), (2, 1, 2), (0.1, 1, 0.5), (-1, 1, 2)]
)
def test_a_back_off_that_cannot_grow_sensibly_is_refused(
    first: float, maximum: float, factor: float
) -> None:
    with pytest.raises(ValueError, match="back-off"):
        Backoff(first, maximum, factor)
