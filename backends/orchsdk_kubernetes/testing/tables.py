"""``meta.k8s.io/v1`` Table answers, so ``kubectl get`` prints its usual columns.

kubectl asks for ``Accept: application/json;as=Table;v=v1;g=meta.k8s.io``; the server
then answers rows of printed cells instead of objects. The columns here are a compact
version of kubectl's defaults for each kind.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from orchsdk_kubernetes.testing.resources import ResourceType

__all__ = ["table", "wants_table"]

Obj = dict[str, Any]
Column = tuple[str, str, Callable[[Obj], Any]]


def wants_table(accept: str) -> bool:
    """Whether the Accept header asks for a Table (kubectl get does)."""
    return "as=Table" in accept


def _age(obj: Obj) -> str:
    stamp = obj["metadata"].get("creationTimestamp")
    if not stamp:
        return "<unknown>"
    created = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc
    )
    seconds = int((datetime.datetime.now(datetime.timezone.utc) - created).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= 2 * size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def _status(obj: Obj) -> Obj:
    return obj.get("status") or {}


def _ports(obj: Obj) -> str:
    parts = []
    for port in (obj.get("spec") or {}).get("ports") or []:
        text = f"{port.get('port')}"
        if port.get("nodePort"):
            text += f":{port['nodePort']}"
        parts.append(f"{text}/{port.get('protocol', 'TCP')}")
    return ",".join(parts) or "<none>"


def _external_ip(obj: Obj) -> str:
    ingress = (_status(obj).get("loadBalancer") or {}).get("ingress") or []
    if ingress:
        return ",".join(item.get("ip") or item.get("hostname", "") for item in ingress)
    return "<pending>" if obj["spec"].get("type") == "LoadBalancer" else "<none>"


def _pod_ready(obj: Obj) -> str:
    statuses = _status(obj).get("containerStatuses") or []
    total = len((obj.get("spec") or {}).get("containers") or [])
    return f"{sum(1 for s in statuses if s.get('ready'))}/{total}"


_COLUMNS: dict[str, list[Column]] = {
    "Deployment": [
        (
            "Ready",
            "string",
            lambda o: f"{_status(o).get('readyReplicas', 0)}/{o['spec'].get('replicas', 0)}",
        ),
        ("Up-to-date", "integer", lambda o: _status(o).get("updatedReplicas", 0)),
        ("Available", "integer", lambda o: _status(o).get("availableReplicas", 0)),
    ],
    "ReplicaSet": [
        ("Desired", "integer", lambda o: o["spec"].get("replicas", 0)),
        ("Current", "integer", lambda o: _status(o).get("replicas", 0)),
        ("Ready", "integer", lambda o: _status(o).get("readyReplicas", 0)),
    ],
    "Pod": [
        ("Ready", "string", _pod_ready),
        ("Status", "string", lambda o: _status(o).get("phase", "Pending")),
        ("Restarts", "string", lambda o: "0"),
    ],
    "Service": [
        ("Type", "string", lambda o: o["spec"].get("type", "ClusterIP")),
        ("Cluster-IP", "string", lambda o: o["spec"].get("clusterIP", "<none>")),
        ("External-IP", "string", _external_ip),
        ("Port(s)", "string", _ports),
    ],
    "Secret": [
        ("Type", "string", lambda o: o.get("type", "Opaque")),
        ("Data", "integer", lambda o: len(o.get("data") or {})),
    ],
    "ConfigMap": [
        ("Data", "integer", lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {})),
    ],
    "Namespace": [("Status", "string", lambda o: _status(o).get("phase", "Active"))],
    "HorizontalPodAutoscaler": [
        (
            "Reference",
            "string",
            lambda o: (
                f"{o['spec']['scaleTargetRef'].get('kind')}/"
                f"{o['spec']['scaleTargetRef'].get('name')}"
            ),
        ),
        ("MinPods", "integer", lambda o: o["spec"].get("minReplicas", 1)),
        ("MaxPods", "integer", lambda o: o["spec"].get("maxReplicas")),
        ("Replicas", "integer", lambda o: _status(o).get("currentReplicas", 0)),
    ],
    "EndpointSlice": [
        ("AddressType", "string", lambda o: o.get("addressType")),
        ("Ports", "string", lambda o: ",".join(str(p.get("port")) for p in o.get("ports") or [])),
        (
            "Endpoints",
            "string",
            lambda o: (
                ",".join(a for e in o.get("endpoints") or [] for a in e.get("addresses", []))
                or "<unset>"
            ),
        ),
    ],
}


def table(rt: ResourceType, objects: list[Obj], resource_version: str) -> Obj:
    """A Table of ``objects`` with the kind's columns, Name first and Age last."""
    columns: list[Column] = [
        ("Name", "string", lambda o: o["metadata"]["name"]),
        *_COLUMNS.get(rt.kind, []),
        ("Age", "string", _age),
    ]
    definitions = [
        {
            "name": name,
            "type": kind,
            "format": "name" if name == "Name" else "",
            "description": "",
            "priority": 0,
        }
        for name, kind, _ in columns
    ]
    rows = [
        {
            "cells": [render(obj) for _, _, render in columns],
            "object": {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj["metadata"],
            },
        }
        for obj in objects
    ]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": definitions,
        "rows": rows,
    }
