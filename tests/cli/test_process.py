"""The installed ``orchsdk`` console script, run as a separate process, and its live display."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_manifests import WEB

from orchsdk import DeploymentStatus, Phase
from orchsdk.cli.progress import WaitDisplay


def _run(command: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "MARATHON_URL")}
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, "HOME": str(tmp_path), **env},
        check=False,
    )


def test_the_console_script_renders_a_manifest(tmp_path: Path) -> None:
    script = shutil.which("orchsdk", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the orchsdk console script is not installed (pip install -e '.[cli]')")
    manifest = tmp_path / "web.yaml"
    manifest.write_text(WEB)

    done = _run([script, "render", str(manifest), "--to", "kubernetes"], tmp_path)

    assert done.returncode == 0, done.stderr
    assert "kind: Deployment" in done.stdout


def test_python_m_orchsdk_cli_exits_with_the_command_s_code(tmp_path: Path) -> None:
    ok = _run([sys.executable, "-m", "orchsdk.cli", "--version"], tmp_path)
    usage = _run([sys.executable, "-m", "orchsdk.cli", "get"], tmp_path)
    no_backend = _run([sys.executable, "-m", "orchsdk.cli", "get", "deployments"], tmp_path)

    assert ok.returncode == 0
    assert usage.returncode == 2
    assert usage.stderr.count("\n") == 1
    assert no_backend.returncode == 2
    assert no_backend.stderr.startswith("error: no backend")


def _status(ready: int, phase: Phase = Phase.PROGRESSING) -> DeploymentStatus:
    return DeploymentStatus("web", "default", 3, ready, ready, ready, 1, phase)


def test_the_live_display_draws_a_bar_per_deployment() -> None:
    stream = io.StringIO()

    with WaitDisplay(stream, live=True) as display:
        display(_status(1))
        display(_status(3, Phase.COMPLETE))

    assert "deployment/web" in stream.getvalue()
    assert "3/3 updated" in stream.getvalue()


def test_without_a_terminal_each_status_is_one_line() -> None:
    stream = io.StringIO()

    with WaitDisplay(stream) as display:
        display(_status(1))
        display(_status(3, Phase.COMPLETE))

    assert stream.getvalue().splitlines() == [
        "deployment/web: 1/3 updated, 1 available, 1 ready, revision 1 (progressing)",
        "deployment/web: 3/3 updated, 3 available, 3 ready, revision 1 (complete)",
    ]
