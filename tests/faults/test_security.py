"""Security: TLS verified by default (with a clear opt-out), YAML only through safe loaders,
no shell anywhere, and no token in a repr or an error.

The scan for secret values in logs, errors, reprs, diffs and CLI output runs during the
chaos runs (``test_chaos.py``); these are the checks that need no chaos.
"""

from __future__ import annotations

import ast
import http.server
import io
import json
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faults_helpers import error_text, recording
from orchsdk_kubernetes import KubernetesBackend
from orchsdk_marathon import MarathonBackend
from urllib3.exceptions import InsecureRequestWarning

import orchsdk
from orchsdk import BackendUnavailable, Deployment, OrchestratorError, RetryPolicy, SettingsError

REPO = Path(__file__).resolve().parents[2]
SOURCES = [
    path
    for top in ("orchsdk", "backends", "examples", "benchmarks", "tests")
    if (REPO / top).is_dir()
    for path in sorted((REPO / top).rglob("*.py"))
    if "build" not in path.relative_to(REPO).parts
]
TOKEN = "tls-test-token-5b9f0c"
POLICY = RetryPolicy(attempts=3, deadline=5, initial_delay=0.01, max_delay=0.01)


# -- TLS -----------------------------------------------------------------------------------


def test_kubernetes_verifies_tls_by_default() -> None:
    backend = KubernetesBackend(host="https://cluster.example:6443", token=TOKEN)
    assert backend.settings.verify is True
    assert backend._client.configuration.verify_ssl is True


def test_kubernetes_tls_opt_out_and_own_ca(tmp_path: Path) -> None:
    off = KubernetesBackend.from_url("kubernetes://cluster.example:6443?verify=false")
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    own = KubernetesBackend(host="https://cluster.example:6443", verify=str(ca))

    assert off._client.configuration.verify_ssl is False
    assert own._client.configuration.verify_ssl is True
    assert own._client.configuration.ssl_ca_cert == str(ca)


def test_marathon_verifies_tls_by_default() -> None:
    backend = MarathonBackend.from_url("marathon+https://marathon.example:8443")
    assert backend.settings.verify is True
    assert backend._box.get().verify is True


def test_marathon_tls_opt_out() -> None:
    backend = MarathonBackend.from_url("marathon+https://marathon.example:8443?verify=false")
    assert backend.settings.verify is False
    assert backend._box.get().verify is False


def test_marathon_tls_with_its_own_ca(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    backend = MarathonBackend.from_url(f"marathon+https://marathon.example:8443?verify={ca}")
    assert backend.settings.verify == str(ca)
    assert backend._box.get().verify == str(ca)


@pytest.mark.parametrize("value", ["ture", "/etc/no-such-ca.pem"])
def test_marathon_tls_is_never_turned_off_by_a_typo(value: str) -> None:
    with pytest.raises(SettingsError, match="verify"):
        MarathonBackend.from_url(f"marathon+https://marathon.example:8443?verify={value}")


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, list[str]]]:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate; it answers ``{}``."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    directory = tmp_path_factory.mktemp("tls")
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            body = json.dumps({"apps": [], "items": [], "metadata": {}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1]), seen
    server.shutdown()
    server.server_close()


def _connect(backend: str, port: int, verify: bool) -> orchsdk.Orchestrator:
    if backend == "kubernetes":
        url = f"kubernetes://127.0.0.1:{port}?verify={str(verify).lower()}"
        return orchsdk.connect(url, token=TOKEN, retry=POLICY)
    url = f"marathon+https://127.0.0.1:{port}?verify={str(verify).lower()}"
    return orchsdk.connect(url, token=TOKEN, retry=POLICY)


@pytest.mark.parametrize("backend", ["kubernetes", "marathon"])
def test_an_unverifiable_certificate_is_refused_without_retries(
    backend: str, self_signed: tuple[int, list[str]]
) -> None:
    port, seen = self_signed
    before = len(seen)
    with (
        recording() as log,
        _connect(backend, port, verify=True) as orch,
        pytest.raises(OrchestratorError) as raised,
    ):
        orch.list(Deployment)

    error = raised.value
    assert not isinstance(error, BackendUnavailable)  # a bad certificate does not heal
    assert "TLS verification failed" in str(error)
    assert "verify" in str(error)  # the opt-out is named
    assert len(seen) == before  # no request got through
    assert log.retries == 0
    assert TOKEN not in error_text(error)


