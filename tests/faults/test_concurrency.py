"""Sixteen threads share one Orchestrator: applying, scaling, rolling back and reading the
same and different deployments, on both emulators.

Checked: no error at all (Kubernetes resourceVersion conflicts and Marathon deployment
locks are waited out or retried, as they should be), every read is a spec some thread
applied, a deployment created by several threads at once is reported "created" exactly
once, and each thread's own deployment ends as that thread last left it (no lost update).
"""

from __future__ import annotations

import collections
import random
import threading
from collections.abc import Iterator

import attrs
import pytest
from faults_helpers import FIGURES, error_text, recording
from orchsdk_kubernetes.testing import KubernetesEmulator, api_fault
from orchsdk_marathon.testing import MarathonEmulator

import orchsdk
from orchsdk import Action, Conflict, Deployment, NotFound, Orchestrator, Port, RetryPolicy

THREADS = 16
ROUNDS = 8
SHARED = ["shared-a", "shared-b"]
IMAGES = [f"registry.example/app:{tag}" for tag in range(4)]
PATIENT = RetryPolicy(attempts=20, deadline=30, initial_delay=0.005, max_delay=0.1, jitter=1.0)


def spec(name: str, image: str, replicas: int = 1) -> Deployment:
    return Deployment(
        name,
        namespace="shop",
        image=image,
        replicas=replicas,
        ports=[Port(8080, name="http")],
        labels={"app": name},
    )


@attrs.define
class Outcome:
    errors: list[BaseException] = attrs.field(factory=list)
    contended: int = 0
    """Rollbacks that met a changed deployment on every try: a Conflict("changed") after
    the whole retry budget, the typed answer to contention without end (they changed
    nothing: the guard refused each write)."""
    created: collections.Counter[str] = attrs.field(factory=collections.Counter)
    read: list[Deployment] = attrs.field(factory=list)
    own_last: dict[str, Deployment] = attrs.field(factory=dict)
    lock: threading.Lock = attrs.field(factory=threading.Lock)


def worker(orch: Orchestrator, index: int, outcome: Outcome, rollback: bool) -> None:
    rng = random.Random(index)
    own = f"own-{index}"
    try:
        for round_ in range(ROUNDS):
            shared = rng.choice(SHARED)
            step = rng.randrange(5 if rollback else 4)
            if step == 0:
                results = orch.apply(spec(shared, rng.choice(IMAGES), rng.randrange(1, 3)))
            elif step == 1:
                orch.scale(shared, rng.randrange(1, 3), "shop")
                results = []
            elif step == 2:
                found = orch.get(Deployment, shared, "shop")
                with outcome.lock:
                    outcome.read.append(found)
                orch.status(shared, "shop")
                results = []
            elif step == 3:
                outcome_list = orch.list(Deployment, "shop")
                with outcome.lock:
                    outcome.read.extend(outcome_list)
                results = []
            else:
                try:
                    orch.rollback(shared, "shop")
                except NotFound:  # no history yet: nothing to go back to
                    pass
                except Conflict as conflict:
                    if conflict.reason != "changed":
                        raise
                    with outcome.lock:
                        outcome.contended += 1
                results = []
            mine = spec(own, IMAGES[round_ % len(IMAGES)], 1 + round_ % 2)
            results = [*results, *orch.apply(mine)]
            with outcome.lock:
                outcome.own_last[own] = mine
                for result in results:
                    if result.action is Action.CREATED:
                        outcome.created[result.name] += 1
    except BaseException as error:
        with outcome.lock:
            outcome.errors.append(error)


def run_threads(orch: Orchestrator, *, rollback: bool) -> Outcome:
    outcome = Outcome()
    # Every thread starts by creating the shared deployments at once.
    barrier = threading.Barrier(THREADS)

    def start(index: int) -> None:
        barrier.wait()
        try:
            for name in SHARED:
                for result in orch.apply(spec(name, IMAGES[0])):
                    if result.action is Action.CREATED:
                        with outcome.lock:
                            outcome.created[name] += 1
        except BaseException as error:
            with outcome.lock:
                outcome.errors.append(error)
        worker(orch, index, outcome, rollback)

    threads = [threading.Thread(target=start, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return outcome


def check(orch: Orchestrator, outcome: Outcome) -> None:
    assert not outcome.errors, [error_text(error) for error in outcome.errors]
    for name in SHARED:
        assert outcome.created[name] == 1, (name, outcome.created[name])
    for index in range(THREADS):
        assert outcome.created[f"own-{index}"] == 1
    applied_images = set(IMAGES)
    for found in outcome.read:
        assert found.image in applied_images
        assert found.namespace == "shop"
        assert found.replicas in (1, 2)
    final = {item.name: item for item in orch.list(Deployment, "shop")}
    assert sorted(final) == sorted([*SHARED, *outcome.own_last])
    for name, meant in outcome.own_last.items():
        assert final[name] == meant, name  # no lost update
    for name in SHARED:
        assert final[name].image in applied_images
    assert outcome.contended <= 2, outcome.contended


@pytest.fixture
def kubernetes() -> Iterator[KubernetesEmulator]:
    with KubernetesEmulator(rollout_seconds=1.0, namespaces=["shop"]) as emulator:
        yield emulator


def test_sixteen_threads_on_kubernetes(kubernetes: KubernetesEmulator) -> None:
    # Conflicts come from the rollbacks' resourceVersion guard racing the other threads'
    # writes, and one PATCH in twenty is refused with 409 "the object has been modified",
    # as an API server under contention would: each is retried from a fresh read.
    kubernetes.server.faults.chaos(
        0.05, [api_fault(409)], seed=7, spare=lambda request: request.method != "PATCH"
    )
    with recording() as log, orchsdk.connect(kubernetes.url, retry=PATIENT) as orch:
        outcome = run_threads(orch, rollback=True)
        kubernetes.server.faults.clear()
        check(orch, outcome)
    conflicts = [
        line
        for line in log.lines
        if line.startswith("orchsdk.retry") and ("409" in line or "modified" in line)
    ]
    assert conflicts, "conflicts were met and retried"
    assert kubernetes.internal_errors == []
    FIGURES.append(
        f"concurrency kubernetes: {THREADS} threads, {len(conflicts)} conflicts retried, "
        f"{outcome.contended} rollbacks out of retries under contention"
    )


def test_sixteen_threads_on_marathon() -> None:
    with (
        MarathonEmulator(deployment_seconds=0.05) as emulator,
        orchsdk.connect(emulator.url, retry=PATIENT, lock_timeout=30) as orch,
    ):
        outcome = run_threads(orch, rollback=True)
        check(orch, outcome)
    FIGURES.append(f"concurrency marathon: {THREADS} threads, no error")


def test_one_backend_object_is_shared_safely_by_threads_reading_secrets() -> None:
    """The Marathon backend's lazily made session and capability cache, hit at once."""
    with MarathonEmulator(deployment_seconds=0.05) as emulator:
        orch = orchsdk.connect(emulator.url)
        barrier = threading.Barrier(THREADS)
        errors: list[BaseException] = []

        def read(index: int) -> None:
            barrier.wait()
            try:
                assert orch.capabilities.secrets
                orch.list(Deployment)
            except BaseException as error:
                errors.append(error)

        threads: list[threading.Thread] = [
            threading.Thread(target=read, args=(index,)) for index in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        orch.close()
    assert not errors
    assert emulator.server.count("GET", "/v2/info") == 1
