"""An emulator in another process, so that this process's CPU time is the client's alone.

>>> with EmulatorProcess("kubernetes", auto=False) as cluster:   # doctest: +SKIP
...     orch = orchsdk.connect(cluster.url)
...     mark = cluster.mark()
...     orch.status("web")
...     cluster.since(mark)   # [("GET", "/apis/apps/v1/namespaces/default/deployments/web")]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

__all__ = ["ROOT", "EmulatorProcess"]

ROOT = Path(__file__).resolve().parent.parent
"""The repository root (where ``benchmarks`` is importable from)."""


class EmulatorProcess:
    """Starts ``benchmarks.emulator_process`` for ``kind`` (``kubernetes`` or ``marathon``)."""

    def __init__(self, kind: str, **options: Any) -> None:
        self.kind = kind
        self.options = {"kind": kind, **options}
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self.where: dict[str, Any] = {}

    def start(self) -> EmulatorProcess:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.emulator_process", json.dumps(self.options)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.kind} emulator process did not start")
        self.where = json.loads(line)
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            assert process.stdin is not None
            process.stdin.write(json.dumps({"op": "stop"}) + "\n")
            process.stdin.flush()
            process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def call(self, op: str, **args: Any) -> dict[str, Any]:
        """Sends one command and returns the child's answer."""
        process = self._process
        if process is None or process.stdin is None or process.stdout is None:
            raise RuntimeError("the emulator process is not running")
        with self._lock:
            process.stdin.write(json.dumps({"op": op, **args}) + "\n")
            process.stdin.flush()
            line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.kind} emulator process ended")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"emulator process: {reply['error']}")
        return reply

    # -- where it is ---------------------------------------------------------------

    @property
    def url(self) -> str:
        """The URL for ``orchsdk.connect()``."""
        return str(self.where["url"])

    @property
    def api_url(self) -> str:
        """The plain ``http://127.0.0.1:PORT`` base."""
        return str(self.where["api_url"])

    @property
    def kubeconfig(self) -> str:
        return str(self.where["kubeconfig"])

    @property
    def secret_store_url(self) -> str:
        return str(self.where["secret_store_url"])

    # -- commands ------------------------------------------------------------------

    def mark(self) -> int:
        """How many requests the emulator has served so far."""
        return int(self.call("mark")["mark"])

    def since(self, mark: int) -> list[tuple[str, str]]:
        """``(method, path)`` of each request served after ``mark``."""
        return [(method, path) for method, path in self.call("since", mark=mark)["requests"]]

    def finish(self, name: str, namespace: str) -> float:
        """Runs the deployment's rollout to its end; the ``time.monotonic()`` it was done."""
        return float(self.call("finish", name=name, namespace=namespace)["done"])

    def cpu(self) -> float:
        """The emulator process's CPU seconds so far."""
        return float(self.call("cpu")["cpu"])
