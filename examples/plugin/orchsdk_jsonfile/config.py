"""The jsonfile backend's settings, from ``jsonfile://PATH[?options]`` and keyword options.

Built with :func:`orchsdk.settings.settings_from`, as every backend's are, so a misspelt
option is a :class:`~orchsdk.SettingsError` listing the known ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from orchsdk import SettingsError
from orchsdk.backend import url_options
from orchsdk.settings import settings_from

__all__ = ["Settings", "parse_url"]


def _positive(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ValueError(f"{attribute.name} must be at least 1, got {value}")


@attrs.frozen
class Settings:
    """Where the cluster file is, and how many instances one deployment may keep in it.

    ``path`` is ``None`` only for the offline backend, which renders and never reads.
    """

    path: str | None = None
    max_instances: int = attrs.field(default=100, converter=int, validator=_positive)


def parse_url(url: str, options: Mapping[str, Any]) -> Settings:
    """``jsonfile:///absolute/path.json`` or ``jsonfile://relative.json``; keyword options win."""
    parts = urlsplit(url)
    if not parts.netloc + parts.path:
        raise SettingsError(f"{url!r} names no file; e.g. 'jsonfile:///tmp/cluster.json'")
    given = {**url_options(url), **options, "path": parts.netloc + parts.path}
    return settings_from(Settings, given, backend="jsonfile")
