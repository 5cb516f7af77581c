"""How the Kubernetes backend reports the API server's errors, over real HTTP on loopback.

Each test scripts the server's exact answer; the real ``kubernetes`` client sends the
request and the backend turns the answer into the orchsdk error a user catches.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from orchsdk_kubernetes import KubernetesBackend

from orchsdk import (
    BackendUnavailable,
    Conflict,
    Deployment,
    NotFound,
    Orchestrator,
    OrchestratorError,
    PermissionDenied,
    Port,
    ValidationError,
)
from orchsdk.retry import NO_RETRY, RetryPolicy
from orchsdk.testing.loopback import Fault, LoopbackServer, Request, Response

TOKEN = "sekret-token-value"


def status(code: int, reason: str, message: str, **details: Any) -> dict[str, Any]:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


class Script:
    """The next answer the scripted API server gives, for any request."""

    def __init__(self) -> None:
        self.response = Response.json({})

    def __call__(self, request: Request) -> Response:
        return self.response


@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
def server(script: Script) -> Iterator[LoopbackServer]:
    with LoopbackServer(script) as server:
        yield server


@pytest.fixture
def orch(server: LoopbackServer) -> Iterator[Orchestrator]:
    host = server.url.removeprefix("http://")
    backend = KubernetesBackend.from_url(
        f"kubernetes://{host}?scheme=http", token=TOKEN, read_timeout=2
    )
    with Orchestrator(backend, namespace="shop", retry=NO_RETRY) as orch:
        yield orch


def web() -> Deployment:
    return Deployment("web", image="nginx:1.27", ports=[Port(80, name="http")])


def test_404_status_is_not_found_worded_as_on_every_backend(
    script: Script, orch: Orchestrator
) -> None:
    script.response = Response.json(
        status(
            404,
            "NotFound",
            'deployments.apps "web" not found',
            name="web",
            group="apps",
            kind="deployments",
        ),
        404,
    )
    with pytest.raises(NotFound) as raised:
        orch.get(Deployment, "web")
    assert str(raised.value) == "Deployment 'web' not found in namespace 'shop'"


def test_404_for_a_missing_namespace_says_how_to_have_it_created(
    script: Script, orch: Orchestrator
) -> None:
    script.response = Response.json(
        status(404, "NotFound", 'namespaces "shop" not found', name="shop", kind="namespaces"),
        404,
    )
    with pytest.raises(NotFound) as raised:
        orch.apply(web())
    assert str(raised.value) == (
        "Namespace 'shop' not found (create it, or connect with create_namespace=true)"
    )


def test_409_already_exists_is_a_conflict_of_reason_exists(
    script: Script, orch: Orchestrator
) -> None:
    script.response = Response.json(
        status(409, "AlreadyExists", 'deployments.apps "web" already exists'), 409
    )
    with pytest.raises(Conflict) as raised:
        orch.scale("web", 3)
    assert raised.value.reason == "exists"


def test_409_conflict_is_a_conflict_of_reason_changed(script: Script, orch: Orchestrator) -> None:
    script.response = Response.json(
        status(
            409,
            "Conflict",
            'Operation cannot be fulfilled on deployments.apps "web": the object '
            "has been modified; please apply your changes to the latest version and try again",
        ),
        409,
    )
    with pytest.raises(Conflict) as raised:
        orch.scale("web", 3)
    assert raised.value.reason == "changed"


def test_422_invalid_names_each_field_from_the_causes(script: Script, orch: Orchestrator) -> None:
    script.response = Response.json(
        status(
            422,
            "Invalid",
            'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1',
            name="web",
            kind="Deployment",
            causes=[
                {
                    "reason": "FieldValueInvalid",
                    "message": "Invalid value: -1: must be >= 0",
                    "field": "spec.replicas",
                },
                {
                    "reason": "FieldValueRequired",
                    "message": "Required value",
                    "field": "spec.template.spec.containers[0].image",
                },
            ],
        ),
        422,
    )
    with pytest.raises(ValidationError) as raised:
        orch.scale("web", 3)
    assert raised.value.fields == ("spec.replicas", "spec.template.spec.containers[0].image")


def test_429_is_backend_unavailable_with_the_servers_retry_after(
    script: Script, orch: Orchestrator
) -> None:
    script.response = Response.json(
        status(429, "TooManyRequests", "too many requests"), 429, **{"Retry-After": "3"}
    )
    with pytest.raises(BackendUnavailable) as raised:
        orch.status("web")
    assert raised.value.retry_after == 3.0


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_server_errors_are_backend_unavailable(
    script: Script, orch: Orchestrator, code: int
) -> None:
    script.response = Response.json(status(code, "InternalError", "etcd is sad"), code)
    with pytest.raises(BackendUnavailable, match="etcd is sad"):
        orch.status("web")


def test_an_html_error_page_is_backend_unavailable(script: Script, orch: Orchestrator) -> None:
    script.response = Response(
        502, b"<html><body>Bad Gateway</body></html>", {"Content-Type": "text/html"}
    )
    with pytest.raises(BackendUnavailable):
        orch.status("web")


def test_truncated_json_from_the_server_is_backend_unavailable(
    script: Script, orch: Orchestrator
) -> None:
    script.response = Response(
        200, b'{"metadata": {"name": "we', {"Content-Type": "application/json"}
    )
    with pytest.raises(BackendUnavailable, match="malformed"):
        orch.status("web")


def test_a_dropped_connection_is_backend_unavailable(
    server: LoopbackServer, orch: Orchestrator
) -> None:
    server.faults.add(Fault(drop="before"))
    with pytest.raises(BackendUnavailable):
        orch.status("web")


def test_a_slow_server_times_out_as_backend_unavailable(
    server: LoopbackServer, orch: Orchestrator
) -> None:
    server.faults.add(Fault(delay=3.0))
    with pytest.raises(BackendUnavailable):
        orch.status("web")


def test_401_is_refused_without_showing_the_token(
    script: Script, orch: Orchestrator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    script.response = Response.json(status(401, "Unauthorized", "Unauthorized"), 401)
    with pytest.raises(OrchestratorError) as raised:
        orch.apply(web())
    assert not isinstance(raised.value, BackendUnavailable)
    assert TOKEN not in str(raised.value)
    assert TOKEN not in caplog.text


@pytest.mark.parametrize(
    ("code", "reason", "message"),
    [
        (401, "Unauthorized", "Unauthorized"),
        (
            403,
            "Forbidden",
            'deployments.apps "web" is forbidden: User "ci" cannot get resource "deployments"',
        ),
    ],
)
@pytest.mark.parametrize(
    "call",
    [
        lambda orch: orch.status("web"),
        lambda orch: orch.apply(web()),
        lambda orch: orch.list(Deployment),
        lambda orch: orch.delete(Deployment, "web"),
    ],
    ids=["read", "apply", "list", "delete"],
)
def test_401_and_403_are_permission_denied_and_never_retried(
    server: LoopbackServer,
    script: Script,
    code: int,
    reason: str,
    message: str,
    call: Callable[[Orchestrator], Any],
) -> None:
    script.response = Response.json(status(code, reason, message), code)
    host = server.url.removeprefix("http://")
    backend = KubernetesBackend.from_url(f"kubernetes://{host}?scheme=http", token=TOKEN)
    retry = RetryPolicy(attempts=3, initial_delay=0.01, max_delay=0.01)
    with (
        Orchestrator(backend, namespace="shop", retry=retry) as orch,
        pytest.raises(PermissionDenied) as raised,
    ):
        call(orch)

    assert raised.value.status == code
    assert message in str(raised.value)
    assert TOKEN not in str(raised.value)
    assert len(server.requests) == 1


def test_the_token_is_sent_as_a_bearer_header(
    server: LoopbackServer, script: Script, orch: Orchestrator
) -> None:
    seen: list[str] = []

    def record(request: Request) -> Response:
        seen.append(request.headers.get("authorization", ""))
        return Response.json(status(404, "NotFound", "not found"), 404)

    server.app = record
    with pytest.raises(NotFound):
        orch.status("web")
    assert seen == [f"Bearer {TOKEN}"]


def test_a_malformed_status_body_still_gives_a_typed_error(
    script: Script, orch: Orchestrator
) -> None:
    script.response = Response(
        409, json.dumps(["not", "a", "status"]).encode(), {"Content-Type": "application/json"}
    )
    with pytest.raises(Conflict):
        orch.scale("web", 2)
