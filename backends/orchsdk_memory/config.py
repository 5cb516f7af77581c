"""The memory backend's settings, from a ``memory://[NAME][?options]`` URL and keyword options.

Strict like every backend's (see :mod:`orchsdk.settings`): an unknown option or a
malformed value is a :class:`~orchsdk.SettingsError` before anything is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

import attrs

from orchsdk import SettingsError
from orchsdk.backend import url_options
from orchsdk.settings import seconds, settings_from

__all__ = ["Settings", "grace", "parse_url"]

RolloutMode = Literal["auto", "manual"]


def grace(value: Any) -> float:
    """A grace period in seconds: zero (gone at once) or a duration (``"1.5"`` or ``1.5``)."""
    return 0.0 if value in (0, "0") else seconds(value)


@attrs.frozen
class Settings:
    """How the in-memory orchestrator behaves.

    ``store`` names a store shared by every memory backend of this process that names it
    (``None``: a private one). ``rollout="auto"`` takes a rollout step every
    ``step_seconds``; ``"manual"`` only when a test moves it with the backend's
    :class:`~orchsdk_memory.RolloutControl`. A stopped instance stays, terminating and
    never ready, for ``termination_seconds`` (as a pod in its grace period) before it is
    gone.
    """

    store: str | None = None
    rollout: RolloutMode = attrs.field(
        default="auto", validator=attrs.validators.in_(("auto", "manual"))
    )
    step_seconds: float = attrs.field(default=0.02, converter=seconds)
    termination_seconds: float = attrs.field(default=0.0, converter=grace)


def parse_url(url: str, options: Mapping[str, Any]) -> Settings:
    """The settings of ``memory://[NAME][?rollout=auto|manual&step_seconds=S]``;
    keyword options win over the URL's."""
    if not url.lower().startswith("memory://"):
        raise SettingsError(
            f"a memory backend URL looks like 'memory://' or 'memory://NAME', got {url!r}"
        )
    parts = urlsplit(url)
    if parts.path not in ("", "/"):
        raise SettingsError(
            f"a memory backend URL names a store with its host part only "
            f"('memory://NAME'), got the path {parts.path!r} in {url!r}"
        )
    given: dict[str, Any] = {**url_options(url), **options}
    if parts.netloc:
        given.setdefault("store", parts.netloc)
    return settings_from(Settings, given, backend="memory")
