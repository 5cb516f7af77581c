"""Marathon's ``/v2/apps`` requests that the kind handlers share: read, list and write apps.

Deployments are apps and services are labels on apps, so both handlers read apps the
same way and write them through one :meth:`AppRequests.write`, which waits out
deployment locks (:mod:`orchsdk_marathon.locks`) and remembers the deployment each write
started, for the status of a rollout.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from orchsdk import NotFound, UnexpectedResponse
from orchsdk_marathon import labels as L
from orchsdk_marathon.config import Settings
from orchsdk_marathon.locks import DeploymentWaits, deployment_of
from orchsdk_marathon.memory import BoundedMemory
from orchsdk_marathon.parse import split_app_id
from orchsdk_marathon.transport import Reply, Transport, quote_path

__all__ = ["AppRequests", "app_labels", "app_path"]

Json = dict[str, Any]


class AppRequests:
    """Reads and writes of Marathon apps, for the Deployment and Service handlers."""

    def __init__(self, marathon: Transport, settings: Settings, waits: DeploymentWaits) -> None:
        self.marathon = marathon
        self.waits = waits
        self._settings = settings
        self.ours: BoundedMemory[str, str] = BoundedMemory()
        """App id -> the last deployment this backend started for it."""

    def __repr__(self) -> str:
        return f"<AppRequests {self.marathon!r}>"

    def app(self, identifier: str, embed: list[str] | None = None) -> Json | None:
        """``GET /v2/apps/{id}``'s app, or None if there is no such app."""
        params = {"embed": embed} if embed else None
        reply = self.marathon.request(
            "GET", "/v2/apps/" + app_path(identifier), params=params, accept=(404,)
        )
        if reply.status == 404:
            return None
        document = reply.json()
        app = document.get("app") if isinstance(document, Mapping) else None
        if not isinstance(app, dict):
            raise UnexpectedResponse(f"{reply.what}: expected {{'app': {{...}}}}")
        return app

    def app_required(self, identifier: str, name: str, namespace: str, embed: list[str]) -> Json:
        """The app of a deployment; :class:`~orchsdk.NotFound` when there is none."""
        app = self.app(identifier, embed)
        if app is None:
            raise NotFound.missing("Deployment", name, namespace)
        return app

    def apps(self, namespace: str, **params: str | list[str]) -> list[Json]:
        """The apps directly in the namespace's group (Marathon's ``id`` filter is a
        substring match, so the result is filtered again here)."""
        reply = self.marathon.request("GET", "/v2/apps", params={"id": f"/{namespace}/", **params})
        document = reply.json()
        apps = document.get("apps") if isinstance(document, Mapping) else None
        if not isinstance(apps, list):
            raise UnexpectedResponse(f"{reply.what}: expected {{'apps': [...]}}")
        found = []
        for app in apps:
            if not isinstance(app, dict) or not isinstance(app.get("id"), str):
                raise UnexpectedResponse(f"{reply.what}: an app without an id")
            split = split_app_id(app["id"])
            if split is not None and split[0] == namespace:
                found.append(app)
        return sorted(found, key=lambda app: str(app["id"]))

    def service_carriers(self, namespace: str, *, tasks: bool = False) -> list[Json]:
        """The namespace's apps that carry services (found by the ``orchsdk.services`` label)."""
        params: dict[str, str | list[str]] = {"label": L.SERVICES}
        if tasks:
            params["embed"] = ["apps.tasks"]
        return [app for app in self.apps(namespace, **params) if L.SERVICES in app_labels(app)]

    def queued(self, identifier: str, *, offers: bool = False) -> Json | None:
        """The app's item in ``GET /v2/queue`` (instances still to launch), or None.
        ``offers`` embeds the last offers Marathon could not use."""
        params = {"embed": "lastUnusedOffers"} if offers else None
        reply = self.marathon.request("GET", "/v2/queue", params=params)
        document = reply.json()
        queue = document.get("queue") if isinstance(document, Mapping) else None
        if not isinstance(queue, list):
            raise UnexpectedResponse(f"{reply.what}: expected {{'queue': [...]}}")
        for item in queue:
            app = item.get("app") if isinstance(item, dict) else None
            if isinstance(app, Mapping) and app.get("id") == identifier:
                return item  # type: ignore[no-any-return]
        return None

    def versions(self, identifier: str) -> Any:
        """``GET /v2/apps/{id}/versions``'s document."""
        return self.marathon.request("GET", f"/v2/apps/{app_path(identifier)}/versions").json()

    def version(self, identifier: str, version: str) -> Any:
        """``GET /v2/apps/{id}/versions/{version}``: the app as it was at that version."""
        path = f"/v2/apps/{app_path(identifier)}/versions/{quote_path(version)}"
        return self.marathon.request("GET", path).json()

    def write(
        self,
        identifier: str,
        body: Json,
        *,
        partial: bool | None,
        stuck: Callable[[], str | None] | None = None,
    ) -> Reply:
        """``PUT /v2/apps/{id}``, waiting out deployment locks (or forcing them, if asked).

        ``partial``: ``False`` replaces the app, ``True`` changes only the fields sent,
        ``None`` sends no ``partialUpdate`` (a rollback to a ``version``). ``stuck`` says
        why the app's running deployment cannot finish, if it cannot: its lock is then
        overridden (:meth:`~orchsdk_marathon.locks.DeploymentWaits.put`).
        """
        params: dict[str, str] = {}
        if partial is not None:
            params["partialUpdate"] = "true" if partial else "false"
        return self._deploy(
            "PUT", "/v2/apps/" + app_path(identifier), params, body, identifier, stuck
        )

    def restart(self, identifier: str, stuck: Callable[[], str | None] | None = None) -> Reply:
        """``POST /v2/apps/{id}/restart``: a new config version of the same definition,
        deployed by the app's upgrade strategy; waits out locks as :meth:`write` does."""
        path = f"/v2/apps/{app_path(identifier)}/restart"
        return self._deploy("POST", path, {}, None, identifier, stuck)

    def _deploy(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        body: Json | None,
        identifier: str,
        stuck: Callable[[], str | None] | None,
    ) -> Reply:
        """A write that starts a deployment of the app, which is remembered as ours."""
        if self._settings.force:
            params["force"] = "true"
        reply = self.waits.send(method, path, params, body, identifier, stuck)
        deployment = deployment_of(reply)
        if deployment is not None:
            self.ours.put(identifier, deployment)
        return reply


def app_labels(app: Mapping[str, Any]) -> dict[str, Any]:
    """An app's ``labels`` (``{}`` when it has none, or something else)."""
    labels = app.get("labels")
    return labels if isinstance(labels, dict) else {}


def app_path(identifier: str) -> str:
    """An app id as the URL path after ``/v2/apps/`` (no leading slash: no ``//``)."""
    return quote_path(*identifier.strip("/").split("/"))
