"""The Service kind handler: a service is labels on the apps its selector matches.

Marathon has no service object (:mod:`orchsdk_marathon.services` says which labels);
applying a service puts its labels on every app of the namespace it selects and takes
them off the apps it no longer selects, one partial write per app that changes, then
waits for the restarts those writes start (:mod:`orchsdk_marathon.locks`).
"""

from __future__ import annotations

import builtins
import re
from typing import Any

from orchsdk import Action, Comparison, Endpoint, Service, UnsupportedFeature
from orchsdk_marathon import labels as L
from orchsdk_marathon.app_requests import AppRequests, app_labels
from orchsdk_marathon.kinds import not_found
from orchsdk_marathon.parse import user_labels
from orchsdk_marathon.services import (
    records_on,
    render_service,
    selects,
    with_services,
    without_services,
)
from orchsdk_marathon.status import AppState, endpoints_of
from orchsdk_marathon.support import REASONS
from orchsdk_marathon.transport import Reply

__all__ = ["ServiceLabels"]

Json = dict[str, Any]


class ServiceLabels:
    """Services as labels on Marathon apps (see the module)."""

    def __init__(self, requests: AppRequests) -> None:
        self._requests = requests

    def __repr__(self) -> str:
        return f"<ServiceLabels {self._requests.marathon!r}>"

    def render(self, service: Service) -> builtins.list[Json]:
        return [render_service(service)]

    def compare(self, service: Service) -> Comparison | None:
        return None

    def apply(self, service: Service) -> Action:
        """Puts the service's labels on every app it selects, and takes them off the
        apps it no longer selects: one partial write per app that changes."""
        namespace = str(service.namespace)
        writes: builtins.list[tuple[str, Json]] = []
        selected = 0
        existed = False
        for app in self._apps_concerning(service, namespace):
            base, services = without_services(app, namespace)
            existed = existed or service.name in services
            if selects(service, user_labels(base)):
                selected += 1
                services[service.name] = service
            elif services.pop(service.name, None) is None:
                continue
            updated = with_services(base, services.values())
            if app_labels(updated) != app_labels(app) or _mappings(updated) != _mappings(app):
                writes.append((str(app["id"]), updated))
        if not selected:
            raise UnsupportedFeature(
                "marathon",
                f"Service {service.name!r}",
                "selector",
                f"no app in namespace {namespace!r} has the labels {dict(service.selector)}; "
                + REASONS["standalone_services"]
                + " (capability standalone_services is off)",
            )
        self._requests.waits.settle(
            {
                identifier: self._requests.write(identifier, _label_update(updated), partial=True)
                for identifier, updated in writes
            }
        )
        if not existed:
            return Action.CREATED
        return Action.UPDATED if writes else Action.UNCHANGED

    def get(self, name: str, namespace: str, *, reveal: bool) -> Service:
        for app in self._requests.service_carriers(namespace):
            service = records_on(app_labels(app), namespace).get(name)
            if service is not None:
                return service
        raise not_found("Service", name, namespace)

    def list(self, namespace: str, *, reveal: bool) -> builtins.list[Service]:
        by_name: dict[str, Service] = {}
        for app in self._requests.service_carriers(namespace):
            for name, service in records_on(app_labels(app), namespace).items():
                by_name.setdefault(name, service)
        return list(by_name.values())

    def delete(self, name: str, namespace: str) -> None:
        written: dict[str, Reply] = {}
        for app in self._requests.service_carriers(namespace):
            base, services = without_services(app, namespace)
            if services.pop(name, None) is None:
                continue
            updated = with_services(base, services.values())
            identifier = str(app["id"])
            written[identifier] = self._requests.write(
                identifier, _label_update(updated), partial=True
            )
        if not written:
            raise not_found("Service", name, namespace)
        self._requests.waits.settle(written)

    def endpoints(self, name: str, namespace: str) -> builtins.list[Endpoint]:
        """The tasks behind a service: those of every app that carries it."""
        service = None
        behind = []
        for app in self._requests.service_carriers(namespace, tasks=True):
            found = records_on(app_labels(app), namespace).get(name)
            if found is not None:
                service = service or found
                behind.append(app)
        if service is None:
            raise not_found("Service", name, namespace)
        states = {str(app.get("id")): AppState.of(app) for app in behind}
        return endpoints_of(service, behind, states)

    def _apps_concerning(self, service: Service, namespace: str) -> builtins.list[Json]:
        """The apps a service may select and those that carry it: two label queries.

        Marathon filters by label selector, so a service's apply reads the apps it
        concerns rather than every app of the namespace (the answer would grow with the
        namespace, and applying every service with it). The selector query sees all of
        an app's labels, the bookkeeping ones too, so it finds a superset of the apps
        :func:`selects` keeps.
        """
        selector = ",".join(
            f"{_selector_escaped(key)}=={_selector_escaped(value)}"
            for key, value in service.selector.items()
        )
        candidates = {str(app["id"]): app for app in self._requests.apps(namespace, label=selector)}
        carriers = self._requests.apps(namespace, label=_selector_escaped(L.SERVICE + service.name))
        for app in carriers:
            candidates.setdefault(str(app["id"]), app)
        return [candidates[identifier] for identifier in sorted(candidates)]


def _label_update(app: Json) -> Json:
    """The partial update that sets an app's labels and port-mapping labels to ``app``'s.

    ``container`` goes whole (as Marathon returned it, with its assigned service ports):
    a partial update replaces a top-level field entirely.
    """
    return {"labels": app.get("labels", {}), "container": app.get("container")}


def _mappings(app: Json) -> Any:
    container = app.get("container")
    return container.get("portMappings") if isinstance(container, dict) else None


def _selector_escaped(text: str) -> str:
    """A label key or value inside a Marathon label selector (``LabelSelector.scala``
    treats ``,=!()``, spaces and backslashes as syntax unless escaped)."""
    return re.sub(r"([\\,=!() ])", r"\\\1", text)
