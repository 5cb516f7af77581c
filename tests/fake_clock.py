"""A clock for tests of code that waits: it moves only when slept on or told to."""

from __future__ import annotations


class FakeClock:
    """Stands in for ``time.monotonic`` and ``time.sleep``; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
