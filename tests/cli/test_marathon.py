"""The command end to end against the local Marathon emulator (with the DC/OS secret store)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_manifests import CONFIG, SECRET_VALUE, WEB, web
from cli_runner import Result, invoke_command

Write = Callable[[str, str], Path]


@pytest.fixture
def marathon(marathon_emulator: Any) -> Callable[..., Result]:
    """Runs the command with ``--backend`` the emulator's URL (secret store included)."""

    def run(*args: str, input: str | None = None) -> Result:
        return invoke_command(*args, "--backend", marathon_emulator.url, input=input)

    return run


def test_the_whole_lifecycle(marathon: Callable[..., Result], write: Write) -> None:
    path = write("web.yaml", WEB)

    applied = marathon("apply", path, "--wait", "--timeout", "60")
    again = marathon("diff", path)
    table = marathon("get", "deployments")
    services = marathon("get", "services")
    scaled = marathon("scale", "web", "3", "--wait", "--timeout", "60")
    updated = marathon("apply", write("v2.yaml", web(image="nginx:1.28", replicas=3)), "--wait")
    rolled = marathon("rollback", "web", "--wait", "--timeout", "60")
    image = json.loads(marathon("get", "deployment", "web", "-o", "json").stdout)["image"]
    instances = marathon("instances", "web", "-o", "json")
    endpoints = marathon("endpoints", "web", "-o", "json")
    deleted = marathon("delete", path)
    gone = marathon("get", "deployment", "web")

    assert applied.code == 0, applied
    assert applied.stdout.splitlines()[:3] == [
        "secret/db created",
        "deployment/web created",
        "service/web created",
    ]
    assert again.code == 0, again.stdout
    assert table.stdout.split()[5:10] == ["web", "2/2", "2", "2", "nginx:1.27"]
    assert services.stdout.split()[4:6] == ["web", "internal"]
    assert scaled.code == 0, scaled
    assert updated.stdout.splitlines()[1] == "deployment/web updated"
    assert rolled.code == 0, rolled
    assert image == "nginx:1.27"
    assert len(json.loads(instances.stdout)) == 3
    assert len(json.loads(endpoints.stdout)) == 3
    assert deleted.code == 0, deleted
    assert gone.code == 1
    for result in (applied, again, table, scaled, updated, rolled, deleted):
        assert SECRET_VALUE not in result.stdout + result.stderr


def test_secrets_are_read_back_only_with_reveal(
    marathon: Callable[..., Result], write: Write
) -> None:
    marathon("apply", write("web.yaml", WEB))

    hidden = marathon("get", "secret", "db", "-o", "yaml")
    shown = marathon("get", "secret", "db", "-o", "yaml", "--reveal")

    assert SECRET_VALUE not in hidden.stdout
    assert f"password: {SECRET_VALUE}" in shown.stdout


def test_what_marathon_cannot_do_is_exit_2_before_any_change(
    marathon: Callable[..., Result], write: Write
) -> None:
    result = marathon("apply", write("all.yaml", CONFIG + "---\n" + WEB))

    assert result.code == 2
    assert result.stderr.startswith("error: marathon cannot apply ConfigMap")
    assert marathon("get", "deployments").stdout == ""


def test_capabilities_say_why_a_feature_is_off(marathon: Callable[..., Result]) -> None:
    data = json.loads(marathon("capabilities", "-o", "json").stdout)

    assert data["backend"] == "marathon"
    assert data["capabilities"]["secrets"] is True
    assert data["capabilities"]["config_maps"] is False
    assert "Marathon has no config maps" in data["reasons"]["config_maps"]


def test_marathon_url_chooses_marathon(marathon_emulator: Any, write: Write) -> None:
    env = {"MARATHON_URL": marathon_emulator.marathon_url}
    path = write(
        "web.yaml",
        WEB.split("---\n", 1)[1].replace("  DB_PASSWORD: {secret: db, key: password}\n", ""),
    )

    result = invoke_command("apply", path, "--wait", "--timeout", "60", env=env)

    assert result.code == 0, result
    assert "deployment/web created" in result.stdout
