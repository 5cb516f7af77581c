"""A local Kubernetes API server for tests, examples and users' own tests.

``KubernetesEmulator`` serves the Kubernetes REST API on 127.0.0.1 (discovery,
namespaces, deployments with their scale and status subresources, replica sets, pods,
services, endpoint slices, secrets, config maps and HPAs), with resourceVersions,
server-side apply, the other patch types, watches, schema validation and a deployment
controller whose rollouts tests can let run, hold, step or fail. The real ``kubernetes``
client and kubectl talk to it over HTTP through :attr:`KubernetesEmulator.kubeconfig`;
``orchsdk.connect(emulator.url)`` uses the orchsdk backend.

The pytest fixture ``kubernetes_emulator`` (module :mod:`.fixtures`) is registered as a
pytest plugin when orchsdk is installed.

Names are imported lazily, so that loading the pytest plugin stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchsdk_kubernetes.testing.emulator import KubernetesEmulator, RolloutControl
    from orchsdk_kubernetes.testing.errors import api_fault

__all__ = ["KubernetesEmulator", "RolloutControl", "api_fault"]


def __getattr__(name: str) -> Any:
    if name in ("KubernetesEmulator", "RolloutControl"):
        from orchsdk_kubernetes.testing import emulator

        return getattr(emulator, name)
    if name == "api_fault":
        from orchsdk_kubernetes.testing.errors import api_fault

        return api_fault
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
