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
from orchsdk_marathon.testing import MarathonEmulator

from orchsdk import Backend
from orchsdk.testing import BackendContract, RolloutControl

LIVE = os.environ.get("ORCHSDK_LIVE_MARATHON")


class TestMarathonOnEmulator(BackendContract):
    timeout = 20.0
    options: dict[str, Any] = {}
    running: MarathonEmulator

    @pytest.fixture(autouse=True, scope="class")
    @classmethod
    def emulator(cls) -> Iterator[MarathonEmulator]:
        """One emulator per class: each contract test has its own namespace in it."""
        schema = schema_path()
        with MarathonEmulator(secrets=True, schema=schema, deployment_seconds=0.1) as running:
            cls.running = running
            yield running

    def make_backend(self) -> Backend:
        return MarathonBackend.from_url(self.running.url, **self.options)

    def rollout_control(self, backend: Backend) -> RolloutControl:
        return self.running.rollout_control


class TestMarathonOnEmulatorUcr(TestMarathonOnEmulator):
    options: dict[str, Any] = {"containerizer": "mesos"}


@pytest.mark.skipif(not LIVE, reason="set ORCHSDK_LIVE_MARATHON=<marathon+http(s):// URL> to run")
class TestMarathonLive(BackendContract):
    timeout = 600.0

    def make_backend(self) -> Backend:
        assert LIVE is not None
        return MarathonBackend.from_url(LIVE)
