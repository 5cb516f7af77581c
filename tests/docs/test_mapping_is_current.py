"""docs/mapping.md is generated from the renderers: it must be what the generator writes now.

When this fails, a renderer (or a capability, or a row of ``docs/gen_mapping.py``)
changed: run ``python docs/gen_mapping.py`` and commit the page with the change.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest


def test_mapping_page_is_current(docs_dir: Path, gen_mapping: ModuleType) -> None:
    page = docs_dir / "mapping.md"
    assert page.read_text(encoding="utf-8") == gen_mapping.generate(), (
        "docs/mapping.md is out of date: run `python docs/gen_mapping.py`"
    )


def test_every_row_shows_both_orchestrators(gen_mapping: ModuleType) -> None:
    text = gen_mapping.generate()
    for row in gen_mapping.ROWS:
        section = text.split(f"{{ #{row.slug} }}", 1)[1].split("\n## ", 1)[0]
        assert "**Kubernetes**" in section, row.slug
        assert "**Marathon" in section, row.slug


def test_a_path_the_renderer_does_not_produce_is_an_error(gen_mapping: ModuleType) -> None:
    document = {"spec": {"replicas": 3}}
    assert gen_mapping.fragment(document, ["spec.replicas"], "t") == {"spec": {"replicas": 3}}
    with pytest.raises(KeyError, match=r"spec\.paused"):
        gen_mapping.fragment(document, ["spec.paused"], "row")


def test_paths_name_list_items_and_quoted_keys(gen_mapping: ModuleType) -> None:
    assert gen_mapping.steps('a.b[0]["c.d"].e') == ["a", "b", 0, "c.d", "e"]
    document = {"items": [{"name": "app", "image": "x", "args": ["a"]}]}
    assert gen_mapping.fragment(document, ["items[0].args"], "t") == {
        "items": [{"name": "app", "args": ["a"]}]
    }


def test_optional_paths_show_only_when_the_renderer_writes_them(gen_mapping: ModuleType) -> None:
    document = {"labels": {"orchsdk.command": "1"}}
    paths = ['labels["orchsdk.command"]?', 'labels["orchsdk.rollout"]?', "labels"]
    assert gen_mapping.present(document, paths) == ('labels["orchsdk.command"]', "labels")
