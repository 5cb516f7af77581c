"""The backend on the wire, with Marathon's exact bodies scripted by ``responses``.

Each test scripts what Marathon (and the DC/OS secret store) answer, runs one
orchestrator call, and checks both the outcome and the requests that were sent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import attrs
import pytest
import requests
import responses
from marathon_helpers import as_stored
from orchsdk_marathon import MarathonBackend
from orchsdk_marathon.app_definition import render_app
from orchsdk_marathon.services import record

from orchsdk import (
    REDACTED,
    Action,
    BackendUnavailable,
    Conflict,
    Deployment,
    NotFound,
    Orchestrator,
    OrchestratorError,
    PermissionDenied,
    Phase,
    Port,
    Resources,
    RetryPolicy,
    Secret,
    SecretRef,
    Service,
    UnexpectedResponse,
    UnsupportedFeature,
    ValidationError,
)

M1 = "http://m1:8080"
M2 = "http://m2:8080"
STORE = f"{M1}/secrets/v1/secret/default"
TOKEN = "tok-SECRET-0123456789"
LOCKED = {
    "message": "App is locked by one or more deployments. Override with the option "
    "'?force=true'. View details at '/v2/deployments/d-1'.",
    "deployments": [{"id": "d-1"}],
}
V1, V2, V3, V4 = (f"2024-01-0{day}T00:00:00.000Z" for day in (1, 2, 3, 4))
ONCE = RetryPolicy(attempts=1)


def info(*features: str) -> dict[str, Any]:
    return {
        "name": "marathon",
        "version": "1.10.26",
        "marathon_config": {"features": list(features)},
    }


def web(**changes: Any) -> Deployment:
    spec = Deployment(
        "web",
        namespace="shop",
        image="nginx:1.27",
        replicas=2,
        ports=[Port(8080, name="http")],
        resources=Resources(cpu="100m", memory="64Mi"),
        labels={"app": "web"},
    )
    return attrs.evolve(spec, **changes)


def stored(spec: Deployment, **changes: Any) -> dict[str, Any]:
    """The app Marathon would return for ``spec`` (AppInfo, no embeds)."""
    return {**as_stored(render_app(spec)), **changes}


@pytest.fixture
def wire() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add("GET", f"{M1}/v2/queue", json={"queue": []})  # nothing waits to launch
        yield mock


def connect(url: str = "marathon+http://m1:8080?namespace=shop", **options: Any) -> Orchestrator:
    backend = MarathonBackend.from_url(url, **options)
    return Orchestrator(backend, retry=ONCE)


@pytest.fixture
def orch() -> Iterator[Orchestrator]:
    with connect() as orchestrator:
        yield orchestrator


def sent(wire: responses.RequestsMock) -> list[str]:
    """The requests made, as ``METHOD /path``."""
    return [f"{call.request.method} {urlsplit(call.request.url).path}" for call in wire.calls]


def query(call: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def body(call: Any) -> Any:
    return json.loads(call.request.body)


def no_app(wire: responses.RequestsMock, name: str = "web") -> None:
    wire.add(
        "GET",
        f"{M1}/v2/apps/shop/{name}",
        status=404,
        json={"message": f"App '/shop/{name}' does not exist"},
    )


def apps(wire: responses.RequestsMock, *found: dict[str, Any]) -> None:
    wire.add("GET", f"{M1}/v2/apps", json={"apps": list(found)})


# -- writes: create, replace, unchanged ----------------------------------------------


def test_apply_of_a_new_deployment_is_one_replacing_put(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    no_app(wire)
    apps(wire)
    wire.add(
        "PUT", f"{M1}/v2/apps/shop/web", status=201, json={"deploymentId": "d-1", "version": V1}
    )
    [result] = orch.apply(web())
    assert result.action is Action.CREATED
    assert sent(wire) == ["GET /v2/apps/shop/web", "GET /v2/apps", "PUT /v2/apps/shop/web"]
    put = wire.calls[2]
    assert query(put) == {"partialUpdate": ["false"]}
    assert body(put) == render_app(web())
    assert query(wire.calls[1]) == {"id": ["/shop/"], "label": ["orchsdk.services"]}


def test_apply_of_an_unchanged_deployment_sends_no_write(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    wire.add("GET", f"{M1}/v2/apps/shop/web", json={"app": stored(web())})
    [result] = orch.apply(web())
    assert result.action is Action.UNCHANGED
    assert sent(wire) == ["GET /v2/apps/shop/web"]


def test_apply_with_changed_labels_reads_the_namespace_services(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    """New labels may start or stop a service selecting the app: the carriers are read."""
    wire.add("GET", f"{M1}/v2/apps/shop/web", json={"app": stored(web())})
    apps(wire)
    wire.add("PUT", f"{M1}/v2/apps/shop/web", json={"deploymentId": "d-2", "version": V2})
    [result] = orch.apply(web(labels={"app": "web", "track": "canary"}))
    assert result.action is Action.UPDATED
    assert sent(wire) == ["GET /v2/apps/shop/web", "GET /v2/apps", "PUT /v2/apps/shop/web"]


def test_apply_of_a_changed_deployment_replaces_the_app(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    wire.add("GET", f"{M1}/v2/apps/shop/web", json={"app": stored(web())})
    wire.add("PUT", f"{M1}/v2/apps/shop/web", json={"deploymentId": "d-2", "version": V2})
    [result] = orch.apply(web(image="nginx:1.28"))
    assert result.action is Action.UPDATED
    assert sent(wire) == ["GET /v2/apps/shop/web", "PUT /v2/apps/shop/web"]
    assert body(wire.calls[-1])["container"]["docker"]["image"] == "nginx:1.28"


# -- error mapping ---------------------------------------------------------------------


INVALID = {
    "message": "Object is not valid",
    "details": [
        {"path": "/upgradeStrategy/minimumHealthCapacity", "errors": ["is greater than 1"]}
    ],
}
LATER = {"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}


@pytest.mark.parametrize(
    ("status", "answer", "headers", "expected"),
    [
        (409, {"message": "An app with id [/shop/web] already exists."}, {}, Conflict),
        (404, {"message": "App '/shop/web' does not exist"}, {}, NotFound),
        (422, INVALID, {}, ValidationError),
        (400, {"message": "Invalid JSON", "details": "end-of-input"}, {}, ValidationError),
        (401, {"message": "Unauthorized"}, {}, PermissionDenied),
        (403, {"message": "Forbidden"}, {}, PermissionDenied),
        (418, {"message": "I'm a teapot"}, {}, OrchestratorError),
        (500, {"message": "NormalizationException"}, {}, BackendUnavailable),
        (503, {"message": "leader unknown"}, {"Retry-After": "7"}, BackendUnavailable),
        (429, {"message": "slow down"}, LATER, BackendUnavailable),
    ],
)
def test_marathons_answers_map_to_the_error_tree(
    wire: responses.RequestsMock,
    orch: Orchestrator,
    status: int,
    answer: dict[str, Any],
    headers: dict[str, str],
    expected: type[Exception],
) -> None:
    no_app(wire)
    apps(wire)
    wire.add("PUT", f"{M1}/v2/apps/shop/web", status=status, json=answer, headers=headers)
    with pytest.raises(expected) as raised:
        orch.apply(web())
    error = raised.value
    assert type(error) is expected or (expected is Conflict and isinstance(error, Conflict))
    assert str(status) in str(error) or isinstance(error, ValidationError)
    if status == 409:
        assert getattr(error, "reason", None) == "exists"
    if status == 422:
        assert isinstance(error, ValidationError)
        assert error.fields == ("/upgradeStrategy/minimumHealthCapacity",)
        assert error.errors[0].message == "is greater than 1"
    if status == 503:
        assert isinstance(error, BackendUnavailable)
        assert error.retry_after == 7.0
    if status == 429:
        assert isinstance(error, BackendUnavailable)
        assert error.retry_after is not None
        assert error.retry_after > 0


def test_a_json_type_error_422_names_marathons_path(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    no_app(wire)
    apps(wire)
    answer = {
        "message": "Invalid JSON",
        "details": [{"path": "/id", "errors": ["error.expected.jsstring"]}],
    }
    wire.add("PUT", f"{M1}/v2/apps/shop/web", status=422, json=answer)
    with pytest.raises(ValidationError) as raised:
        orch.apply(web())
    assert raised.value.fields == ("/id",)


WRONG_TYPE = b'{"app": {"id": "/shop/web", "instances": "2", "container": {"docker": {}}}}'


@pytest.mark.parametrize(
    ("content", "content_type", "expected"),
    [
        (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html", UnexpectedResponse),
        (b'{"app": {"id": "/shop/web", "instan', "application/json", BackendUnavailable),
        (b'{"app": []}', "application/json", UnexpectedResponse),
        (WRONG_TYPE, "application/json", UnexpectedResponse),
        (b"[]", "application/json", UnexpectedResponse),
    ],
)
def test_malformed_bodies_give_a_typed_error_never_a_key_error(
    wire: responses.RequestsMock,
    orch: Orchestrator,
    content: bytes,
    content_type: str,
    expected: type[Exception],
) -> None:
    wire.add("GET", f"{M1}/v2/apps/shop/web", body=content, content_type=content_type)
    with pytest.raises(expected):
        orch.get(Deployment, "web")


def test_an_html_error_page_is_quoted_in_the_error(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    page = "<html><body><h2>HTTP ERROR: 502</h2><p>Bad gateway</p></body></html>"
    wire.add("GET", f"{M1}/v2/apps/shop/web", status=502, body=page, content_type="text/html")
    with pytest.raises(BackendUnavailable, match="HTTP ERROR: 502"):
        orch.get(Deployment, "web")


def test_connection_errors_are_unavailable_and_the_core_retries_them(
    wire: responses.RequestsMock,
) -> None:
    wire.add("GET", f"{M1}/v2/apps/shop/web", body=requests.ConnectionError("connection refused"))
    wire.add("GET", f"{M1}/v2/apps/shop/web", json={"app": stored(web())})
    backend = MarathonBackend.from_url("marathon+http://m1:8080?namespace=shop")
    with Orchestrator(backend, retry=RetryPolicy(attempts=3, initial_delay=0, jitter=0)) as orch:
        assert orch.get(Deployment, "web") == web()
    assert len(wire.calls) == 2


def test_a_timeout_is_unavailable(wire: responses.RequestsMock, orch: Orchestrator) -> None:
    wire.add(
        "GET", f"{M1}/v2/apps/shop/web", body=requests.exceptions.ReadTimeout("read timed out")
    )
    with pytest.raises(BackendUnavailable, match="no answer in time"):
        orch.get(Deployment, "web")


def test_a_tls_failure_is_not_retried_and_says_how_to_fix_it(wire: responses.RequestsMock) -> None:
    wire.add(
        "GET",
        "https://m1:8443/v2/apps/shop/web",
        body=requests.exceptions.SSLError("cert verify failed"),
    )
    orch = connect("marathon+https://m1:8443?namespace=shop")
    with orch, pytest.raises(OrchestratorError, match="verify=") as raised:
        orch.get(Deployment, "web")
    assert not isinstance(raised.value, BackendUnavailable)


# -- credentials -----------------------------------------------------------------------


def test_the_token_is_sent_and_never_shown(
    wire: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    echo = {"message": f'token="token={TOKEN}" is not valid'}
    wire.add("GET", f"{M1}/v2/apps/shop/web", status=401, json=echo)
    caplog.set_level(logging.DEBUG)
    with connect(token=TOKEN) as orch:
        with pytest.raises(OrchestratorError) as raised:
            orch.get(Deployment, "web")
        assert wire.calls[0].request.headers["Authorization"] == f"token={TOKEN}"
        shown = [str(raised.value), repr(raised.value), repr(orch), repr(orch.backend)]
        shown.append(repr(orch.backend.settings))  # type: ignore[attr-defined]
    shown += [record.getMessage() for record in caplog.records]
    assert not [text for text in shown if TOKEN in text]
    assert "***" in str(raised.value)
    assert not isinstance(raised.value, BackendUnavailable)


def test_the_token_comes_from_dcos_acs_token(
    wire: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DCOS_ACS_TOKEN", TOKEN)
    wire.add("GET", f"{M1}/v2/apps/shop/web", json={"app": stored(web())})
    with connect() as orch:
        orch.get(Deployment, "web")
    assert wire.calls[0].request.headers["Authorization"] == f"token={TOKEN}"


def test_basic_auth_from_the_url_is_sent_and_never_shown(wire: responses.RequestsMock) -> None:
    wire.add("GET", f"{M1}/v2/apps/shop/web", status=403, json={"message": "no"})
    with connect("marathon+http://ops:pa55word@m1:8080?namespace=shop") as orch:
        with pytest.raises(OrchestratorError) as raised:
            orch.get(Deployment, "web")
        assert wire.calls[0].request.headers["Authorization"].startswith("Basic ")
        assert "pa55word" not in repr(orch.backend) + repr(orch.backend.settings) + str(
            raised.value
        )  # type: ignore[attr-defined]


def test_tls_verification_is_on_by_default_and_can_be_turned_off(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("a CA bundle\n")
    on = MarathonBackend.from_url("marathon+https://m1:8443")
    off = MarathonBackend.from_url("marathon+https://m1:8443?verify=false")
    bundle = MarathonBackend.from_url("marathon+https://m1:8443", verify=str(ca))
    assert (on.settings.verify, off.settings.verify, bundle.settings.verify) == (
        True,
        False,
        str(ca),
    )
    assert on._box.get().verify is True
    assert off._box.get().verify is False
    for backend in (on, off, bundle):
        backend.close()


# -- deployment locks ------------------------------------------------------------------


def locked_app(wire: responses.RequestsMock) -> None:
    wire.add("GET", f"{M1}/v2/apps/shop/web", json={"app": stored(web())})
    wire.add("PUT", f"{M1}/v2/apps/shop/web", status=409, json=LOCKED)


def test_a_locked_app_waits_for_its_deployments_then_writes_once_more(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    locked_app(wire)
    wire.add("PUT", f"{M1}/v2/apps/shop/web", json={"deploymentId": "d-2", "version": V2})
    running = {"id": "d-1", "affectedApps": ["/shop/web"], "currentStep": 1, "totalSteps": 1}
    wire.add("GET", f"{M1}/v2/deployments", json=[running])
    wire.add("GET", f"{M1}/v2/deployments", json=[])
    [result] = orch.apply(web(image="nginx:1.28"))
    assert result.action is Action.UPDATED
    assert sent(wire) == [  # no event stream here (refused): the wait polls
        "GET /v2/apps/shop/web",
        "PUT /v2/apps/shop/web",
        "GET /v2/apps/shop/web",  # can the deployment that locks it finish? (yes)
        "GET /v2/queue",
        "GET /v2/events",
        "GET /v2/deployments",
        "GET /v2/deployments",
        "PUT /v2/apps/shop/web",
    ]
    assert "force" not in query(wire.calls[-1])


def test_a_lock_that_outlasts_lock_timeout_is_a_conflict(wire: responses.RequestsMock) -> None:
    locked_app(wire)
    wire.add("GET", f"{M1}/v2/deployments", json=[{"id": "d-1", "affectedApps": ["/shop/web"]}])
    orch = connect(lock_timeout=0.2)
    with orch, pytest.raises(Conflict, match="force=True") as raised:
        orch.apply(web(image="nginx:1.28"))
    assert raised.value.reason == "locked"
    assert sent(wire).count("PUT /v2/apps/shop/web") == 1


def test_a_lock_body_without_ids_waits_for_the_apps_deployments(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    wire.add("GET", f"{M1}/v2/apps/shop/web", json={"app": stored(web())})
    apps(wire)
    wire.add("PUT", f"{M1}/v2/apps/shop/web", status=409, json={**LOCKED, "deployments": []})
    wire.add("PUT", f"{M1}/v2/apps/shop/web", json={"deploymentId": "d-2", "version": V2})
    wire.add("GET", f"{M1}/v2/deployments", json=[{"id": "d-9", "affectedApps": ["/shop/web"]}])
    wire.add("GET", f"{M1}/v2/deployments", json=[{"id": "d-8", "affectedApps": ["/shop/other"]}])
    assert orch.apply(web(image="nginx:1.28"))[0].action is Action.UPDATED
    assert sent(wire).count("GET /v2/deployments") == 2


def test_force_overrides_the_lock_only_when_asked(wire: responses.RequestsMock) -> None:
    wire.add("GET", f"{M1}/v2/apps/shop/web", json={"app": stored(web())})
    apps(wire)
    wire.add("PUT", f"{M1}/v2/apps/shop/web", json={"deploymentId": "d-2", "version": V2})
    with connect(force=True) as orch:
        orch.apply(web(image="nginx:1.28"))
    assert query(wire.calls[-1]) == {"partialUpdate": ["false"], "force": ["true"]}


# -- secrets ---------------------------------------------------------------------------


def test_secrets_are_refused_before_any_request_without_a_secret_store(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    assert not orch.capabilities.secrets
    assert "secret_store" in orch.capabilities.reason("secrets")
    with pytest.raises(UnsupportedFeature) as raised:
        orch.apply(Secret("db", data={"password": "pw"}))
    assert raised.value.field == "Secret"
    with pytest.raises(UnsupportedFeature) as refused:
        orch.apply(web(env={"PASSWORD": SecretRef("db", "password")}))
    assert refused.value.field == "env.PASSWORD"
    assert len(wire.calls) == 0


def test_secrets_are_refused_when_marathon_lacks_the_secrets_feature(
    wire: responses.RequestsMock,
) -> None:
    wire.add("GET", f"{M1}/v2/info", json=info())
    with connect(f"marathon+http://m1:8080?secret_store={M1}/secrets/v1&namespace=shop") as orch:
        assert "enable_features secrets" in orch.capabilities.reason("secrets")
        with pytest.raises(UnsupportedFeature, match="inject nothing"):
            orch.apply(web(env={"PASSWORD": SecretRef("db", "password")}))
        with pytest.raises(NotFound, match="inject nothing"):
            orch.get(Secret, "db")
        assert orch.list(Secret) == []
    assert sent(wire) == ["GET /v2/info"]


@pytest.fixture
def with_store(wire: responses.RequestsMock) -> Iterator[Orchestrator]:
    wire.add("GET", f"{M1}/v2/info", json=info("secrets"))
    with connect(f"marathon+http://m1:8080?secret_store={M1}/secrets/v1&namespace=shop") as orch:
        yield orch


def test_a_new_secret_is_one_created_path_per_key(
    wire: responses.RequestsMock, with_store: Orchestrator
) -> None:
    wire.add("GET", f"{STORE}/shop/db", status=404, json={"code": "ER_SECRET_NOT_FOUND"})
    wire.add("PUT", f"{STORE}/shop/db/user", status=201)
    wire.add("PUT", f"{STORE}/shop/db/password", status=201)
    [result] = with_store.apply(Secret("db", data={"user": "app", "password": "s3cr3t"}))
    assert result.action is Action.CREATED
    puts = [call for call in wire.calls if call.request.method == "PUT"]
    assert [body(call) for call in puts] == [{"value": "app"}, {"value": "s3cr3t"}]
    assert query(wire.calls[1]) == {"list": ["true"]}


def test_an_unchanged_secret_sends_no_write(
    wire: responses.RequestsMock, with_store: Orchestrator
) -> None:
    wire.add("GET", f"{STORE}/shop/db", json={"array": ["password"]})
    wire.add("GET", f"{STORE}/shop/db/password", json={"value": "s3cr3t"})
    [result] = with_store.apply(Secret("db", data={"password": "s3cr3t"}))
    assert result.action is Action.UNCHANGED
    assert {call.request.method for call in wire.calls} == {"GET"}


def test_a_changed_secret_is_patched_and_removed_keys_deleted(
    wire: responses.RequestsMock, with_store: Orchestrator
) -> None:
    wire.add("GET", f"{STORE}/shop/db", json={"array": ["password", "old"]})
    wire.add("GET", f"{STORE}/shop/db/password", json={"value": "one"})
    wire.add("PUT", f"{STORE}/shop/db/password", status=409, json={"code": "ER_SECRET_EXISTS"})
    wire.add("PATCH", f"{STORE}/shop/db/password", status=204)
    wire.add("DELETE", f"{STORE}/shop/db/old", status=204)
    [result] = with_store.apply(Secret("db", data={"password": "two"}))
    assert result.action is Action.UPDATED
    writes = [line for line in sent(wire) if not line.startswith("GET")]
    assert writes == [
        "PUT /secrets/v1/secret/default/shop/db/password",
        "PATCH /secrets/v1/secret/default/shop/db/password",
        "DELETE /secrets/v1/secret/default/shop/db/old",
    ]


def test_secret_values_are_read_only_when_revealed(
    wire: responses.RequestsMock, with_store: Orchestrator
) -> None:
    wire.add("GET", f"{STORE}/shop/db", json={"array": ["password"]})
    wire.add("GET", f"{STORE}/shop/db/password", json={"value": "s3cr3t"})
    hidden = with_store.get(Secret, "db")
    assert dict(hidden.data) == {"password": REDACTED}
    assert f"{STORE}/shop/db/password" not in [call.request.url for call in wire.calls]
    assert with_store.get(Secret, "db", reveal=True).data["password"] == "s3cr3t"


def test_a_secret_value_never_appears_in_an_error(
    wire: responses.RequestsMock, with_store: Orchestrator
) -> None:
    wire.add("GET", f"{STORE}/shop/db", json={"array": []})
    wire.add("PUT", f"{STORE}/shop/db/password", status=500, body="internal error")
    with pytest.raises(BackendUnavailable) as raised:
        with_store.apply(Secret("db", data={"password": "s3cr3t-value"}))
    assert "s3cr3t-value" not in str(raised.value)


def test_secrets_are_listed_by_path(wire: responses.RequestsMock, with_store: Orchestrator) -> None:
    wire.add("GET", f"{STORE}/shop", json={"array": ["db/password", "db/user", "api/token"]})
    listed = with_store.list(Secret)
    assert [(secret.name, sorted(secret.data)) for secret in listed] == [
        ("api", ["token"]),
        ("db", ["password", "user"]),
    ]
    assert with_store.list(Secret, labels={"a": "b"}) == []


# -- services --------------------------------------------------------------------------


FRONT = Service(
    "front", namespace="shop", selector={"app": "web"}, ports=[Port(80, target_port="http")]
)


def test_a_canary_applied_later_joins_the_service(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    carrier = stored(
        web(),
        labels={
            **stored(web())["labels"],
            "orchsdk.service.front": record(FRONT),
            "orchsdk.services": "front",
        },
    )
    no_app(wire, "web-canary")
    apps(wire, carrier)
    wire.add(
        "PUT",
        f"{M1}/v2/apps/shop/web-canary",
        status=201,
        json={"deploymentId": "d-1", "version": V1},
    )
    canary = web(name="web-canary", labels={"app": "web", "track": "canary"}, image="nginx:1.28")
    orch.apply(canary)
    app = body(wire.calls[-1])
    assert app["container"]["portMappings"][0]["labels"] == {"VIP_0": "/shop/front:80"}
    assert app["labels"]["orchsdk.service.front"] == record(FRONT)
    assert app["labels"]["track"] == "canary"


def test_a_service_is_labels_on_every_app_it_selects(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    apps(wire, stored(web()))  # the apps the selector matches
    apps(wire)  # the apps that carry the service: none yet
    wire.add("PUT", f"{M1}/v2/apps/shop/web", json={"deploymentId": "d-1", "version": V2})
    wire.add("GET", f"{M1}/v2/deployments", json=[{"id": "d-1", "affectedApps": ["/shop/web"]}])
    wire.add("GET", f"{M1}/v2/deployments", json=[])
    [result] = orch.apply(FRONT)
    assert result.action is Action.CREATED
    assert sent(wire) == [  # the label change restarts the app: apply waits for it
        "GET /v2/apps",
        "GET /v2/apps",
        "PUT /v2/apps/shop/web",
        "GET /v2/events",
        "GET /v2/deployments",
        "GET /v2/deployments",
    ]
    assert [query(call)["label"] for call in wire.calls[:2]] == [
        ["app==web"],
        ["orchsdk.service.front"],
    ]
    put = wire.calls[2]
    assert query(put) == {"partialUpdate": ["true"]}
    update = body(put)
    assert set(update) == {"labels", "container"}
    assert update["container"]["portMappings"][0]["labels"] == {"VIP_0": "/shop/front:80"}
    assert update["container"]["portMappings"][0]["servicePort"] == 10000  # kept as assigned


def test_a_service_that_selects_no_app_is_refused(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    apps(wire)
    with pytest.raises(UnsupportedFeature, match="standalone_services") as raised:
        orch.apply(FRONT)
    assert raised.value.field == "selector"
    assert [line.split()[0] for line in sent(wire)] == ["GET", "GET"]


def test_deleting_a_service_takes_its_labels_off(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    carrier = as_stored(render_app(web(), services=[FRONT]))
    apps(wire, carrier)
    wire.add("PUT", f"{M1}/v2/apps/shop/web", json={"deploymentId": "d-1", "version": V2})
    wire.add("GET", f"{M1}/v2/deployments", json=[])
    orch.delete(Service, "front")
    update = body(wire.calls[1])
    assert "orchsdk.service.front" not in update["labels"]
    assert update["container"]["portMappings"][0]["labels"] == {}


def test_a_relabel_that_would_orphan_a_service_is_refused(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    carrier = as_stored(render_app(web(), services=[FRONT]))
    wire.add("GET", f"{M1}/v2/apps/shop/web", json={"app": carrier})
    apps(wire, carrier)
    with pytest.raises(Conflict, match="standalone_services"):
        orch.apply(web(labels={"app": "renamed"}))
    assert not [line for line in sent(wire) if line.startswith("PUT")]


def test_service_get_and_endpoints_read_the_labels(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    carrier = as_stored(render_app(web(), services=[FRONT]))
    tasks = [task(n, V1) for n in (1, 2)]
    apps(wire, {**carrier, "tasks": tasks})
    assert orch.get(Service, "front") == FRONT
    endpoints = orch.endpoints("front")
    assert [endpoint.address for endpoint in endpoints] == ["agent-1:31001", "agent-2:31002"]
    assert [endpoint.instance for endpoint in endpoints] == ["t1", "t2"]
    assert all(endpoint.ready and endpoint.port_name is None for endpoint in endpoints)


# -- status, scale, rollback -----------------------------------------------------------


def app_with(
    spec: Deployment,
    *,
    version: str,
    config: str,
    tasks: list[dict[str, Any]],
    deployments: tuple[str, ...] = (),
) -> dict[str, Any]:
    app = stored(spec)
    app.update(
        version=version, versionInfo={"lastScalingAt": version, "lastConfigChangeAt": config}
    )
    app["tasks"] = tasks
    app["deployments"] = [{"id": d} for d in deployments]
    return app


def task(n: int, version: str, state: str = "TASK_RUNNING") -> dict[str, Any]:
    return {
        "id": f"t{n}",
        "host": f"agent-{n}",
        "ports": [31000 + n],
        "state": state,
        "version": version,
    }


def versions(
    wire: responses.RequestsMock, *listed: str, scales: dict[str, str] | None = None
) -> None:
    """Serves the app's versions list and each version's app: every version a change of
    the image, but those ``scales`` maps to the config version they scaled."""
    wire.add("GET", f"{M1}/v2/apps/shop/web/versions", json={"versions": list(listed)})
    for version in listed:
        config = (scales or {}).get(version, version)
        document = app_with(web(image=f"nginx:{config}"), version=version, config=config, tasks=[])
        for key in ("tasks", "deployments"):
            del document[key]
        path = f"{M1}/v2/apps/shop/web/versions/{quote(version, safe='')}"
        wire.add("GET", path, json=document)


def test_status_counts_tasks_of_the_current_config(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    tasks = [task(1, V3), task(2, V2), task(3, V3, "TASK_STAGING"), task(4, V2, "TASK_KILLING")]
    wire.add(
        "GET",
        f"{M1}/v2/apps/shop/web",
        json={"app": app_with(web(), version=V3, config=V3, tasks=tasks, deployments=("d-3",))},
    )
    versions(wire, V3, V2, V1)
    wire.add("GET", f"{M1}/v2/deployments", json=[{"id": "d-3", "currentStep": 1, "totalSteps": 1}])
    status = orch.status("web")
    assert (status.desired, status.updated, status.ready, status.available) == (2, 2, 1, 1)
    assert (status.revision, status.phase) == (3, Phase.PROGRESSING)
    assert "d-3" in status.message
    assert "step 1 of 1" in status.message


def test_status_is_complete_when_no_deployment_is_left_and_counts_match(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    wire.add(
        "GET",
        f"{M1}/v2/apps/shop/web",
        json={"app": app_with(web(), version=V4, config=V2, tasks=[task(1, V2), task(2, V4)])},
    )
    versions(wire, V4, V3, V2, V1)  # V4 was a scale: the revision stays that of V2
    status = orch.status("web")
    assert (status.revision, status.phase, status.ready) == (2, Phase.COMPLETE, 2)


def test_status_is_failed_when_the_deployment_ended_without_converging(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    wire.add("GET", f"{M1}/v2/apps/shop/web", json={"app": stored(web())})
    apps(wire)
    wire.add("PUT", f"{M1}/v2/apps/shop/web", json={"deploymentId": "d-2", "version": V2})
    orch.apply(web(image="nginx:bad"))
    app = app_with(web(image="nginx:bad"), version=V2, config=V2, tasks=[task(1, V1), task(2, V1)])
    app["lastTaskFailure"] = {"version": V2, "state": "TASK_FAILED", "message": "image not found"}
    wire.replace("GET", f"{M1}/v2/apps/shop/web", json={"app": app})
    versions(wire, V2, V1)
    status = orch.status("web")
    assert status.phase is Phase.FAILED
    assert "image not found" in status.message


def test_another_process_sees_a_failed_rollout_from_last_task_failure(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    app = app_with(web(), version=V2, config=V2, tasks=[task(1, V1)])
    app["lastTaskFailure"] = {"version": V2, "state": "TASK_FAILED", "message": "exit 1"}
    wire.add("GET", f"{M1}/v2/apps/shop/web", json={"app": app})
    versions(wire, V2, V1)
    assert orch.status("web").phase is Phase.FAILED


def test_scale_is_a_partial_put_of_instances(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    wire.add(
        "GET",
        f"{M1}/v2/apps/shop/web",
        json={"app": app_with(web(), version=V1, config=V1, tasks=[])},
    )
    wire.add("PUT", f"{M1}/v2/apps/shop/web", json={"deploymentId": "d-2", "version": V2})
    versions(wire, V1)
    orch.scale("web", 5)
    put = next(call for call in wire.calls if call.request.method == "PUT")
    assert body(put) == {"instances": 5}
    assert query(put) == {"partialUpdate": ["true"]}


def test_scale_of_a_missing_deployment_is_not_found_and_writes_nothing(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    no_app(wire)
    with pytest.raises(NotFound):
        orch.scale("web", 5)
    assert sent(wire) == ["GET /v2/apps/shop/web"]


def test_rollback_puts_the_previous_config_version(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    wire.add(
        "GET",
        f"{M1}/v2/apps/shop/web",
        json={"app": app_with(web(), version=V4, config=V3, tasks=[])},
    )
    versions(wire, V4, V3, V2, V1, scales={V4: V3})
    wire.add("PUT", f"{M1}/v2/apps/shop/web", json={"deploymentId": "d-5", "version": V4})
    orch.rollback("web")
    put = next(call for call in wire.calls if call.request.method == "PUT")
    assert body(put) == {"version": V2}
    assert query(put) == {}


def test_rollback_to_a_revision_puts_that_version(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    wire.add(
        "GET",
        f"{M1}/v2/apps/shop/web",
        json={"app": app_with(web(), version=V3, config=V3, tasks=[])},
    )
    versions(wire, V3, V2, V1)
    wire.add("PUT", f"{M1}/v2/apps/shop/web", json={"deploymentId": "d-5", "version": V4})
    orch.rollback("web", to_revision=1)
    assert body(next(c for c in wire.calls if c.request.method == "PUT")) == {"version": V1}
    with pytest.raises(NotFound, match="no revision 9"):
        orch.rollback("web", to_revision=9)
    assert sent(wire).count("PUT /v2/apps/shop/web") == 1


def test_instances_are_the_tasks(wire: responses.RequestsMock, orch: Orchestrator) -> None:
    tasks = [task(1, V2), task(2, V1, "TASK_STAGING")]
    wire.add(
        "GET",
        f"{M1}/v2/apps/shop/web",
        json={"app": app_with(web(), version=V2, config=V2, tasks=tasks)},
    )
    versions(wire, V2, V1)
    first, second = orch.instances("web")
    assert (first.id, first.host, first.ports, first.state, first.ready, first.revision) == (
        "t1",
        "agent-1",
        (31001,),
        "running",
        True,
        2,
    )
    assert (second.state, second.ready, second.revision) == ("starting", False, 1)


def test_delete_of_a_missing_app_is_not_found(
    wire: responses.RequestsMock, orch: Orchestrator
) -> None:
    no_app(wire)
    with pytest.raises(NotFound):
        orch.delete(Deployment, "web")


# -- several servers -------------------------------------------------------------------


@pytest.fixture
def two() -> Iterator[MarathonBackend]:
    backend = MarathonBackend.from_url("marathon+http://m1:8080,m2:8080/?namespace=shop")
    yield backend
    backend.close()


def test_a_read_fails_over_to_the_next_server_which_then_stays_first(
    wire: responses.RequestsMock, two: MarathonBackend
) -> None:
    wire.add("GET", f"{M1}/v2/apps/shop/web", body=requests.ConnectionError("refused"))
    wire.add("GET", f"{M2}/v2/apps/shop/web", json={"app": stored(web())})
    assert two.get(Deployment, "web", "shop") == web()
    assert two.get(Deployment, "web", "shop") == web()
    assert [call.request.url.split("/v2")[0] for call in wire.calls] == [M1, M2, M2]


def test_an_idempotent_put_is_sent_to_the_next_server_after_a_timeout(
    wire: responses.RequestsMock, two: MarathonBackend
) -> None:
    wire.add("PUT", f"{M1}/v2/apps/shop/web", body=requests.exceptions.ReadTimeout("timed out"))
    wire.add("PUT", f"{M2}/v2/apps/shop/web", json={"deploymentId": "d-1", "version": V1})
    reply = two._marathon.request("PUT", "/v2/apps/shop/web", json={"instances": 1})
    assert reply.status == 200
    assert reply.resent


def test_a_post_is_never_sent_to_another_server(
    wire: responses.RequestsMock, two: MarathonBackend
) -> None:
    wire.add("POST", f"{M1}/v2/apps", body=requests.exceptions.ReadTimeout("timed out"))
    wire.add("POST", f"{M2}/v2/apps", status=201, json={})
    with pytest.raises(BackendUnavailable):
        two._marathon.request("POST", "/v2/apps", json={"id": "/shop/web"})
    assert [call.request.url for call in wire.calls] == [f"{M1}/v2/apps"]


def test_a_server_without_a_leader_is_skipped_for_reads(
    wire: responses.RequestsMock, two: MarathonBackend
) -> None:
    wire.add("GET", f"{M1}/v2/apps/shop/web", status=503, json={"message": "leader unknown"})
    wire.add("GET", f"{M2}/v2/apps/shop/web", json={"app": stored(web())})
    assert two.get(Deployment, "web", "shop") == web()


def test_when_every_server_fails_the_error_names_them_all(
    wire: responses.RequestsMock, two: MarathonBackend
) -> None:
    wire.add("GET", f"{M1}/v2/apps/shop/web", body=requests.ConnectionError("refused"))
    wire.add(
        "GET",
        f"{M2}/v2/apps/shop/web",
        status=503,
        json={"message": "no leader"},
        headers={"Retry-After": "2"},
    )
    with pytest.raises(BackendUnavailable) as raised:
        two.get(Deployment, "web", "shop")
    assert "m1:8080" in str(raised.value)
    assert "m2:8080" in str(raised.value)
    assert raised.value.retry_after == 2.0


def test_a_delete_whose_first_try_acted_is_not_a_not_found(
    wire: responses.RequestsMock, two: MarathonBackend
) -> None:
    wire.add("GET", f"{M1}/v2/apps/shop/web", json={"app": stored(web())})
    wire.add("DELETE", f"{M1}/v2/apps/shop/web", body=requests.exceptions.ReadTimeout("timed out"))
    wire.add(
        "DELETE",
        f"{M2}/v2/apps/shop/web",
        status=404,
        json={"message": "App '/shop/web' does not exist"},
    )
    two.delete(Deployment, "web", "shop")
    assert sent(wire)[-2:] == ["DELETE /v2/apps/shop/web", "DELETE /v2/apps/shop/web"]


def test_a_secret_read_that_is_not_json_does_not_quote_the_body(
    wire: responses.RequestsMock, with_store: Orchestrator
) -> None:
    wire.add("GET", f"{STORE}/shop/db", json={"array": ["password"]})
    wire.add("GET", f"{STORE}/shop/db/password", body="s3cr3t-value", content_type="text/plain")
    with pytest.raises(UnexpectedResponse) as raised:
        with_store.get(Secret, "db", reveal=True)
    assert "s3cr3t-value" not in str(raised.value)
