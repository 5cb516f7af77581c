"""Tables of results: plain text for the terminal, Markdown for ``docs/performance.md``.

``python -m benchmarks.report [results.json]`` prints the Markdown tables of a results
file (by default ``benchmarks/results/last.json``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from benchmarks.machine import headline

__all__ = ["markdown", "text", "value"]


def value(number: float | None, unit: str) -> str:
    """A number for a table: seconds as ms, rates without decimals, the rest to 2 places."""
    if number is None:
        return "-"
    if unit == "s":
        return f"{number * 1000:.1f} ms"
    if unit in ("1/s", "objects/s", "resources/s"):
        return f"{number:,.0f}/s"
    if unit == "ms":
        return f"{number:.2f} ms"
    if unit == "requests":
        return f"{number:g}" if number == int(number) else f"{number:.2f}"
    return f"{number:.3g} {unit}"


def _side(result_row: dict[str, Any], side: str) -> str:
    data = result_row.get(side)
    if data is None:
        return "-"
    shown = value(data["median"], result_row["unit"])
    if result_row["unit"] == "s" and data["n"] > 3 and "latency" in result_row["metric"]:
        shown += f" (p99 {value(data['p99'], 's')})"
    return shown


def _ratio(result_row: dict[str, Any]) -> str:
    found = result_row.get("ratio")
    return "-" if found is None else f"{found:.2f}x"


def _target(result_row: dict[str, Any]) -> str:
    if result_row.get("target") is None:
        return ""
    met = result_row.get("met")
    mark = "met" if met else ("MISSED" if met is False else "")
    return f"{result_row['target']}: {mark}".strip(": ")


def _cells(name: str, result_row: dict[str, Any]) -> list[str]:
    extra = result_row.get("extra") or {}
    if name == "requests":
        kubectl = extra.get("kubectl")
        shown_kubectl = "-" if kubectl is None else str(kubectl)
        if extra.get("kubectl_discovery"):
            shown_kubectl += f" (+{extra['kubectl_discovery']} OpenAPI)"
        return [
            result_row["case"],
            _side(result_row, "orchsdk"),
            _side(result_row, "baseline"),
            shown_kubectl,
            _target(result_row),
        ]
    return [
        result_row["case"],
        result_row["metric"],
        _side(result_row, "orchsdk"),
        _side(result_row, "baseline"),
        _ratio(result_row),
        _target(result_row),
    ]


def _headers(name: str) -> list[str]:
    if name == "requests":
        return ["operation", "orchsdk", "minimum", "kubectl", "target"]
    return ["case", "metric", "orchsdk (median)", "baseline (median)", "ratio", "target"]


def _tables(results: dict[str, Any]) -> Iterable[tuple[str, dict[str, Any], list[list[str]]]]:
    for name, bench in results["benchmarks"].items():
        if "error" in bench:
            yield name, bench, []
            continue
        yield name, bench, [_cells(name, result_row) for result_row in bench["rows"]]


def text(results: dict[str, Any]) -> str:
    """Every benchmark as an aligned plain-text table, and the baselines used."""
    out: list[str] = []
    for name, bench, cells in _tables(results):
        out.append(f"\n== {bench.get('title', name)} ({name}) ==")
        if "error" in bench:
            out.append(f"FAILED: {bench['error'].strip().splitlines()[-1]}")
            continue
        table = [_headers(name), *cells]
        widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
        for line in table:
            out.append(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(line, widths, strict=True)
                ).rstrip()
            )
        baselines = sorted({r["baseline_name"] for r in bench["rows"] if r.get("baseline_name")})
        for baseline in baselines:
            out.append(f"  baseline: {baseline}")
        for note in bench.get("notes", []):
            out.append(f"  note: {note}")
    return "\n".join(out)


def _md_escape(cell: str) -> str:
    return cell.replace("|", "\\|").replace("*", "\\*")


def markdown(results: dict[str, Any]) -> str:
    """The Markdown section of ``docs/performance.md``: machine, then one table per benchmark."""
    machine = results["machine"]
    out = [
        f"Machine: {headline(machine)}; kubernetes {machine['packages'].get('kubernetes')}, "
        f"requests {machine['packages'].get('requests')}, kubectl {machine.get('kubectl')}. "
        f"Run: `{results['command']}` on {results['started_at']} "
        f"({results['duration_s']:.0f} s).",
    ]
    for name, bench, cells in _tables(results):
        out += ["", f"### {bench.get('title', name)}", ""]
        if "error" in bench:
            out.append(f"Failed: `{bench['error'].strip().splitlines()[-1]}`")
            continue
        headers = _headers(name)
        out.append("| " + " | ".join(headers) + " |")
        out.append("|" + "---|" * len(headers))
        for line in cells:
            out.append("| " + " | ".join(_md_escape(cell) for cell in line) + " |")
        baselines = sorted({r["baseline_name"] for r in bench["rows"] if r.get("baseline_name")})
        if baselines and name != "requests":
            out += ["", "Baselines: " + "; ".join(_md_escape(b) for b in baselines) + "."]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    path = Path(args[0]) if args else Path(__file__).parent / "results" / "last.json"
    print(markdown(json.loads(path.read_text(encoding="utf-8"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
