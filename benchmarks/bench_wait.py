"""4. Wait latency: from the moment the emulator finishes a rollout to when ``wait()`` returns.

The emulator runs with its clock off (``auto=False``). For each sample the client
changes the deployment's image (a rollout starts and stalls), starts waiting in a
thread, and after a delay asks the emulator process to finish the rollout; the emulator
answers with the ``time.monotonic()`` at which the rollout was complete, the waiting
thread notes the ``time.monotonic()`` at which ``wait()`` returned. Both processes read
the same ``CLOCK_MONOTONIC``. Delays cycle through a fixed list, because a polling
wait's latency depends on how long it has been polling.

Baselines: on Kubernetes, a hand-written typed-client watch (``kubernetes.watch.Watch``
over ``list_namespaced_deployment`` with a field selector, kubectl's completion rule);
on Marathon, a ``requests`` loop polling ``GET /v2/deployments`` every 100 ms.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from benchmarks import workload as w
from benchmarks.common import Config, row
from benchmarks.remote import EmulatorProcess

__all__ = ["run"]

K8S_DELAYS = (0.05, 0.1, 0.2, 0.4)
MARATHON_DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0)
QUICK_DELAYS = (0.05, 0.1)
MARATHON_POLL = 0.1


def _sample(
    emulator: EmulatorProcess,
    name: str,
    namespace: str,
    delay: float,
    wait: Callable[[], Any],
) -> tuple[float, int]:
    """One latency sample (seconds) and the requests the wait sent."""
    returned: list[float] = []
    errors: list[BaseException] = []
    started = threading.Event()

    def waiter() -> None:
        started.set()
        try:
            wait()
        except BaseException as error:
            errors.append(error)
        returned.append(time.monotonic())

    mark = emulator.mark()
    thread = threading.Thread(target=waiter, daemon=True)
    thread.start()
    started.wait()
    time.sleep(delay)
    done = emulator.finish(name, namespace)
    thread.join(60)
    if errors:
        raise errors[0]
    if not returned:
        raise RuntimeError(f"wait for {namespace}/{name} did not return")
    if returned[0] < done:
        raise RuntimeError("wait() returned before the rollout was finished")
    return returned[0] - done, len(emulator.since(mark))


def _kubectl_done(deployment: Any) -> bool:
    """kubectl's DeploymentStatusViewer on a typed V1Deployment: True once rolled out."""
    status, spec = deployment.status, deployment.spec
    if (deployment.metadata.generation or 0) > (status.observed_generation or 0):
        return False
    updated = status.updated_replicas or 0
    if spec.replicas is not None and updated < spec.replicas:
        return False
    if (status.replicas or 0) > updated:
        return False
    return (status.available_replicas or 0) >= updated


def _kubernetes(samples: int, delays: tuple[float, ...]) -> list[dict[str, Any]]:
    from kubernetes import client, watch
    from kubernetes import config as kube_config

    import orchsdk

    namespace = "wait"
    latencies: dict[str, list[float]] = {"orchsdk": [], "baseline": []}
    requests: dict[str, list[float]] = {"orchsdk": [], "baseline": []}
    with EmulatorProcess("kubernetes", auto=False, namespaces=[namespace]) as cluster:
        orch = orchsdk.connect(cluster.url, namespace=namespace)
        cfg = client.Configuration()
        kube_config.load_kube_config(config_file=cluster.kubeconfig, client_configuration=cfg)  # type: ignore[no-untyped-call]
        apps = client.AppsV1Api(client.ApiClient(cfg))
        for side in ("orchsdk", "baseline"):
            i = 0 if side == "orchsdk" else 1
            orch.apply(w.secret(i, namespace), w.deployment(i, namespace))
        cluster.finish("app-0", namespace)
        cluster.finish("app-1", namespace)

        def typed_wait(name: str) -> None:
            watcher = watch.Watch()  # type: ignore[no-untyped-call]
            for event in watcher.stream(  # type: ignore[no-untyped-call]
                apps.list_namespaced_deployment,
                namespace,
                field_selector=f"metadata.name={name}",
                timeout_seconds=60,
            ):
                if _kubectl_done(event["object"]):
                    watcher.stop()  # type: ignore[no-untyped-call]
                    return
            raise RuntimeError("the watch ended before the rollout")

        for k in range(samples):
            delay = delays[k % len(delays)]
            sides: list[tuple[str, int, Callable[[], Any]]] = [
                ("orchsdk", 0, lambda: orch.wait("app-0", timeout=60)),
                ("baseline", 1, lambda: typed_wait("app-1")),
            ]
            if k % 2:
                sides.reverse()
            for side, i, wait in sides:
                orch.apply(w.deployment(i, namespace, image=f"nginx:1.{k + 100}"))
                latency, sent = _sample(cluster, f"app-{i}", namespace, delay, wait)
                latencies[side].append(latency)
                requests[side].append(float(sent))
        orch.close()
    baseline = "typed client: watch.Watch().stream(list_namespaced_deployment)"
    latency_row = row(
        "kubernetes: rollout finished -> wait() returned",
        "latency",
        "s",
        latencies["orchsdk"],
        latencies["baseline"],
        baseline=baseline,
        target="within 50 ms",
    )
    latency_row["met"] = bool(latency_row["orchsdk"]["median"] < 0.050)
    return [
        latency_row,
        row(
            "kubernetes: requests per wait",
            "requests",
            "requests",
            requests["orchsdk"],
            requests["baseline"],
            baseline=baseline,
        ),
    ]


