"""Fault injection through the loopback server, and the plugin's fixture."""

from __future__ import annotations

import time

import pytest
import requests

from orchsdk.testing.loopback import Fault


def test_an_injected_status_answers_instead_of_acting(marathon, api, web):
    marathon.server.faults.add(Fault(status=503, retry_after=2), method="POST", path="/v2/apps")
    response = api.post("/v2/apps", json=web())
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert "message" in response.json()
    assert api.get("/v2/apps").json()["apps"] == []
    assert api.post("/v2/apps", json=web()).status_code == 201  # only the next one failed


def test_drop_before_does_not_act_and_drop_after_does(marathon, api, web):
    marathon.server.faults.add(Fault(drop="before"), method="POST", path="/v2/apps")
    with pytest.raises(requests.ConnectionError):
        api.post("/v2/apps", json=web())
    assert api.get("/v2/apps").json()["apps"] == []
    marathon.server.faults.add(Fault(drop="after"), method="POST", path="/v2/apps")
    with pytest.raises(requests.ConnectionError):
        api.post("/v2/apps", json=web())
    assert [app["id"] for app in api.get("/v2/apps").json()["apps"]] == ["/shop/web"]
    retry = api.post("/v2/apps", json=web())  # a blind retry meets "already exists"
    assert retry.status_code == 409


def test_delay_slows_the_answer(marathon, api):
    marathon.server.faults.add(Fault(delay=0.3), path="/v2/info")
    started = time.monotonic()
    assert api.get("/v2/info").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_requests_are_recorded(marathon, api, web):
    api.post("/v2/apps", json=web())
    api.get("/v2/apps/shop/web")
    assert marathon.server.count("POST", "/v2/apps") == 1
    assert marathon.server.count(path="/v2/apps/shop/web") == 1


def test_the_plugin_fixture_serves_a_marathon_with_the_store(marathon_emulator, make_api, web):
    api = make_api(marathon_emulator.marathon_url)
    assert marathon_emulator.url.startswith("marathon+http://127.0.0.1:")
    assert "?secret_store=" in marathon_emulator.url
    assert api.get("/v2/info").json()["marathon_config"]["features"] == ["secrets"]
    assert api.post("/v2/apps", json=web()).status_code == 201
    deadline = time.monotonic() + 3
    while api.get("/v2/deployments").json() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert api.get("/v2/deployments").json() == []
