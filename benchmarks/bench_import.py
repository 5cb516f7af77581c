"""1. Import cost: ``import orchsdk`` (which must load no backend library) and the first
Kubernetes call, against ``import kubernetes.client`` and the typed API classes.

Each measurement is a fresh interpreter (``-X importtime`` for the import rows, wall
clocks inside the script for the first call); the median of several runs is reported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from benchmarks.common import Config, row
from benchmarks.remote import ROOT, EmulatorProcess

__all__ = ["BACKEND_LIBRARIES", "run"]

BACKEND_LIBRARIES = (
    "kubernetes",
    "requests",
    "urllib3",
    "pydantic",
    "aiohttp",
    "yaml",
    "orchsdk_kubernetes",
    "orchsdk_marathon",
    "orchsdk_memory",
)
"""Top-level packages ``import orchsdk`` must not load."""

_LOADED = """
import sys, json
import orchsdk
print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {names!r})))
"""

_ORCHSDK_FIRST_CALL = """
import time, json
t0 = time.perf_counter()
import orchsdk
t1 = time.perf_counter()
orch = orchsdk.connect({url!r})
t2 = time.perf_counter()
orch.status("web")
t3 = time.perf_counter()
orch.status("web")
t4 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "connect": t2 - t1, "first_call": t3 - t2,
                  "second_call": t4 - t3, "total": t3 - t0}}))
"""

_KUBERNETES_FIRST_CALL = """
import time, json
t0 = time.perf_counter()
from kubernetes import client, config
t1 = time.perf_counter()
cfg = client.Configuration()
config.load_kube_config(config_file={kubeconfig!r}, client_configuration=cfg)
api = client.ApiClient(cfg)
apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
t2 = time.perf_counter()
apps.read_namespaced_deployment("web", "default")
t3 = time.perf_counter()
apps.read_namespaced_deployment("web", "default")
t4 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "connect": t2 - t1, "first_call": t3 - t2,
                  "second_call": t4 - t3, "total": t3 - t0}}))
"""

_TYPED_CLASSES = (
    "from kubernetes.client import AppsV1Api, CoreV1Api, AutoscalingV2Api, DiscoveryV1Api"
)


def _env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def _python(code: str, *flags: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, *flags, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(),
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"python -c {code!r} failed:\n{done.stderr}")
    return done


def _top_level(statement: str) -> dict[str, int]:
    """Top-level imports of ``statement`` in a fresh interpreter: name -> cumulative µs."""
    done = _python(statement, "-X", "importtime")
    found: dict[str, int] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line[len("import time:") :].split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2]
        if name.startswith(" ") and not name.startswith("  "):  # depth 0: one space
            found[name.strip()] = found.get(name.strip(), 0) + int(parts[1])
    return found


_startup: set[str] = set()


def import_time(statement: str) -> float:
    """Seconds ``statement`` spends importing in a fresh interpreter: the cumulative
    ``-X importtime`` of its top-level imports, less those the interpreter makes anyway."""
    if not _startup:
        _startup.update(_top_level("pass"))
    return sum(us for name, us in _top_level(statement).items() if name not in _startup) / 1e6


def loaded_backend_modules() -> list[str]:
    """Backend-library modules present after ``import orchsdk`` (must be empty)."""
    done = _python(_LOADED.format(names=set(BACKEND_LIBRARIES)))
    return list(json.loads(done.stdout))


def _wall(code: str) -> float:
    done = _python(
        f"import time; _t = time.perf_counter()\n{code}\nprint(time.perf_counter() - _t)"
    )
    return float(done.stdout.strip().splitlines()[-1])


def run(config: Config) -> dict[str, Any]:
    runs = config.import_runs
    loaded = loaded_backend_modules()
    if loaded:
        raise AssertionError(f"import orchsdk loaded backend libraries: {loaded}")

    def imports(statement: str) -> list[float]:
        return [import_time(statement) for _ in range(runs)]

    orchsdk_import = imports("import orchsdk")
    orchsdk_names = imports("import orchsdk; from orchsdk import Deployment, Service, Secret, Port")
    kubernetes_import = imports("import kubernetes.client")
    kubernetes_typed = imports(f"import kubernetes.client; {_TYPED_CLASSES}")
    orchsdk_wall = [_wall("import orchsdk") for _ in range(runs)]
    kubernetes_wall = [_wall("import kubernetes.client") for _ in range(runs)]

    firsts: dict[str, list[dict[str, float]]] = {"orchsdk": [], "kubernetes": []}
    with EmulatorProcess("kubernetes", auto=False, validate=False) as cluster:
        import orchsdk
        from orchsdk import Deployment

        with orchsdk.connect(cluster.url) as orch:
            orch.apply(Deployment("web", image="nginx:1.27"))
        for _ in range(runs):
            ours = _python(_ORCHSDK_FIRST_CALL.format(url=cluster.url))
            firsts["orchsdk"].append(json.loads(ours.stdout))
            theirs = _python(_KUBERNETES_FIRST_CALL.format(kubeconfig=cluster.kubeconfig))
            firsts["kubernetes"].append(json.loads(theirs.stdout))

    def part(side: str, key: str) -> list[float]:
        return [sample[key] for sample in firsts[side]]

    rows = [
        row(
            "import orchsdk",
            "-X importtime, cumulative",
            "s",
            orchsdk_import,
            kubernetes_import,
            baseline="import kubernetes.client",
            target="< 50 ms",
            met=sorted(orchsdk_import)[len(orchsdk_import) // 2] < 0.050,
            backend_modules_loaded=loaded,
        ),
        row(
            "import orchsdk + public names",
            "-X importtime, cumulative",
            "s",
            orchsdk_names,
            kubernetes_typed,
            baseline="import kubernetes.client + Apps/Core/AutoscalingV2/DiscoveryV1 APIs",
        ),
        row(
            "import (wall, in a fresh interpreter)",
            "perf_counter around the import",
            "s",
            orchsdk_wall,
            kubernetes_wall,
            baseline="import kubernetes.client",
        ),
        row(
            "first Kubernetes call: import + connect + first read",
            "perf_counter in a fresh interpreter",
            "s",
            part("orchsdk", "total"),
            part("kubernetes", "total"),
            baseline="kubernetes: import, load_kube_config, AppsV1Api+CoreV1Api, read",
            parts_orchsdk={key: part("orchsdk", key) for key in firsts["orchsdk"][0]},
            parts_kubernetes={key: part("kubernetes", key) for key in firsts["kubernetes"][0]},
        ),
        row(
            "second Kubernetes call (warm)",
            "perf_counter",
            "s",
            part("orchsdk", "second_call"),
            part("kubernetes", "second_call"),
            baseline="typed read_namespaced_deployment",
        ),
    ]
    return {
        "title": "Import cost",
        "rows": rows,
        "notes": [
            f"{runs} fresh interpreters per row; -X importtime rows sum the cumulative "
            "times of the statement's top-level imports (not the interpreter's own).",
            "import orchsdk loads none of: " + ", ".join(BACKEND_LIBRARIES) + " (checked).",
        ],
    }
