"""The public API: every exported name resolves, ``import orchsdk`` stays light, the docs run."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys

import pytest

import orchsdk
import orchsdk.specs

BACKEND_LIBRARIES = [
    "kubernetes",
    "requests",
    "urllib3",
    "orchsdk_memory",
    "orchsdk_kubernetes",
    "orchsdk_marathon",
]


def modules_loaded_after(statement: str, candidates: list[str]) -> list[str]:
    """Which of ``candidates`` a fresh interpreter has imported after running ``statement``."""
    report = f"print(json.dumps([m for m in {candidates!r} if m in sys.modules]))"
    code = f"{statement}\nimport json, sys\n{report}"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded: list[str] = json.loads(done.stdout)
    return loaded


def test_import_orchsdk_loads_no_backend_library_and_no_dependency() -> None:
    assert modules_loaded_after("import orchsdk", [*BACKEND_LIBRARIES, "attrs", "tenacity"]) == []


def test_the_whole_public_api_loads_no_backend_library() -> None:
    assert modules_loaded_after("from orchsdk import *", BACKEND_LIBRARIES) == []


@pytest.mark.parametrize("name", orchsdk.__all__)
def test_every_exported_name_resolves_and_is_kept(name: str) -> None:
    value = getattr(orchsdk, name)

    assert vars(orchsdk)[name] is value


def test_dir_lists_every_exported_name() -> None:
    assert set(orchsdk.__all__) <= set(dir(orchsdk))


def test_all_is_sorted_and_without_duplicates() -> None:
    assert orchsdk.__all__ == sorted(set(orchsdk.__all__))


def test_an_unknown_name_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'orchsdk' has no attribute 'Pod'"):
        orchsdk.Pod  # noqa: B018


def test_star_import_gives_exactly_the_exported_names() -> None:
    namespace: dict[str, object] = {}

    exec("from orchsdk import *", namespace)

    assert set(namespace) - {"__builtins__"} == set(orchsdk.__all__)


def test_the_package_has_a_version() -> None:
    assert orchsdk.__version__ == "0.1.0"


def test_the_package_docstring_example_runs() -> None:
    results = doctest.testmod(orchsdk, optionflags=doctest.ELLIPSIS, report=False)

    assert results.attempted > 0
    assert results.failed == 0


def test_the_resources_docstring_examples_run() -> None:
    results = doctest.testmod(orchsdk.specs, optionflags=doctest.ELLIPSIS, report=False)

    assert results.attempted > 0
    assert results.failed == 0


@pytest.mark.parametrize(
    "package", ["orchsdk", "orchsdk_memory", "orchsdk_kubernetes", "orchsdk_marathon"]
)
def test_every_shipped_package_is_marked_typed(package: str) -> None:
    import importlib.resources

    assert importlib.resources.files(package).joinpath("py.typed").is_file()
