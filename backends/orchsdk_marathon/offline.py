"""Rendering for Marathon without a Marathon: the ``marathon`` target of ``orchsdk.renderers``.

Connected, the backend learns its capabilities from ``/v2/info`` (secrets, GPUs). For a
dry run (``orchsdk render --to marathon``) there is nothing to ask, so the target's
options say what to assume: by default a DC/OS Marathon with the secret store, on the
Docker containerizer. Rendering itself is the backend's own pure code.
"""

from __future__ import annotations

from orchsdk import Capabilities
from orchsdk_marathon.backend import MarathonBackend
from orchsdk_marathon.config import Settings
from orchsdk_marathon.support import capabilities_for

__all__ = ["OfflineMarathon", "offline_backend"]

_TRUE = ("1", "true", "yes", "on")


class OfflineMarathon(MarathonBackend):
    """A Marathon backend whose capabilities are assumed, not read: it sends no request."""

    def __init__(self, settings: Settings, capabilities: Capabilities) -> None:
        super().__init__(settings)
        self._assumed = capabilities

    @property
    def capabilities(self) -> Capabilities:
        return self._assumed


def offline_backend(
    *, containerizer: str = "docker", secrets: bool | str = True
) -> OfflineMarathon:
    """A backend that renders as a Marathon with these features would.

    ``containerizer`` is ``docker`` or ``mesos`` (as when connecting); ``secrets`` says
    whether to assume the DC/OS secret store and Marathon's ``secrets`` feature.
    """
    with_secrets = secrets if isinstance(secrets, bool) else secrets.lower() in _TRUE
    features = ("gpu_resources", "secrets") if with_secrets else ("gpu_resources",)
    capabilities = capabilities_for(
        secret_store=with_secrets, features=features, containerizer=containerizer
    )
    settings = Settings(
        servers=("http://marathon.invalid",),
        containerizer=containerizer,  # type: ignore[arg-type]  # checked by Settings
    )
    return OfflineMarathon(settings, capabilities)
