"""README's links into the repository resolve, and the docs pages it names are on the site."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


class _Loader(yaml.SafeLoader):
    """mkdocs.yml may hold tags such as ``!!python/name:``: read them as nothing."""


_Loader.add_multi_constructor("", lambda loader, suffix, node: None)
_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)

LINK = re.compile(r"\]\((?!https?://|#|mailto:)([^)#\s]+)(?:#[^)]*)?\)")


def nav_pages(entries: object) -> set[str]:
    """Every page of the mkdocs nav, as a path under docs/."""
    found: set[str] = set()
    if isinstance(entries, str):
        found.add(entries)
    elif isinstance(entries, list):
        for entry in entries:
            found |= nav_pages(entry)
    elif isinstance(entries, dict):
        for value in entries.values():
            found |= nav_pages(value)
    return found


def test_readme_links_resolve() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = LINK.findall(readme)
    assert targets, "README links nowhere"
    missing = [target for target in targets if not (ROOT / target).exists()]
    assert not missing, f"README links to files that do not exist: {missing}"


def test_readme_docs_links_are_pages_of_the_site() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Loader)
    pages = nav_pages(config["nav"])
    docs_links = [t.removeprefix("docs/") for t in LINK.findall(readme) if t.startswith("docs/")]
    assert docs_links
    assert not [link for link in docs_links if link not in pages], "README links off the nav"
