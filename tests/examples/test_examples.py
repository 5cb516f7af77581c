"""Every example runs as a user runs it (a subprocess, a timeout) on two tiers: the local
emulators, and the live Kubernetes control plane ``ORCHSDK_LIVE_KUBERNETES`` names (with
Marathon still emulated), where each must also delete every namespace it made.

The runs of a tier start together (module fixture) and each test waits for its own, so a
tier takes about as long as its slowest example rather than the sum of all of them.
Cluster settings of the developer's shell (``KUBECONFIG``, ``MARATHON_URL``, ...) are
removed: on the emulator tier the examples must start their own emulators, never touch a
real cluster.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
TIMEOUT = 120.0
CLUSTER_SETTINGS = (
    "KUBECONFIG",
    "KUBE_CONTEXT",
    "MARATHON_URL",
    "DCOS_ACS_TOKEN",
    "MARATHON_SECRET_STORE",
    "ORCHSDK_NAMESPACE",
    "ORCHSDK_DEBUG",
)

RUNS: dict[str, tuple[str, ...]] = {
    "quickstart": ("quickstart.py",),
    "canary": ("canary.py",),
    "canary-bad": ("canary.py", "--bad"),
    "migrate": ("migrate_marathon_to_kubernetes.py",),
    "migrate-dry-run": ("migrate_marathon_to_kubernetes.py", "--dry-run", "--group", "legacy"),
    "rotation": ("secret_rotation.py",),
    "quickstart-unreachable-marathon": ("quickstart.py",),
}


def closed_port() -> int:
    """A local port nothing listens on (it was free a moment ago): connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


EXTRA_ENV = {
    "quickstart-unreachable-marathon": {"MARATHON_URL": f"http://127.0.0.1:{closed_port()}"}
}
LIVE_CONTEXT = os.environ.get("ORCHSDK_LIVE_KUBERNETES")


@attrs.frozen
class Run:
    returncode: int
    stdout: str
    stderr: str


def environment(extra: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in CLUSTER_SETTINGS}
    # ORCHSDK_MARATHON_SCHEMA, set by tests/conftest.py, is inherited: the emulator checks
    # every app written against Marathon's schema.
    env["PYTHONIOENCODING"] = "ascii"  # the output must not need more
    return {**env, **extra}


def live_environment(name: str) -> dict[str, str]:
    """What makes a run use the live control plane: its kubeconfig and context, and a
    namespace of its own (runs of one tier go at once)."""
    assert LIVE_CONTEXT is not None
    return {
        "KUBECONFIG": os.environ.get("KUBECONFIG", ""),
        "KUBE_CONTEXT": LIVE_CONTEXT,
        "ORCHSDK_NAMESPACE": f"{name}-{uuid.uuid4().hex[:6]}",
    }


def live_namespaces() -> set[str]:
    from kubernetes import client, config

    api_client = config.new_client_from_config(context=LIVE_CONTEXT)
    with api_client:
        return {ns.metadata.name for ns in client.CoreV1Api(api_client).list_namespace().items}


