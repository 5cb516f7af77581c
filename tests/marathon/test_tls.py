"""``verify=<CA bundle>`` trusts exactly that CA: a Marathon served over HTTPS by a test CA.

The CA and the server certificate are made with the ``openssl`` command line; the server
is a thread on 127.0.0.1 that answers ``/v2/info``.
"""

from __future__ import annotations

import http.server
import json
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from orchsdk_marathon import MarathonBackend

from orchsdk import OrchestratorError

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``ca.pem`` (a self-signed CA) and ``server.pem``/``server.key`` it signed, for 127.0.0.1."""
    where = tmp_path_factory.mktemp("tls")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
             "/CN=orchsdk test CA", "-keyout", "ca.key", "-out", "ca.pem", cwd=where)  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
             "-keyout", "server.key", "-out", "server.csr", cwd=where)  # fmt: skip
    (where / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.pem",
             cwd=where)  # fmt: skip
    return where


class _Info(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"marathon_config": {"features": ["secrets"]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def https_marathon(certificates: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Info)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates / "server.pem", certificates / "server.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"marathon+https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


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
