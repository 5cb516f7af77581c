"""What every benchmark shares: its settings, the shape of a result row, and small helpers."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs

from benchmarks.stats import ratio, summary

__all__ = ["Config", "Timer", "row", "timed"]


@attrs.frozen
class Config:
    """How big and how often: the full run, or ``--quick`` (a smoke run for CI)."""

    quick: bool = False
    rounds: int = 3
    """Rounds of the throughput benchmarks (apply, render, concurrency)."""
    units: int = 500
    """Deployments (each with a service and a secret) in the apply benchmark."""
    import_runs: int = 7
    wait_samples: int = 30
    render_count: int = 2000
    bulk: int = 500
    workers: int = 8
    marathon_service_steps: tuple[int, ...] = (25, 50, 100)

    @classmethod
    def full(cls) -> Config:
        return cls()

    @classmethod
    def smoke(cls) -> Config:
        return cls(
            quick=True,
            rounds=1,
            units=5,
            import_runs=1,
            wait_samples=2,
            render_count=200,
            bulk=12,
            workers=4,
            marathon_service_steps=(2, 4),
        )


@attrs.define
class Timer:
    """Wall and CPU seconds of a block (CPU: this process, all its threads)."""

    wall: float = 0.0
    cpu: float = 0.0


@contextmanager
def timed() -> Iterator[Timer]:
    """``with timed() as t: ...`` then ``t.wall``, ``t.cpu``; collects garbage first."""
    gc.collect()
    timer = Timer()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield timer
    finally:
        timer.wall = time.perf_counter() - wall
        timer.cpu = time.process_time() - cpu


def row(
    case: str,
    metric: str,
    unit: str,
    ours: list[float] | float | None,
    theirs: list[float] | float | None = None,
    *,
    baseline: str | None = None,
    better: str = "lower",
    target: str | None = None,
    met: bool | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One line of a benchmark's results: orchsdk's numbers, the baseline's, their ratio.

    Lists are summarized (median, p99, ...); the ratio is orchsdk's median over the
    baseline's (below 1 is better for ``better="lower"``, above 1 for ``"higher"``).
    """

    def summarize(value: list[float] | float | None) -> dict[str, Any] | None:
        if value is None:
            return None
        return summary(value if isinstance(value, list) else [value])

    ours_summary, theirs_summary = summarize(ours), summarize(theirs)
    return {
        "case": case,
        "metric": metric,
        "unit": unit,
        "better": better,
        "orchsdk": ours_summary,
        "baseline": theirs_summary,
        "baseline_name": baseline,
        "ratio": ratio(
            ours_summary["median"] if ours_summary else None,
            theirs_summary["median"] if theirs_summary else None,
        ),
        "target": target,
        "met": met,
        "extra": extra,
    }


def median_of(result_row: dict[str, Any], side: str = "orchsdk") -> float | None:
    """The median of one side of a row, or None."""
    value = result_row.get(side)
    return None if value is None else value["median"]


def repeat(rounds: int, body: Callable[[int], None]) -> None:
    """Calls ``body(round)`` ``rounds`` times (a loop with a name, for readability)."""
    for number in range(rounds):
        body(number)
