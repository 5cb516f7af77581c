"""The API reference (docs/reference/) documents every name that ``orchsdk`` exports.

A name added to ``orchsdk.__all__`` needs a ``::: orchsdk.NAME`` line on a reference page;
``mkdocs build --strict`` then fails if the name cannot be rendered.
"""

from __future__ import annotations

import re
from pathlib import Path

import orchsdk

DIRECTIVE = re.compile(r"^::: (?P<path>[\w.]+)", re.M)


def documented(docs_dir: Path) -> set[str]:
    return {
        match["path"]
        for page in (docs_dir / "reference").glob("*.md")
        for match in DIRECTIVE.finditer(page.read_text(encoding="utf-8"))
    }


def test_every_public_name_has_a_reference_entry(docs_dir: Path) -> None:
    paths = documented(docs_dir)
    missing = sorted(name for name in orchsdk.__all__ if f"orchsdk.{name}" not in paths)
    assert not missing, f"add these to a page of docs/reference/: {missing}"


def test_the_testing_kit_and_the_emulators_are_documented(docs_dir: Path) -> None:
    import orchsdk_kubernetes.testing
    import orchsdk_marathon.testing

    import orchsdk.testing

    paths = documented(docs_dir)
    for module in (orchsdk.testing, orchsdk_kubernetes.testing, orchsdk_marathon.testing):
        missing = [n for n in module.__all__ if f"{module.__name__}.{n}" not in paths]
        assert not missing, f"add these to docs/reference/: {module.__name__} {missing}"
