"""Runs the ``orchsdk`` command in-process, as a user would, and captures what it prints.

``invoke("get", "deployments")`` runs :func:`orchsdk.cli.app.run` inside click's
``CliRunner`` isolation (stdin, stdout, stderr and environment swapped) and returns the
exit code with stdout and stderr apart. Every test starts with no backend configured:
``ORCHSDK_BACKEND``, ``KUBECONFIG``, ``MARATHON_URL`` and ``DCOS_ACS_TOKEN`` unset and
``HOME`` an empty folder, so only what a test sets chooses the backend.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from cli_runner import Invoke, invoke_command  # noqa: E402 - needs the path above

_stores = itertools.count()


@pytest.fixture
def invoke() -> Invoke:
    return invoke_command


@pytest.fixture(autouse=True)
def no_backend_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("ORCHSDK_BACKEND", "KUBECONFIG", "MARATHON_URL", "DCOS_ACS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))


@pytest.fixture
def memory() -> str:
    """A fresh ``memory://NAME`` URL: a store that every invocation in this test shares."""
    return f"memory://cli-test-{next(_stores)}"


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """``write("web.yaml", text)``: a manifest file in the test's folder."""

    def write_file(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write_file
