"""How the command chooses its backend: options, environment, kubeconfig (by precedence)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchsdk.cli.target import BadTarget, Target, resolve, safe_url


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def kube_home(tmp_path: Path) -> Path:
    (tmp_path / ".kube").mkdir()
    (tmp_path / ".kube" / "config").write_text("apiVersion: v1\n")
    return tmp_path


def test_backend_option_wins_over_everything(kube_home: Path) -> None:
    env = {"ORCHSDK_BACKEND": "memory://env", "MARATHON_URL": "http://m:8080"}

    assert resolve("memory://opt", None, env, kube_home) == Target("memory://opt", "--backend")


def test_orchsdk_backend_comes_next(kube_home: Path) -> None:
    env = {"ORCHSDK_BACKEND": "memory://env", "MARATHON_URL": "http://m:8080"}

    assert resolve(None, None, env, kube_home) == Target("memory://env", "ORCHSDK_BACKEND")


def test_a_context_means_kubernetes(home: Path) -> None:
    target = resolve(None, "prod", {"MARATHON_URL": "http://m:8080"}, home)

    assert target == Target("kubernetes://?context=prod", "--context")


def test_a_context_is_added_to_a_kubernetes_url(home: Path) -> None:
    target = resolve("kubernetes://?namespace=shop", "prod", {}, home)

    assert target.url == "kubernetes://?namespace=shop&context=prod"


def test_a_context_with_another_backend_is_refused(home: Path) -> None:
    with pytest.raises(BadTarget, match="--context is a kubeconfig context"):
        resolve("memory://", "prod", {}, home)


@pytest.mark.parametrize(
    ("marathon_url", "url"),
    [
        ("http://marathon.mesos:8080", "marathon+http://marathon.mesos:8080"),
        ("https://dcos.example/service/marathon", "marathon+https://dcos.example/service/marathon"),
        ("marathon+https://m:8443", "marathon+https://m:8443"),
    ],
)
def test_marathon_url_as_the_marathon_tools_use_it(
    kube_home: Path, marathon_url: str, url: str
) -> None:
    assert resolve(None, None, {"MARATHON_URL": marathon_url}, kube_home) == Target(
        url, "MARATHON_URL"
    )


def test_marathon_url_must_be_http(home: Path) -> None:
    with pytest.raises(BadTarget, match="MARATHON_URL must be an http"):
        resolve(None, None, {"MARATHON_URL": "ftp://m"}, home)


def test_marathon_url_and_kubeconfig_together_are_ambiguous(home: Path) -> None:
    env = {"MARATHON_URL": "http://m:8080", "KUBECONFIG": "/k"}

    with pytest.raises(BadTarget, match="both MARATHON_URL and KUBECONFIG"):
        resolve(None, None, env, home)


def test_kubeconfig_means_kubernetes_and_is_passed_on_as_it_is_now(home: Path) -> None:
    target = resolve(None, None, {"KUBECONFIG": "/a:/b"}, home)

    assert target == Target("kubernetes://?kubeconfig=%2Fa%3A%2Fb", "KUBECONFIG")


def test_kubeconfig_does_not_override_a_url_that_names_its_cluster(home: Path) -> None:
    env = {"KUBECONFIG": "/k"}

    assert resolve("kubernetes://h:6443?token=t", None, env, home).url == (
        "kubernetes://h:6443?token=t"
    )
    assert resolve("kubernetes://?kubeconfig=/x", None, env, home).url == (
        "kubernetes://?kubeconfig=/x"
    )


def test_a_kubeconfig_in_home_means_kubernetes(kube_home: Path) -> None:
    assert resolve(None, None, {}, kube_home) == Target("kubernetes://", "~/.kube/config")


def test_nothing_configured_is_an_error_that_says_what_to_set(home: Path) -> None:
    with pytest.raises(BadTarget, match="no backend: give --backend URL or set ORCHSDK_BACKEND"):
        resolve(None, None, {}, home)


def test_safe_url_hides_credentials() -> None:
    assert (
        safe_url("marathon+https://user:pass@m:8080/path?token=abc&verify=false")
        == "marathon+https://m:8080/path?token=...&verify=..."
    )
    assert safe_url("memory://") == "memory://"
