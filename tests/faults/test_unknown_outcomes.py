"""Writes whose answer is lost are resolved by reading back, never by repeating them blindly.

``Fault(drop="after")`` lets the server act and then cuts the connection: the client
cannot know the write happened. Each test counts the requests that reached the emulator
(the ones that *acted*: a wrapper around its router sees only those) and checks that a
write that is not safe to repeat (a namespace create, a rollback, a secret-store PUT)
acted exactly once, and that the caller was told what happened.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from faults_helpers import recording
from orchsdk_kubernetes.testing import KubernetesEmulator, api_fault
from orchsdk_marathon.testing import MarathonEmulator

import orchsdk
from orchsdk import (
    Action,
    BackendUnavailable,
    Deployment,
    NotFound,
    Orchestrator,
    Port,
    RetryPolicy,
    Secret,
)
from orchsdk.testing.loopback import Fault, Request, Response

QUICK = RetryPolicy(attempts=4, deadline=10, initial_delay=0.001, max_delay=0.01)
LOST = Fault(drop="after")
NEVER_SENT = Fault(drop="before")


@attrs.define
class Acted:
    """The requests that reached the emulator's router, with their query."""

    seen: list[Request] = attrs.field(factory=list)
    lock: threading.Lock = attrs.field(factory=threading.Lock)

    def wrap(self, app: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def recorded(request: Request) -> Response:
            with self.lock:
                self.seen.append(request)
            return app(request)

        return recorded

    def count(self, method: str, path: str = "", *, dry_run: bool = False) -> int:
        return sum(
            1
            for request in self.seen
            if request.method == method
            and request.path.startswith(path)
            and (request.arg("dryRun") == "All") == dry_run
        )


def web(**changes: Any) -> Deployment:
    spec = Deployment(
        "web",
        image="nginx:1.27",
        replicas=2,
        ports=[Port(8080, name="http")],
        labels={"app": "web"},
    )
    return attrs.evolve(spec, **changes)


# -- Kubernetes --------------------------------------------------------------------------

DEPLOYMENTS = "/apis/apps/v1/namespaces/shop/deployments/web"


@pytest.fixture(scope="module")
def cluster() -> Iterator[KubernetesEmulator]:
    with KubernetesEmulator(auto=False, namespaces=["shop"]) as emulator:
        yield emulator


@pytest.fixture
def kube(cluster: KubernetesEmulator) -> Iterator[tuple[Orchestrator, Acted]]:
    acted = Acted()
    original = cluster.server.app
    cluster.server.app = acted.wrap(original)
    with orchsdk.connect(cluster.url, namespace="shop", retry=QUICK) as orch:
        for kind in (Deployment, Secret):
            for item in orch.list(kind):
                orch.delete(item)
        acted.seen.clear()
        yield orch, acted
    cluster.server.faults.clear()
    cluster.server.app = original


def test_kubernetes_create_whose_answer_is_lost_is_read_back_as_created(
    cluster: KubernetesEmulator, kube: tuple[Orchestrator, Acted]
) -> None:
    orch, acted = kube
    cluster.inject(LOST, method="PATCH", path=DEPLOYMENTS)

    with recording() as log:
        [result] = orch.apply(web())

    assert result.action is Action.CREATED
    assert acted.count("PATCH", DEPLOYMENTS) == 1  # one apply acted; a dry run read back
    assert acted.count("PATCH", DEPLOYMENTS, dry_run=True) == 1
    assert log.retries == 0
    assert log.read_backs == 1
    assert cluster.get("Deployment", "web", "shop")["metadata"]["generation"] == 1


def test_kubernetes_update_whose_answer_is_lost_is_read_back_as_updated(
    cluster: KubernetesEmulator, kube: tuple[Orchestrator, Acted]
) -> None:
    orch, acted = kube
    orch.apply(web())
    cluster.inject(LOST, method="PATCH", path=DEPLOYMENTS)

    [result] = orch.apply(web(image="nginx:1.28"))

    assert result.action is Action.UPDATED
    assert acted.count("PATCH", DEPLOYMENTS) == 2
    assert orch.get(Deployment, "web").image == "nginx:1.28"


def test_kubernetes_update_whose_answer_and_read_back_are_lost_is_reported_after_the_retry(
    cluster: KubernetesEmulator, kube: tuple[Orchestrator, Acted]
) -> None:
    """The retry compares its answer with the object before the lost try: *updated*."""
    orch, acted = kube
    orch.apply(web())
    cluster.inject(LOST, method="PATCH", path=DEPLOYMENTS)
    cluster.inject(Fault(status=503), method="GET", path=DEPLOYMENTS)

    with recording() as log:
        [result] = orch.apply(web(image="nginx:1.28"))

    assert log.retries == 1
    assert acted.count("PATCH", DEPLOYMENTS) == 3  # the first apply, the lost try, the retry
    assert result.action is Action.UPDATED
    assert orch.get(Deployment, "web").image == "nginx:1.28"


def test_kubernetes_apply_that_never_reached_the_server_is_retried(
    cluster: KubernetesEmulator, kube: tuple[Orchestrator, Acted]
) -> None:
    orch, acted = kube
    cluster.inject(NEVER_SENT, method="PATCH", path=DEPLOYMENTS)

    [result] = orch.apply(web())

    assert result.action is Action.CREATED
    assert acted.count("PATCH", DEPLOYMENTS) == 1


def test_kubernetes_namespace_create_whose_answer_is_lost_is_not_sent_again(
    cluster: KubernetesEmulator,
) -> None:
    acted = Acted()
    original = cluster.server.app
    cluster.server.app = acted.wrap(original)
    try:
        with orchsdk.connect(
            cluster.url, namespace="fresh", create_namespace=True, retry=QUICK
        ) as orch:
            cluster.inject(LOST, method="POST", path="/api/v1/namespaces")
            [result] = orch.apply(web())
    finally:
        cluster.server.app = original

    assert result.action is Action.CREATED
    assert acted.count("POST", "/api/v1/namespaces") == 1
    assert cluster.get("Namespace", "fresh", "") is not None
    assert cluster.get("Deployment", "web", "fresh") is not None


def _two_revisions(orch: Orchestrator) -> None:
    orch.apply(web(image="nginx:1.27"))
    orch.apply(web(image="nginx:1.28"))


def test_kubernetes_rollback_whose_answer_is_lost_acts_once(
    cluster: KubernetesEmulator, kube: tuple[Orchestrator, Acted]
) -> None:
    orch, acted = kube
    _two_revisions(orch)
    before = acted.count("PATCH", DEPLOYMENTS)
    cluster.inject(LOST, method="PATCH", path=DEPLOYMENTS)

    with recording() as log:
        orch.rollback("web")

    assert acted.count("PATCH", DEPLOYMENTS) - before == 1
    assert log.retries == 0
    assert log.read_backs == 1
    assert orch.get(Deployment, "web").image == "nginx:1.27"


@pytest.mark.parametrize("fault", [NEVER_SENT, Fault(status=500)], ids=["dropped", "500"])
def test_kubernetes_rollback_of_unknown_outcome_is_reported_not_repeated(
    cluster: KubernetesEmulator, kube: tuple[Orchestrator, Acted], fault: Fault
) -> None:
    orch, acted = kube
    _two_revisions(orch)
    before = acted.count("PATCH", DEPLOYMENTS)
    cluster.inject(fault, method="PATCH", path=DEPLOYMENTS)

    with pytest.raises(BackendUnavailable) as raised:
        orch.rollback("web")

    assert raised.value.acted is None  # the caller is told it may have happened
    assert acted.count("PATCH", DEPLOYMENTS) - before == 0
    assert orch.get(Deployment, "web").image == "nginx:1.28"


@pytest.mark.parametrize(
    "fault",
    [api_fault(503), api_fault(429, retry_after=0.01), api_fault(409)],
    ids=["503", "429", "409-conflict"],
)
def test_kubernetes_rollback_refused_before_acting_is_retried(
    cluster: KubernetesEmulator, kube: tuple[Orchestrator, Acted], fault: Fault
) -> None:
    orch, acted = kube
    _two_revisions(orch)
    before = acted.count("PATCH", DEPLOYMENTS)
    cluster.inject(fault, method="PATCH", path=DEPLOYMENTS)

    orch.rollback("web")

    assert acted.count("PATCH", DEPLOYMENTS) - before == 1
    assert orch.get(Deployment, "web").image == "nginx:1.27"


def test_kubernetes_rollback_whose_reads_fail_is_retried(
    cluster: KubernetesEmulator, kube: tuple[Orchestrator, Acted]
) -> None:
    orch, _ = kube
    _two_revisions(orch)
    cluster.inject(LOST, method="GET", path="/apis/apps/v1/namespaces/shop/replicasets")

    orch.rollback("web")

    assert orch.get(Deployment, "web").image == "nginx:1.27"


@pytest.mark.parametrize("moment", ["between-the-reads", "before-the-write"])
def test_kubernetes_rollback_computed_from_a_stale_read_conflicts_and_is_recomputed(
    cluster: KubernetesEmulator,
    kube: tuple[Orchestrator, Acted],
    monkeypatch: pytest.MonkeyPatch,
    moment: str,
) -> None:
    """Another client applies a third revision after the rollback read the deployment:
    the rollback must not act on what it read (it would pick the wrong revision, or
    none). Between the reads, the history's newest revision disagrees with the
    deployment; after them, the resourceVersion guard refuses the write (409). Either
    way the core retries from a fresh read, and the rollback goes to the one before 1.29.
    """
    import orchsdk_kubernetes.deployments as module

    orch, _ = kube
    _two_revisions(orch)
    calls = 0

    def meanwhile(original: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            nonlocal calls
            calls += 1
            if calls == 1:
                with orchsdk.connect(cluster.url, namespace="shop") as other:
                    other.apply(web(image="nginx:1.29"))
            return original(*args)

        return call

    if moment == "between-the-reads":
        deployments = orch.backend._deployments  # type: ignore[attr-defined]
        monkeypatch.setattr(deployments, "replica_sets", meanwhile(deployments.replica_sets))
        expected = "changed while its history was read"
    else:
        monkeypatch.setattr(module, "rollback_manifest", meanwhile(module.rollback_manifest))
        expected = "the object has been modified"
    with recording() as log:
        orch.rollback("web")

    assert calls == 2
    assert any(expected in line for line in log.lines if line.startswith("orchsdk.retry"))
    assert orch.get(Deployment, "web").image == "nginx:1.28"


def test_kubernetes_rollback_then_apply_converges_exactly(
    kube: tuple[Orchestrator, Acted],
) -> None:
    """The rolled-back template is owned by orchsdk, so the next apply removes what the
    old revision had and the new spec has not (a JSON patch would leave it behind)."""
    orch, _ = kube
    orch.apply(web(env={"OLD": "1"}))
    orch.apply(web(env={"NEW": "1"}))
    orch.rollback("web")
    assert dict(orch.get(Deployment, "web").env) == {"OLD": "1"}

    orch.apply(web(env={"NEWER": "1"}))

    assert orch.get(Deployment, "web") == web(namespace="shop", env={"NEWER": "1"})


@pytest.mark.parametrize("path", [DEPLOYMENTS + "/scale", DEPLOYMENTS], ids=["scale", "delete"])
def test_kubernetes_idempotent_writes_whose_answer_is_lost_are_retried(
    cluster: KubernetesEmulator, kube: tuple[Orchestrator, Acted], path: str
) -> None:
    orch, _ = kube
    orch.apply(web())
    if path.endswith("/scale"):
        cluster.inject(LOST, method="PATCH", path=path)
        orch.scale("web", 5)
        assert orch.get(Deployment, "web").replicas == 5
    else:
        cluster.inject(LOST, method="DELETE", path=path)
        assert orch.delete(Deployment, "web") is True
        with pytest.raises(NotFound):
            orch.get(Deployment, "web")


def test_kubernetes_secret_whose_answer_is_lost_is_read_back(
    cluster: KubernetesEmulator, kube: tuple[Orchestrator, Acted]
) -> None:
    orch, _ = kube
    cluster.inject(LOST, method="PATCH", path="/api/v1/namespaces/shop/secrets/db")

    [result] = orch.apply(Secret("db", data={"password": "pw-1"}))

    assert result.action is Action.CREATED
    assert orch.get(Secret, "db", reveal=True).data == {"password": "pw-1"}


def test_kubernetes_removing_a_secret_key_removes_it(kube: tuple[Orchestrator, Acted]) -> None:
    """Secrets are written as ``data``: with ``stringData`` a key left out stayed."""
    orch, _ = kube
    orch.apply(Secret("db", data={"password": "a", "user": "b"}))

    [result] = orch.apply(Secret("db", data={"password": "a"}))

    assert result.action is Action.UPDATED
    assert dict(orch.get(Secret, "db", reveal=True).data) == {"password": "a"}


# -- Marathon ----------------------------------------------------------------------------

APP = "/v2/apps/shop/web"
STORE = "/secrets/v1/secret/default/shop/db/password"


@pytest.fixture
def marathon() -> Iterator[tuple[MarathonEmulator, Orchestrator, Acted]]:
    with MarathonEmulator(deployment_seconds=0.02) as emulator:
        acted = Acted()
        emulator.server.app = acted.wrap(emulator.server.app)
        with orchsdk.connect(emulator.url, namespace="shop", retry=QUICK) as orch:
            yield emulator, orch, acted


def test_marathon_create_whose_answer_is_lost_is_read_back_as_created(
    marathon: tuple[MarathonEmulator, Orchestrator, Acted],
) -> None:
    emulator, orch, acted = marathon
    emulator.server.faults.add(LOST, method="PUT", path=APP)

    with recording() as log:
        [result] = orch.apply(web())

    assert result.action is Action.CREATED
    assert acted.count("PUT", APP) == 1
    assert log.read_backs == 1
    assert emulator.app("/shop/web") is not None


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [(None, web(), Action.CREATED), (web(), web(image="nginx:1.28"), Action.UPDATED)],
    ids=["create", "update"],
)
def test_marathon_apply_whose_answer_and_read_back_are_lost_is_reported_after_the_retry(
    marathon: tuple[MarathonEmulator, Orchestrator, Acted],
    first: Deployment | None,
    second: Deployment,
    expected: Action,
) -> None:
    """The retry finds the app as the lost try left it, and reports what that try did."""
    emulator, orch, acted = marathon
    if first is not None:
        orch.apply(first, wait=True, timeout=10)
    acting = emulator.server.app

    def then_fail_the_read_back(request: Request) -> Response:
        response = acting(request)
        if request.method == "PUT" and request.path == APP:
            emulator.server.faults.add(Fault(status=503), method="GET", path=APP)
        return response

    emulator.server.app = then_fail_the_read_back
    emulator.server.faults.add(LOST, method="PUT", path=APP)

    with recording() as log:
        [result] = orch.apply(second)

    assert log.retries == 1
    assert acted.count("PUT", APP) == (1 if first is None else 2)  # the retry wrote nothing
    assert result.action is expected


def test_marathon_never_posts_an_app(
    marathon: tuple[MarathonEmulator, Orchestrator, Acted],
) -> None:
    """Apps are created with ``PUT /v2/apps/{id}`` (an upsert, safe to repeat), not with
    ``POST /v2/apps``, whose repetition would be a 409 or, without an id, a duplicate."""
    emulator, orch, _ = marathon
    emulator.server.faults.chaos(0.3, [LOST, NEVER_SENT], seed=3)
    for image in ("nginx:1", "nginx:2", "nginx:3"):
        orch.apply(web(image=image))
    emulator.server.faults.clear()

    assert emulator.server.count("POST") == 0


def test_marathon_secret_put_whose_answer_is_lost_is_read_back_not_sent_again(
    marathon: tuple[MarathonEmulator, Orchestrator, Acted],
) -> None:
    emulator, orch, acted = marathon
    emulator.server.faults.add(LOST, method="PUT", path=STORE)

    [result] = orch.apply(Secret("db", data={"password": "pw-1"}))

    assert result.action is Action.CREATED
    assert acted.count("PUT", STORE) == 1  # not sent again (it would be a 409)
    assert acted.count("PATCH", STORE) == 0
    assert emulator.secret_store is not None
    assert emulator.secret_store.values == {"shop/db/password": "pw-1"}


def test_marathon_secret_patch_whose_answer_is_lost_is_read_back(
    marathon: tuple[MarathonEmulator, Orchestrator, Acted],
) -> None:
    emulator, orch, acted = marathon
    orch.apply(Secret("db", data={"password": "pw-1"}))
    emulator.server.faults.add(LOST, method="PATCH", path=STORE)

    [result] = orch.apply(Secret("db", data={"password": "pw-2"}))

    assert result.action is Action.UPDATED
    assert acted.count("PATCH", STORE) == 1
    assert emulator.secret_store is not None
    assert emulator.secret_store.values == {"shop/db/password": "pw-2"}


def test_marathon_secret_delete_whose_answer_is_lost_is_read_back(
    marathon: tuple[MarathonEmulator, Orchestrator, Acted],
) -> None:
    emulator, orch, acted = marathon
    orch.apply(Secret("db", data={"password": "pw-1", "user": "u"}))
    emulator.server.faults.add(LOST, method="DELETE", path=STORE)

    [result] = orch.apply(Secret("db", data={"user": "u"}))

    assert result.action is Action.UPDATED
    assert acted.count("DELETE", STORE) == 1
    assert emulator.secret_store is not None
    assert emulator.secret_store.values == {"shop/db/user": "u"}


def _marathon_two_revisions(emulator: MarathonEmulator, orch: Orchestrator) -> None:
    orch.apply(web(image="nginx:1.27"))
    emulator.control.finish("/shop/web")
    orch.apply(web(image="nginx:1.28"))
    emulator.control.finish("/shop/web")


def test_marathon_rollback_whose_answer_is_lost_acts_once(
    marathon: tuple[MarathonEmulator, Orchestrator, Acted],
) -> None:
    emulator, orch, acted = marathon
    _marathon_two_revisions(emulator, orch)
    before = acted.count("PUT", APP)
    emulator.server.faults.add(LOST, method="PUT", path=APP)

    with recording() as log:
        orch.rollback("web")

    assert acted.count("PUT", APP) - before == 1
    assert log.retries == 0
    assert log.read_backs == 1
    assert orch.get(Deployment, "web").image == "nginx:1.27"


def test_marathon_rollback_of_unknown_outcome_is_reported_not_repeated(
    marathon: tuple[MarathonEmulator, Orchestrator, Acted],
) -> None:
    emulator, orch, acted = marathon
    _marathon_two_revisions(emulator, orch)
    before = acted.count("PUT", APP)
    emulator.server.faults.add(NEVER_SENT, method="PUT", path=APP)

    with pytest.raises(BackendUnavailable) as raised:
        orch.rollback("web")

    assert raised.value.acted is None
    assert acted.count("PUT", APP) - before == 0
    assert orch.get(Deployment, "web").image == "nginx:1.28"


@pytest.mark.parametrize(
    "fault",
    [Fault(status=503), Fault(status=429, retry_after=0.01)],
    ids=["503", "429"],
)
def test_marathon_rollback_refused_before_acting_is_retried(
    marathon: tuple[MarathonEmulator, Orchestrator, Acted], fault: Fault
) -> None:
    emulator, orch, acted = marathon
    _marathon_two_revisions(emulator, orch)
    before = acted.count("PUT", APP)
    emulator.server.faults.add(fault, method="PUT", path=APP)

    orch.rollback("web")

    assert acted.count("PUT", APP) - before == 1
    assert orch.get(Deployment, "web").image == "nginx:1.27"


def test_marathon_write_to_a_locked_app_waits_for_the_lock_in_turn(
    marathon: tuple[MarathonEmulator, Orchestrator, Acted],
) -> None:
    emulator, orch, _ = marathon
    orch.apply(web())
    emulator.control.finish("/shop/web")
    emulator.control.lock("/shop/web")
    release = threading.Timer(0.3, emulator.control.release, ["/shop/web"])
    release.start()

    [result] = orch.apply(web(image="nginx:1.28"))
    release.join()

    assert result.action is Action.UPDATED
    assert orch.get(Deployment, "web").image == "nginx:1.28"
