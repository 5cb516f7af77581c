"""The ``marathon_emulator`` pytest fixture (registered as the ``orchsdk_marathon`` plugin).

The emulator validates every app written against Marathon's ``AppDefinition.json`` when
``ORCHSDK_MARATHON_SCHEMA`` names that file. Marathon's schema is not shipped with
orchsdk, and nothing here looks for it anywhere else.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from orchsdk_marathon.testing.emulator import MarathonEmulator

__all__ = ["SCHEMA_ENV", "marathon_emulator", "marathon_schema_path"]

SCHEMA_ENV = "ORCHSDK_MARATHON_SCHEMA"


def marathon_schema_path() -> Path | None:
    """The file ``ORCHSDK_MARATHON_SCHEMA`` names, or ``None`` when it is not set."""
    configured = os.environ.get(SCHEMA_ENV)
    return Path(configured) if configured else None


@pytest.fixture
def marathon_emulator() -> Iterator[MarathonEmulator]:
    """A running :class:`~orchsdk_marathon.testing.MarathonEmulator` with the secret store.

    Deployments finish on their own in about 0.2 s; use ``marathon_emulator.control`` to
    hold, step, fail or lock them.
    """
    from orchsdk_marathon.testing.emulator import MarathonEmulator

    with MarathonEmulator(schema=marathon_schema_path(), deployment_seconds=0.2) as emulator:
        yield emulator
