"""The resource types the emulator serves, as the API server's discovery describes them.

One :class:`ResourceType` per kind: where it lives (group, version, plural), whether it is
namespaced, which subresources it has and which name rule its objects follow. Routing,
discovery, error messages and the store all read this table, so adding a kind starts here.
"""

from __future__ import annotations

from typing import Literal

import attrs

__all__ = ["RESOURCES", "ResourceType", "by_key", "by_kind", "group_versions", "lookup"]

NameRule = Literal["subdomain", "label", "dns1035"]

_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@attrs.frozen
class ResourceType:
    """One kind of object: its API coordinates and the server-side traits the emulator needs."""

    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    name_rule: NameRule = "subdomain"
    has_generation: bool = False
    # DELETE answers with the deleted object (else with a Success Status), as the real registry.
    returns_deleted: bool = False
    categories: tuple[str, ...] = ()
    field_labels: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        """``apps/v1``, or ``v1`` for the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> str:
        """The store's name for this type: ``deployments.apps`` or ``secrets``."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self) -> str:
        """``Deployment.apps`` or ``Secret``: how Invalid messages name the kind."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def base_path(self) -> str:
        """``/apis/apps/v1`` or ``/api/v1``."""
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The URL path of the collection or of one object."""
        parts = [self.base_path]
        if self.namespaced and namespace:
            parts.append(f"namespaces/{namespace}")
        parts.append(self.plural)
        if name:
            parts.append(name)
        return "/".join(parts)

    @property
    def verbs(self) -> tuple[str, ...]:
        return _VERBS


_META_FIELDS = ("metadata.name", "metadata.namespace")


def _workload(kind: str, short_name: str, *field_labels: str) -> ResourceType:
    """An apps/v1 workload with a generation and the scale and status subresources, in the
    ``all`` category: what Deployments and ReplicaSets have in common."""
    return ResourceType(
        "apps",
        "v1",
        f"{kind.lower()}s",
        kind.lower(),
        kind,
        short_names=(short_name,),
        subresources=("scale", "status"),
        has_generation=True,
        categories=("all",),
        field_labels=(*_META_FIELDS, *field_labels),
    )


RESOURCES: tuple[ResourceType, ...] = (
    ResourceType(
        "",
        "v1",
        "namespaces",
        "namespace",
        "Namespace",
        namespaced=False,
        short_names=("ns",),
        subresources=("status",),
        name_rule="label",
        returns_deleted=True,
        field_labels=(*_META_FIELDS, "status.phase"),
    ),
    ResourceType(
        "",
        "v1",
        "pods",
        "pod",
        "Pod",
        short_names=("po",),
        subresources=("status",),
        returns_deleted=True,
        categories=("all",),
        field_labels=(
            *_META_FIELDS,
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ),
    ),
    ResourceType(
        "",
        "v1",
        "services",
        "service",
        "Service",
        short_names=("svc",),
        subresources=("status",),
        name_rule="dns1035",
        returns_deleted=True,
        categories=("all",),
        field_labels=(*_META_FIELDS, "spec.clusterIP", "spec.type"),
    ),
    ResourceType("", "v1", "secrets", "secret", "Secret", field_labels=(*_META_FIELDS, "type")),
    ResourceType(
        "",
        "v1",
        "configmaps",
        "configmap",
        "ConfigMap",
        short_names=("cm",),
        field_labels=_META_FIELDS,
    ),
    _workload("Deployment", "deploy"),
    _workload("ReplicaSet", "rs", "status.replicas"),
    ResourceType(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        "HorizontalPodAutoscaler",
        short_names=("hpa",),
        subresources=("status",),
        categories=("all",),
        field_labels=_META_FIELDS,
    ),
    ResourceType(
        "",
        "v1",
        "events",
        "event",
        "Event",
        short_names=("ev",),
        field_labels=(
            *_META_FIELDS,
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ),
    ),
    ResourceType(
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        "endpointslice",
        "EndpointSlice",
        field_labels=_META_FIELDS,
    ),
)

_BY_PATH = {(rt.group, rt.version, rt.plural): rt for rt in RESOURCES}
_BY_KIND = {rt.kind: rt for rt in RESOURCES}
_BY_KEY = {rt.key: rt for rt in RESOURCES}


def lookup(group: str, version: str, plural: str) -> ResourceType | None:
    """The type served at ``/apis/{group}/{version}/{plural}`` (group ``""`` for ``/api``)."""
    return _BY_PATH.get((group, version, plural))


def by_kind(kind: str) -> ResourceType:
    """The type of a kind name, e.g. ``by_kind("Deployment")``."""
    return _BY_KIND[kind]


def by_key(key: str) -> ResourceType:
    """The type of a store key, e.g. ``by_key("deployments.apps")``."""
    return _BY_KEY[key]


def group_versions() -> dict[str, list[str]]:
    """Each served group (``""`` = core) and its versions, for discovery."""
    result: dict[str, list[str]] = {}
    for rt in RESOURCES:
        versions = result.setdefault(rt.group, [])
        if rt.version not in versions:
            versions.append(rt.version)
    return result
