"""Settings for the whole run: where the Marathon emulator finds Marathon's app schema.

The emulator checks apps against Marathon's ``AppDefinition.json`` only when it is told
where that file is (``ORCHSDK_MARATHON_SCHEMA``, or its ``schema=`` argument). This
project keeps the file in ``../shared`` beside the clone, so when the variable is unset
and the file is there, the run points the variable at it, for this process and the
examples and scripts it starts.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SCHEMA_ENV = "ORCHSDK_MARATHON_SCHEMA"
SHARED_SCHEMA = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "marathon-api"
    / "schema"
    / "AppDefinition.json"
)


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get(SCHEMA_ENV) and SHARED_SCHEMA.is_file():
        os.environ[SCHEMA_ENV] = str(SHARED_SCHEMA)
