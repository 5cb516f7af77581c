"""Fixtures for the docs tests: the site's sources live in ``docs/``, next to ``tests/``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


def load_docs_script(name: str) -> ModuleType:
    """A script of ``docs/`` (not a package), imported by path: ``gen_mapping``."""
    path = DOCS / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"orchsdk_docs_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def docs_dir() -> Path:
    return DOCS


@pytest.fixture(scope="session")
def gen_mapping() -> ModuleType:
    return load_docs_script("gen_mapping")
