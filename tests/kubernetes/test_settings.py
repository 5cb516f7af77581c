"""The Kubernetes backend's settings: strict options, TLS verification with a CA of one's
own over real HTTPS on loopback, and the offline backend that renders without a cluster."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from orchsdk_kubernetes import KubernetesBackend
from orchsdk_kubernetes.config import Settings, parse_url
from tls_servers import https_server as serving
from tls_servers import make_certificates

import orchsdk
from orchsdk import Deployment, Orchestrator, OrchestratorError, SettingsError
from orchsdk.offline import render_offline
from orchsdk.retry import NO_RETRY

# -- options -------------------------------------------------------------------------------


def test_a_misspelt_option_is_a_settings_error_that_lists_the_known_ones() -> None:
    with pytest.raises(SettingsError, match="'contxt'") as raised:
        KubernetesBackend.from_url("kubernetes://?contxt=prod")

    assert isinstance(raised.value, ValueError)
    assert "context" in str(raised.value)
    assert "read_timeout" in str(raised.value)


def test_a_misspelt_keyword_option_is_a_settings_error_too() -> None:
    with pytest.raises(SettingsError, match="'timeout'"):
        orchsdk.connect("kubernetes://127.0.0.1:1?scheme=http", timeout=5)


@pytest.mark.parametrize("value", ["maybe", "on", "2", ""])
def test_a_boolean_option_takes_only_true_false_1_0_yes_no(value: str) -> None:
    with pytest.raises(SettingsError, match="create_namespace"):
        parse_url(f"kubernetes://127.0.0.1:1?create_namespace={value}", {})


@pytest.mark.parametrize(("value", "expected"), [("yes", True), ("0", False), ("TRUE", True)])
def test_a_boolean_option_reads_every_spelling(value: str, expected: bool) -> None:
    assert parse_url(f"kubernetes://h:1?create_namespace={value}", {}).create_namespace is expected


@pytest.mark.parametrize("value", ["ture", "/missing/ca.pem", "off"])
def test_verify_is_never_turned_off_by_a_typo_or_a_missing_file(value: str) -> None:
    with pytest.raises(SettingsError, match="verify"):
        KubernetesBackend.from_url(f"kubernetes://cluster.example:6443?verify={value}")


def test_verify_with_a_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="verify"):
        KubernetesBackend(host="https://cluster.example:6443", verify=str(tmp_path))


def test_verify_a_path_is_verification_with_that_ca(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    backend = KubernetesBackend.from_url(f"kubernetes://cluster.example:6443?verify={ca}")

    assert backend.settings.verify == str(ca)
    assert backend._client.configuration.verify_ssl is True
    assert backend._client.configuration.ssl_ca_cert == str(ca)


@pytest.mark.parametrize("value", ["0", "-1", "soon", "inf"])
def test_timeouts_are_positive_seconds(value: str) -> None:
    with pytest.raises(SettingsError, match="read_timeout"):
        parse_url(f"kubernetes://h:1?read_timeout={value}", {})


def test_timeouts_are_read_from_the_url_and_keyword_options_win() -> None:
    settings = parse_url("kubernetes://h:1?connect_timeout=2&read_timeout=9", {"read_timeout": 4})

    assert settings.timeout == (2.0, 4.0)


def test_the_scheme_is_http_or_https() -> None:
    with pytest.raises(SettingsError, match="scheme"):
        parse_url("kubernetes://h:1?scheme=ftp", {})
    assert parse_url("kubernetes://h:1?scheme=http", {}).host == "http://h:1"
    assert parse_url("kubernetes://h:1", {}).host == "https://h:1"
    assert parse_url("kubernetes://in-cluster", {}).in_cluster is True


def test_settings_are_frozen_and_hide_the_token() -> None:
    settings = parse_url("kubernetes://h:1?token=sekret-value", {})

    assert "sekret-value" not in repr(settings)
    with pytest.raises(AttributeError):
        settings.token = "other"  # type: ignore[misc]
    assert isinstance(settings, Settings)


# -- TLS with a CA of one's own ------------------------------------------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def https_server(certificates: Path) -> Iterator[str]:
    """``HOST:PORT`` of an HTTPS API server that answers every GET with no deployments."""
    listing = {"kind": "DeploymentList", "apiVersion": "apps/v1", "metadata": {}, "items": []}
    with serving(certificates, listing) as address:
        yield address


def _list_deployments(url: str) -> list[Deployment]:
    backend = KubernetesBackend.from_url(url, read_timeout=5)
    with Orchestrator(backend, namespace="shop", retry=NO_RETRY) as orch:
        return orch.list(Deployment)


def test_verify_with_the_servers_ca_succeeds(https_server: str, certificates: Path) -> None:
    assert _list_deployments(f"kubernetes://{https_server}?verify={certificates / 'ca.pem'}") == []


def test_verify_on_without_the_ca_fails_the_tls_verification(https_server: str) -> None:
    with pytest.raises(OrchestratorError, match="TLS verification failed") as raised:
        _list_deployments(f"kubernetes://{https_server}")

    assert "verify=<CA bundle path>" in str(raised.value)


def test_verify_false_skips_the_verification(https_server: str) -> None:
    from urllib3.exceptions import InsecureRequestWarning

    with pytest.warns(InsecureRequestWarning):  # urllib3 warns of each unverified request
        assert _list_deployments(f"kubernetes://{https_server}?verify=false") == []


# -- offline -------------------------------------------------------------------------------


def test_offline_renders_without_a_kubeconfig(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)

    [document] = render_offline("kubernetes", Deployment("web", image="nginx"), namespace="shop")

    assert document["kind"] == "Deployment"
    assert document["metadata"] == {"name": "web", "namespace": "shop"}
    assert KubernetesBackend.offline().capabilities.status_stream is True


def test_an_offline_backend_sends_nothing() -> None:
    backend = KubernetesBackend.offline()

    with pytest.raises(OrchestratorError, match="offline"):
        backend.status("web", "shop")


def test_an_offline_backend_refuses_unknown_options_too() -> None:
    with pytest.raises(SettingsError, match="'containerizer'"):
        KubernetesBackend.offline(containerizer="docker")


def _kubeconfig(tmp_path: Path, address: str, *, skip: bool) -> Path:
    cluster: dict[str, object] = {"server": f"https://{address}"}
    if skip:
        cluster["insecure-skip-tls-verify"] = True
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": cluster}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(document))
    return path


def test_a_kubeconfigs_insecure_skip_tls_verify_is_honoured(
    https_server: str, tmp_path: Path
) -> None:
    from urllib3.exceptions import InsecureRequestWarning

    path = _kubeconfig(tmp_path, https_server, skip=True)
    with pytest.warns(InsecureRequestWarning):
        assert _list_deployments(f"kubernetes://?kubeconfig={path}") == []


def test_a_kubeconfig_without_insecure_skip_tls_verify_verifies(
    https_server: str, tmp_path: Path
) -> None:
    path = _kubeconfig(tmp_path, https_server, skip=False)
    with pytest.raises(OrchestratorError, match="TLS verification failed"):
        _list_deployments(f"kubernetes://?kubeconfig={path}")


# -- the URL and the kubeconfig ------------------------------------------------------------


@pytest.mark.parametrize("url", ["kubernetes:/", "kubernetes:///x", "kubernetes://h:6443/api"])
def test_a_malformed_url_says_what_a_kubernetes_url_looks_like(url: str) -> None:
    with pytest.raises(SettingsError, match="a Kubernetes URL looks like 'kubernetes://'"):
        orchsdk.connect(url)


def test_no_kubeconfig_is_a_settings_error_that_says_where_it_looked_and_what_else_works(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)

    with pytest.raises(SettingsError) as raised:
        orchsdk.connect("kubernetes://")

    message = str(raised.value)
    assert f"no kubeconfig at {tmp_path / 'missing'} ($KUBECONFIG)" in message
    assert "'kubernetes://HOST:PORT?token=...'" in message


def test_a_context_the_kubeconfig_lacks_is_a_settings_error_naming_it(tmp_path: Path) -> None:
    path = _kubeconfig(tmp_path, "127.0.0.1:1", skip=False)

    with pytest.raises(SettingsError, match=r"cannot use context 'prod'.*name prod"):
        orchsdk.connect(f"kubernetes://?kubeconfig={path}&context=prod")


def test_kubeconfig_is_read_from_the_environment_at_connect_time(
    monkeypatch: pytest.MonkeyPatch, https_server: str, tmp_path: Path
) -> None:
    from urllib3.exceptions import InsecureRequestWarning

    path = _kubeconfig(tmp_path, https_server, skip=True)
    monkeypatch.setenv("KUBECONFIG", str(path))

    with pytest.warns(InsecureRequestWarning):
        assert _list_deployments("kubernetes://") == []
