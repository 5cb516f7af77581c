"""The seeded chaos runs: 1,000+ operations per backend while 20% of requests fail.

Each run drives one Orchestrator through creates, updates, scales, rollbacks, deletes and
secret rotations while the emulator fails a fifth of the requests at random (500, 503,
429 with Retry-After, connections dropped before and after the server acted, delays past
the client's read timeout), and, on Marathon, locks apps with long deployments. Then the
faults stop and the cluster must equal the desired state exactly, read both through the
SDK and straight from the emulator's store. Every log record (orchsdk's, urllib3's,
requests', the kubernetes client's, at DEBUG), every error and repr the caller saw, every
diff and the captured output are scanned for the secret values and tokens used.

``ORCHSDK_CHAOS_SEED`` and ``ORCHSDK_CHAOS_OPERATIONS`` change the seed and the length;
the figures of each run are printed at the end of the pytest run.
"""

from __future__ import annotations

import base64
import os
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faults_helpers import (
    FAST_RETRY,
    FIGURES,
    KUBERNETES_TIMING,
    MARATHON_TIMING,
    Chaos,
    KubernetesRules,
    MarathonRules,
    chaos_faults,
    error_text,
    figures,
    leaks,
    recording,
)
from orchsdk_kubernetes.testing import KubernetesEmulator
from orchsdk_kubernetes.testing.errors import fault_status
from orchsdk_marathon.testing import MarathonEmulator

import orchsdk
from orchsdk import Deployment, OrchestratorError, Secret

SEED = int(os.environ.get("ORCHSDK_CHAOS_SEED", "20240611"))
OPERATIONS = int(os.environ.get("ORCHSDK_CHAOS_OPERATIONS", "1000"))
RATE = 0.2
NAMESPACES = [f"chaos-{index}" for index in range(6)]


def _cli_texts(backend: str, chaos: Chaos, workdir: Path, env: dict[str, str]) -> list[str]:
    """What the ``orchsdk`` command prints about the run's secrets, while faults go on:
    listings, single secrets (plain and verbose, which shows tracebacks on errors) and a
    diff of a rotation. Empty when the CLI is not installed."""
    try:
        from click.testing import CliRunner

        from orchsdk.cli.app import run
    except ImportError:
        return []
    texts: list[str] = []
    if not chaos.secrets:
        return texts
    namespace, name = chaos.random.choice(sorted(chaos.secrets))
    rotated = workdir / f"{name}.yaml"
    values = "".join(
        f"  {key}: {chaos._secret_value()}\n" for key in chaos.secrets[(namespace, name)]
    )
    rotated.write_text(
        f"apiVersion: orchsdk/v1\nkind: Secret\nname: {name}\ndata:\n{values}",
        encoding="utf-8",
    )
    common = ["--backend", backend, "--namespace", namespace]
    for arguments in (
        ["get", "secrets", "-o", "yaml"],
        ["get", "secret", name, "-o", "json"],
        ["-v", "-v", "get", "secret", name],
        ["-v", "diff", str(rotated)],
    ):
        runner = CliRunner()
        with runner.isolation(env=env) as (out, err, _):
            code = run([*arguments, *common])
        texts += [out.getvalue().decode(), err.getvalue().decode()]
        assert code in (0, 1, 3), (arguments, code, texts[-1])
    return texts


