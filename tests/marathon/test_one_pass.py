"""An apply checks before its first request and walks a spec once; policy is the core's.

Counts calls of the module functions that make an app (``render_plain``), check
Marathon's rules (``rule_errors``) and read an app back (``parse_app``) per apply, as
the core makes it: ``validate`` for every resource, then ``apply``.
"""

from __future__ import annotations

import collections
import sys
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pytest
from orchsdk_marathon import MarathonBackend, app_definition

from orchsdk import (
    Deployment,
    HealthCheck,
    Orchestrator,
    PermissionDenied,
    Port,
    Resources,
    Rollout,
    ValidationError,
)
from orchsdk.testing.loopback import Fault

COUNTED = {
    ("render.py", "render_plain"): "renders",
    ("rules.py", "rule_errors"): "validations",
    ("parse.py", "parse_app"): "parses",
}


@pytest.fixture
def orch(marathon_emulator: Any) -> Iterator[Orchestrator]:
    with Orchestrator(MarathonBackend.from_url(marathon_emulator.url, namespace="shop")) as o:
        _ = o.capabilities
        yield o


def counted_apply(orch: Orchestrator, *specs: Deployment) -> dict[str, int]:
    """How often each counted function ran during ``orch.apply(*specs)``, from scratch."""
    app_definition._remembered.cache_clear()
    counts: collections.Counter[str] = collections.Counter()

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "call":
            code = frame.f_code
            if "orchsdk_marathon" in code.co_filename:
                key = (code.co_filename.rpartition("/")[2], code.co_name)
                if key in COUNTED:
                    counts[COUNTED[key]] += 1

    sys.setprofile(profile)
    try:
        orch.apply(*specs)
    finally:
        sys.setprofile(None)
    return {name: counts[name] for name in ("renders", "validations", "parses")}


def rich(name: str = "web", **native: Any) -> Deployment:
    return Deployment(
        name,
        image="nginx:1.27",
        replicas=3,
        command=["nginx"],
        args=["-g", "daemon off;"],
        ports=[Port(8080, name="http")],
        resources=Resources(cpu="250m", memory="64Mi"),
        rollout=Rollout(max_surge=1, max_unavailable=0),
        health=HealthCheck(http_path="/", port=8080),
        native=native,
    )


@pytest.mark.parametrize(
    ("spec", "parses"),
    [
        (rich(marathon={"user": "nobody"}), 1),
        (rich(), 0),
        (Deployment("plain", image="nginx"), 0),
    ],
    ids=["native patch", "bookkeeping labels", "plain"],
)
def test_an_apply_renders_once_validates_once_and_parses_at_most_once(
    orch: Orchestrator, spec: Deployment, parses: int
) -> None:
    created = counted_apply(orch, spec)
    assert created == {"renders": 1, "validations": 1, "parses": parses}
    again = counted_apply(orch, spec)  # unchanged: the same one pass, and no write
    assert again == created


def test_a_reserved_name_is_refused_before_any_request(
    marathon_emulator: Any, orch: Orchestrator
) -> None:
    mark = len(marathon_emulator.server.requests)
    with pytest.raises(ValidationError) as refused:
        orch.apply(Deployment("ok", image="nginx"), Deployment("tasks", image="nginx"))
    assert marathon_emulator.server.requests[mark:] == []
    assert refused.value.fields == ("name",)
    assert "'tasks' is reserved" in str(refused.value)
    assert refused.value.applied == []
    assert marathon_emulator.app("/shop/ok") is None


def test_a_contradicting_native_patch_is_refused_before_any_request(
    marathon_emulator: Any, orch: Orchestrator
) -> None:
    mark = len(marathon_emulator.server.requests)
    contradicting = rich("api", marathon={"healthChecks": []})
    with pytest.raises(ValidationError) as refused:
        orch.apply(Deployment("ok", image="nginx"), contradicting)
    assert marathon_emulator.server.requests[mark:] == []
    assert refused.value.fields == ("native.marathon",)


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_are_permission_denied(
    marathon_emulator: Any, orch: Orchestrator, status: int
) -> None:
    faults = marathon_emulator.server.faults
    faults.add(Fault(status=status), method="GET", path="/v2/apps/shop/web")
    with pytest.raises(PermissionDenied) as refused:
        orch.get(Deployment, "web")
    assert refused.value.status == status
