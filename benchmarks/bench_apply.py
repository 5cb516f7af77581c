"""2. Apply throughput: create, then re-apply unchanged, N deployments + services + secrets.

Kubernetes: orchsdk's ``apply`` against a hand-written loop over the ``kubernetes``
client's typed models: ``create_namespaced_*`` to create; to re-apply, what a script
that must not write when nothing changed does: ``read_namespaced_*``, compare the fields
it sets, skip (a ``replace_namespaced_*`` would follow a difference). That is one request
per object, the fewest a client-side check can take, and it sends no write.

Marathon: orchsdk against plain ``requests``: ``PUT /v2/apps/{id}`` and a secret-store
``PUT`` to create; ``GET`` + compare + skip to re-apply. A Marathon "service" is labels
on the apps it selects (each label write restarts the app), so services are measured
apart, as the cost of an unchanged re-apply as the number of services grows.

Wall time, the client process's CPU time (the emulator runs in another process) and the
requests sent are recorded per operation (one object applied).
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from functools import partial
from typing import Any

from benchmarks import workload as w
from benchmarks.common import Config, row, timed
from benchmarks.remote import EmulatorProcess

__all__ = ["run"]


def _delete(url: str) -> None:
    request = urllib.request.Request(url, method="DELETE")
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()


class _Phase:
    """Wall, CPU and request counts of one side's create or re-apply, per round."""

    def __init__(self) -> None:
        self.rate: list[float] = []
        self.cpu_ms: list[float] = []
        self.requests: list[float] = []
        self.server_cpu_ms: list[float] = []

    def record(self, ops: int, wall: float, cpu: float, requests: int, server_cpu: float) -> None:
        self.rate.append(ops / wall)
        self.cpu_ms.append(cpu / ops * 1000)
        self.requests.append(requests / ops)
        self.server_cpu_ms.append(server_cpu / ops * 1000)


def _alternate(
    server: EmulatorProcess,
    phases: dict[str, dict[str, _Phase]],
    objects: int,
    rounds: int,
    sides: dict[str, tuple[Callable[[str], None], Callable[[str], None]]],
    clear: Callable[[str], None],
) -> None:
    """Measures create then re-apply for each side, ``rounds`` times, the sides' order
    alternating so that neither always runs on a warmer server; ``clear`` deletes the
    namespaces of a prefix after each side's round."""
    for r in range(rounds):
        order = [("orchsdk", f"ours{r}"), ("baseline", f"base{r}")]
        if r % 2:
            order.reverse()
        for side, prefix in order:
            create, reapply = sides[side]
            _measure(server, phases[side]["create"], objects, partial(create, prefix))
            _measure(server, phases[side]["reapply"], objects, partial(reapply, prefix))
            clear(prefix)


def _measure(cluster: EmulatorProcess, phase: _Phase, ops: int, body: Callable[[], None]) -> None:
    mark, server = cluster.mark(), cluster.cpu()
    with timed() as t:
        body()
    server = cluster.cpu() - server
    phase.record(ops, t.wall, t.cpu, len(cluster.since(mark)), server)


def _rows(
    backend: str,
    baseline: str,
    phases: dict[str, dict[str, _Phase]],
    units: int,
    objects: int,
) -> list[dict[str, Any]]:
    rows = []
    for step, label in (("create", "create"), ("reapply", "re-apply unchanged")):
        ours, theirs = phases["orchsdk"][step], phases["baseline"][step]
        case = f"{backend}: {label} {units} units ({objects} objects)"
        rate = row(
            case,
            "throughput",
            "objects/s",
            ours.rate,
            theirs.rate,
            baseline=baseline,
            better="higher",
            target=">= baseline",
        )
        rate["met"] = rate["ratio"] is not None and rate["ratio"] >= 1.0
        cpu = row(
            case,
            "client CPU per object",
            "ms",
            ours.cpu_ms,
            theirs.cpu_ms,
            baseline=baseline,
            target="< baseline",
        )
        cpu["met"] = cpu["ratio"] is not None and cpu["ratio"] < 1.0
        requests = row(
            case,
            "requests per object",
            "requests",
            ours.requests,
            theirs.requests,
            baseline=baseline,
        )
        server = row(
            case,
            "emulator CPU per object (context)",
            "ms",
            ours.server_cpu_ms,
            theirs.server_cpu_ms,
            baseline=baseline,
        )
        rows += [rate, cpu, requests, server]
    return rows


def _phases() -> dict[str, dict[str, _Phase]]:
    return {side: {"create": _Phase(), "reapply": _Phase()} for side in ("orchsdk", "baseline")}


