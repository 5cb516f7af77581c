"""The ``marathon_emulator`` pytest fixture (registered as the ``orchsdk_marathon`` plugin).

The emulator validates every app written against Marathon's ``AppDefinition.json``
when it can find it: from ``ORCHSDK_MARATHON_SCHEMA``, else at
``<rootdir>/../shared/marathon-api/schema/AppDefinition.json`` (where this project's CI
keeps it). Marathon's schema is not shipped with orchsdk.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from orchsdk_marathon.testing.emulator import MarathonEmulator

__all__ = ["marathon_emulator", "marathon_schema_path"]

SCHEMA_ENV = "ORCHSDK_MARATHON_SCHEMA"
_RELATIVE_SCHEMA = Path("..", "shared", "marathon-api", "schema", "AppDefinition.json")


def marathon_schema_path(rootdir: Path | None = None) -> Path | None:
    """Where Marathon's ``AppDefinition.json`` is, or ``None`` if it is not around."""
    configured = os.environ.get(SCHEMA_ENV)
    if configured:
        return Path(configured)
    candidates = [Path(__file__).resolve().parents[3] / _RELATIVE_SCHEMA]
    if rootdir is not None:
        candidates.insert(0, rootdir / _RELATIVE_SCHEMA)
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    return None


@pytest.fixture
def marathon_emulator(request: pytest.FixtureRequest) -> Iterator[MarathonEmulator]:
    """A running :class:`~orchsdk_marathon.testing.MarathonEmulator` with the secret store.

    Deployments finish on their own in about 0.2 s; use ``marathon_emulator.control`` to
    hold, step, fail or lock them.
    """
    from orchsdk_marathon.testing.emulator import MarathonEmulator

    schema = marathon_schema_path(Path(str(request.config.rootpath)))
    with MarathonEmulator(schema=schema, deployment_seconds=0.2) as emulator:
        yield emulator
