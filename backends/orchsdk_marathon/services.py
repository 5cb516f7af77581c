"""Services as labels on the apps they select: Marathon has no service object.

A :class:`~orchsdk.Service` lives on every app of its namespace whose labels match its
selector. On each such app it is:

- ``orchsdk.service.<name>``: the whole service spec as JSON, so ``get``/``list`` read it
  back exactly, and ``orchsdk.services``: the names of the app's services (a marker a
  label selector can find);
- for each service port, on the port mapping it targets (by port name or container port):
  ``VIP_<n>: /<namespace>/<name>:<port>``, a DC/OS named VIP (the namespace keeps
  same-named services of different namespaces apart; ``n`` is the first free index);
- for ``exposure="external"``: ``HAPROXY_GROUP: external`` and, with a hostname,
  ``HAPROXY_<i>_VHOST: <hostname>[,<hostname>...]`` for marathon-lb (``i`` is the port
  mapping's index).

:func:`with_services` adds exactly these labels to an app document and
:func:`without_services` removes exactly them, so a round trip is lossless. Pure functions
on plain dicts.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from orchsdk import Port, Service, UnexpectedResponse
from orchsdk_marathon import labels as L

__all__ = [
    "read_record",
    "record",
    "records_on",
    "render_service",
    "selects",
    "target_index",
    "vip",
    "with_services",
    "without_services",
]

Json = dict[str, Any]


def selects(service: Service, labels: Mapping[str, str]) -> bool:
    """Whether a service's selector matches a deployment's labels (every pair present)."""
    return all(labels.get(key) == value for key, value in service.selector.items())


def vip(service: Service, port: Port) -> str:
    """The DC/OS named VIP of one service port: ``/<namespace>/<name>:<port>``."""
    return f"/{service.namespace}/{service.name}:{port.port}"


def record(service: Service) -> str:
    """The service spec (less its name and namespace, which the label key and app give)."""
    return L.dumps(
        {
            "selector": dict(service.selector),
            "ports": [
                {
                    "port": port.port,
                    "name": port.name,
                    "target_port": port.target_port,
                    "protocol": port.protocol,
                }
                for port in service.ports
            ],
            "exposure": service.exposure,
            "hostname": service.hostname,
            "labels": dict(service.labels),
            "annotations": dict(service.annotations),
            "native": L.plain(service.native),
        }
    )


def read_record(name: str, namespace: str, text: str) -> Service:
    """The :class:`~orchsdk.Service` a :func:`record` label holds."""
    try:
        data = L.loads(text)
        ports = [
            Port(
                item["port"],
                name=item.get("name"),
                target_port=item.get("target_port"),
                protocol=item.get("protocol", "TCP"),
            )
            for item in data["ports"]
        ]
        return Service(
            name,
            namespace=namespace,
            selector=data["selector"],
            ports=ports,
            exposure=data.get("exposure", "internal"),
            hostname=data.get("hostname"),
            labels=data.get("labels") or {},
            annotations=data.get("annotations") or {},
            native=data.get("native") or {},
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise UnexpectedResponse(
            f"label {L.SERVICE}{name} does not hold a service spec ({type(error).__name__})"
        ) from None


def records_on(app_labels: Mapping[str, Any], namespace: str) -> dict[str, Service]:
    """The services recorded on an app's labels, by name."""
    found = {}
    for key, value in app_labels.items():
        if isinstance(key, str) and key.startswith(L.SERVICE) and isinstance(value, str):
            name = key[len(L.SERVICE) :]
            found[name] = read_record(name, namespace, value)
    return found


def target_index(port: Port, mappings: Sequence[Any]) -> int | None:
    """The index of the port mapping a service port sends traffic to, if the app has it."""
    target = port.target_port if port.target_port is not None else port.port
    for index, mapping in enumerate(mappings):
        if not isinstance(mapping, Mapping):
            continue
        if isinstance(target, str) and mapping.get("name") == target:
            return index
        if isinstance(target, int) and mapping.get("containerPort") == target:
            return index
    return None


