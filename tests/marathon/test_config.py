"""Connecting: URLs, options, credentials; and that importing the backend stays cheap."""

from __future__ import annotations

import subprocess
import sys

import pytest
from orchsdk_marathon import MarathonBackend, Settings
from orchsdk_marathon.config import parse_url

import orchsdk
from orchsdk import OrchestratorError, SettingsError


def test_several_hosts_share_the_scheme_and_path() -> None:
    settings = parse_url("marathon+https://h1:8080,h2:8443/service/marathon/?namespace=shop", {})
    assert settings.servers == (
        "https://h1:8080/service/marathon",
        "https://h2:8443/service/marathon",
    )
    assert settings.namespace == "shop"


def test_query_options_and_keywords_keywords_win() -> None:
    settings = parse_url(
        "marathon+http://h1:8080?secret_store=http://h1:8080/secrets/v1/&connect_timeout=3"
        "&read_timeout=20&force=true&lock_timeout=9&containerizer=mesos",
        {"read_timeout": 10},
    )
    assert settings.secret_store == "http://h1:8080/secrets/v1"
    assert (settings.connect_timeout, settings.read_timeout) == (3.0, 10.0)
    assert settings.timeout == (3.0, 10.0)
    assert (settings.force, settings.lock_timeout, settings.containerizer) == (True, 9.0, "mesos")


def test_defaults_are_safe() -> None:
    settings = parse_url("marathon+https://h1", {}, environ={})
    assert settings.verify is True
    assert settings.timeout == (5.0, 30.0)
    assert (settings.force, settings.secret_store, settings.token) == (False, None, None)
    assert settings.namespace == "default"


def test_credentials_from_the_url_the_environment_or_keywords() -> None:
    basic = parse_url("marathon+https://ops:p%40ss@h1", {}, environ={})
    assert (basic.username, basic.password, basic.auth_kind) == ("ops", "p@ss", "basic")
    env = parse_url("marathon+https://h1", {}, environ={"DCOS_ACS_TOKEN": "t"})
    assert (env.token, env.auth_kind) == ("t", "token")
    keyword = parse_url("marathon+https://h1", {"token": "k"}, environ={"DCOS_ACS_TOKEN": "t"})
    assert keyword.token == "k"
    assert parse_url("marathon+https://u:p@h1", {}, environ={"DCOS_ACS_TOKEN": "t"}).token is None


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("http://h1", {}, "marathon\\+http"),
        ("marathon+https://h1?colour=red", {}, "no option 'colour'; its options are: "),
        ("marathon+https://h1", {"token": "t", "username": "u", "password": "p"}, "not both"),
        ("marathon+https://h1", {"username": "u"}, "both a username and a password"),
        ("marathon+https://h1?namespace=Shop", {}, "DNS-1123"),
        ("marathon+https://h1?containerizer=rkt", {}, "containerizer"),
        ("marathon+https://h1?read_timeout=0", {}, "read_timeout: expected a number"),
        ("marathon+https://h1?timeout=5", {}, "no option 'timeout'"),
        ("marathon+https://h1?force=maybe", {}, "force: expected true or false"),
        ("marathon+https://h1?force=on", {}, "force: expected true or false"),
        ("marathon+https://h1?verify=ture", {}, "verify: expected true, false or the path"),
        ("marathon+https://h1?verify=/missing/ca.pem", {}, "verify: expected true, false"),
        ("marathon+https://h1?secret_store=ftp://x", {}, "secret_store"),
        ("marathon+https://", {}, "at least one host"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(
    url: str, options: dict[str, object], message: str
) -> None:
    with pytest.raises(SettingsError, match=message) as refused:
        parse_url(url, options, environ={})
    assert isinstance(refused.value, OrchestratorError)
    assert isinstance(refused.value, ValueError)


def test_an_unknown_option_lists_the_known_ones() -> None:
    with pytest.raises(SettingsError) as refused:
        MarathonBackend.from_url("marathon+https://h1", colour="red")
    for known in ("connect_timeout", "read_timeout", "verify", "lock_timeout", "containerizer"):
        assert known in str(refused.value)


@pytest.mark.parametrize(("text", "value"), [("yes", True), ("0", False), ("FALSE", False)])
def test_booleans_take_the_one_spelling_of_every_backend(text: str, value: bool) -> None:
    assert parse_url(f"marathon+https://h1?force={text}", {}).force is value
    assert parse_url(f"marathon+https://h1?verify={text}", {}).verify is value


def test_settings_and_backends_never_show_credentials() -> None:
    settings = Settings(servers=("https://h1",), token="very-secret-token")
    backend = MarathonBackend(settings)
    assert "very-secret-token" not in repr(settings) + repr(backend)
    assert "auth=token" in repr(backend)
    backend.close()


def test_connect_finds_the_backend_by_either_scheme() -> None:
    for scheme in ("marathon+http", "marathon+https"):
        with orchsdk.connect(f"{scheme}://h1:8080?namespace=shop", token="t") as orch:
            assert isinstance(orch.backend, MarathonBackend)
            assert orch.namespace == "shop"
            assert orch.backend.settings.token == "t"


def test_importing_the_backend_imports_no_http_library() -> None:
    code = (
        "import sys, orchsdk_marathon; "
        "assert 'requests' not in sys.modules and 'urllib3' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
