"""The Python examples of the guide pages run as they are, in order, page by page.

Each page's ``python`` blocks are executed one after the other in one namespace, as a
reader pasting them into a Python prompt would (getting-started's snippets continue each
other). Pages whose blocks need a real cluster or a plugin are not listed here; the
testing page's examples are a test module of their own (``test_testing_example.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from orchsdk_kubernetes.testing import KubernetesEmulator

PAGES = [
    "index.md",
    "getting-started.md",
    "concepts.md",
    "capabilities.md",
    "errors-and-retries.md",
]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text(encoding="utf-8"))


def run(blocks: list[str], page: str) -> None:
    namespace: dict[str, object] = {"__name__": f"snippets_of_{page}"}
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"{page}, python block {number}", "exec"), namespace)


@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run(docs_dir: Path, page: str) -> None:
    blocks = python_blocks(docs_dir / page)
    assert blocks, f"{page} has no python blocks"
    run(blocks, page)


def test_getting_started_runs_on_the_kubernetes_emulator_too(docs_dir: Path) -> None:
    """The page says its memory:// walk-through runs on a cluster's URL as well."""
    blocks = python_blocks(docs_dir / "getting-started.md")
    memory = 'orchsdk.connect("memory://")'
    assert sum(memory in block for block in blocks) == 1
    with KubernetesEmulator() as cluster:
        run([block.replace(memory, f"orchsdk.connect({cluster.url!r})") for block in blocks], "gs")
        assert not cluster.internal_errors
