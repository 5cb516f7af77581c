"""The test kit without pytest, and the rollout controls every emulator gives.

Only ``BackendContract`` (and the fixtures) need pytest: ``orchsdk.testing`` and both
emulators import, start, serve and stop in a plain script. Each script runs in its own
interpreter with pytest blocked (``sys.modules["pytest"] = None``), so an import of it
anywhere on the way fails the script.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from orchsdk_kubernetes.testing import KubernetesEmulator
from orchsdk_marathon.testing import MarathonEmulator
from orchsdk_memory import MemoryBackend

from orchsdk.testing import RolloutControl

BLOCK_PYTEST = "import sys; sys.modules['pytest'] = None\n"

IMPORTS = (
    BLOCK_PYTEST + "import orchsdk.testing\n"
    "from orchsdk_kubernetes.testing import KubernetesEmulator\n"
    "from orchsdk_marathon.testing import MarathonEmulator\n"
)

SERVE_KUBERNETES = """
import json, urllib.request
from orchsdk_kubernetes.testing import KubernetesEmulator

with KubernetesEmulator() as emulator:
    request = urllib.request.Request(
        emulator.server.url + "/version", headers={"Authorization": "Bearer " + emulator.token}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        print(json.load(answer)["major"])
"""

SERVE_MARATHON = """
import json, urllib.request
from orchsdk_marathon.testing import MarathonEmulator

with MarathonEmulator() as emulator:
    with urllib.request.urlopen(emulator.marathon_url + "/v2/info", timeout=10) as answer:
        print(json.load(answer)["name"])
"""


def run_without_pytest(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_kit_and_both_emulators_import_without_pytest() -> None:
    run = run_without_pytest(IMPORTS)
    assert run.returncode == 0, run.stderr


def test_the_contract_suite_is_what_needs_pytest() -> None:
    run = run_without_pytest(BLOCK_PYTEST + "from orchsdk.testing import BackendContract\n")
    assert run.returncode != 0
    assert "pytest" in run.stderr.splitlines()[-1]


@pytest.mark.parametrize(
    ("script", "answer"),
    [(SERVE_KUBERNETES, "1"), (SERVE_MARATHON, "marathon")],
    ids=["kubernetes", "marathon"],
)
def test_an_emulator_starts_serves_and_stops_without_pytest(script: str, answer: str) -> None:
    run = run_without_pytest(BLOCK_PYTEST + textwrap.dedent(script))
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [answer]


@contextmanager
def kubernetes_control() -> Iterator[Any]:
    with KubernetesEmulator() as emulator:
        yield emulator.control


@contextmanager
def marathon_control() -> Iterator[Any]:
    with MarathonEmulator() as emulator:
        yield emulator.rollout_control


@contextmanager
def memory_control() -> Iterator[Any]:
    yield MemoryBackend().control


def protocol_signature(method: str) -> inspect.Signature:
    """The protocol method's signature without ``self``, as a bound method shows it."""
    signature = inspect.signature(getattr(RolloutControl, method))
    return signature.replace(parameters=list(signature.parameters.values())[1:])


@pytest.mark.parametrize(
    "control",
    [kubernetes_control, marathon_control, memory_control],
    ids=["kubernetes", "marathon", "memory"],
)
@pytest.mark.parametrize("method", ["hold", "release", "fail"])
def test_each_rollout_control_has_the_protocol_signatures(
    control: Callable[[], AbstractContextManager[Any]], method: str
) -> None:
    with control() as given:
        assert inspect.signature(getattr(given, method)) == protocol_signature(method)
