"""Unit tests of the Marathon backend's reliability parts, with scripted answers: writes
whose answer is lost are read back, failures say whether they acted, locks are waited
out in turn, and TLS settings win over the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import attrs
import pytest
import requests
import responses
from marathon_helpers import as_stored
from orchsdk_marathon import MarathonBackend
from orchsdk_marathon.app_definition import render_app
from orchsdk_marathon.errors import error_for
from urllib3.exceptions import NewConnectionError

from orchsdk import (
    Action,
    BackendUnavailable,
    Deployment,
    Orchestrator,
    Port,
    RetryPolicy,
    Secret,
)

M1 = "http://m1:8080"
STORE = f"{M1}/secrets/v1/secret/default"
V1, V2, V3 = (f"2024-01-0{day}T00:00:00.000Z" for day in (1, 2, 3))
ONCE = RetryPolicy(attempts=1)
LOST = requests.exceptions.ConnectionError("Connection aborted.")
LOCKED = {"message": "App is locked by one or more deployments.", "deployments": [{"id": "d-1"}]}


def web(**changes: Any) -> Deployment:
    spec = Deployment(
        "web", namespace="shop", image="nginx:1.27", replicas=2, ports=[Port(8080, name="http")]
    )
    return attrs.evolve(spec, **changes)


def stored(spec: Deployment, **changes: Any) -> dict[str, Any]:
    return {**as_stored(render_app(spec)), **changes}


@pytest.fixture
def wire() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add("GET", f"{M1}/v2/queue", json={"queue": []})  # nothing waits to launch
        yield mock


def sent(wire: responses.RequestsMock) -> list[str]:
    return [f"{call.request.method} {urlsplit(call.request.url).path}" for call in wire.calls]


@pytest.fixture
def store(wire: responses.RequestsMock) -> Iterator[Orchestrator]:
    wire.add("GET", f"{M1}/v2/info", json={"marathon_config": {"features": ["secrets"]}})
    url = f"marathon+http://m1:8080?secret_store={M1}/secrets/v1&namespace=shop"
    with Orchestrator(MarathonBackend.from_url(url), retry=ONCE) as orch:
        yield orch


# -- the secret store's create-only PUT ----------------------------------------------------


def test_a_secret_put_whose_answer_is_lost_is_read_back_not_sent_again(
    wire: responses.RequestsMock, store: Orchestrator
) -> None:
    wire.add("GET", f"{STORE}/shop/db", status=404, json={})
    wire.add("PUT", f"{STORE}/shop/db/password", body=LOST)
    wire.add("GET", f"{STORE}/shop/db/password", json={"value": "pw"})

    [result] = store.apply(Secret("db", data={"password": "pw"}))

    assert result.action is Action.CREATED
    assert sent(wire).count("PUT /secrets/v1/secret/default/shop/db/password") == 1
    assert "PATCH /secrets/v1/secret/default/shop/db/password" not in sent(wire)


def test_a_secret_put_whose_answer_is_lost_and_that_did_not_land_is_reported(
    wire: responses.RequestsMock, store: Orchestrator
) -> None:
    wire.add("GET", f"{STORE}/shop/db", status=404, json={})
    wire.add("PUT", f"{STORE}/shop/db/password", body=LOST)
    wire.add("GET", f"{STORE}/shop/db/password", status=404, json={})

    with pytest.raises(BackendUnavailable) as raised:
        store.apply(Secret("db", data={"password": "pw"}))

    assert raised.value.acted is None
    assert raised.value.not_applied[0].name == "db"


def test_a_secret_put_that_never_left_is_not_read_back(
    wire: responses.RequestsMock, store: Orchestrator
) -> None:
    refused = requests.exceptions.ConnectionError(NewConnectionError(None, "refused"))  # type: ignore[arg-type]
    wire.add("GET", f"{STORE}/shop/db", status=404, json={})
    wire.add("PUT", f"{STORE}/shop/db/password", body=refused)

    with pytest.raises(BackendUnavailable) as raised:
        store.apply(Secret("db", data={"password": "pw"}))

    assert raised.value.acted is False
    assert "GET /secrets/v1/secret/default/shop/db/password" not in sent(wire)


def test_a_secret_delete_whose_answer_is_lost_is_read_back(
    wire: responses.RequestsMock, store: Orchestrator
) -> None:
    wire.add("GET", f"{STORE}/shop/db", json={"array": ["old", "pw"]})
    wire.add("GET", f"{STORE}/shop/db/pw", json={"value": "same"})
    wire.add("DELETE", f"{STORE}/shop/db/old", body=LOST)
    wire.add("GET", f"{STORE}/shop/db/old", status=404, json={})

    [result] = store.apply(Secret("db", data={"pw": "same"}))

    assert result.action is Action.UPDATED


# -- failures say whether they acted --------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "acted"), [(429, False), (503, False), (500, None), (502, None)]
)
def test_transient_answers_say_whether_marathon_may_have_acted(
    status: int, acted: bool | None
) -> None:
    error = error_for(status, {"Retry-After": "2"}, b'{"message": "busy"}', "PUT /v2/apps/x")

    assert isinstance(error, BackendUnavailable)
    assert error.acted is acted
    assert error.retry_after == 2.0


def test_a_rollback_whose_reads_fail_says_nothing_was_written(
    wire: responses.RequestsMock,
) -> None:
    wire.add("GET", f"{M1}/v2/apps/shop/web", json={"app": stored(web())})
    wire.add("GET", f"{M1}/v2/apps/shop/web/versions", status=503, json={"message": "no leader"})
    backend = MarathonBackend.from_url("marathon+http://m1:8080")
    with Orchestrator(backend, retry=ONCE) as orch, pytest.raises(BackendUnavailable) as raised:
        orch.rollback("web", "shop")

    assert raised.value.acted is False


def _stored_versions(wire: responses.RequestsMock, documents: dict[str, Any]) -> None:
    """Serves ``GET .../versions/{v}``: the app as Marathon stored it at each version."""
    for version, document in documents.items():
        wire.add("GET", f"{M1}/v2/apps/shop/web/versions/{quote(version, safe='')}", json=document)


def test_a_rollback_whose_answer_is_lost_is_read_back(wire: responses.RequestsMock) -> None:
    current = stored(web(image="nginx:1.28"), versionInfo={"lastConfigChangeAt": V2})
    rolled = stored(web(), versionInfo={"lastConfigChangeAt": V3})
    wire.add("GET", f"{M1}/v2/apps/shop/web", json={"app": current})
    wire.add("GET", f"{M1}/v2/apps/shop/web/versions", json={"versions": [V2, V1]})
    _stored_versions(wire, {V1: stored(web(), versionInfo={"lastConfigChangeAt": V1}), V2: current})
    wire.add("PUT", f"{M1}/v2/apps/shop/web", body=LOST)
    wire.add("GET", f"{M1}/v2/apps/shop/web", json={"app": rolled})
    with Orchestrator(MarathonBackend.from_url("marathon+http://m1:8080"), retry=ONCE) as orch:
        orch.backend.rollback("web", "shop", None)

    assert sent(wire).count("PUT /v2/apps/shop/web") == 1


def test_a_rollback_whose_answer_is_lost_and_that_did_not_land_is_reported(
    wire: responses.RequestsMock,
) -> None:
    current = stored(web(image="nginx:1.28"), versionInfo={"lastConfigChangeAt": V2})
    wire.add("GET", f"{M1}/v2/apps/shop/web", json={"app": current})
    wire.add("GET", f"{M1}/v2/apps/shop/web/versions", json={"versions": [V2, V1]})
    _stored_versions(wire, {V1: stored(web(), versionInfo={"lastConfigChangeAt": V1}), V2: current})
    wire.add("PUT", f"{M1}/v2/apps/shop/web", body=LOST)
    backend = MarathonBackend.from_url("marathon+http://m1:8080")
    with Orchestrator(backend, retry=ONCE) as orch, pytest.raises(BackendUnavailable) as raised:
        orch.rollback("web", "shop")

    assert raised.value.acted is None
    assert sent(wire).count("PUT /v2/apps/shop/web") == 1


# -- locks ---------------------------------------------------------------------------------------


def test_a_lock_taken_again_by_another_writer_is_waited_out_in_turn(
    wire: responses.RequestsMock,
) -> None:
    wire.add("GET", f"{M1}/v2/apps/shop/web", json={"app": stored(web())})
    wire.add("GET", f"{M1}/v2/apps", json={"apps": []})
    wire.add("PUT", f"{M1}/v2/apps/shop/web", status=409, json=LOCKED)
    wire.add("GET", f"{M1}/v2/deployments", json=[])
    wire.add("PUT", f"{M1}/v2/apps/shop/web", status=409, json=LOCKED)
    wire.add("GET", f"{M1}/v2/deployments", json=[])
    wire.add("PUT", f"{M1}/v2/apps/shop/web", json={"deploymentId": "d-3", "version": V3})
    backend = MarathonBackend.from_url("marathon+http://m1:8080", lock_timeout=5)
    with Orchestrator(backend, retry=ONCE) as orch:
        [result] = orch.apply(web(image="nginx:1.28"))

    assert result.action is Action.UPDATED
    assert sent(wire).count("PUT /v2/apps/shop/web") == 3


def test_a_create_is_reported_created_only_by_the_write_that_created(
    wire: responses.RequestsMock,
) -> None:
    """Two clients apply a new app at once: both read "missing"; only the 201 is a create."""
    wire.add("GET", f"{M1}/v2/apps/shop/web", status=404, json={"message": "no app"})
    wire.add("GET", f"{M1}/v2/apps", json={"apps": []})
    wire.add("PUT", f"{M1}/v2/apps/shop/web", json={"deploymentId": "d-2", "version": V2})
    with Orchestrator(MarathonBackend.from_url("marathon+http://m1:8080"), retry=ONCE) as orch:
        [result] = orch.apply(web())

    assert result.action is Action.UPDATED


# -- TLS -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("verify", [False, "my-ca.pem", True])
def test_tls_verification_is_passed_with_each_request(
    wire: responses.RequestsMock,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    verify: bool | str,
) -> None:
    """``requests`` lets ``$REQUESTS_CA_BUNDLE`` override a session's ``verify``; a value
    passed with the request wins, so an opt-out or a CA path is never silently lost."""
    if isinstance(verify, str):
        (tmp_path / verify).write_text("a CA bundle\n")
        verify = str(tmp_path / verify)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/somewhere/else.pem")
    wire.add("GET", f"{M1}/v2/apps", json={"apps": []})
    backend = MarathonBackend.from_url("marathon+http://m1:8080", verify=verify)
    with Orchestrator(backend, retry=ONCE) as orch:
        orch.list(Deployment, "shop")

    expected = "/somewhere/else.pem" if verify is True else verify
    assert wire.calls[0].request.req_kwargs["verify"] == expected
