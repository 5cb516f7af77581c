"""6. Bulk concurrency: ``apply`` of many resources from a thread pool sharing one Orchestrator,
against the same resources applied sequentially (one ``apply(*resources)`` call).

Each round uses fresh namespaces, so every apply creates. On a machine with few cores
the emulator (another process) competes for them: the speed-up shown is what the
client gains while the server keeps up.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks import workload as w
from benchmarks.common import Config, row, timed
from benchmarks.remote import EmulatorProcess

__all__ = ["run"]


def _resources(count: int, prefix: str, *, services: bool) -> list[Any]:
    per_unit = 3 if services else 2
    units = -(-count // per_unit)
    return w.specs(w.units(units, prefix), services=services)[:count]


def _namespaces(config: Config) -> list[str]:
    units = -(-config.bulk // 2)
    prefixes = [f"bulk{mode}{r}" for r in range(config.rounds) for mode in ("pool", "seq")]
    return [ns for prefix in [*prefixes, "bulkwarm"] for ns in w.namespaces(units, prefix)]


def _compare(
    backend: str,
    emulator: EmulatorProcess,
    config: Config,
    *,
    services: bool,
) -> list[dict[str, Any]]:
    import orchsdk
    from orchsdk import Action

    count, workers = config.bulk, config.workers
    rates: dict[str, list[float]] = {"pool": [], "sequential": []}
    cpu: dict[str, list[float]] = {"pool": [], "sequential": []}
    requests: dict[str, list[float]] = {"pool": [], "sequential": []}
    with orchsdk.connect(emulator.url) as orch, ThreadPoolExecutor(workers) as pool:
        warm = _resources(4, "bulkwarm", services=services)
        orch.apply(*warm)
        list(pool.map(lambda resource: orch.apply(resource), warm))

        def sequential(namespace: str) -> None:
            results = orch.apply(*_resources(count, namespace, services=services))
            assert all(result.action is Action.CREATED for result in results)

        def pooled(namespace: str) -> None:
            resources = _resources(count, namespace, services=services)
            secrets = [r for r in resources if isinstance(r, orchsdk.Secret)]
            others = [r for r in resources if not isinstance(r, orchsdk.Secret)]
            done = list(pool.map(orch.apply, secrets)) + list(pool.map(orch.apply, others))
            assert all(result.action is Action.CREATED for results in done for result in results)

        for r in range(config.rounds):
            order = [("sequential", "seq", sequential), ("pool", "pool", pooled)]
            if r % 2:
                order.reverse()
            for mode, short, body in order:
                namespace = f"bulk{short}{r}"
                mark = emulator.mark()
                with timed() as t:
                    body(namespace)
                rates[mode].append(count / t.wall)
                cpu[mode].append(t.cpu / count * 1000)
                requests[mode].append(len(emulator.since(mark)) / count)
    case = f"{backend}: apply {count} resources, {workers} threads vs sequential"
    return [
        row(
            case,
            "throughput",
            "resources/s",
            rates["pool"],
            rates["sequential"],
            baseline="sequential apply(*resources)",
            better="higher",
        ),
        row(
            case,
            "client CPU per resource",
            "ms",
            cpu["pool"],
            cpu["sequential"],
            baseline="sequential apply(*resources)",
        ),
        row(
            case,
            "requests per resource",
            "requests",
            requests["pool"],
            requests["sequential"],
            baseline="sequential apply(*resources)",
        ),
    ]


def run(config: Config) -> dict[str, Any]:
    with EmulatorProcess(
        "kubernetes", auto=False, validate=False, namespaces=_namespaces(config)
    ) as cluster:
        rows = _compare("kubernetes", cluster, config, services=True)
    with EmulatorProcess("marathon", auto=False, secrets=True) as marathon:
        rows += _compare("marathon", marathon, config, services=False)
    return {
        "title": "Bulk concurrency",
        "rows": rows,
        "notes": [
            f"{config.rounds} rounds; the pool applies secrets first, then the rest "
            "(deployments refer to them), one resource per apply() call; "
            f"{w.UNITS_PER_NAMESPACE} units to a namespace, as in the apply benchmark.",
        ],
    }
