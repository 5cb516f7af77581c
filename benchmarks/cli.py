"""The command line: ``python -m benchmarks [--quick] [--only NAME ...] [--output PATH]``."""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from benchmarks import (
    bench_apply,
    bench_concurrency,
    bench_failures,
    bench_import,
    bench_render,
    bench_requests,
    bench_wait,
)
from benchmarks.common import Config
from benchmarks.machine import describe, headline
from benchmarks.report import text

__all__ = ["BENCHMARKS", "DEFAULT_OUTPUT", "main", "run"]

BENCHMARKS: dict[str, Callable[[Config], dict[str, Any]]] = {
    "import": bench_import.run,
    "apply": bench_apply.run,
    "requests": bench_requests.run,
    "wait": bench_wait.run,
    "render": bench_render.run,
    "concurrency": bench_concurrency.run,
    "failures": bench_failures.run,
}
"""Every benchmark, in the order they run, by the name ``--only`` takes."""

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "last.json"
SCHEMA_VERSION = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="orchsdk's benchmarks, side by side with the code users write by hand.",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: small sizes, 1 round")
    parser.add_argument(
        "--only", nargs="+", choices=sorted(BENCHMARKS), metavar="NAME", help="run only these"
    )
    parser.add_argument("--rounds", type=int, help="rounds of the throughput benchmarks")
    parser.add_argument("--units", type=int, help="deployments (+ services + secrets) to apply")
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help=f"results JSON ({DEFAULT_OUTPUT})"
    )
    return parser


def run(config: Config, names: list[str], command: str) -> dict[str, Any]:
    """Runs the named benchmarks; a benchmark that fails is recorded with its traceback."""
    machine = describe()
    started = time.perf_counter()
    results: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "quick": config.quick,
        "config": attrs.asdict(config),
        "machine": machine,
        "started_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "benchmarks": {},
    }
    print(f"machine: {headline(machine)}", flush=True)
    for name in names:
        print(f"-- {name} ...", flush=True)
        began = time.perf_counter()
        try:
            outcome = BENCHMARKS[name](config)
        except Exception:
            outcome = {"title": name, "error": traceback.format_exc(), "rows": []}
        outcome["duration_s"] = time.perf_counter() - began
        results["benchmarks"][name] = outcome
    results["duration_s"] = time.perf_counter() - started
    results["targets"] = [
        {
            "benchmark": name,
            "case": item["case"],
            "metric": item["metric"],
            "target": item["target"],
            "met": item["met"],
        }
        for name, bench in results["benchmarks"].items()
        for item in bench["rows"]
        if item.get("target")
    ]
    return results


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    config = Config.smoke() if args.quick else Config.full()
    if args.rounds is not None:
        config = attrs.evolve(config, rounds=args.rounds)
    if args.units is not None:
        config = attrs.evolve(config, units=args.units)
    names = args.only or list(BENCHMARKS)
    command = "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv)
    results = run(config, names, command.strip())
    print(text(results))
    missed = [item for item in results["targets"] if item["met"] is False]
    print(f"\ntargets: {len(results['targets']) - len(missed)} met, {len(missed)} missed")
    for item in missed:
        print(f"  MISSED {item['case']} / {item['metric']}: {item['target']}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"results: {args.output}  ({results['duration_s']:.0f} s)")
    failed = [name for name, bench in results["benchmarks"].items() if "error" in bench]
    if failed:
        print(f"FAILED benchmarks: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
