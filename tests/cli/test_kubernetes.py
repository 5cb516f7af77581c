"""The command end to end against the local Kubernetes API emulator, found through KUBECONFIG."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_manifests import SECRET_VALUE, WEB, web
from cli_runner import Invoke, Result, invoke_command

Write = Callable[[str, str], Path]


@pytest.fixture
def kubectl(kubernetes_emulator: Any) -> Callable[..., Result]:
    """Runs the command with ``KUBECONFIG`` naming the emulator and no ``--backend``."""
    env = {"KUBECONFIG": kubernetes_emulator.kubeconfig}

    def run(*args: str, input: str | None = None) -> Result:
        return invoke_command(*args, input=input, env=env)

    return run


def test_the_whole_lifecycle_through_the_kubeconfig(
    kubectl: Callable[..., Result], write: Write
) -> None:
    path = write("web.yaml", WEB)

    applied = kubectl("apply", path, "--wait", "--timeout", "60")
    again = kubectl("diff", path)
    table = kubectl("get", "deployments")
    scaled = kubectl("scale", "web", "3", "--wait", "--timeout", "60")
    updated = kubectl("apply", write("v2.yaml", web(image="nginx:1.28", replicas=3)), "--wait")
    rolled = kubectl("rollback", "web", "--wait", "--timeout", "60")
    image = json.loads(kubectl("get", "deployment", "web", "-o", "json").stdout)["image"]
    instances = kubectl("instances", "web", "-o", "json")
    endpoints = kubectl("endpoints", "web", "-o", "json")
    status = kubectl("status", "web")
    deleted = kubectl("delete", path)
    gone = kubectl("get", "deployment", "web")

    assert applied.code == 0, applied
    assert applied.stdout.splitlines()[:3] == [
        "secret/db created",
        "deployment/web created",
        "service/web created",
    ]
    assert "deployment/web rolled out" in applied.stdout
    assert again.code == 0, again.stdout
    assert table.stdout.split()[5:10] == ["web", "2/2", "2", "2", "nginx:1.27"]
    assert scaled.code == 0
    assert updated.stdout.splitlines()[1] == "deployment/web updated"
    assert rolled.code == 0
    assert image == "nginx:1.27"
    assert len(json.loads(instances.stdout)) == 3
    assert {endpoint["port"] for endpoint in json.loads(endpoints.stdout)} == {8080}
    assert "(complete" in status.stdout
    assert deleted.stdout.splitlines() == [
        "service/web deleted",
        "deployment/web deleted",
        "secret/db deleted",
    ]
    assert gone.code == 1
    for result in (applied, again, table, scaled, updated, rolled, status, deleted):
        assert SECRET_VALUE not in result.stdout + result.stderr


def test_diff_shows_the_native_fields_that_change(
    kubectl: Callable[..., Result], write: Write
) -> None:
    kubectl("apply", write("web.yaml", WEB))

    result = kubectl("diff", write("v2.yaml", web(image="nginx:1.28")))

    assert result.code == 1
    assert "deployment/web (default): updated" in result.stdout
    assert "spec.template.spec.containers[0].image: 'nginx:1.27' -> 'nginx:1.28'" in result.stdout


def test_secrets_are_read_back_only_with_reveal(
    kubectl: Callable[..., Result], write: Write
) -> None:
    kubectl("apply", write("web.yaml", WEB))

    hidden = kubectl("get", "secret", "db", "-o", "yaml")
    shown = kubectl("get", "secret", "db", "-o", "yaml", "--reveal")

    assert SECRET_VALUE not in hidden.stdout
    assert "password: <redacted>" in hidden.stdout
    assert f"password: {SECRET_VALUE}" in shown.stdout


def test_the_context_option_selects_the_kubeconfig_context(
    kubectl: Callable[..., Result], invoke: Invoke, kubernetes_emulator: Any
) -> None:
    env = {"KUBECONFIG": kubernetes_emulator.kubeconfig}

    known = invoke_command("capabilities", "--context", "orchsdk-emulator", env=env)
    unknown = invoke_command("capabilities", "--context", "nope", env=env)

    assert known.code == 0
    assert unknown.code == 2
    assert unknown.error_lines[0].startswith(
        "error: cannot use the backend kubernetes://?context=..."
    )


def test_a_missing_deployment_is_exit_1(kubectl: Callable[..., Result]) -> None:
    result = kubectl("status", "nope")

    assert result.code == 1
    assert len(result.error_lines) == 1
    assert "not found" in result.error_lines[0]
