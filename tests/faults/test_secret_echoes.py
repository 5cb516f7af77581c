"""A server that echoes a secret write in its error answer leaks nothing (issue 13, finding 1).

API servers, proxies and webhooks copy the request into their error messages. Here the
emulators answer a secret write with such an echo, for each status a real one sends; the
value must not appear, as sent, base64-encoded or JSON-escaped, in the exception (its
message, repr and the whole ``__cause__``/``__context__`` chain), in any log record at any
level (the retry lines included), or in what the CLI prints.
"""

from __future__ import annotations

import base64
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faults_helpers import error_text, recording
from orchsdk_kubernetes.testing import KubernetesEmulator
from orchsdk_marathon.testing import MarathonEmulator

import orchsdk
from orchsdk import OrchestratorError, RetryPolicy, Secret
from orchsdk.cli.app import run as run_cli
from orchsdk.testing.loopback import Fault

VALUE = 'zeb-"quoted"\\-välue-0042'
"""A secret value with characters that JSON escapes, and one that is not ASCII."""
STATUSES = (400, 409, 422, 500)
QUICK = RetryPolicy(attempts=2, deadline=5.0, initial_delay=0.001, max_delay=0.002)


def every_form() -> list[str]:
    raw = VALUE.encode()
    return [
        VALUE,
        base64.b64encode(raw).decode(),
        json.dumps(VALUE)[1:-1],
        json.dumps(VALUE, ensure_ascii=False)[1:-1],
    ]


def echo(status: int) -> dict[str, Any]:
    """An error answer that repeats the request, in every form the value travels in."""
    request = {"data": {"password": base64.b64encode(VALUE.encode()).decode()}}
    message = (
        f'Secret "db" is invalid: {json.dumps(request)}; value {VALUE}; '
        f"json {json.dumps({'value': VALUE})}"
    )
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "reason": {400: "BadRequest", 409: "Conflict", 422: "Invalid"}.get(status, "InternalError"),
        "code": status,
        "details": {"causes": [{"field": "data.password", "message": message}]},
        "value": VALUE,
    }


def leaked(text: str) -> list[str]:
    return [form for form in every_form() if form in text]


@pytest.fixture(scope="module")
def kubernetes() -> Iterator[KubernetesEmulator]:
    with KubernetesEmulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def marathon() -> Iterator[MarathonEmulator]:
    with MarathonEmulator(secrets=True) as emulator:
        yield emulator


def failed_apply(url: str, **options: Any) -> tuple[OrchestratorError, list[str]]:
    orch = orchsdk.connect(url, retry=QUICK, **options)
    with recording() as recorder, orch, pytest.raises(OrchestratorError) as raised:
        orch.apply(Secret("db", data={"password": VALUE}))
    return raised.value, recorder.lines


@pytest.mark.parametrize("status", STATUSES)
def test_kubernetes_secret_write_echoed_in_an_error_leaks_nothing(
    kubernetes: KubernetesEmulator, status: int
) -> None:
    namespace = f"echo-{status}"
    path = f"/api/v1/namespaces/{namespace}/secrets"
    kubernetes.inject(Fault(status=status, body=echo(status)), path=path, count=4)

    error, logs = failed_apply(kubernetes.url, namespace=namespace, create_namespace=True)

    assert leaked(error_text(error)) == []
    assert leaked("\n".join(logs)) == []
    assert "is invalid" in str(error) or "Secret" in str(error)  # the message is kept


@pytest.mark.parametrize("status", STATUSES)
def test_marathon_secret_store_write_echoed_in_an_error_leaks_nothing(
    marathon: MarathonEmulator, status: int
) -> None:
    body = {"message": f"/value: {json.dumps({'value': VALUE})} {VALUE}", "value": VALUE}
    marathon.server.faults.add(Fault(status=status, body=body), path="/secrets/v1", count=4)

    error, logs = failed_apply(marathon.url, namespace=f"echo-{status}")

    assert leaked(error_text(error)) == []
    assert leaked("\n".join(logs)) == []


def test_cli_prints_no_echoed_secret(
    kubernetes: KubernetesEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "db.yaml"
    manifest.write_text(
        textwrap.dedent(
            f"""\
            apiVersion: orchsdk/v1
            kind: Secret
            name: db
            data:
              password: {json.dumps(VALUE)}
            """
        ),
        encoding="utf-8",
    )
    path = "/api/v1/namespaces/echo-cli/secrets"
    kubernetes.inject(Fault(status=422, body=echo(422)), path=path, count=4)

    code = run_cli(["--backend", kubernetes.url, "-n", "echo-cli", "apply", str(manifest)])

    printed = capsys.readouterr()
    assert code != 0
    assert leaked(printed.out + printed.err) == []
