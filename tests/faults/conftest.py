"""Fixtures of the fault tests, and the figures they print at the end of the run.

pytest imports with ``--import-mode=importlib``; this directory goes on ``sys.path`` so
that the test modules can ``import faults_helpers`` (a name no other test directory uses).
Each chaos run and each property test records its figures in
:data:`faults_helpers.FIGURES`; :func:`pytest_terminal_summary` prints them, so they show
without ``-s``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import faults_helpers  # noqa: E402


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not faults_helpers.FIGURES:
        return
    terminalreporter.section("orchsdk fault figures")
    for line in faults_helpers.FIGURES:
        terminalreporter.write_line(line)
