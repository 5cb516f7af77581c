"""Bugs the examples ran into, each as the smallest test that shows it (strict xfails).

Found while writing ``examples/migrate_marathon_to_kubernetes.py``, which reads apps
that Marathon users wrote by hand: the Marathon parser cannot say everything such apps
hold, and where it neither says nor keeps a field (in ``native["marathon"]``), reading
the app and applying it back silently rewrites the app. When a bug is fixed its test
passes and strict xfail fails the run: remove the marker then.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import pytest
import requests
from orchsdk_marathon.testing import MarathonEmulator

import orchsdk
from orchsdk import Deployment, Orchestrator

NAMESPACE = "shop"


@pytest.fixture
def marathon(marathon_emulator: MarathonEmulator) -> Iterator[Orchestrator]:
    with orchsdk.connect(marathon_emulator.url, namespace=NAMESPACE) as orch:
        yield orch


def post_app(emulator: MarathonEmulator, **fields: Any) -> str:
    """Creates an app the way a Marathon user does (raw JSON to the REST API); its id."""
    app = {
        "id": f"/{NAMESPACE}/app",
        "cmd": "sleep 1000",
        "instances": 1,
        "container": {"type": "DOCKER", "docker": {"image": "busybox:1.36"}, "portMappings": []},
        "networks": [{"mode": "container/bridge"}],
        **fields,
    }
    response = requests.post(f"{emulator.marathon_url}/v2/apps", json=app, timeout=10)
    assert response.status_code == 201, response.text
    emulator.control.finish(app["id"])
    return str(app["id"])


def round_trip(marathon: Orchestrator, emulator: MarathonEmulator, app_id: str) -> dict[str, Any]:
    """Reads the app as a spec, applies that spec back unchanged, returns the stored app."""
    marathon.apply(marathon.get(Deployment, "app"), wait=True, timeout=30)
    stored = emulator.app(app_id)
    assert stored is not None
    return stored


def test_an_app_without_port_mappings_reads_as_a_valid_spec(
    marathon: Orchestrator, marathon_emulator: MarathonEmulator
) -> None:
    """Fixed: a mapping with containerPort 0 is Marathon's default one, kept in native."""
    container = {"type": "DOCKER", "docker": {"image": "busybox:1.36"}}  # no portMappings
    app_id = post_app(marathon_emulator, container=container)
    default = marathon_emulator.app(app_id)["container"]["portMappings"]  # type: ignore[index]
    spec = marathon.get(Deployment, "app")
    orchsdk.validate(spec)
    assert spec.ports == ()
    assert round_trip(marathon, marathon_emulator, app_id)["container"]["portMappings"] == default


def test_a_host_network_app_keeps_its_network_and_ports(
    marathon: Orchestrator, marathon_emulator: MarathonEmulator
) -> None:
    app_id = post_app(
        marathon_emulator,
        cmd="python3 -m http.server $PORT0",
        container={"type": "DOCKER", "docker": {"image": "python:3.12-slim"}},
        networks=[{"mode": "host"}],
        portDefinitions=[{"port": 0, "name": "http"}],
    )
    stored = round_trip(marathon, marathon_emulator, app_id)
    assert stored["networks"] == [{"mode": "host"}]
    assert [port.get("name") for port in stored.get("portDefinitions") or []] == ["http"]
    spec = marathon.get(Deployment, "app")  # and when the spec changes, the app is written:
    marathon.apply(attrs.evolve(spec, image="python:3.13-slim"), wait=True, timeout=30)
    updated = marathon_emulator.app(app_id)
    assert updated is not None
    assert updated["networks"] == [{"mode": "host"}]
    assert updated["portDefinitions"] == stored["portDefinitions"]
    assert "portMappings" not in updated["container"]


def test_constraints_the_spec_cannot_say_survive_a_round_trip(
    marathon: Orchestrator, marathon_emulator: MarathonEmulator
) -> None:
    """Constraints the spec cannot say are kept in native["marathon"]."""
    constraints = [["hostname", "UNIQUE"], ["rack_id", "GROUP_BY", "2"]]
    app_id = post_app(marathon_emulator, constraints=constraints)
    assert round_trip(marathon, marathon_emulator, app_id)["constraints"] == constraints


KEPT_FIELDS = [
    pytest.param({"fetch": [{"uri": "https://example.com/conf.tgz"}]}, ("fetch",), id="fetch"),
    pytest.param({"user": "nobody"}, ("user",), id="user"),
    pytest.param(
        {
            "container": {
                "type": "DOCKER",
                "docker": {"image": "busybox:1.36"},
                "portMappings": [
                    {"containerPort": 80, "name": "http", "labels": {"VIP_0": "/shop/app:80"}}
                ],
            }
        },
        ("container", "portMappings", 0, "labels"),
        id="port-mapping-vip-label",
    ),
    pytest.param({"backoffSeconds": 30}, ("backoffSeconds",), id="backoff"),
    pytest.param(
        {
            "container": {
                "type": "DOCKER",
                "docker": {
                    "image": "busybox:1.36",
                    "parameters": [{"key": "log-driver", "value": "journald"}],
                },
                "portMappings": [],
            }
        },
        ("container", "docker", "parameters"),
        id="docker-parameters",
    ),
    pytest.param(
        {
            "healthChecks": [
                {"protocol": "COMMAND", "command": {"value": "pgrep sleep"}, "delaySeconds": 15}
            ]
        },
        ("healthChecks", 0, "delaySeconds"),
        id="health-check-delay",
    ),
]


def dig(document: Any, path: tuple[str | int, ...]) -> Any:
    try:
        for key in path:
            document = document[key]
    except (KeyError, IndexError):
        return None
    return document


@pytest.mark.parametrize(("fields", "path"), KEPT_FIELDS)
def test_fields_the_spec_cannot_say_survive_a_round_trip(
    marathon: Orchestrator,
    marathon_emulator: MarathonEmulator,
    fields: dict[str, Any],
    path: tuple[str | int, ...],
) -> None:
    app_id = post_app(marathon_emulator, **fields)
    expected = dig(marathon_emulator.app(app_id), path)
    assert expected  # what the user wrote is there before the round trip
    assert dig(round_trip(marathon, marathon_emulator, app_id), path) == expected


@pytest.mark.parametrize(("fields", "path"), KEPT_FIELDS)
def test_fields_the_spec_cannot_say_survive_an_update_of_the_spec(
    marathon: Orchestrator,
    marathon_emulator: MarathonEmulator,
    fields: dict[str, Any],
    path: tuple[str | int, ...],
) -> None:
    """The round trip above writes nothing (the app is unchanged); an update writes the app."""
    app_id = post_app(marathon_emulator, **fields)
    expected = dig(marathon_emulator.app(app_id), path)
    spec = marathon.get(Deployment, "app")
    marathon.apply(attrs.evolve(spec, image="busybox:1.37"), wait=True, timeout=30)
    stored = marathon_emulator.app(app_id)
    assert stored is not None
    assert stored["container"]["docker"]["image"] == "busybox:1.37"
    assert dig(stored, path) == expected


def test_diff_and_apply_agree_on_a_hand_written_app(
    marathon: Orchestrator, marathon_emulator: MarathonEmulator
) -> None:
    """Fixed: a stale orchsdk.* label, which apply removes, shows in the diff."""
    post_app(marathon_emulator, labels={"orchsdk.command": "2"})
    spec = marathon.get(Deployment, "app")
    diff = marathon.diff(spec)[0]
    assert [str(change) for change in diff.changes] == ["- labels.orchsdk.command: '2'"]
    assert marathon.apply(spec)[0].action is diff.action
