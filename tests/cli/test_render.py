"""``orchsdk render``: native documents without a cluster, secrets hidden unless revealed."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from cli_manifests import SECRET_VALUE, WEB
from cli_runner import Invoke

Write = Callable[[str, str], Path]


def test_render_to_kubernetes(invoke: Invoke, write: Write) -> None:
    result = invoke("render", write("web.yaml", WEB), "--to", "kubernetes")

    documents = list(yaml.safe_load_all(result.stdout))
    assert result.code == 0
    assert [(d["apiVersion"], d["kind"]) for d in documents] == [
        ("v1", "Secret"),
        ("apps/v1", "Deployment"),
        ("v1", "Service"),
    ]
    assert "<redacted>" in json.dumps(documents[0])
    assert "password" in json.dumps(documents[0])
    assert documents[1]["metadata"]["namespace"] == "default"
    assert documents[1]["spec"]["replicas"] == 2


def test_render_to_marathon_as_json(invoke: Invoke, write: Write) -> None:
    result = invoke(
        "render", write("web.yaml", WEB), "--to", "marathon", "-o", "json", "-n", "shop"
    )

    documents = json.loads(result.stdout)
    assert result.code == 0
    assert documents[0] == {"store": "default", "path": "shop/db/password", "value": "<redacted>"}
    assert documents[1]["id"] == "/shop/web"
    assert documents[1]["instances"] == 2
    assert documents[1]["container"]["type"] == "DOCKER"


def test_render_reveals_secret_values_only_when_asked(invoke: Invoke, write: Write) -> None:
    path = write("web.yaml", WEB)

    hidden = invoke("render", path, "--to", "kubernetes")
    shown = invoke("render", path, "--to", "kubernetes", "--reveal")

    encoded = base64.b64encode(SECRET_VALUE.encode()).decode()
    assert SECRET_VALUE not in hidden.stdout
    assert encoded not in hidden.stdout
    assert SECRET_VALUE in shown.stdout or encoded in shown.stdout


def test_render_with_target_options(invoke: Invoke, write: Write) -> None:
    path = write("web.yaml", WEB)

    ucr = invoke("render", path, "--to", "marathon?containerizer=mesos", "-o", "json")
    no_store = invoke("render", path, "--to", "marathon?secrets=false")

    assert json.loads(ucr.stdout)[1]["container"]["type"] == "MESOS"
    assert no_store.code == 2
    assert "no secret store is configured" in no_store.stderr


def test_render_to_the_kind_of_the_configured_backend(invoke: Invoke, write: Write) -> None:
    result = invoke("render", write("web.yaml", WEB), "--backend", "marathon+http://m.invalid:8080")

    assert result.code == 0
    assert "id: /default/web" in result.stdout


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("nomad", "error: no backend is installed for target 'nomad'; known: "),
        ("kubernetes?x=1", "error: kubernetes has no option 'x'; its options are: "),
        ("marathon?colour=blue", "error: marathon offline has no option 'colour'"),
        ("marathon?containerizer=lxc", "error: marathon offline option containerizer: "),
    ],
)
def test_a_bad_target_is_exit_2(invoke: Invoke, write: Write, target: str, message: str) -> None:
    result = invoke("render", write("web.yaml", WEB), "--to", target)

    assert result.code == 2
    assert result.stderr.startswith(message)


def test_render_validates_like_apply(invoke: Invoke, write: Write) -> None:
    path = write("web.yaml", WEB.replace("port: http\n", "port: https\n"))

    result = invoke("render", path, "--to", "kubernetes")

    assert result.code == 2
    assert "health.port: 'https' is not one of the ports (http)" in result.stderr