def _marathon(samples: int, delays: tuple[float, ...]) -> list[dict[str, Any]]:
    import requests as http

    import orchsdk

    namespace = "wait"
    latencies: dict[str, list[float]] = {"orchsdk": [], "baseline": []}
    sent_counts: dict[str, list[float]] = {"orchsdk": [], "baseline": []}
    with EmulatorProcess("marathon", auto=False, secrets=False) as marathon:
        orch = orchsdk.connect(marathon.url, namespace=namespace)
        session = http.Session()

        def spec(i: int, image: str = w.IMAGE) -> Any:
            return orchsdk.Deployment(f"app-{i}", image=image, replicas=1, namespace=namespace)

        for i in (0, 1):
            orch.apply(spec(i))
            marathon.finish(f"app-{i}", namespace)

        def polled_wait(app_id: str) -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                running = session.get(f"{marathon.api_url}/v2/deployments", timeout=30).json()
                if not any(app_id in item.get("affectedApps", []) for item in running):
                    return
                time.sleep(MARATHON_POLL)
            raise RuntimeError("the deployment did not end")

        for k in range(samples):
            delay = delays[k % len(delays)]
            sides: list[tuple[str, int, Callable[[], Any]]] = [
                ("orchsdk", 0, lambda: orch.wait("app-0", timeout=60)),
                ("baseline", 1, lambda: polled_wait(f"/{namespace}/app-1")),
            ]
            if k % 2:
                sides.reverse()
            for side, i, wait in sides:
                orch.apply(spec(i, image=f"nginx:1.{k + 100}"))
                latency, sent = _sample(marathon, f"app-{i}", namespace, delay, wait)
                latencies[side].append(latency)
                sent_counts[side].append(float(sent))
        orch.close()
        session.close()
    baseline = f"requests: GET /v2/deployments every {MARATHON_POLL * 1000:.0f} ms"
    return [
        row(
            "marathon: rollout finished -> wait() returned (event stream)",
            "latency",
            "s",
            latencies["orchsdk"],
            latencies["baseline"],
            baseline=baseline,
        ),
        row(
            "marathon: requests per wait",
            "requests",
            "requests",
            sent_counts["orchsdk"],
            sent_counts["baseline"],
            baseline=baseline,
        ),
    ]


def run(config: Config) -> dict[str, Any]:
    k8s_delays = QUICK_DELAYS if config.quick else K8S_DELAYS
    marathon_delays = QUICK_DELAYS if config.quick else MARATHON_DELAYS
    samples = config.wait_samples
    return {
        "title": "Wait latency",
        "rows": [
            *_kubernetes(samples, k8s_delays),
            *_marathon(max(2, samples * 2 // 3), marathon_delays),
        ],
        "notes": [
            f"finish delays (s) cycle through {list(k8s_delays)} on Kubernetes and "
            f"{list(marathon_delays)} on Marathon; p99 of so few samples is close to the max.",
        ],
    }
