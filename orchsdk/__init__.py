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

# The public names, listed once: type checkers and IDEs read these imports; at run time
# they are not executed, and _public_names() reads them from this file's text instead, so
# that __getattr__ imports each name's module only when the name is first used.
if TYPE_CHECKING:
    from orchsdk.backend import Backend as Backend
    from orchsdk.capabilities import Capabilities as Capabilities
    from orchsdk.capabilities import Unsupported as Unsupported
    from orchsdk.diffing import Change as Change
    from orchsdk.diffing import Comparison as Comparison
    from orchsdk.diffing import ResourceDiff as ResourceDiff
    from orchsdk.errors import AnswerTooLarge as AnswerTooLarge
    from orchsdk.errors import BackendUnavailable as BackendUnavailable
    from orchsdk.errors import Conflict as Conflict
    from orchsdk.errors import FieldError as FieldError
    from orchsdk.errors import NotFound as NotFound
    from orchsdk.errors import OrchestratorError as OrchestratorError
    from orchsdk.errors import PermissionDenied as PermissionDenied
    from orchsdk.errors import Redirected as Redirected
    from orchsdk.errors import RolloutFailed as RolloutFailed
    from orchsdk.errors import SettingsError as SettingsError
    from orchsdk.errors import UnexpectedResponse as UnexpectedResponse
    from orchsdk.errors import UnsupportedFeature as UnsupportedFeature
    from orchsdk.errors import ValidationError as ValidationError
    from orchsdk.errors import WaitTimeout as WaitTimeout
    from orchsdk.manifest_jsonschema import manifest_schema as manifest_schema
    from orchsdk.manifests import ManifestError as ManifestError
    from orchsdk.manifests import dump_manifests as dump_manifests
    from orchsdk.manifests import load_manifests as load_manifests
    from orchsdk.models import Action as Action
    from orchsdk.models import ApplyResult as ApplyResult
    from orchsdk.models import DeploymentStatus as DeploymentStatus
    from orchsdk.models import Endpoint as Endpoint
    from orchsdk.models import Event as Event
    from orchsdk.models import EventType as EventType
    from orchsdk.models import Failure as Failure
    from orchsdk.models import FailureReason as FailureReason
    from orchsdk.models import Instance as Instance
    from orchsdk.models import Phase as Phase
    from orchsdk.models import Revision as Revision
    from orchsdk.orchestrator import Orchestrator as Orchestrator
    from orchsdk.orchestrator import UnsupportedFeatureWarning as UnsupportedFeatureWarning
    from orchsdk.plugins import connect as connect
    from orchsdk.plugins import register_backend as register_backend
    from orchsdk.retry import NO_RETRY as NO_RETRY
    from orchsdk.retry import RetryPolicy as RetryPolicy
    from orchsdk.specs import KINDS as KINDS
    from orchsdk.specs import REDACTED as REDACTED
    from orchsdk.specs import Autoscaler as Autoscaler
    from orchsdk.specs import ConfigMap as ConfigMap
    from orchsdk.specs import Deployment as Deployment
    from orchsdk.specs import Resource as Resource
    from orchsdk.specs import Secret as Secret
    from orchsdk.specs import Service as Service
    from orchsdk.validation import validate as validate
    from orchsdk.values import ConfigRef as ConfigRef
    from orchsdk.values import Constraint as Constraint
    from orchsdk.values import FileMount as FileMount
    from orchsdk.values import HealthCheck as HealthCheck
    from orchsdk.values import Port as Port
    from orchsdk.values import Resources as Resources
    from orchsdk.values import Rollout as Rollout
    from orchsdk.values import SecretRef as SecretRef


def _public_names() -> dict[str, str]:
    """Each public name and the module it comes from, read off the block above."""
    with open(__file__, encoding="utf-8") as source:
        lines = source.read().partition("\nif TYPE_CHECKING:\n")[2].splitlines()
    found = {}
    for line in lines:
        if not line.startswith("    from "):
            break
        _, module, _, name, *_ = line.split()
        found[name] = module
    return found


_MODULE_OF = _public_names()
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'orchsdk' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