@pytest.mark.parametrize("backend", ["kubernetes", "marathon"])
def test_the_tls_opt_out_talks_to_a_self_signed_server(
    backend: str, self_signed: tuple[int, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even with a CA bundle in the environment, which ``requests`` lets override a
    session's ``verify`` (the Marathon transport passes it with each request)."""
    bundle = ssl.get_default_verify_paths().openssl_cafile
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", bundle)
    monkeypatch.setenv("CURL_CA_BUNDLE", bundle)
    port, seen = self_signed
    before = len(seen)
    with _connect(backend, port, verify=False) as orch, pytest.warns(InsecureRequestWarning):
        assert orch.list(Deployment) == []  # urllib3 warns on each unverified request
    assert len(seen) > before


# -- tokens --------------------------------------------------------------------------------


def test_no_repr_shows_a_token() -> None:
    kubernetes = KubernetesBackend(host="https://cluster.example:6443", token=TOKEN)
    marathon = MarathonBackend.from_url("marathon+https://marathon.example:8443", token=TOKEN)
    basic = MarathonBackend.from_url("marathon+https://user:pa55word@marathon.example:8443")
    texts = [
        repr(kubernetes),
        repr(kubernetes.settings),
        repr(marathon),
        repr(marathon.settings),
        repr(basic.settings),
        repr(orchsdk.Orchestrator(kubernetes)),
        repr(orchsdk.Orchestrator(marathon)),
    ]
    assert not [text for text in texts if TOKEN in text or "pa55word" in text]


# -- YAML ------------------------------------------------------------------------------------

_UNSAFE_NAMES = {
    "Loader",
    "FullLoader",
    "UnsafeLoader",
    "CLoader",
    "CFullLoader",
    "CUnsafeLoader",
    "full_load",
    "full_load_all",
    "unsafe_load",
    "unsafe_load_all",
}
_SAFE_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"}


def _base_name(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def _yaml_problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    problems = []
    safe = set(_SAFE_LOADERS)
    for node in ast.walk(tree):  # a module's own loader classes, when built on a safe one
        if isinstance(node, ast.ClassDef) and any(_base_name(b) in safe for b in node.bases):
            safe.add(node.name)
    for node in ast.walk(tree):
        where = f"{path.relative_to(REPO)}:{getattr(node, 'lineno', 0)}"
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "yaml"
            and node.attr in _UNSAFE_NAMES
        ):
            problems.append(f"{where}: yaml.{node.attr}")
        if isinstance(node, ast.ImportFrom) and node.module == "yaml":
            problems += [
                f"{where}: from yaml import {alias.name}"
                for alias in node.names
                if alias.name in _UNSAFE_NAMES | {"load", "load_all"}
            ]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "yaml"
            and node.func.attr in ("load", "load_all")
        ):
            loader = next((kw.value for kw in node.keywords if kw.arg == "Loader"), None)
            if loader is None and len(node.args) > 1:
                loader = node.args[1]
            if loader is None or _base_name(loader) not in safe:
                problems.append(f"{where}: yaml.{node.func.attr} without a safe Loader")
    return problems


def test_yaml_is_loaded_only_with_safe_loaders_in_the_source_tree() -> None:
    assert SOURCES
    tests = REPO / "tests"
    problems = [
        problem
        for path in SOURCES
        if tests not in path.parents  # tests may write hostile YAML, not load it unsafely
        or path.name.startswith("test_")
        for problem in _yaml_problems(path)
    ]
    assert not problems, problems


@pytest.mark.parametrize(
    "text",
    [
        "!!python/object/apply:os.system ['echo pwned']\n",
        "apiVersion: orchsdk/v1\nkind: Deployment\nname: web\n"
        "image: !!python/object/new:builtins.str ['x']\n",
        "apiVersion: orchsdk/v1\nkind: Deployment\nname: !!python/name:os.system\nimage: x\n",
    ],
    ids=["apply", "new", "name"],
)
def test_python_tags_in_a_manifest_are_refused(text: str) -> None:
    with pytest.raises(orchsdk.ValidationError):
        orchsdk.load_manifests(io.StringIO(text))


# -- no shell ------------------------------------------------------------------------------------

_SHELL_CALLS = {
    ("os", "system"),
    ("os", "popen"),
    ("os", "execl"),
    ("os", "execlp"),
    ("os", "spawnl"),
    ("subprocess", "getoutput"),
    ("subprocess", "getstatusoutput"),
    ("asyncio", "create_subprocess_shell"),
    ("pty", "spawn"),
}


def _shell_problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        where = f"{path.relative_to(REPO)}:{node.lineno}"
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and (func.value.id, func.attr) in _SHELL_CALLS
        ):
            problems.append(f"{where}: {func.value.id}.{func.attr}")
        for keyword in node.keywords:
            if keyword.arg == "shell" and not (
                isinstance(keyword.value, ast.Constant) and keyword.value.value is False
            ):
                problems.append(f"{where}: shell={ast.unparse(keyword.value)}")
    return problems


def test_no_shell_anywhere_in_the_source_tree() -> None:
    problems = [problem for path in SOURCES for problem in _shell_problems(path)]
    assert not problems, problems


def test_the_scanners_find_what_they_look_for(tmp_path: Path) -> None:
    """The two scans above would see a violation (so their passing means something)."""
    bad = REPO / "tests" / "faults" / "_scanner_probe.py"
    bad.write_text(
        "import os, subprocess, yaml\n"
        "os.system('ls')\n"
        "subprocess.run('ls', shell=True)\n"
        "yaml.load(text)\n"
        "yaml.load(text, Loader=yaml.FullLoader)\n"
        "yaml.unsafe_load(text)\n",
        encoding="utf-8",
    )
    try:
        assert len(_shell_problems(bad)) == 2
        assert len(_yaml_problems(bad)) == 4
    finally:
        bad.unlink()
