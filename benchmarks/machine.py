"""What the benchmarks ran on: CPU model, cores, Python, and the versions that matter."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata
from typing import Any

__all__ = ["describe", "headline"]

_PACKAGES = ("orchsdk", "kubernetes", "requests", "urllib3", "pydantic", "attrs", "tenacity")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _kubectl() -> str | None:
    path = shutil.which("kubectl")
    if path is None:
        return None
    try:
        done = subprocess.run(
            [path, "version", "--client", "-o", "yaml"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in done.stdout.splitlines():
        if line.strip().startswith("gitVersion:"):
            return line.split(":", 1)[1].strip()
    return None


def describe() -> dict[str, Any]:
    """The machine and software of this run, for the results file."""
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": {name: _version(name) for name in _PACKAGES},
        "kubectl": _kubectl(),
    }


def headline(machine: dict[str, Any]) -> str:
    """One line: ``AMD EPYC, 2 cores, CPython 3.11.7 on Linux-...``."""
    return (
        f"{machine['cpu_model']}, {machine['cores']} cores, "
        f"{machine['implementation']} {machine['python']} on {machine['platform']}"
    )
