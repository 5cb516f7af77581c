"""3. Requests per operation: what orchsdk sends for each step, the fewest possible, and kubectl.

Every request the emulator serves is logged; the log around one call is its cost. On
Kubernetes the same steps are run with ``kubectl`` against the same emulator when it is
installed (its discovery cache warmed first; its OpenAPI and discovery reads are counted
apart), else kubectl's numbers come from its source (listed in ``KUBECTL_FROM_SOURCE``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

from benchmarks import workload as w
from benchmarks.common import Config, row
from benchmarks.remote import EmulatorProcess

__all__ = ["KUBECTL_FROM_SOURCE", "run"]

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

KUBECTL_FROM_SOURCE = {
    "apply": "1 PATCH (apply --server-side; + GET /openapi/v3 for field validation)",
    "scale": "GET (resource builder) + PATCH .../scale",
    "status": "1 GET (kubectl get)",
    "wait": "GET (builder) + LIST + WATCH (rollout status: UntilWithSync)",
    "rollback": "GET (builder) + GET + LIST replicasets + PATCH (rollout undo)",
}

# the fewest requests each step can take, and why
K8S_MINIMUM = {
    "apply": (1, "one server-side apply PATCH creates, updates or changes nothing"),
    "scale": (1, "one PATCH of the /scale subresource"),
    "status": (1, "one GET of the deployment"),
    "wait": (1, "one WATCH without resourceVersion (sends the current object first)"),
    "rollback": (3, "GET deployment + LIST its replicasets + PATCH (as kubectl)"),
}
MARATHON_MINIMUM = {
    "apply new": (2, "GET (to know) + PUT; 1 PUT if the caller knows it is new"),
    "apply unchanged": (1, "one GET, then no write"),
    "apply changed": (2, "GET + PUT"),
    "secret new": (1, "one PUT to the secret store"),
    "secret unchanged": (1, "one GET of the value, no write"),
    "scale": (1, "PUT {instances} with partialUpdate"),
    "status": (1, "GET /v2/apps/{id}?embed=app.deployments&embed=app.tasks"),
    "wait": (1, "one event stream (GET /v2/events), and no read"),
    "rollback": (2, "GET /v2/apps/{id}/versions + PUT {version}"),
}

_DISCOVERY = ("/api", "/apis", "/openapi", "/version")


def _count(cluster: EmulatorProcess, call: Callable[[], Any]) -> list[tuple[str, str]]:
    mark = cluster.mark()
    call()
    return cluster.since(mark)


def _finish_later(
    cluster: EmulatorProcess, name: str, namespace: str, delay: float
) -> threading.Timer:
    timer = threading.Timer(delay, lambda: cluster.finish(name, namespace))
    timer.start()
    return timer


class _Kubectl:
    def __init__(self, cluster: EmulatorProcess, namespace: str) -> None:
        self.cluster, self.namespace = cluster, namespace
        self.cache = tempfile.mkdtemp(prefix="orchsdk-bench-kubectl-")
        self.path = shutil.which("kubectl")

    def close(self) -> None:
        shutil.rmtree(self.cache, ignore_errors=True)

    def __call__(self, *args: str, document: dict[str, Any] | None = None) -> list[tuple[str, str]]:
        assert self.path is not None
        command = [self.path, "--kubeconfig", self.cluster.kubeconfig, "--cache-dir", self.cache]
        command += ["-n", self.namespace, *args]
        stdin = json.dumps(document) if document is not None else None

        def call() -> None:
            done = subprocess.run(
                command, input=stdin, capture_output=True, text=True, timeout=60, check=False
            )
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(args)}: {done.stderr.strip()}")

        return _count(self.cluster, call)


def _split(sent: list[tuple[str, str]]) -> tuple[int, int]:
    work = [
        item for item in sent if not item[1].startswith(_DISCOVERY) or "/namespaces/" in item[1]
    ]
    return len(work), len(sent) - len(work)


def _kubernetes() -> list[dict[str, Any]]:
    from orchsdk_kubernetes.render import render

    import orchsdk

    namespace = "req"
    found: dict[str, list[tuple[str, str]]] = {}
    kubectl_found: dict[str, tuple[int, int, list[tuple[str, str]]]] = {}
    with EmulatorProcess("kubernetes", auto=False, namespaces=[namespace, "kc"]) as cluster:
        with orchsdk.connect(cluster.url, namespace=namespace) as orch:
            # Deployments refer to their secrets, which apply checks on the cluster (one
            # read each): the secrets go first, as they would in a real rollout.
            steps: list[tuple[str, Callable[[], Any]]] = [
                ("apply new secret", lambda: orch.apply(w.secret(0, namespace))),
                ("apply another new secret", lambda: orch.apply(w.secret(1, namespace))),
                (
                    "apply new deployment (first in a namespace)",
                    lambda: orch.apply(w.deployment(0, namespace)),
                ),
                ("apply new deployment", lambda: orch.apply(w.deployment(1, namespace))),
                ("apply new service", lambda: orch.apply(w.service(0, namespace))),
                ("apply unchanged deployment", lambda: orch.apply(w.deployment(0, namespace))),
                ("apply unchanged service", lambda: orch.apply(w.service(0, namespace))),
                ("apply unchanged secret", lambda: orch.apply(w.secret(0, namespace))),
                (
                    "apply changed deployment",
                    lambda: orch.apply(w.deployment(0, namespace, image="nginx:1.28")),
                ),
                ("scale (returns the status)", lambda: orch.scale("app-0", 3)),
                ("status", lambda: orch.status("app-0")),
            ]
            for name, call in steps:
                found[name] = _count(cluster, call)
            timer = _finish_later(cluster, "app-0", namespace, 0.3)
            found["wait (rollout finishes after 0.3 s)"] = _count(
                cluster, lambda: orch.wait("app-0", timeout=30)
            )
            timer.join()
            found["rollback (returns the status)"] = _count(cluster, lambda: orch.rollback("app-0"))

        if shutil.which("kubectl"):
            kubectl = _Kubectl(cluster, "kc")
            try:
                kubectl("get", "deployments")  # fills the discovery cache
                new = render(w.deployment(0, "kc"))
                changed = render(w.deployment(0, "kc", image="nginx:1.28"))
                apply = ("apply", "--server-side", "--field-manager=kubectl-bench", "-f", "-")
                runs: list[tuple[str, Callable[[], list[tuple[str, str]]]]] = [
                    ("apply new deployment", lambda: kubectl(*apply, document=new)),
                    (
                        "apply new service",
                        lambda: kubectl(*apply, document=render(w.service(0, "kc"))),
                    ),
                    (
                        "apply new secret",
                        lambda: kubectl(*apply, document=render(w.secret(0, "kc"))),
                    ),
                    ("apply unchanged deployment", lambda: kubectl(*apply, document=new)),
                    ("apply changed deployment", lambda: kubectl(*apply, document=changed)),
                    ("scale", lambda: kubectl("scale", "deployment/app-0", "--replicas=3")),
                    ("status", lambda: kubectl("get", "deployment", "app-0", "-o", "json")),
                ]
                for name, call in runs:
                    sent = call()
                    kubectl_found[name] = (*_split(sent), sent)
                timer = _finish_later(cluster, "app-0", "kc", 0.3)
                sent = kubectl("rollout", "status", "deployment/app-0", "--timeout=30s")
                timer.join()
                kubectl_found["wait"] = (*_split(sent), sent)
                sent = kubectl("rollout", "undo", "deployment/app-0")
                kubectl_found["rollback"] = (*_split(sent), sent)
            finally:
                kubectl.close()

    def kubectl_for(step: str) -> dict[str, Any]:
        key = next((k for k in kubectl_found if step.startswith(k)), None)
        if key is None:
            return {"kubectl": None, "kubectl_source": KUBECTL_FROM_SOURCE.get(step.split()[0])}
        work, discovery, sent = kubectl_found[key]
        return {"kubectl": work, "kubectl_discovery": discovery, "kubectl_requests": sent}

    rows = []
    for step, sent in found.items():
        kind = step.split()[0]
        minimum, why = K8S_MINIMUM[kind]
        rows.append(
            row(
                f"kubernetes: {step}",
                "requests",
                "requests",
                float(len(sent)),
                float(minimum),
                baseline="minimum possible",
                target=f"= {minimum}" if kind == "apply" else None,
                met=(len(sent) <= minimum) if kind == "apply" else None,
                requests=sent,
                minimum_why=why,
                **kubectl_for(step),
            )
        )
    return rows


def _marathon() -> list[dict[str, Any]]:
    import orchsdk

    namespace = "req"
    found: dict[str, list[tuple[str, str]]] = {}
    with (
        EmulatorProcess("marathon", auto=False, secrets=True) as marathon,
        orchsdk.connect(marathon.url, namespace=namespace) as orch,
    ):
        _ = orch.capabilities  # reads /v2/info once, as any first call does
        steps: list[tuple[str, str, Callable[[], Any]]] = [
            ("secret new", "apply new secret", lambda: orch.apply(w.secret(0, namespace))),
            (
                "apply new",
                "apply new deployment",
                lambda: orch.apply(w.deployment(0, namespace)),
            ),
            (
                "apply unchanged",
                "apply unchanged deployment",
                lambda: orch.apply(w.deployment(0, namespace)),
            ),
            (
                "secret unchanged",
                "apply unchanged secret",
                lambda: orch.apply(w.secret(0, namespace)),
            ),
        ]
        kinds: dict[str, str] = {}
        for kind, name, call in steps:
            found[name] = _count(marathon, call)
            kinds[name] = kind
        marathon.finish("app-0", namespace)
        found["apply changed deployment"] = _count(
            marathon, lambda: orch.apply(w.deployment(0, namespace, image="nginx:1.28"))
        )
        kinds["apply changed deployment"] = "apply changed"
        marathon.finish("app-0", namespace)
        found["scale (returns the status)"] = _count(marathon, lambda: orch.scale("app-0", 3))
        kinds["scale (returns the status)"] = "scale"
        found["status"] = _count(marathon, lambda: orch.status("app-0"))
        kinds["status"] = "status"
        timer = _finish_later(marathon, "app-0", namespace, 0.3)
        found["wait (rollout finishes after 0.3 s)"] = _count(
            marathon, lambda: orch.wait("app-0", timeout=30)
        )
        kinds["wait (rollout finishes after 0.3 s)"] = "wait"
        timer.join()
        found["rollback (returns the status)"] = _count(marathon, lambda: orch.rollback("app-0"))
        kinds["rollback (returns the status)"] = "rollback"
    rows = []
    for step, sent in found.items():
        minimum, why = MARATHON_MINIMUM[kinds[step]]
        writes = sum(1 for method, _ in sent if method in WRITES)
        unchanged = "unchanged" in step
        rows.append(
            row(
                f"marathon: {step}",
                "requests",
                "requests",
                float(len(sent)),
                float(minimum),
                baseline="minimum possible",
                target="no write" if unchanged else None,
                met=(writes == 0) if unchanged else None,
                requests=sent,
                writes=writes,
                minimum_why=why,
            )
        )
    return rows


def run(config: Config) -> dict[str, Any]:
    started = time.perf_counter()
    rows = [*_kubernetes(), *_marathon()]
    return {
        "title": "Requests per operation",
        "rows": rows,
        "notes": [
            "orchsdk's scale() and rollback() return the deployment's status, which costs "
            "one GET after the write; wait() starts with one status read.",
            "kubectl: measured against the same emulator with a warm discovery cache; "
            "'kubectl' counts requests on the objects, discovery/OpenAPI reads are apart.",
            f"measured in {time.perf_counter() - started:.1f} s",
        ],
    }
