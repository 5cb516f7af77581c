"""The child process that runs an emulator, driven over stdin/stdout with JSON lines.

``python -m benchmarks.emulator_process '{"kind": "kubernetes", ...}'`` starts the
emulator, prints one line with where it is (``url``, ``kubeconfig``, ``api_url``), then
answers one JSON line per command read from stdin. Commands: ``mark`` (how many requests
so far), ``since`` (the requests after a mark), ``finish`` (run a rollout to its end and
say at which ``time.monotonic()`` it was done), ``cpu`` (this process's CPU seconds),
``stop``. Both processes share ``CLOCK_MONOTONIC``, so a time taken here compares with
one taken in the parent.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Protocol

__all__ = ["main"]


class _Emulator(Protocol):
    def start(self) -> Any: ...

    def stop(self) -> None: ...


def _kubernetes(options: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    from orchsdk_kubernetes.testing import KubernetesEmulator

    emulator = KubernetesEmulator(
        auto=bool(options.get("auto", True)),
        validate=bool(options.get("validate", True)),
        rollout_seconds=float(options.get("rollout_seconds", 1.0)),
        namespaces=tuple(options.get("namespaces", ())),
    ).start()
    where = {"url": emulator.url, "kubeconfig": emulator.kubeconfig, "api_url": emulator.api_url}
    return emulator, where


def _marathon(options: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    from orchsdk_marathon.testing import MarathonEmulator

    emulator = MarathonEmulator(
        secrets=bool(options.get("secrets", True)),
        auto=bool(options.get("auto", True)),
        deployment_seconds=float(options.get("deployment_seconds", 0.05)),
    ).start()
    where = {
        "url": emulator.url,
        "api_url": emulator.marathon_url,
        "secret_store_url": emulator.secret_store_url,
    }
    return emulator, where


def _finish(emulator: Any, kind: str, args: dict[str, Any]) -> dict[str, Any]:
    if kind == "kubernetes":
        emulator.control.finish(args["name"], args["namespace"])
    else:
        emulator.control.finish(f"/{args['namespace']}/{args['name']}")
    return {"done": time.monotonic()}


def _answer(emulator: Any, kind: str, command: dict[str, Any]) -> dict[str, Any]:
    op = command["op"]
    server = emulator.server
    if op == "mark":
        with server._requests_lock:
            return {"mark": len(server.requests)}
    if op == "since":
        with server._requests_lock:
            return {"requests": [list(item) for item in server.requests[command["mark"] :]]}
    if op == "finish":
        return _finish(emulator, kind, command)
    if op == "cpu":
        return {"cpu": time.process_time()}
    if op == "ping":
        return {"pong": time.monotonic()}
    raise ValueError(f"unknown command {op!r}")


def main(argv: list[str] | None = None) -> int:
    options: dict[str, Any] = json.loads((argv or sys.argv[1:])[0])
    kind = options["kind"]
    emulator, where = _kubernetes(options) if kind == "kubernetes" else _marathon(options)
    out = sys.stdout
    out.write(json.dumps({"ready": True, **where}) + "\n")
    out.flush()
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            command = json.loads(line)
            if command["op"] == "stop":
                break
            try:
                reply = _answer(emulator, kind, command)
            except Exception as error:  # reported to the parent, which raises it
                reply = {"error": f"{type(error).__name__}: {error}"}
            out.write(json.dumps(reply) + "\n")
            out.flush()
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
