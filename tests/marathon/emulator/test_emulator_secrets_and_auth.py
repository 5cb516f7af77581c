"""The DC/OS secret store under /secrets/v1, and token authentication."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from orchsdk_marathon.testing import MarathonEmulator

SECRET = "/secrets/v1/secret/default"


class TestSecretStore:
    def test_create_read_update_delete(self, api):
        created = api.put(f"{SECRET}/shop/db/password", json={"value": "s3cr3t"})
        assert (created.status_code, created.content) == (201, b"")
        read = api.get(f"{SECRET}/shop/db/password")
        assert (read.status_code, read.json()) == (200, {"value": "s3cr3t"})
        assert api.put(f"{SECRET}/shop/db/password", json={"value": "x"}).status_code == 409
        patched = api.patch(f"{SECRET}/shop/db/password", json={"value": "n3w"})
        assert (patched.status_code, patched.content) == (204, b"")
        assert api.get(f"{SECRET}/shop/db/password").json() == {"value": "n3w"}
        deleted = api.delete(f"{SECRET}/shop/db/password")
        assert (deleted.status_code, deleted.content) == (204, b"")
        assert api.get(f"{SECRET}/shop/db/password").status_code == 404

    def test_missing_secrets_are_404_for_read_update_and_delete(self, api):
        assert api.get(f"{SECRET}/nope").status_code == 404
        assert api.patch(f"{SECRET}/nope", json={"value": "x"}).status_code == 404
        assert api.delete(f"{SECRET}/nope").status_code == 404

    def test_list_gives_the_paths_below(self, api):
        for path in ("shop/db/password", "shop/db/user", "shop/api/key", "ops/token"):
            api.put(f"{SECRET}/{path}", json={"value": path})
        everything = api.get(f"{SECRET}/", params={"list": "true"}).json()
        assert everything == {
            "array": ["ops/token", "shop/api/key", "shop/db/password", "shop/db/user"]
        }
        below = api.get(f"{SECRET}/shop/db", params={"list": "true"}).json()
        assert below == {"array": ["password", "user"]}

    def test_a_malformed_value_is_400(self, api):
        assert api.put(f"{SECRET}/a", json={"value": 1}).status_code == 400
        assert api.put(f"{SECRET}/a", data=b"not json").status_code == 400

    def test_only_with_secrets_on(self, make_api):
        with MarathonEmulator(secrets=False, auto=False) as emulator:
            api = make_api(emulator.marathon_url)
            assert api.put(f"{SECRET}/a", json={"value": "x"}).status_code == 404
            assert emulator.secret_store_url is None

    def test_the_url_carries_the_store_base(self, marathon):
        parts = urlsplit(marathon.url)
        assert parts.scheme == "marathon+http"
        assert f"http://{parts.netloc}" == marathon.marathon_url
        assert parse_qs(parts.query) == {"secret_store": [marathon.marathon_url + "/secrets/v1"]}
        assert marathon.secret_store_url == marathon.marathon_url + "/secrets/v1"


class TestToken:
    @pytest.fixture
    def guarded(self):
        with MarathonEmulator(auto=False, token="t0k3n") as emulator:
            yield emulator

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/v2/apps"),
            ("POST", "/v2/apps"),
            ("GET", "/v2/info"),
            ("GET", "/ping"),
            ("GET", "/v2/events"),
            ("GET", f"{SECRET}/a"),
            ("PUT", f"{SECRET}/a"),
        ],
    )
    def test_every_call_needs_the_token(self, guarded, make_api, method, path):
        anonymous = make_api(guarded.marathon_url)
        response = anonymous(method, path, json={"value": "x"})
        assert response.status_code == 401
        assert "message" in response.json()
        wrong = make_api(guarded.marathon_url, {"Authorization": "token=wrong"})
        assert wrong(method, path, json={"value": "x"}).status_code == 401

    def test_the_right_token_opens_everything(self, guarded, make_api, web):
        api = make_api(guarded.marathon_url, {"Authorization": "token=t0k3n"})
        assert api.post("/v2/apps", json=web()).status_code == 201
        assert api.put(f"{SECRET}/a", json={"value": "x"}).status_code == 201
        assert api.get(f"{SECRET}/a").json() == {"value": "x"}
        assert api.get("/ping").text == "pong"
        assert "token" not in guarded.url
