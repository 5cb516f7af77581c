"""The benchmark harness still runs: ``python -m benchmarks --quick`` in a child process.

Asserts the shape of the results file (every benchmark present, rows well formed, the
machine described), never a speed: timings on a shared CI machine mean nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ("import", "apply", "requests", "wait", "render", "concurrency", "failures")
SIDES = ("orchsdk", "baseline")


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    output = tmp_path_factory.mktemp("benchmarks") / "results.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(output)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert "targets:" in done.stdout
    document: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    return document


def test_every_benchmark_ran_without_error(results: dict[str, Any]) -> None:
    assert results["schema_version"] == 1
    assert results["quick"] is True
    assert list(results["benchmarks"]) == list(BENCHMARKS)
    for name, bench in results["benchmarks"].items():
        assert "error" not in bench, f"{name}: {bench.get('error')}"
        assert bench["title"]
        assert bench["rows"], name
        assert bench["duration_s"] >= 0


def test_the_machine_is_described(results: dict[str, Any]) -> None:
    machine = results["machine"]
    assert machine["cpu_model"]
    assert isinstance(machine["cores"], int)
    assert machine["cores"] >= 1
    assert machine["python"].count(".") == 2
    assert machine["packages"]["orchsdk"]


def test_rows_are_well_formed(results: dict[str, Any]) -> None:
    for name, bench in results["benchmarks"].items():
        for row in bench["rows"]:
            where = f"{name}: {row.get('case')}"
            assert {"case", "metric", "unit", "better", "orchsdk", "baseline", "ratio"} <= set(row)
            assert row["better"] in ("lower", "higher"), where
            assert row["orchsdk"] is not None, where
            for side in SIDES:
                summary = row[side]
                if summary is None:
                    continue
                assert summary["n"] == len(summary["samples"]) >= 1, where
                assert summary["min"] <= summary["median"] <= summary["max"], where
                assert summary["median"] >= 0, where
            if row["baseline"] is not None and row["baseline"]["median"]:
                assert row["ratio"] == pytest.approx(
                    row["orchsdk"]["median"] / row["baseline"]["median"]
                ), where


def test_targets_are_listed_with_a_verdict(results: dict[str, Any]) -> None:
    targets = results["targets"]
    assert {item["benchmark"] for item in targets} >= {
        "import",
        "apply",
        "requests",
        "wait",
        "render",
    }
    for item in targets:
        assert item["target"]
        assert item["met"] in (True, False)


def test_import_orchsdk_loads_no_backend_library(results: dict[str, Any]) -> None:
    first = results["benchmarks"]["import"]["rows"][0]
    assert first["case"] == "import orchsdk"
    assert first["extra"]["backend_modules_loaded"] == []


def test_requests_are_logged_per_operation(results: dict[str, Any]) -> None:
    rows = results["benchmarks"]["requests"]["rows"]
    cases = [row["case"] for row in rows]
    for step in (
        "apply new deployment",
        "apply unchanged deployment",
        "apply changed deployment",
        "scale",
        "status",
        "wait",
        "rollback",
    ):
        assert any(case.startswith("kubernetes: " + step) for case in cases), step
        assert any(case.startswith("marathon: " + step) for case in cases), step
    for row in rows:
        assert len(row["extra"]["requests"]) == row["orchsdk"]["median"]
