"""orchsdk: deploy, expose, keep secrets and scale on any container orchestrator, one API.

>>> import orchsdk
>>> from orchsdk import Deployment, Port
>>> with orchsdk.connect("memory://") as orch:
...     results = orch.apply(Deployment("web", image="nginx:1.27", ports=[Port(80)]))
...     [str(result) for result in results]
['deployment/web created']

Names are imported on first use, so ``import orchsdk`` stays fast and loads no backend.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # not imported from typing: importing typing costs more than all the rest

__version__ = "0.1.0"

_EXPORTS = {
    "orchsdk.backend": ("Backend",),
    "orchsdk.capabilities": ("Capabilities", "Unsupported"),
    "orchsdk.diffing": ("Change", "ResourceDiff"),
    "orchsdk.errors": (
        "BackendUnavailable",
        "Conflict",
        "FieldError",
        "NotFound",
        "OrchestratorError",
        "RolloutFailed",
        "UnsupportedFeature",
        "ValidationError",
        "WaitTimeout",
    ),
    "orchsdk.models": (
        "Action",
        "ApplyResult",
        "DeploymentStatus",
        "Endpoint",
        "Instance",
        "Phase",
    ),
    "orchsdk.orchestrator": ("Orchestrator", "UnsupportedFeatureWarning"),
    "orchsdk.registry": ("connect", "register_backend"),
    "orchsdk.resources": (
        "KINDS",
        "REDACTED",
        "Autoscaler",
        "ConfigMap",
        "Deployment",
        "Resource",
        "Secret",
        "Service",
    ),
    "orchsdk.retry": ("RetryPolicy",),
    "orchsdk.validation": ("validate",),
    "orchsdk.values": (
        "ConfigRef",
        "Constraint",
        "FileMount",
        "HealthCheck",
        "Port",
        "Resources",
        "Rollout",
        "SecretRef",
    ),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)

if TYPE_CHECKING:
    from orchsdk.backend import Backend
    from orchsdk.capabilities import Capabilities, Unsupported
    from orchsdk.diffing import Change, ResourceDiff
    from orchsdk.errors import (
        BackendUnavailable,
        Conflict,
        FieldError,
        NotFound,
        OrchestratorError,
        RolloutFailed,
        UnsupportedFeature,
        ValidationError,
        WaitTimeout,
    )
    from orchsdk.models import Action, ApplyResult, DeploymentStatus, Endpoint, Instance, Phase
    from orchsdk.orchestrator import Orchestrator, UnsupportedFeatureWarning
    from orchsdk.registry import connect, register_backend
    from orchsdk.resources import (
        KINDS,
        REDACTED,
        Autoscaler,
        ConfigMap,
        Deployment,
        Resource,
        Secret,
        Service,
    )
    from orchsdk.retry import RetryPolicy
    from orchsdk.validation import validate
    from orchsdk.values import (
        ConfigRef,
        Constraint,
        FileMount,
        HealthCheck,
        Port,
        Resources,
        Rollout,
        SecretRef,
    )


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'orchsdk' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
