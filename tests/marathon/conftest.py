"""Fixtures and import path for the Marathon backend's tests (``tests/marathon``).

pytest runs with ``--import-mode=importlib`` and only ``tests/`` on ``sys.path``; this
directory is added too, so that its test modules can ``import marathon_helpers``.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
