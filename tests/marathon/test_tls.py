"""``verify=<CA bundle>`` trusts exactly that CA: a Marathon served over HTTPS by a test CA.

The CA and the server certificate are made with the ``openssl`` command line; the server
is a thread on 127.0.0.1 that answers ``/v2/info``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from orchsdk_marathon import MarathonBackend
from tls_servers import https_server, make_certificates

from orchsdk import OrchestratorError

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def https_marathon(certificates: Path) -> Iterator[str]:
    with https_server(certificates, {"marathon_config": {"features": ["secrets"]}}) as address:
        yield f"marathon+https://{address}"


def test_verify_with_a_ca_bundle_trusts_that_ca(https_marathon: str, certificates: Path) -> None:
    ca = str(certificates / "ca.pem")
    backend = MarathonBackend.from_url(https_marathon, verify=ca, secret_store="https://x/s")
    try:
        assert backend.settings.verify == ca
        assert backend.capabilities.secrets  # /v2/info was read over TLS, and said so
    finally:
        backend.close()


def test_without_the_ca_the_server_is_refused(
    https_marathon: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    backend = MarathonBackend.from_url(https_marathon, secret_store="https://x/s")
    try:
        with pytest.raises(OrchestratorError, match="TLS verification failed"):
            _ = backend.capabilities
    finally:
        backend.close()
