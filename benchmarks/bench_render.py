"""5. Render throughput: specs turned into native documents per second, no HTTP.

orchsdk's pure renderers (``orchsdk_kubernetes.render.render``,
``orchsdk_marathon.app_definition.render_app``) and the public ``Orchestrator.render()`` (which
also validates and checks capabilities), against what a user without orchsdk does to get
the same document: on Kubernetes, build the typed ``V1Deployment`` and serialize it
(``ApiClient.sanitize_for_serialization``); on Marathon, a hand-written dict (the floor).
"""

from __future__ import annotations

from typing import Any

from benchmarks import workload as w
from benchmarks.common import Config, row, timed
from benchmarks.remote import EmulatorProcess

__all__ = ["run"]

TARGET = 10_000.0


def _rate(count: int, rounds: int, body: Any) -> list[float]:
    rates = []
    for _ in range(rounds):
        with timed() as t:
            body()
        rates.append(count / t.wall)
    return rates


def run(config: Config) -> dict[str, Any]:
    from kubernetes.client import ApiClient
    from orchsdk_kubernetes.render import render
    from orchsdk_marathon.app_definition import render_app

    import orchsdk

    count = config.render_count
    rounds = max(config.rounds, 3)
    namespace = "render"
    specs = [w.deployment(i, namespace) for i in range(count)]
    api = ApiClient()
    sanitize = api.sanitize_for_serialization

    def k8s_pure() -> None:
        for spec in specs:
            render(spec)

    def k8s_typed() -> None:
        for i in range(count):
            sanitize(w.typed_deployment(i, namespace))  # type: ignore[no-untyped-call]

    def marathon_pure() -> None:
        for spec in specs:
            render_app(spec)

    def marathon_dicts() -> None:
        for i in range(count):
            w.marathon_app(i, namespace)

    k8s_pure()
    k8s_typed()  # warm: the typed models build their validators on first use
    rows = []
    pure = _rate(count, rounds, k8s_pure)
    typed = _rate(count, rounds, k8s_typed)
    pure_row = row(
        "kubernetes: render (pure renderer)",
        "deployments per second",
        "1/s",
        pure,
        typed,
        baseline="typed V1Deployment + sanitize_for_serialization",
        better="higher",
        target=">= 10,000/s",
    )
    pure_row["met"] = bool(pure_row["orchsdk"]["median"] >= TARGET)
    rows.append(pure_row)

    with EmulatorProcess(
        "kubernetes", auto=False, validate=False, namespaces=[namespace]
    ) as cluster:
        orch = orchsdk.connect(cluster.url, namespace=namespace)
        mark = cluster.mark()
        orch.render(*specs[:2])  # the first render in a process included
        public = _rate(count, rounds, lambda: orch.render(*specs))
        sent = cluster.since(mark)
        orch.close()
    public_row = row(
        "kubernetes: Orchestrator.render() (validates first)",
        "deployments per second",
        "1/s",
        public,
        typed,
        baseline="typed V1Deployment + sanitize_for_serialization",
        better="higher",
        target=">= 10,000/s",
        requests_sent=sent,
    )
    public_row["met"] = bool(public_row["orchsdk"]["median"] >= TARGET)
    rows.append(public_row)

    marathon_pure()
    pure = _rate(count, rounds, marathon_pure)
    dicts = _rate(count, rounds, marathon_dicts)
    pure_row = row(
        "marathon: render (pure renderer)",
        "deployments per second",
        "1/s",
        pure,
        dicts,
        baseline="hand-written app dict",
        better="higher",
        target=">= 10,000/s",
    )
    pure_row["met"] = bool(pure_row["orchsdk"]["median"] >= TARGET)
    rows.append(pure_row)
    with EmulatorProcess("marathon", auto=False, secrets=True) as marathon:
        orch = orchsdk.connect(marathon.url, namespace=namespace)
        mark = marathon.mark()
        orch.render(*specs[:2])  # the first render in a process included
        public = _rate(count, rounds, lambda: orch.render(*specs))
        sent = marathon.since(mark)
        orch.close()
    public_row = row(
        "marathon: Orchestrator.render() (validates first)",
        "deployments per second",
        "1/s",
        public,
        dicts,
        baseline="hand-written app dict",
        better="higher",
        target=">= 10,000/s",
        requests_sent=sent,
    )
    public_row["met"] = bool(public_row["orchsdk"]["median"] >= TARGET)
    rows.append(public_row)
    return {
        "title": "Render throughput",
        "rows": rows,
        "notes": [
            f"{count} deployments per round, {rounds} rounds; the same spec as the apply "
            "benchmark (port, resources, a plain and a secret env var, labels).",
            "Backend.render() is pure by the contract; the requests Orchestrator.render() "
            "sent (the first call included) are recorded in requests_sent. Marathon's "
            "GET /v2/info (capabilities, read once) is expected; anything else is not.",
        ],
    }
