"""What makes an emulated task fail, with the messages Mesos gives: the envtest kubelet's
failure conventions, so that both emulators and the live tier fail on the same specs.

- an image whose registry host ends in ``.invalid``: the pull fails while the task is
  staged (``TASK_FAILED``, the Docker or Mesos containerizer's pull error);
- a secret the app declares whose ``source`` is not in the secret store: the agent
  cannot resolve it when it launches the container (``TASK_FAILED``);
- a command (``cmd``, or ``args`` without one) of exactly ``false``, ``/bin/false`` or
  ``sh -c "exit 1"`` (after an ``exec``): the task starts, then exits with status 1.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["crash_message", "crashes", "launch_failure"]

_CRASHING = (["false"], ["/bin/false"], ["sh", "-c", "exit 1"])


def _image(app: Mapping[str, Any]) -> str | None:
    container = app.get("container")
    docker = container.get("docker") if isinstance(container, Mapping) else None
    image = docker.get("image") if isinstance(docker, Mapping) else None
    return image if isinstance(image, str) else None


def _registry(image: str) -> str | None:
    """The registry host of an image reference, when it names one (``host.tld/repo:tag``)."""
    first, slash, _ = image.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first.split(":")[0]
    return None


def _docker(app: Mapping[str, Any]) -> bool:
    container = app.get("container")
    return isinstance(container, Mapping) and container.get("type", "DOCKER") == "DOCKER"


def launch_failure(
    app: Mapping[str, Any], secret_exists: Callable[[str], bool] | None
) -> str | None:
    """Why a staged task of ``app`` fails before it runs (Mesos' message), or ``None``.

    ``secret_exists`` answers whether a secret store path holds a value (``None``: no
    secret store, so nothing is resolved, as on Marathon without one).
    """
    image = _image(app)
    registry = _registry(image) if image else None
    if image and registry and registry.endswith(".invalid"):
        if _docker(app):
            return (
                f"Failed to launch container: Failed to run 'docker -H "
                f"unix:///var/run/docker.sock pull {image}': exited with status 1; "
                f'stderr=\'Error response from daemon: Get "https://{registry}/v2/": '
                f"dial tcp: lookup {registry}: no such host'"
            )
        return (
            f"Failed to launch container: Failed to provision image '{image}': Failed to "
            f"perform 'curl': curl: (6) Could not resolve host: {registry}"
        )
    if secret_exists is not None:
        for declared in (app.get("secrets") or {}).values():
            source = declared.get("source") if isinstance(declared, Mapping) else None
            if isinstance(source, str) and not secret_exists(source):
                return (
                    f"Failed to launch container: Failed to resolve secrets: "
                    f"secret '{source}' not found"
                )
    return None


def crashes(app: Mapping[str, Any]) -> bool:
    """Whether the app's command exits with status 1 as soon as it starts."""
    cmd = app.get("cmd")
    if isinstance(cmd, str):
        try:
            words = shlex.split(cmd)
        except ValueError:
            return False
        if words[:1] == ["exec"]:  # how orchsdk renders a command, so that it gets signals
            words = words[1:]
        return words in _CRASHING
    args = app.get("args")
    return isinstance(args, list) and args in _CRASHING


def crash_message(app: Mapping[str, Any]) -> str:
    """What Mesos says of a task whose command exited with status 1."""
    return "Container exited with status 1" if _docker(app) else "Command exited with status 1"
