"""Connecting: URLs, options, credentials; and that importing the backend stays cheap."""

from __future__ import annotations

import subprocess
import sys

import pytest
from orchsdk_marathon import MarathonBackend, Settings
from orchsdk_marathon.config import parse_url

import orchsdk


def test_several_hosts_share_the_scheme_and_path() -> None:
    settings = parse_url("marathon+https://h1:8080,h2:8443/service/marathon/?namespace=shop", {})
    assert settings.servers == (
        "https://h1:8080/service/marathon",
        "https://h2:8443/service/marathon",
    )
    assert settings.namespace == "shop"


def test_query_options_and_keywords_keywords_win() -> None:
    settings = parse_url(
        "marathon+http://h1:8080?secret_store=http://h1:8080/secrets/v1/&timeout=3,20"
        "&force=true&lock_timeout=9&containerizer=mesos",
        {"timeout": 10},
    )
    assert settings.secret_store == "http://h1:8080/secrets/v1"
    assert settings.timeout == (10.0, 10.0)
    assert (settings.force, settings.lock_timeout, settings.containerizer) == (True, 9.0, "mesos")
    assert parse_url("marathon+http://h1?timeout=3,20", {}).timeout == (3.0, 20.0)


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
        ("marathon+https://h1?colour=red", {}, "unknown Marathon option"),
        ("marathon+https://h1", {"token": "t", "username": "u", "password": "p"}, "not both"),
        ("marathon+https://h1", {"username": "u"}, "both a username and a password"),
        ("marathon+https://h1?namespace=Shop", {}, "DNS-1123"),
        ("marathon+https://h1?containerizer=rkt", {}, "containerizer"),
        ("marathon+https://h1?timeout=0", {}, "more than zero"),
        ("marathon+https://h1?secret_store=ftp://x", {}, "secret_store"),
        ("marathon+https://", {}, "at least one host"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(
    url: str, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        parse_url(url, options, environ={})


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
