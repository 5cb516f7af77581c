"""No import circles: in the core and in every backend, each module imports alone.

A circle hidden by function-level imports still couples two modules (and fails the day
one of them is imported first), so the static check reads every import statement,
function-level ones included, except those under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "orchsdk": ROOT / "orchsdk",
    "orchsdk_memory": ROOT / "backends" / "orchsdk_memory",
    "orchsdk_kubernetes": ROOT / "backends" / "orchsdk_kubernetes",
    "orchsdk_marathon": ROOT / "backends" / "orchsdk_marathon",
}


def modules_of(package: str) -> dict[str, Path]:
    """Every module of a package by dotted name (``orchsdk_marathon.render``)."""
    root = PACKAGES[package]
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join((package, *parts))] = path
    return found


def _runtime_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in {
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        }:
            yield from (n for child in node.orelse for n in _runtime_imports(child))
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        yield from _runtime_imports(node)


def imports_within(package: str, module: str, path: Path) -> set[str]:
    """The modules of ``package`` that ``module`` imports at run time."""
    known = modules_of(package)
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            qualified = [f"{base}.{alias.name}" for alias in node.names]
            names = [name if name in known else base for name in qualified]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module and name.split(".")[0] == package:
                targets.add(name)
    if package == "orchsdk":  # the core's __init__ imports nothing until a name is used
        targets.discard("orchsdk")
    return targets


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle in ``graph``, as the modules along it, or None."""
    state: dict[str, int] = {}
    trail: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        trail.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*trail[trail.index(target) :], target]
            if target not in state and (circle := visit(target)):
                return circle
        state[node] = 2
        trail.pop()
        return None

    for node in sorted(graph):
        if node not in state and (circle := visit(node)):
            return circle
    return None


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_module_imports_itself_through_others(package: str) -> None:
    graph = {
        module: imports_within(package, module, path)
        for module, path in modules_of(package).items()
    }

    assert find_circle(graph) is None


def test_the_circle_finder_finds_a_hidden_circle() -> None:
    assert find_circle({"a.parse": {"a.render"}, "a.render": {"a.parse"}}) == [
        "a.parse",
        "a.render",
        "a.parse",
    ]


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_every_module_imports_first_in_a_fresh_interpreter(package: str) -> None:
    names = sorted(name for name in modules_of(package) if not name.endswith(".__main__"))
    script = f"""
import importlib, json, sys
failed = {{}}
for name in {names!r}:
    for loaded in [m for m in sys.modules if m.split(".")[0] in {sorted(PACKAGES)!r}]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as error:
        failed[name] = f"{{type(error).__name__}}: {{error}}"
print(json.dumps(failed))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )

    assert json.loads(done.stdout) == {}