def _mappings(app: Json) -> list[Json]:
    container = app.get("container")
    mappings = container.get("portMappings") if isinstance(container, dict) else None
    return mappings if isinstance(mappings, list) else []


def with_services(app: Json, services: Iterable[Service]) -> Json:
    """``app`` with the labels of ``services`` added (in name order, deterministically).

    ``app`` must carry no service labels yet (see :func:`without_services`).
    """
    chosen = sorted(services, key=lambda service: service.name)
    if not chosen:
        return app
    app = copy.deepcopy(app)
    app_labels: Json = app.setdefault("labels", {})
    mappings = _mappings(app)
    vhosts: dict[int, set[str]] = {}
    for service in chosen:
        app_labels[L.SERVICE + service.name] = record(service)
        if service.exposure == "external":
            app_labels[L.HAPROXY_GROUP] = "external"
        for port in service.ports:
            index = target_index(port, mappings)
            if index is None:
                continue
            port_labels: Json = mappings[index].setdefault("labels", {})
            number = 0
            while f"VIP_{number}" in port_labels:
                number += 1
            port_labels[f"VIP_{number}"] = vip(service, port)
            if service.exposure == "external" and service.hostname:
                vhosts.setdefault(index, set()).add(service.hostname)
    app_labels[L.SERVICES] = ",".join(service.name for service in chosen)
    for index, hosts in vhosts.items():
        app_labels[f"HAPROXY_{index}_VHOST"] = ",".join(sorted(hosts))
    return app


def without_services(app: Json, namespace: str) -> tuple[Json, dict[str, Service]]:
    """``app`` less every label its recorded services put there, and those services."""
    app_labels = app.get("labels")
    if not isinstance(app_labels, dict):
        return app, {}
    services = records_on(app_labels, namespace)
    if not services and L.SERVICES not in app_labels:
        return app, {}
    app = copy.deepcopy(app)
    app_labels = app["labels"]
    mappings = _mappings(app)
    vips = {vip(service, port) for service in services.values() for port in service.ports}
    external = [service for service in services.values() if service.exposure == "external"]
    for key in [key for key in app_labels if key.startswith(L.SERVICE)]:
        del app_labels[key]
    app_labels.pop(L.SERVICES, None)
    if external:
        app_labels.pop(L.HAPROXY_GROUP, None)
    for service in external:
        if service.hostname:
            for port in service.ports:
                index = target_index(port, mappings)
                if index is not None:
                    app_labels.pop(f"HAPROXY_{index}_VHOST", None)
    for mapping in mappings:
        port_labels = mapping.get("labels") if isinstance(mapping, dict) else None
        if isinstance(port_labels, dict):
            for key in [k for k, v in port_labels.items() if L.VIP.fullmatch(k) and v in vips]:
                del port_labels[key]
    return app, services


def render_service(service: Service) -> Json:
    """What applying a service does, as a document (``render``/``diff``): not a Marathon object.

    The labels it puts on every app its selector matches, and the VIP and virtual host
    of each port; ``index`` of the VHOST label depends on each app's port mappings.
    """
    app_labels: Json = {L.SERVICE + service.name: record(service)}
    if service.exposure == "external":
        app_labels[L.HAPROXY_GROUP] = "external"
    ports = []
    for port in service.ports:
        entry: Json = {
            "port": port.port,
            "targetPort": port.target_port if port.target_port is not None else port.port,
            "protocol": port.protocol.lower(),
            "portMappingLabels": {"VIP_<n>": vip(service, port)},
        }
        if service.exposure == "external" and service.hostname:
            entry["appLabels"] = {"HAPROXY_<index>_VHOST": service.hostname}
        ports.append(entry)
    return {
        "service": f"/{service.namespace}/{service.name}",
        "selector": dict(service.selector),
        "appLabels": app_labels,
        "ports": ports,
    }
