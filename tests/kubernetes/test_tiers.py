"""The emulator tier and the live tier tell the same story for one scenario.

The scenario is what users do and what the live control plane showed the emulator
getting wrong: apply a secret, a deployment and a service and wait; scale up and down;
roll out an image that cannot be pulled, then the fix; delete and wait. Its report keeps
what must not depend on the tier (apply actions, counts, phases, instance states, failure
reasons, what the service reaches) and drops what must (names of pods, addresses, times).
The emulator's report must equal :data:`EXPECTED`; with ``ORCHSDK_LIVE_KUBERNETES``, the
live control plane's must equal the emulator's.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from orchsdk_kubernetes.testing import KubernetesEmulator

import orchsdk
from orchsdk import (
    Deployment,
    DeploymentStatus,
    EventType,
    Orchestrator,
    Port,
    RolloutFailed,
    Secret,
    SecretRef,
    Service,
)
from orchsdk.testing.samples import web

LIVE_CONTEXT = os.environ.get("ORCHSDK_LIVE_KUBERNETES")
TIMEOUT = 120.0

EXPECTED: list[Any] = [
    ("apply", [("Secret", "created"), ("Deployment", "created"), ("Service", "created")]),
    ("status", (2, 2, 2, 2, "complete", 0, None)),
    ("instances", [("running", True, 1)] * 2),
    ("endpoints", 2),
    ("scale up", (3, 3, 3, 3, "complete", 0, None)),
    ("scale down", (1, 1, 1, 1, "complete", 0, None)),
    ("instances", [("running", True, 1)]),
    ("endpoints", 1),
    ("unpullable image", "image-pull"),
    ("failed instance", "failed"),
    ("warning events", True),
    ("fixed", (1, 1, 1, 1, "complete", 0, None)),
    ("instances", [("running", True, 3)]),
    ("deleted, then gone", True),
    ("endpoints", 0),
]


def summary(status: DeploymentStatus) -> tuple[Any, ...]:
    failure = status.failure.reason.value if status.failure else None
    return (
        status.desired,
        status.ready,
        status.updated,
        status.available,
        status.phase.value,
        status.terminating,
        failure,
    )


def scenario(orch: Orchestrator) -> list[Any]:
    """Runs the scenario; returns its tier-independent report."""
    env = {"DB_PASSWORD": SecretRef("db", "password")}
    service = Service("web", selector={"app": "web"}, ports=[Port(80, target_port="http")])
    report: list[Any] = []
    results = orch.apply(
        Secret("db", data={"password": "one"}), web(env=env), service, wait=True, timeout=TIMEOUT
    )
    report.append(("apply", [(r.kind, r.action.value) for r in results]))
    report.append(("status", summary(orch.status("web"))))
    report.append(("instances", states(orch)))
    report.append(("endpoints", len(orch.endpoints("web"))))
    report.append(("scale up", summary(orch.scale("web", 3, wait=True, timeout=TIMEOUT))))
    report.append(("scale down", summary(orch.scale("web", 1, wait=True, timeout=TIMEOUT))))
    report.append(("instances", states(orch)))
    report.append(("endpoints", len(orch.endpoints("web"))))
    try:
        orch.apply(web(replicas=1, env=env, image="registry.invalid/app:1"), wait=True)
    except RolloutFailed as failed:
        report.append(("unpullable image", failed.reason and failed.reason.value))
        by_id = {instance.id: instance.state for instance in orch.instances("web")}
        report.append(("failed instance", by_id.get(failed.instance or "")))
    events = orch.events("web")
    report.append(("warning events", any(e.type is EventType.WARNING for e in events)))
    orch.apply(web(replicas=1, env=env, image="nginx:1.28"), wait=True, timeout=TIMEOUT)
    report.append(("fixed", summary(orch.status("web"))))
    report.append(("instances", states(orch)))
    orch.delete(Deployment, "web", wait=True, timeout=TIMEOUT)
    report.append(("deleted, then gone", orch.backend.gone(Deployment, "web", orch.namespace)))
    report.append(("endpoints", len(orch.endpoints("web"))))
    return report


def states(orch: Orchestrator) -> list[tuple[str, bool, int]]:
    return sorted((i.state, i.ready, i.revision) for i in orch.instances("web"))


@pytest.fixture(scope="module")
def emulator_report() -> list[Any]:
    with (
        KubernetesEmulator() as emulator,
        orchsdk.connect(emulator.url, namespace="tiers", create_namespace=True) as orch,
    ):
        return scenario(orch)


@pytest.fixture
def live_namespace() -> Iterator[str]:
    from kubernetes import client, config

    name = f"tiers-{uuid.uuid4().hex[:8]}"
    yield name
    api = client.CoreV1Api(config.new_client_from_config(context=LIVE_CONTEXT))
    api.delete_namespace(name)


def test_emulator_tier_reports_what_a_cluster_does(emulator_report: list[Any]) -> None:
    assert emulator_report == EXPECTED


@pytest.mark.skipif(LIVE_CONTEXT is None, reason="set ORCHSDK_LIVE_KUBERNETES to a context")
def test_live_tier_reports_the_same_as_the_emulator_tier(
    emulator_report: list[Any], live_namespace: str
) -> None:
    url = f"kubernetes://?context={LIVE_CONTEXT}"
    with orchsdk.connect(url, namespace=live_namespace, create_namespace=True) as orch:
        assert scenario(orch) == emulator_report
