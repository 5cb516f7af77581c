"""Discovery documents: ``/version``, ``/api``, ``/apis``, ``/apis/{group}`` and the resource lists.

Clients (kubectl, the dynamic client) read these to learn which groups, versions and
resources exist, whether they are namespaced, their verbs and short names. The shapes
are the legacy (non-aggregated) discovery format, which every client still accepts.
"""

from __future__ import annotations

from typing import Any

from orchsdk_kubernetes.testing.resources import RESOURCES, group_versions

__all__ = [
    "KUBERNETES_VERSION",
    "api_group",
    "api_groups",
    "api_versions",
    "resource_list",
    "version",
]

KUBERNETES_VERSION = (1, 37, 0)


def version() -> dict[str, Any]:
    """``/version``: the Kubernetes release the emulator claims (newest schemas bundled)."""
    major, minor, patch = KUBERNETES_VERSION
    return {
        "major": str(major),
        "minor": str(minor),
        "emulationMajor": str(major),
        "emulationMinor": str(minor),
        "minCompatibilityMajor": str(major),
        "minCompatibilityMinor": str(minor - 1),
        "gitVersion": f"v{major}.{minor}.{patch}",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.25.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def api_versions(server_address: str) -> dict[str, Any]:
    """``/api``: the core group's versions."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _group(name: str, versions: list[str]) -> dict[str, Any]:
    listed = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": listed, "preferredVersion": listed[0]}


def api_groups() -> dict[str, Any]:
    """``/apis``: the named groups."""
    groups = [_group(name, versions) for name, versions in group_versions().items() if name]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(name: str) -> dict[str, Any] | None:
    """``/apis/{group}``."""
    versions = group_versions().get(name)
    if not name or not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name, versions)}


def resource_list(group: str, version: str) -> dict[str, Any] | None:
    """``/api/v1`` or ``/apis/{group}/{version}``: the resources and their subresources."""
    served = [rt for rt in RESOURCES if rt.group == group and rt.version == version]
    if not served:
        return None
    resources: list[dict[str, Any]] = []
    for rt in served:
        entry: dict[str, Any] = {
            "name": rt.plural,
            "singularName": rt.singular,
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": list(rt.verbs),
        }
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.categories:
            entry["categories"] = list(rt.categories)
        resources.append(entry)
        for sub in rt.subresources:
            item: dict[str, Any] = {
                "name": f"{rt.plural}/{sub}",
                "singularName": "",
                "namespaced": rt.namespaced,
                "kind": rt.kind,
                "verbs": ["get", "patch", "update"],
            }
            if sub == "scale":
                item.update({"group": "autoscaling", "version": "v1", "kind": "Scale"})
            resources.append(item)
    group_version = f"{group}/{version}" if group else version
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }


def _group_version_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def openapi_index() -> dict[str, Any]:
    """``/openapi/v3``: where each group-version's document is."""
    paths = {}
    for group, versions in group_versions().items():
        for version_name in versions:
            path = _group_version_path(group, version_name)
            paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash=emulator"}
    return {"paths": paths}


def openapi_document(group: str, version: str) -> dict[str, Any] | None:
    """A minimal OpenAPI v3 document for one group-version.

    It lists each object path's PATCH with the group-version-kind and the query
    parameters, which is what kubectl reads to decide that the server validates fields
    itself (``fieldValidation``) and supports ``dryRun``; it carries no schemas, so
    ``kubectl explain`` and client-side validation have nothing to work with.
    """
    served = [rt for rt in RESOURCES if rt.group == group and rt.version == version]
    if not served:
        return None
    parameters = [
        {"name": name, "in": "query", "schema": {"type": "string"}}
        for name in ("dryRun", "fieldManager", "fieldValidation", "force")
    ]
    paths: dict[str, Any] = {}
    for rt in served:
        gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
        base = f"/{_group_version_path(group, version)}"
        if rt.namespaced:
            base += "/namespaces/{namespace}"
        operation = {
            "operationId": f"patch{rt.kind}",
            "x-kubernetes-action": "patch",
            "x-kubernetes-group-version-kind": gvk,
            "parameters": parameters,
            "responses": {"200": {"description": "OK"}},
        }
        paths[f"{base}/{rt.plural}/{{name}}"] = {"patch": operation}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": f"v{'.'.join(map(str, KUBERNETES_VERSION))}"},
        "paths": paths,
        "components": {"schemas": {}},
    }