def _run_with_cli(chaos: Chaos, backend: str, workdir: Path, env: dict[str, str]) -> list[str]:
    """Runs the chaos in ten parts, and the CLI between them (faults still on)."""
    texts: list[str] = []
    part = -(-OPERATIONS // 10)
    done = 0
    while done < OPERATIONS:
        chaos.run(min(part, OPERATIONS - done))
        done += part
        texts += _cli_texts(backend, chaos, workdir, env)
    return texts


def _check_secrecy(
    chaos: Chaos, recorder: Any, captured: Any, tokens: list[str], extra: list[str]
) -> None:
    texts = [
        *recorder.lines,
        *chaos.texts,
        *extra,
        captured.out,
        captured.err,
        repr(chaos.orch),
        repr(chaos.orch.backend),
    ]
    assert chaos.secret_values, "the run used secret values"
    found = leaks(texts, chaos.secret_values, tuple(tokens))
    assert not found, found


def _typed(chaos: Chaos) -> None:
    untyped = [error for error in chaos.counts.errors if not isinstance(error, OrchestratorError)]
    assert not untyped, [error_text(error) for error in untyped]


# -- Kubernetes --------------------------------------------------------------------------


@pytest.fixture
def kubernetes() -> Iterator[KubernetesEmulator]:
    # Rollouts stand still (auto=False): the run checks specs, and the clock's work on
    # hundreds of pods would only slow the API down. ReplicaSets (the revisions) are made
    # by the controllers after each write, as on a cluster.
    with KubernetesEmulator(auto=False, namespaces=NAMESPACES) as emulator:
        yield emulator


def _mismatch(check: Any, chaos: Chaos, emulator: Any) -> AssertionError | None:
    """The state check's failure, kept so the run's figures print before it is raised."""
    try:
        check(chaos, emulator)
    except AssertionError as error:
        return error
    return None


def _conclude(
    backend: str,
    chaos: Chaos,
    recorder: Any,
    mismatch: AssertionError | None,
    *,
    injected: int,
    requests: int,
    seconds: float,
    output: Any,
    tokens: list[str],
    cli: Any,
) -> None:
    """Records the run's figures, then checks what every chaos run must show."""
    FIGURES.append(
        figures(
            backend,
            chaos,
            injected=injected,
            requests=requests,
            retries=recorder.retries,
            read_backs=recorder.read_backs,
            seconds=seconds,
            converged=mismatch is None,
        )
    )
    _typed(chaos)
    if mismatch is not None:
        raise mismatch
    assert injected > 0.15 * requests
    _check_secrecy(chaos, recorder, output, tokens, cli)


def test_kubernetes_converges_under_chaos(
    kubernetes: KubernetesEmulator, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    emulator = kubernetes
    with recording() as recorder:
        timing = KUBERNETES_TIMING
        orch = orchsdk.connect(emulator.url, read_timeout=timing.read_timeout, retry=FAST_RETRY)
        chaos = Chaos(orch, KubernetesRules(), seed=SEED, namespaces=NAMESPACES, quiet=timing.quiet)
        requests_before = len(emulator.server.requests)
        faults = chaos_faults(timing, status_body=fault_status)
        emulator.server.faults.chaos(RATE, faults, seed=SEED)
        started = time.monotonic()
        try:
            cli = _run_with_cli(chaos, emulator.url, tmp_path, {"KUBECONFIG": emulator.kubeconfig})
        finally:
            emulator.server.faults.clear()
        seconds = time.monotonic() - started
        injected = emulator.server.faults.injected
        requests = len(emulator.server.requests) - requests_before
        time.sleep(timing.quiet)  # any write still delayed in the server lands now
        emulator.settle()

        mismatch = _mismatch(_kubernetes_matches, chaos, emulator)
        orch.close()
    _conclude(
        "kubernetes",
        chaos,
        recorder,
        mismatch,
        injected=injected,
        requests=requests,
        seconds=seconds,
        output=capfd.readouterr(),
        tokens=[emulator.token],
        cli=cli,
    )
    assert emulator.internal_errors == []


def _kubernetes_matches(chaos: Chaos, emulator: KubernetesEmulator) -> None:
    orch = chaos.orch
    for namespace in NAMESPACES:
        deployments, secrets = chaos.desired(namespace)
        # Through the SDK: the specs read back are exactly the ones meant.
        assert orch.list(Deployment, namespace) == deployments, namespace
        assert orch.list(Secret, namespace, reveal=True) == secrets, namespace
        # Straight from the store: nothing more (no duplicate, no orphan), nothing less.
        stored = {obj["metadata"]["name"]: obj for obj in emulator.list("Deployment", namespace)}
        assert sorted(stored) == [spec.name for spec in deployments]
        for spec in deployments:
            assert stored[spec.name]["spec"]["replicas"] == spec.replicas
        stored_secrets = {
            obj["metadata"]["name"]: {
                key: base64.b64decode(value).decode()
                for key, value in (obj.get("data") or {}).items()
            }
            for obj in emulator.list("Secret", namespace)
        }
        assert stored_secrets == {secret.name: dict(secret.data) for secret in secrets}
        # Every ReplicaSet and pod belongs to a deployment that is meant to exist.
        uids = {obj["metadata"]["uid"] for obj in stored.values()}
        for rs in emulator.list("ReplicaSet", namespace):
            owners = {ref["uid"] for ref in rs["metadata"].get("ownerReferences") or []}
            assert owners & uids, f"orphan ReplicaSet {rs['metadata']['name']}"


# -- Marathon ----------------------------------------------------------------------------

MARATHON_TOKEN = "marathon-acs-token-9f3b2c7d"


@pytest.fixture
def marathon() -> Iterator[MarathonEmulator]:
    with MarathonEmulator(deployment_seconds=0.02, token=MARATHON_TOKEN) as emulator:
        yield emulator


def test_marathon_converges_under_chaos(
    marathon: MarathonEmulator, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    emulator = marathon
    lock_rng_seed = SEED + 1
    releases: list[threading.Timer] = []

    with recording() as recorder:
        timing = MARATHON_TIMING
        orch = orchsdk.connect(
            emulator.url,
            token=MARATHON_TOKEN,
            connect_timeout="5",
            read_timeout=f"{timing.read_timeout}",
            lock_timeout="5",
            retry=FAST_RETRY,
        )
        chaos = Chaos(
            orch, MarathonRules(), seed=SEED, namespaces=NAMESPACES[:4], quiet=timing.quiet
        )
        locks = random.Random(lock_rng_seed)

        def lock_now_and_then(namespace: str, name: str) -> None:
            """Before one write in ten, a long deployment locks the app for a moment."""
            if locks.random() >= 0.1:
                return
            app = f"/{namespace}/{name}"
            emulator.control.lock(app)
            chaos.counts.locks += 1
            release = threading.Timer(0.05, emulator.control.release, [app])
            release.start()
            releases.append(release)

        chaos.before_write = lock_now_and_then
        requests_before = len(emulator.server.requests)
        emulator.server.faults.chaos(RATE, chaos_faults(timing), seed=SEED)
        started = time.monotonic()
        try:
            cli = _run_with_cli(chaos, emulator.url, tmp_path, {"DCOS_ACS_TOKEN": MARATHON_TOKEN})
        finally:
            emulator.server.faults.clear()
            for release in releases:
                release.join()
        seconds = time.monotonic() - started
        injected = emulator.server.faults.injected
        requests = len(emulator.server.requests) - requests_before
        time.sleep(timing.quiet)

        mismatch = _mismatch(_marathon_matches, chaos, emulator)
        orch.close()
    _conclude(
        "marathon",
        chaos,
        recorder,
        mismatch,
        injected=injected,
        requests=requests,
        seconds=seconds,
        output=capfd.readouterr(),
        tokens=[MARATHON_TOKEN],
        cli=cli,
    )


def _marathon_matches(chaos: Chaos, emulator: MarathonEmulator) -> None:
    orch = chaos.orch
    # No app is left locked: every deployment ends (ours finish within a second).
    deadline = time.monotonic() + 10
    while emulator._engine.deployments and time.monotonic() < deadline:
        time.sleep(0.05)
    with emulator._store.lock:
        assert not emulator._engine.deployments, "deployments still running: an app is locked"
        assert not emulator._engine.held, "an app is still held"
        stored_apps = set(emulator._store.apps)
    meant_apps = set()
    meant_paths: dict[str, str] = {}
    for namespace in chaos.namespaces:
        deployments, secrets = chaos.desired(namespace)
        assert orch.list(Deployment, namespace) == deployments, namespace
        assert orch.list(Secret, namespace, reveal=True) == secrets, namespace
        meant_apps |= {f"/{namespace}/{spec.name}" for spec in deployments}
        for secret in secrets:
            for key, value in secret.data.items():
                meant_paths[f"{namespace}/{secret.name}/{key}"] = value
        for spec in deployments:
            stored = emulator.app(f"/{namespace}/{spec.name}")
            assert stored is not None
            assert stored["instances"] == spec.replicas
    # Straight from the stores: no duplicate or stray app, no orphan secret path.
    assert stored_apps == meant_apps
    assert emulator.secret_store is not None
    assert dict(emulator.secret_store.values) == meant_paths
