"""A ``native["marathon"]`` patch cannot smuggle an app past validation (issue 13).

The patched app is read back and checked as the spec was: what the patch made invalid is
refused under ``native.marathon`` before any request.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from orchsdk_marathon.testing import MarathonEmulator

import orchsdk
from orchsdk import Deployment, Orchestrator, ValidationError


@pytest.fixture(scope="module")
def emulator() -> Iterator[MarathonEmulator]:
    with MarathonEmulator() as running:
        yield running


@pytest.fixture
def orch(emulator: MarathonEmulator) -> Iterator[Orchestrator]:
    with orchsdk.connect(emulator.url, namespace="native") as connected:
        yield connected


def test_patch_setting_an_invalid_image_is_refused_before_anything_but_the_info_read(
    emulator: MarathonEmulator, orch: Orchestrator
) -> None:
    spec = Deployment(
        "web",
        image="nginx:1.27",
        native={"marathon": {"container": {"docker": {"image": "NGINX:\u00001"}}}},
    )
    before = len(emulator.server.requests)
    with pytest.raises(ValidationError) as raised:
        orch.apply(spec)
    assert raised.value.fields == ("native.marathon",)
    assert "image" in str(raised.value)
    assert [r for r in emulator.server.requests[before:] if r != ("GET", "/v2/info")] == []


def test_patch_of_what_the_spec_cannot_say_is_applied(orch: Orchestrator) -> None:
    spec = Deployment("web", image="nginx:1.27", native={"marathon": {"backoffSeconds": 5}})
    [result] = orch.apply(spec)
    assert result.action.value == "created"