# -- Kubernetes ----------------------------------------------------------------------------------


def _kubernetes(config: Config) -> list[dict[str, Any]]:
    from kubernetes import client
    from kubernetes import config as kube_config

    import orchsdk
    from orchsdk import Action

    count, rounds = config.units, config.rounds
    objects = count * 3
    prefixes = [f"{side}{r}" for r in range(rounds) for side in ("ours", "base")]
    created = [ns for prefix in prefixes for ns in w.namespaces(count, prefix)]
    created += ["warm-0", "warmb-0"]
    phases = _phases()
    with EmulatorProcess("kubernetes", auto=False, validate=False, namespaces=created) as cluster:
        orch = orchsdk.connect(cluster.url)
        cfg = client.Configuration()
        kube_config.load_kube_config(config_file=cluster.kubeconfig, client_configuration=cfg)  # type: ignore[no-untyped-call]
        cfg.retries = False
        api = client.ApiClient(cfg)
        apps, core = client.AppsV1Api(api), client.CoreV1Api(api)

        def ours_create(prefix: str) -> None:
            results = orch.apply(*w.specs(w.units(count, prefix)))
            assert all(result.action is Action.CREATED for result in results), results[:3]

        def ours_reapply(prefix: str) -> None:
            results = orch.apply(*w.specs(w.units(count, prefix)))
            assert all(result.action is Action.UNCHANGED for result in results), [
                r for r in results if r.action is not Action.UNCHANGED
            ][:3]

        def base_create(prefix: str, limit: int = count) -> None:
            for i, namespace in w.units(limit, prefix):
                core.create_namespaced_secret(namespace, w.typed_secret(i, namespace))
                apps.create_namespaced_deployment(namespace, w.typed_deployment(i, namespace))
                core.create_namespaced_service(namespace, w.typed_service(i, namespace))

        def base_reapply(prefix: str, limit: int = count) -> None:
            written = 0
            for i, namespace in w.units(limit, prefix):
                secret = w.typed_secret(i, namespace)
                name = secret.metadata.name
                if not w.typed_secret_matches(core.read_namespaced_secret(name, namespace), secret):
                    core.replace_namespaced_secret(name, namespace, secret)
                    written += 1
                deployment = w.typed_deployment(i, namespace)
                name = deployment.metadata.name
                existing = apps.read_namespaced_deployment(name, namespace)
                if not w.typed_deployment_matches(existing, deployment):
                    apps.replace_namespaced_deployment(name, namespace, deployment)
                    written += 1
                service = w.typed_service(i, namespace)
                name = service.metadata.name
                if not w.typed_service_matches(
                    core.read_namespaced_service(name, namespace), service
                ):
                    core.replace_namespaced_service(name, namespace, service)
                    written += 1
            assert written == 0, f"the baseline found {written} differences"

        # warm up both clients (imports, validators, connection pools)
        warm = w.units(2, "warm")
        orch.apply(*w.specs(warm))
        orch.apply(*w.specs(warm))
        base_create("warmb", 2)
        base_reapply("warmb", 2)

        def clear(prefix: str) -> None:
            for namespace in w.namespaces(count, prefix):
                _delete(f"{cluster.api_url}/api/v1/namespaces/{namespace}")

        _alternate(
            cluster,
            phases,
            objects,
            rounds,
            {"orchsdk": (ours_create, ours_reapply), "baseline": (base_create, base_reapply)},
            clear,
        )
        orch.close()
        api.close()  # type: ignore[no-untyped-call]
    return _rows(
        "kubernetes",
        "typed client: create_namespaced_*; read + compare + skip",
        phases,
        count,
        objects,
    )


# -- Marathon ------------------------------------------------------------------------------------


