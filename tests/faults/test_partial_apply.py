"""A multi-resource apply that fails part way says what was applied and what was not.

The error keeps its type (a ``BackendUnavailable`` is still one, so is a server's
``ValidationError``) and carries ``applied`` (results, in order) and ``not_applied``
(resources, the failed one first). Running the same apply again completes it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from orchsdk_kubernetes.testing import KubernetesEmulator, api_fault
from orchsdk_marathon.testing import MarathonEmulator

import orchsdk
from orchsdk import (
    Action,
    BackendUnavailable,
    Deployment,
    NotFound,
    Orchestrator,
    OrchestratorError,
    Port,
    RetryPolicy,
    Secret,
    SecretRef,
    Service,
    ValidationError,
)
from orchsdk.testing.loopback import Fault

QUICK = RetryPolicy(attempts=3, deadline=5, initial_delay=0.001, max_delay=0.01)

SECRET = Secret("db", data={"password": "pw-partial"})
WEB = Deployment(
    "web",
    image="nginx:1.27",
    replicas=1,
    ports=[Port(8080, name="http")],
    env={"DB_PASSWORD": SecretRef("db", "password")},
    labels={"app": "web"},
)
SVC = Service("web", selector={"app": "web"}, ports=[Port(80, target_port=8080)])


def _progress(error: OrchestratorError) -> tuple[list[str], list[str]]:
    return (
        [str(result) for result in error.applied],
        [f"{item.kind.lower()}/{item.name}" for item in error.not_applied],
    )


@pytest.fixture
def kubernetes() -> Iterator[tuple[KubernetesEmulator, Orchestrator]]:
    with (
        KubernetesEmulator(auto=False, namespaces=["shop"]) as emulator,
        orchsdk.connect(emulator.url, namespace="shop", retry=QUICK) as orch,
    ):
        yield emulator, orch


@pytest.fixture
def marathon() -> Iterator[tuple[MarathonEmulator, Orchestrator]]:
    with (
        MarathonEmulator(deployment_seconds=0.02) as emulator,
        orchsdk.connect(emulator.url, namespace="shop", retry=QUICK) as orch,
    ):
        yield emulator, orch


def test_kubernetes_apply_stopped_by_an_outage_reports_progress_and_completes_when_run_again(
    kubernetes: tuple[KubernetesEmulator, Orchestrator],
) -> None:
    emulator, orch = kubernetes
    emulator.inject(
        Fault(status=503), method="PATCH", path="/apis/apps/v1/namespaces/shop/deployments", count=3
    )

    with pytest.raises(BackendUnavailable) as raised:
        orch.apply(SVC, WEB, SECRET)

    assert _progress(raised.value) == (["secret/db created"], ["deployment/web", "service/web"])
    assert emulator.get("Secret", "db", "shop") is not None
    assert emulator.get("Deployment", "web", "shop") is None
    assert emulator.get("Service", "web", "shop") is None

    again = orch.apply(SVC, WEB, SECRET)

    assert [str(result) for result in again] == [
        "secret/db unchanged",
        "deployment/web created",
        "service/web created",
    ]


def test_kubernetes_apply_stopped_by_a_server_rejection_keeps_the_error_type(
    kubernetes: tuple[KubernetesEmulator, Orchestrator],
) -> None:
    emulator, orch = kubernetes
    emulator.inject(
        api_fault(422, message="Service is invalid"),
        method="PATCH",
        path="/api/v1/namespaces/shop/services",
    )

    with pytest.raises(ValidationError) as raised:
        orch.apply(SECRET, WEB, SVC)

    assert _progress(raised.value) == (
        ["secret/db created", "deployment/web created"],
        ["service/web"],
    )
    assert [result.action for result in orch.apply(SECRET, WEB, SVC)] == [
        Action.UNCHANGED,
        Action.UNCHANGED,
        Action.CREATED,
    ]


def test_marathon_apply_stopped_by_an_outage_reports_progress_and_completes_when_run_again(
    marathon: tuple[MarathonEmulator, Orchestrator],
) -> None:
    emulator, orch = marathon
    emulator.server.faults.add(Fault(status=500), method="PUT", path="/v2/apps/shop/web", count=3)

    with pytest.raises(BackendUnavailable) as raised:
        orch.apply(SECRET, WEB, SVC)

    assert _progress(raised.value) == (["secret/db created"], ["deployment/web", "service/web"])
    assert emulator.secret_store is not None
    assert emulator.secret_store.values == {"shop/db/password": "pw-partial"}
    assert emulator.app("/shop/web") is None
    with pytest.raises(NotFound):
        orch.get(Service, "web")

    again = orch.apply(SECRET, WEB, SVC)

    assert [str(result) for result in again] == [
        "secret/db unchanged",
        "deployment/web created",
        "service/web created",
    ]
    assert orch.get(Service, "web").selector == {"app": "web"}


def test_an_apply_refused_before_any_request_applied_nothing(
    kubernetes: tuple[KubernetesEmulator, Orchestrator],
) -> None:
    emulator, orch = kubernetes
    before = len(emulator.server.requests)

    with pytest.raises(ValidationError) as raised:
        orch.apply(SECRET, Deployment("web", image="nginx", replicas=-1))

    assert raised.value.applied == []
    assert [item.name for item in raised.value.not_applied] == ["db", "web"]
    assert len(emulator.server.requests) == before
