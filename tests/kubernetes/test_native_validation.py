"""A ``native`` patch cannot smuggle a manifest past validation (issue 13).

The patched manifest is read back and checked as the spec was; what the patch broke is
refused under ``native.kubernetes`` before any request. What the spec cannot say (a
security context, a priority class) passes through untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from orchsdk_kubernetes.testing import KubernetesEmulator

import orchsdk
from orchsdk import Deployment, Orchestrator, Port, ValidationError


def web(native: dict[str, Any]) -> Deployment:
    return Deployment(
        "web", image="nginx:1.27", ports=[Port(8080, name="http")], native={"kubernetes": native}
    )


def container(**fields: Any) -> dict[str, Any]:
    """A patch of the one container; a merge patch replaces a list whole, so it is all there."""
    whole = {
        "name": "app",
        "image": "nginx:1.27",
        "ports": [{"containerPort": 8080, "name": "http"}],
    }
    return {"spec": {"template": {"spec": {"containers": [{**whole, **fields}]}}}}


@pytest.fixture(scope="module")
def emulator() -> Iterator[KubernetesEmulator]:
    with KubernetesEmulator() as running:
        yield running


@pytest.fixture
def orch(emulator: KubernetesEmulator) -> Iterator[Orchestrator]:
    with orchsdk.connect(emulator.url, namespace="native", create_namespace=True) as connected:
        yield connected


@pytest.mark.parametrize(
    ("patch", "wrong"),
    [
        ({"metadata": {"name": "Not_A_Name"}}, "name"),
        (container(ports=[{"containerPort": 70000, "name": "http"}]), "ports[0].port"),
        (container(resources={"requests": {"cpu": "1e309"}}), "resources.cpu"),
        (container(image="nginx\u0000"), "image"),
    ],
)
def test_patch_that_breaks_a_checked_field_is_refused_before_any_request(
    emulator: KubernetesEmulator, orch: Orchestrator, patch: dict[str, Any], wrong: str
) -> None:
    before = len(emulator.server.requests)
    with pytest.raises(ValidationError) as raised:
        orch.apply(web(patch))
    assert raised.value.fields == ("native.kubernetes",)
    assert wrong in str(raised.value)
    assert emulator.server.requests[before:] == []


def test_patch_of_what_the_spec_cannot_say_is_applied(orch: Orchestrator) -> None:
    context = {"runAsNonRoot": True, "allowPrivilegeEscalation": False}
    [result] = orch.apply(web(container(securityContext=context)))
    assert result.action.value == "created"