@pytest.fixture(scope="module", params=["emulators", "live"])
def runs(request: pytest.FixtureRequest) -> Iterator[dict[str, Run]]:
    """Starts every run this session needs at once, on one tier; gives the finished runs
    by name. On the live tier, no run may leave a namespace behind."""
    live = request.param == "live"
    if live and LIVE_CONTEXT is None:
        pytest.skip("live tier: set ORCHSDK_LIVE_KUBERNETES to a context")
    wanted = {
        item.callspec.params["name"]
        for item in request.session.items
        if item.path == Path(__file__) and hasattr(item, "callspec")
    }
    before = live_namespaces() if live else set()
    started = {
        name: subprocess.Popen(
            [sys.executable, str(EXAMPLES / RUNS[name][0]), *RUNS[name][1:]],
            cwd=ROOT,
            env=environment(
                {**EXTRA_ENV.get(name, {}), **(live_environment(name) if live else {})}
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in sorted(wanted)
    }
    finished: dict[str, Run] = {}
    try:
        for name, process in started.items():
            try:
                stdout, stderr = process.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                stdout, stderr = process.communicate()
                stderr += f"\n(killed after {TIMEOUT:g}s)"
            finished[name] = Run(process.returncode, stdout, stderr)
        if live:
            assert live_namespaces() <= before, "an example left a namespace behind"
        yield finished
    finally:
        for process in started.values():
            if process.poll() is None:
                process.kill()
                process.wait()


def succeeded(runs: dict[str, Run], name: str) -> str:
    """The stdout of a run that must have succeeded (else its output, to see why)."""
    run = runs[name]
    assert run.returncode == 0, f"{name} exited {run.returncode}\n{run.stdout}\n{run.stderr}"
    return run.stdout


@pytest.mark.parametrize("name", ["quickstart"])
def test_quickstart_runs_the_lifecycle_on_both(runs: dict[str, Run], name: str) -> None:
    out = succeeded(runs, name)
    for backend in ("kubernetes", "marathon"):
        for line in (
            "secret/db created",
            "deployment/web created",
            "complete: 2/2 ready",
            "service/web created",
            "applied again: service/web unchanged",
            "scaled: 3/3 ready",
            "rolled out nginx:1.28",
            "rolled back to nginx:1.27",
            "3 instances, 3 ready",
            "service web -> ",
            "deployment/web is gone",
        ):
            assert f"{backend:<10} | {line}" in out, f"{backend}: {line!r} missing\n{out}"
    assert "kubernetes | diff: ~ spec.template.spec.containers[0].image" in out
    assert "marathon   | diff: ~ container.docker.image: 'nginx:1.27' -> 'nginx:1.28'" in out
    assert "kubernetes | autoscaler/web created" in out
    assert "marathon   | no autoscaler: Marathon has no autoscaler" in out
    assert "marathon   | no config map: Marathon has no config maps" in out
    assert "s3cr3t" not in out + runs[name].stderr  # secret values are never printed
    assert out.rstrip().endswith("done: the same calls worked on both orchestrators")


@pytest.mark.parametrize("name", ["canary"])
def test_canary_is_promoted_when_healthy(runs: dict[str, Run], name: str) -> None:
    out = succeeded(runs, name)
    for backend in ("kubernetes", "marathon"):
        for line in (
            "service web -> 4 endpoints: 3 stable, 1 canary",
            "ok   error rate 0.2% (at most 1%)",
            "gate passed: promote",
            "promoted: web now runs nginx:1.28",
            "canary deleted",
            "service web -> 3 endpoints, all stable (nginx:1.28)",
        ):
            assert f"{backend:<10} | {line}" in out, f"{backend}: {line!r} missing\n{out}"
    assert "done: kubernetes promoted, marathon promoted" in out


@pytest.mark.parametrize("name", ["canary-bad"])
def test_canary_is_rolled_back_when_the_gate_fails(runs: dict[str, Run], name: str) -> None:
    out = succeeded(runs, name)
    for backend in ("kubernetes", "marathon"):
        for line in (
            "FAIL error rate 8.5% (at most 1%)",
            "gate failed: roll back",
            "canary deleted",
            "service web -> 3 endpoints, all stable (nginx:1.27)",
        ):
            assert f"{backend:<10} | {line}" in out, f"{backend}: {line!r} missing\n{out}"
    assert "promoted:" not in out
    assert "done: kubernetes rolled back, marathon rolled back" in out


@pytest.mark.parametrize("name", ["migrate"])
def test_migration_reports_applies_and_converges(runs: dict[str, Run], name: str) -> None:
    out = succeeded(runs, name)
    for line in (
        "marathon   | app /shop/api: raw app JSON POSTed to /v2/apps",
        "marathon   | service/web created with orchsdk",
        "marathon   | deployment/api: python:3.12-slim x2, command /bin/sh -c 'python3 -m",
        "marathon   | service/web: external, ports 80->http, hostname shop.example.com",
        "marathon   | secret/db: keys password (values are never printed)",
        'marathon   | deployment/api: Marathon-only, not applied on Kubernetes: constraints [["hostname","UNIQUE"],["rack_id","GROUP_BY","2"]]',  # noqa: E501
        "kubernetes | every other field of every spec is supported here",
        "kubernetes | capabilities Marathon lacked: config_maps, autoscalers",
        "kubernetes | secret/db created",
        "kubernetes | deployment/api created",
        "kubernetes | deployment/worker created",
        "kubernetes | service/web created",
        "kubernetes | diff of 5 resources: 0 would change",
        "kubernetes | deployment/worker reads back the same",
        "kubernetes | service/web reads back the same",
    ):
        assert line in out, f"{line!r} missing\n{out}"
    assert "Marathon-only, not applied on Kubernetes" not in out.split("deployment/worker")[-1]


@pytest.mark.parametrize("name", ["migrate-dry-run"])
def test_migration_dry_run_applies_nothing(runs: dict[str, Run], name: str) -> None:
    out = succeeded(runs, name)
    assert "marathon   | app /legacy/api: raw app JSON POSTed to /v2/apps" in out
    assert "kubernetes | deployment/api: would be created" in out
    assert "Apply the same specs" not in out
    assert "kubernetes | secret/db created" not in out


@pytest.mark.parametrize("name", ["rotation"])
def test_secret_rotation_rolls_exactly_the_users(runs: dict[str, Run], name: str) -> None:
    out = succeeded(runs, name)
    for backend in ("kubernetes", "marathon"):
        for line in (
            "secret/db updated (values are never printed)",
            "api (env DB_PASSWORD, env DB_USER): restarted, revision 1 -> 2, 2/2 instances on it",
            "worker (env DB_PASSWORD): restarted, revision 1 -> 2, 1/1 instances on it",
            "web: does not use secret db, left alone (rev 1)",
        ):
            assert f"{backend:<10} | {line}" in out, f"{backend}: {line!r} missing\n{out}"


@pytest.mark.parametrize("name", ["quickstart-unreachable-marathon"])
def test_a_failure_is_one_readable_line(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    assert run.returncode == 1, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("quickstart failed: marathon, step '2. Deploy")
    assert "BackendUnavailable" in lines[0]
    assert "marathon   | no secret: no secret store is configured" in run.stdout


def test_examples_import_without_side_effects() -> None:
    """Importing an example prints nothing and starts nothing (no emulator, no thread)."""
    names = [path.stem for path in sorted(EXAMPLES.glob("*.py"))]
    code = (
        "import importlib, sys, threading\n"
        f"sys.path.insert(0, {str(EXAMPLES)!r})\n"
        f"for name in {names!r}:\n"
        "    module = importlib.import_module(name)\n"
        "    assert callable(getattr(module, 'main', None)) or name == 'clusters', name\n"
        "assert threading.active_count() == 1, threading.enumerate()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=environment({}),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr == ""


def test_every_example_is_run_here() -> None:
    scripts = {path.name for path in EXAMPLES.glob("*.py")} - {"clusters.py"}
    assert scripts == {args[0] for args in RUNS.values()}