def _marathon(config: Config) -> list[dict[str, Any]]:
    import requests

    import orchsdk
    from orchsdk import Action

    count, rounds = config.units, config.rounds
    objects = count * 2
    phases = _phases()
    with EmulatorProcess("marathon", auto=False, secrets=True) as marathon:
        orch = orchsdk.connect(marathon.url)
        session = requests.Session()
        base, store = marathon.api_url, marathon.secret_store_url + "/secret/default"

        def ours_create(prefix: str, limit: int = count) -> None:
            results = orch.apply(*w.specs(w.units(limit, prefix), services=False))
            assert all(result.action is Action.CREATED for result in results), results[:3]

        def ours_reapply(prefix: str, limit: int = count) -> None:
            results = orch.apply(*w.specs(w.units(limit, prefix), services=False))
            assert all(result.action is Action.UNCHANGED for result in results), results[:3]

        def base_create(prefix: str, limit: int = count) -> None:
            for i, namespace in w.units(limit, prefix):
                put = session.put(
                    f"{store}/{namespace}/db-{i}/password", json={"value": w.PASSWORD}, timeout=30
                )
                put.raise_for_status()
                app = w.marathon_app(i, namespace)
                put = session.put(
                    f"{base}/v2/apps{app['id']}",
                    params={"partialUpdate": "false"},
                    json=app,
                    timeout=30,
                )
                put.raise_for_status()

        def base_reapply(prefix: str, limit: int = count) -> None:
            written = 0
            for i, namespace in w.units(limit, prefix):
                path = f"{store}/{namespace}/db-{i}/password"
                got = session.get(path, timeout=30)
                got.raise_for_status()
                if got.json().get("value") != w.PASSWORD:
                    session.patch(path, json={"value": w.PASSWORD}, timeout=30).raise_for_status()
                    written += 1
                app = w.marathon_app(i, namespace)
                got = session.get(f"{base}/v2/apps{app['id']}", timeout=30)
                got.raise_for_status()
                if not w.marathon_app_matches(got.json()["app"], app):
                    session.put(
                        f"{base}/v2/apps{app['id']}",
                        params={"partialUpdate": "false"},
                        json=app,
                        timeout=30,
                    ).raise_for_status()
                    written += 1
            assert written == 0, f"the baseline found {written} differences"

        ours_create("warmours", 2)
        ours_reapply("warmours", 2)
        base_create("warmbase", 2)
        base_reapply("warmbase", 2)

        def clear(prefix: str) -> None:
            for namespace in w.namespaces(count, prefix):
                _delete(f"{base}/v2/groups/{namespace}?force=true")

        _alternate(
            marathon,
            phases,
            objects,
            rounds,
            {"orchsdk": (ours_create, ours_reapply), "baseline": (base_create, base_reapply)},
            clear,
        )
        orch.close()
        session.close()
    return _rows(
        "marathon",
        "requests: PUT app / secret; GET + compare + skip",
        phases,
        count,
        objects,
    )


def _marathon_services(config: Config) -> list[dict[str, Any]]:
    """An unchanged re-apply of deployments + services as services grow (no baseline: a
    script puts the service labels in the app it PUTs, which is the deployment row)."""
    import orchsdk
    from orchsdk import Action

    rows = []
    with EmulatorProcess("marathon", auto=True, secrets=False, deployment_seconds=0.02) as marathon:
        orch = orchsdk.connect(marathon.url)
        for count in config.marathon_service_steps:
            namespace = f"svc-{count}"
            resources: list[Any] = []
            for i in range(count):
                deployment = w.deployment(i, namespace)
                resources.append(
                    orchsdk.Deployment(
                        deployment.name,
                        image=deployment.image,
                        replicas=1,
                        ports=deployment.ports,
                        labels=deployment.labels,
                        namespace=namespace,
                    )
                )
                resources.append(w.service(i, namespace))
            orch.apply(*resources)
            mark, server = marathon.mark(), marathon.cpu()
            with timed() as t:
                results = orch.apply(*resources)
            server = marathon.cpu() - server
            assert all(result.action is Action.UNCHANGED for result in results), results[:3]
            sent = marathon.since(mark)
            ops = len(resources)
            rows.append(
                row(
                    f"marathon: re-apply unchanged {count} deployments + {count} services",
                    "client CPU per object",
                    "ms",
                    t.cpu / ops * 1000,
                    objects=ops,
                    wall_s=t.wall,
                    requests_per_object=len(sent) / ops,
                    emulator_cpu_ms_per_object=server / ops * 1000,
                )
            )
        orch.close()
    return rows


def run(config: Config) -> dict[str, Any]:
    return {
        "title": "Apply throughput",
        "rows": [*_kubernetes(config), *_marathon(config), *_marathon_services(config)],
        "notes": [
            f"{config.rounds} rounds; each round creates {config.units} units in fresh "
            f"namespaces ({w.UNITS_PER_NAMESPACE} units to a namespace) per side, then "
            "re-applies them unchanged; sides alternate who goes first.",
            "A unit is a deployment, a service and a secret on Kubernetes; a deployment and "
            "a secret on Marathon (services measured apart).",
            "Emulators run in a child process with validation off (Kubernetes) and the clock "
            "off, so that the emulator's own work is as small as it can be; its CPU per object "
            "is shown for context.",
        ],
    }
