"""orchsdk's Kubernetes backend: ``orchsdk.connect("kubernetes://?context=prod")``.

Registered through the ``orchsdk.backends`` entry point, like any plugin. Importing
this package is cheap; ``kubernetes`` itself is imported when a backend is made.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchsdk_kubernetes.backend import KubernetesBackend as KubernetesBackend

__all__ = ["KubernetesBackend"]


def __getattr__(name: str) -> object:
    if name == "KubernetesBackend":
        from orchsdk_kubernetes.backend import KubernetesBackend

        return KubernetesBackend
    raise AttributeError(f"module 'orchsdk_kubernetes' has no attribute {name!r}")
