"""The contract suite against the Marathon backend: on the local emulator, and live.

``TestMarathonOnEmulator`` runs every contract test against
``orchsdk_marathon.testing.MarathonEmulator`` (with the secret store, and Marathon's
``AppDefinition.json`` checking every app written); ``TestMarathonOnEmulatorUcr`` runs it
again with ``containerizer=mesos``, where secret files are on. Skips name the
capabilities Marathon lacks.

``TestMarathonLive`` runs the same suite against a real Marathon when
``ORCHSDK_LIVE_MARATHON`` is its ``marathon+http(s)://`` URL (with the usual options in
the query, e.g. ``?secret_store=...``; a token from ``DCOS_ACS_TOKEN``); it is skipped
otherwise. Tests that need a held or failed rollout are skipped there (no control).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from marathon_helpers import schema_path
from orchsdk_marathon import MarathonBackend

from orchsdk import Backend
from orchsdk.testing import BackendContract, RolloutControl

LIVE = os.environ.get("ORCHSDK_LIVE_MARATHON")

try:
    from orchsdk_marathon.testing import MarathonEmulator
except ImportError:  # the emulator is not there yet
    MarathonEmulator = None  # type: ignore[assignment,misc]


class EmulatorRollouts:
    """Maps the contract's rollout control (name, namespace) to the emulator's (app id)."""

    def __init__(self, emulator: Any) -> None:
        self._control = emulator.control

    def hold(self, name: str, namespace: str) -> None:
        self._control.hold(f"/{namespace}/{name}")

    def release(self, name: str, namespace: str) -> None:
        self._control.release(f"/{namespace}/{name}")

    def fail(self, name: str, namespace: str) -> None:
        self._control.fail(f"/{namespace}/{name}")


@pytest.mark.skipif(MarathonEmulator is None, reason="orchsdk_marathon.testing is not there yet")
class TestMarathonOnEmulator(BackendContract):
    timeout = 20.0
    options: dict[str, Any] = {}
    running: Any = None

    @pytest.fixture(autouse=True, scope="class")
    @classmethod
    def emulator(cls) -> Iterator[Any]:
        """One emulator per class: each contract test has its own namespace in it."""
        schema = schema_path()
        with MarathonEmulator(secrets=True, schema=schema, deployment_seconds=0.1) as running:
            cls.running = running
            yield running
        cls.running = None

    def make_backend(self) -> Backend:
        return MarathonBackend.from_url(self.running.url, **self.options)

    def rollout_control(self, backend: Backend) -> RolloutControl:
        return EmulatorRollouts(self.running)


class TestMarathonOnEmulatorUcr(TestMarathonOnEmulator):
    options: dict[str, Any] = {"containerizer": "mesos"}


@pytest.mark.skipif(not LIVE, reason="set ORCHSDK_LIVE_MARATHON=<marathon+http(s):// URL> to run")
class TestMarathonLive(BackendContract):
    timeout = 600.0

    def make_backend(self) -> Backend:
        assert LIVE is not None
        return MarathonBackend.from_url(LIVE)
