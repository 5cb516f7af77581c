"""Patches: the four patch types, their options, and the three that patch a document."""

from __future__ import annotations

import json
from typing import Any

from orchsdk_kubernetes.testing import errors
from orchsdk_kubernetes.testing.errors import ApiError, FieldError
from orchsdk_kubernetes.testing.patching import (
    PatchError,
    json_patch,
    merge_patch,
    strategic_merge_patch,
)
from orchsdk_kubernetes.testing.registry.meta import Obj

__all__ = ["APPLY", "JSON_PATCH", "MERGE_PATCH", "PATCH_TYPES", "STRATEGIC", "decode", "patched"]

APPLY = "application/apply-patch+yaml"
STRATEGIC = "application/strategic-merge-patch+json"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
PATCH_TYPES = (APPLY, STRATEGIC, MERGE_PATCH, JSON_PATCH)


def decode(content_type: str, raw: bytes, *, manager: str, force: bool | None) -> Any:
    """The patch in the body, once its type and options are known to be acceptable."""
    if content_type not in PATCH_TYPES:
        raise errors.unsupported_media_type()
    _check_options(content_type, manager, force)
    try:
        return json.loads(raw or b"null")
    except ValueError as error:
        if content_type == APPLY:
            return _yaml(raw)
        raise errors.bad_request(f"error decoding patch: {error}") from None


def patched(document: Obj, content_type: str, patch: Any) -> Any:
    """``document`` with a JSON, merge or strategic merge patch applied."""
    try:
        if content_type == JSON_PATCH:
            return json_patch(document, patch)
        if content_type == MERGE_PATCH:
            if not isinstance(patch, dict):
                raise PatchError("merge patch must be a JSON object")
            return merge_patch(document, patch)
        return strategic_merge_patch(document, patch)
    except PatchError as error:
        if error.bad_request:
            raise errors.bad_request(str(error)) from None
        raise ApiError(
            errors.status(
                422,
                "Invalid",
                "the server rejected our request due to an error in our request",
                {"causes": [{"reason": "UnexpectedServerResponse", "message": str(error)}]},
            )
        ) from None


def _check_options(content_type: str, manager: str, force: bool | None) -> None:
    problems = []
    if content_type != APPLY and force is not None:
        problems.append(FieldError.forbidden("force", "may not be specified for non-apply patch"))
    if content_type == APPLY and not manager:
        problems.append(FieldError.required("fieldManager", "is required for apply patch"))
    if len(manager) > 128:
        problems.append(
            FieldError("fieldManager", "toolong", "may not be more than 128 bytes", manager, True)
        )
    if problems:
        raise errors.invalid("PatchOptions.meta.k8s.io", "", problems, "meta.k8s.io")


def _yaml(raw: bytes) -> Any:
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - PyYAML comes with kubernetes
        raise errors.bad_request("error decoding YAML: PyYAML is not installed") from None
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as error:
        raise errors.bad_request(f"error decoding YAML: {error}") from None
