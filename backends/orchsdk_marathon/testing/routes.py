"""The Marathon REST API: paths, status codes and bodies (``AppsResource.scala`` and friends).

:class:`MarathonApi` is the function the loopback server calls for every request. It
checks the token, dispatches on the path, and turns the emulator's exceptions into
Marathon's error answers (:class:`~orchsdk_marathon.testing.validation.Rejection`,
:class:`~orchsdk_marathon.testing.deployments.Locked`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from orchsdk.testing.loopback import Request, Response
from orchsdk_marathon.testing import labels, model, paths
from orchsdk_marathon.testing.deployments import (
    RESTART,
    SCALE,
    START,
    STOP,
    Deployment,
    DeploymentEngine,
    Locked,
)
from orchsdk_marathon.testing.events import EventBus
from orchsdk_marathon.testing.secret_store import PREFIX as SECRETS_PREFIX
from orchsdk_marathon.testing.secret_store import SecretStore
from orchsdk_marathon.testing.state import AppRecord, Store, Task
from orchsdk_marathon.testing.validation import (
    Rejection,
    SchemaCheck,
    app_errors,
    invalid,
    invalid_json,
    old_api_errors,
    parse_json,
    type_errors,
    update_errors,
)

__all__ = ["MarathonApi"]

Json = dict[str, Any]

MARATHON_VERSION = "1.10.26"
DEFAULT_NETWORK_NAME = "dcos"

_EVENTS_405 = """<html>
<head>
<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>
<title>Error 405 </title>
</head>
<body>
<h2>HTTP ERROR: 405</h2>
<p>Problem accessing /v2/events. Reason:
<pre>    HTTP method GET is not supported by this URL</pre></p>
</body>
</html>
"""

_EMBEDS = {"tasks", "counts", "deployments", "readiness", "lastTaskFailure", "taskStats"}


def _flag(request: Request, name: str, default: bool) -> bool:
    value = request.arg(name)
    if value is None or value == "":
        return default
    return value.lower() == "true"


def _not_found(app_id: str, version: str | None = None) -> Rejection:
    suffix = f" in version {version}" if version else ""
    return Rejection(404, {"message": f"App '{app_id}' does not exist{suffix}"})


def _result(deployment: Deployment, version: str, status: int = 200, **headers: str) -> Response:
    """A ``deploymentResult`` body with the ``Marathon-Deployment-Id`` header."""
    return Response.json(
        {"deploymentId": deployment.id, "version": version},
        status,
        **{"Marathon-Deployment-Id": deployment.id, **headers},
    )


def _not_allowed(request: Request) -> Response:
    message = f"HTTP {request.method} is not allowed on {request.path}"
    return Response.json({"message": message}, 405)


class MarathonApi:
    """Answers Marathon API requests from a :class:`Store` and a :class:`DeploymentEngine`."""

    def __init__(
        self,
        store: Store,
        engine: DeploymentEngine,
        bus: EventBus,
        *,
        base_url: Callable[[], str],
        secrets_feature: bool,
        secret_store: SecretStore | None,
        schema: SchemaCheck | None,
        token: str | None,
    ) -> None:
        self.store = store
        self.engine = engine
        self.bus = bus
        self.base_url = base_url
        self.secrets_feature = secrets_feature
        self.secret_store = secret_store
        self.schema = schema
        self.token = token

    # -- dispatch ---------------------------------------------------------------------

    def __call__(self, request: Request) -> Response:
        wanted = f"token={self.token}"
        if self.token is not None and request.headers.get("authorization") != wanted:
            return Response.json(
                {"message": "Authentication required: send 'Authorization: token=<token>'"},
                401,
                **{"WWW-Authenticate": "acsjwt"},
            )
        if request.path.startswith(SECRETS_PREFIX + "/") and self.secret_store is not None:
            return self.secret_store.handle(request)
        try:
            with self.store.lock:
                return self._route(request)
        except Rejection as rejection:
            if rejection.body is None:
                return Response(rejection.status, b"", rejection.headers)
            return Response.json(rejection.body, rejection.status, **rejection.headers)
        except Locked as locked:
            return Response.json(locked.body(), 409)

    def _route(self, request: Request) -> Response:
        path = unquote(request.path).rstrip("/") or "/"
        method = request.method
        simple: dict[str, Callable[[Request], Response]] = {
            "/ping": lambda _: Response(200, b"pong", {"Content-Type": "text/plain"}),
            "/v2/info": lambda _: Response.json(self._info()),
            "/v2/leader": lambda _: Response.json({"leader": self._leader()}),
            "/v2/events": self._events,
            "/v2/tasks": self._list_tasks,
            "/v2/queue": self._queue,
            "/v2/deployments": lambda _: Response.json(
                [deployment.to_json() for deployment in self.engine.deployments.values()]
            ),
        }
        if path in simple:
            if method == "GET":
                return simple[path](request)
        elif path == "/v2/apps":
            if method == "GET":
                return self._list_apps(request)
            if method == "POST":
                return self._create_app(request)
        elif path.startswith("/v2/apps/"):
            return self._app_route(request, path[len("/v2/apps") :])
        elif path.startswith("/v2/deployments/"):
            if method == "DELETE":
                return self._delete_deployment(request, path[len("/v2/deployments/") :])
        elif path == "/v2/groups" or path.startswith("/v2/groups/"):
            group_id = paths.canonical(path[len("/v2/groups") :] or "/")
            if method == "GET":
                return self._get_group(request, group_id)
            if method == "DELETE":
                return self._delete_group(request, group_id)
        else:
            return Response.json({"message": f"Not found: {request.path}"}, 404)
        return _not_allowed(request)

    def _app_route(self, request: Request, rest: str) -> Response:
        method = request.method
        if "/versions/" in rest:
            app_path, _, version = rest.partition("/versions/")
            if method == "GET":
                return self._app_version(paths.canonical(app_path), version)
        elif rest.endswith("/versions"):
            if method == "GET":
                return self._app_versions(paths.canonical(rest[: -len("/versions")]))
        elif rest.endswith("/tasks"):
            if method == "GET":
                return self._app_tasks(request, paths.canonical(rest[: -len("/tasks")]))
        elif rest.endswith("/restart"):
            if method == "POST":
                return self._restart_app(request, paths.canonical(rest[: -len("/restart")]))
        else:
            app_id = paths.canonical(rest)
            if method == "GET":
                return self._get_app(request, app_id)
            if method in ("PUT", "PATCH"):
                return self._update_app(request, app_id)
            if method == "DELETE":
                return self._delete_app(request, app_id)
        return _not_allowed(request)

    # -- info, leader, events ----------------------------------------------------------

    def _leader(self) -> str:
        return self.base_url().split("://", 1)[1]

    def _info(self) -> Json:
        leader = self._leader()
        port = int(leader.rsplit(":", 1)[1])
        return {
            "name": "marathon",
            "version": MARATHON_VERSION,
            "buildref": "orchsdk-emulator",
            "elected": True,
            "leader": leader,
            "frameworkId": "00000000-0000-0000-0000-000000000000-0000",
            "marathon_config": {
                "access_control_allow_origin": ["*"],
                "checkpoint": True,
                "decline_offer_duration": 120000,
                "default_network_name": DEFAULT_NETWORK_NAME,
                "env_vars_prefix": "",
                "executor": "//cmd",
                "failover_timeout": 604800,
                "features": ["secrets"] if self.secrets_feature else [],
                "framework_name": "marathon",
                "ha": False,
                "hostname": "127.0.0.1",
                "local_port_max": 20000,
                "local_port_min": 10000,
                "master": "zk://127.0.0.1:2181/mesos",
                "mesos_bridge_name": "mesos-bridge",
                "mesos_role": "*",
                "mesos_user": "root",
                "webui_url": self.base_url(),
            },
            "zookeeper_config": {"zk": "zk://127.0.0.1:2181/marathon", "zk_timeout": 10000},
            "http_config": {"http_port": port, "https_port": 8443},
        }

    def _events(self, request: Request) -> Response:
        if "text/event-stream" not in request.headers.get("accept", ""):
            return Response(405, _EVENTS_405.encode(), {"Content-Type": "text/html"})
        chunks = self.bus.stream(request.query.get("event_type", []))
        return Response(
            200, chunks, {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )

    def _queue(self, request: Request) -> Response:
        """``GET /v2/queue``: the apps with instances still to launch."""
        offers = "lastUnusedOffers" in request.query.get("embed", [])
        items = [
            record.queue.to_json(
                copy.deepcopy(record.definition), self.engine.tick_seconds, offers=offers
            )
            for record in sorted(self.store.apps.values(), key=lambda record: record.id)
            if record.queue.pending
        ]
        return Response.json({"queue": items})

    # -- reading apps ------------------------------------------------------------------

    def _embeds(self, request: Request, default: set[str]) -> set[str]:
        wanted = set(default)
        for value in request.query.get("embed", []):
            name = value
            for prefix in ("group.apps.", "apps.", "app."):
                if name.startswith(prefix):
                    name = name[len(prefix) :]
                    break
            if name == "failures":
                wanted |= {"lastTaskFailure", "tasks", "counts", "deployments"}
            elif name == "count":
                wanted.add("counts")
            elif name in _EMBEDS:
                wanted.add(name)
        return wanted

    def app_info(self, record: AppRecord, embeds: set[str]) -> Json:
        """The app as Marathon shows it (AppInfo), with the wanted parts embedded."""
        document = copy.deepcopy(record.definition)
        if "counts" in embeds:
            document.update(record.counts())
        if "deployments" in embeds:
            document["deployments"] = [{"id": d.id} for d in self.engine.of_app(record.id)]
        if "readiness" in embeds:
            document["readinessCheckResults"] = []
        if "tasks" in embeds:
            document["tasks"] = [task.to_json() for task in record.tasks]
        if "lastTaskFailure" in embeds and record.last_task_failure is not None:
            document["lastTaskFailure"] = copy.deepcopy(record.last_task_failure)
        return document

    def _list_apps(self, request: Request) -> Response:
        embeds = self._embeds(request, {"counts", "deployments"})
        wanted_id = (request.arg("id") or "").lower()
        wanted_cmd = (request.arg("cmd") or "").lower()
        selector = request.arg("label")
        apps = []
        for record in sorted(self.store.apps.values(), key=lambda record: record.id):
            definition = record.definition
            if wanted_id and wanted_id not in record.id.lower():
                continue
            if wanted_cmd and wanted_cmd not in str(definition.get("cmd") or "").lower():
                continue
            if selector and not labels.matches(selector, definition.get("labels") or {}):
                continue
            apps.append(self.app_info(record, embeds))
        return Response.json({"apps": apps})

    def _record(self, app_id: str) -> AppRecord:
        record = self.store.app(app_id)
        if record is None:
            raise _not_found(app_id)
        return record

    def _get_app(self, request: Request, app_id: str) -> Response:
        record = self._record(app_id)
        embeds = self._embeds(
            request, {"counts", "deployments", "tasks", "readiness", "lastTaskFailure"}
        )
        return Response.json({"app": self.app_info(record, embeds)})

    def _app_versions(self, app_id: str) -> Response:
        record = self._record(app_id)
        return Response.json({"versions": sorted(record.versions, reverse=True)})

    def _app_version(self, app_id: str, version: str) -> Response:
        record = self._record(app_id)
        definition = record.versions.get(version)
        if definition is None:
            raise _not_found(app_id, version)
        return Response.json(definition)

    def _app_tasks(self, request: Request, app_id: str) -> Response:
        record = self._record(app_id)
        return self._tasks_response(request, record.tasks)

    def _list_tasks(self, request: Request) -> Response:
        states = {
            {"running": "TASK_RUNNING", "staging": "TASK_STAGING"}.get(value.lower(), value)
            for value in request.query.get("status", [])
        }
        tasks = [
            task
            for record in sorted(self.store.apps.values(), key=lambda record: record.id)
            for task in record.tasks
            if not states or task.state in states
        ]
        return self._tasks_response(request, tasks)

    def _tasks_response(self, request: Request, tasks: list[Task]) -> Response:
        accept = request.headers.get("accept", "")
        if "text/plain" in accept and "json" not in accept and "*/*" not in accept:
            return Response(200, _tasks_text(tasks).encode(), {"Content-Type": "text/plain"})
        return Response.json({"tasks": [task.to_json() for task in tasks]})

    # -- writing apps ------------------------------------------------------------------

    def _read_body(self, request: Request, *, id_required: bool) -> tuple[Json, Json]:
        """The body as sent and as Marathon reads it (known fields only), type-checked."""
        body = parse_json(request.body)
        errors = type_errors(body, id_required=id_required)
        if errors:
            raise invalid_json(errors)
        return body, model.clean(body)

    def _check_schema(self, body: Json, app_id: str) -> None:
        """With a schema, rejects a body it does not allow (after Marathon's own checks)."""
        if self.schema is not None:
            errors = self.schema.errors({**body, "id": body.get("id", app_id)})
            if errors:
                raise invalid(errors)

    def _normalized(self, app: Json) -> Json:
        """The full app: defaults, deprecated fields translated, then Marathon's rules."""
        full = model.apply_defaults(app)
        try:
            full = model.migrate(full, DEFAULT_NETWORK_NAME)
        except model.NormalizationError as error:
            raise Rejection(500, {"message": str(error)}) from error
        errors = app_errors(full, secrets_feature=self.secrets_feature)
        if errors:
            raise invalid(errors)
        return full

    def _posted(self, request: Request, definition: Json) -> None:
        self.bus.publish(
            "api_post_event",
            clientIp="127.0.0.1",
            uri=request.path,
            appDefinition=copy.deepcopy(definition),
        )

    def _create_app(self, request: Request) -> Response:
        body, app = self._read_body(request, id_required=True)
        app.pop("version", None)
        app.pop("versionInfo", None)
        errors = old_api_errors(app)
        if errors:
            raise invalid(errors)
        full = self._normalized(app)
        app_id = full["id"]
        self._check_schema(body, app_id)
        if self.store.app(app_id) is not None:
            raise Rejection(409, {"message": f"An app with id [{app_id}] already exists."})
        self.engine.claim([app_id], _flag(request, "force", False))
        record, deployment = self._create(request, full)
        info = self.app_info(record, {"counts", "deployments"})
        return Response.json(
            info,
            201,
            **{"Location": self.base_url() + app_id, "Marathon-Deployment-Id": deployment.id},
        )

    def _create(self, request: Request, full: Json) -> tuple[AppRecord, Deployment]:
        version = self.store.new_version()
        full["version"] = version
        full["versionInfo"] = {"lastScalingAt": version, "lastConfigChangeAt": version}
        model.assign_service_ports(full, None, self.store.service_port)
        record = AppRecord(definition=full)
        self.store.put_app(record)
        self.store.store_version(record)
        self._posted(request, full)
        deployment = self.engine.start(
            [record.id], [START, SCALE], version=version, target=full, original=None
        )
        return record, deployment

    def _update_app(self, request: Request, app_id: str) -> Response:
        """``PUT`` (create or update, ``partialUpdate``) and ``PATCH`` (update only)."""
        body, update = self._read_body(request, id_required=False)
        update.pop("versionInfo", None)
        update["id"] = app_id
        errors = old_api_errors(update) + update_errors(update)
        if errors:
            raise invalid(errors)
        record = self.store.app(app_id)
        force = _flag(request, "force", False)
        if "version" in update:
            if record is None:
                raise _not_found(app_id)
            stored = record.versions.get(str(update["version"]))
            if stored is None:
                raise _not_found(app_id)
            self._check_schema(body, app_id)
            return self._change(request, record, model.config_of(stored), force)
        update.pop("version", None)
        if record is None:
            if request.method == "PATCH":
                raise _not_found(app_id)
            full = self._normalized(update)
            self._check_schema(body, app_id)
            self.engine.claim([app_id], force)
            _, deployment = self._create(request, full)
            location = self.base_url() + app_id
            return _result(deployment, full["version"], 201, Location=location)
        partial = request.method == "PATCH" or _flag(request, "partialUpdate", True)
        merged = _merge(model.config_of(record.definition), update) if partial else update
        full = self._normalized(merged)
        self._check_schema(body, app_id)
        return self._change(request, record, full, force)

    def _change(self, request: Request, record: AppRecord, full: Json, force: bool) -> Response:
        """Applies a new definition to an existing app: a restart, a scale, or nothing."""
        current = record.definition
        model.assign_service_ports(full, current, self.store.service_port)
        old_config = model.config_of(current)
        new_config = model.config_of(full)
        if old_config == new_config:  # an empty plan: it touches no app, so it takes no lock
            self._posted(request, full)
            deployment = self.engine.start([record.id], [])
            return _result(deployment, deployment.version)
        self.engine.claim([record.id], force)
        self._posted(request, full)
        version = self.store.new_version()
        only_scale = {**old_config, "instances": 0} == {**new_config, "instances": 0}
        info = current["versionInfo"]
        full["version"] = version
        full["versionInfo"] = {
            "lastScalingAt": version,
            "lastConfigChangeAt": info["lastConfigChangeAt"] if only_scale else version,
        }
        record.definition = full
        self.store.store_version(record)
        self.store.touch(record.id)
        deployment = self.engine.start(
            [record.id],
            [SCALE if only_scale else RESTART],
            version=version,
            target=full,
            original=current,
        )
        return _result(deployment, version)

    def _restart_app(self, request: Request, app_id: str) -> Response:
        record = self._record(app_id)
        self.engine.claim([app_id], _flag(request, "force", False))
        version = self.store.new_version()
        current = record.definition
        record.definition = {
            **copy.deepcopy(current),
            "version": version,
            "versionInfo": {"lastScalingAt": version, "lastConfigChangeAt": version},
        }
        self.store.store_version(record)
        deployment = self.engine.start(
            [app_id], [RESTART], version=version, target=record.definition, original=current
        )
        return _result(deployment, version)

    def _delete_app(self, request: Request, app_id: str) -> Response:
        record = self._record(app_id)
        self.engine.claim([app_id], _flag(request, "force", True))
        self.store.remove_app(app_id)
        self.bus.publish("app_terminated_event", appId=app_id)
        deployment = self.engine.start([app_id], [STOP], removed={app_id: record})
        return _result(deployment, deployment.version)

    # -- deployments and groups ----------------------------------------------------------

    def _delete_deployment(self, request: Request, deployment_id: str) -> Response:
        deployment = self.engine.deployments.get(deployment_id)
        if deployment is None:
            raise Rejection(404, {"message": f"DeploymentPlan {deployment_id} does not exist"})
        if _flag(request, "force", False):
            self.engine.cancel(deployment)
            return Response(202, b"")
        reverting = self.engine.revert(deployment)
        return _result(reverting, reverting.version)

    def group_json(self, group_id: str, embeds: set[str]) -> Json:
        """A group with its apps and child groups, recursively, as ``/v2/groups`` shows it."""
        apps = [
            self.app_info(record, embeds)
            for record in sorted(self.store.apps.values(), key=lambda record: record.id)
            if paths.parent(record.id) == group_id
        ]
        children = sorted(
            child
            for child in self.store.groups
            if child != "/" and child != group_id and paths.parent(child) == group_id
        )
        return {
            "id": group_id,
            "apps": apps,
            "groups": [self.group_json(child, embeds) for child in children],
            "pods": [],
            "dependencies": [],
            "version": self.store.groups[group_id],
            "enforceRole": False,
        }

    def _get_group(self, request: Request, group_id: str) -> Response:
        if not self.store.group_exists(group_id):
            raise Rejection(404, {"message": f"Group '{group_id}' does not exist"})
        return Response.json(self.group_json(group_id, self._embeds(request, set())))

    def _delete_group(self, request: Request, group_id: str) -> Response:
        if not self.store.group_exists(group_id):
            raise Rejection(404, {"message": f"Group '{group_id}' does not exist"})
        app_ids = sorted(app for app in self.store.apps if paths.is_within(app, group_id))
        self.engine.claim(app_ids, _flag(request, "force", False))
        removed = {app_id: self.store.apps[app_id] for app_id in app_ids}
        for app_id in app_ids:
            self.store.remove_app(app_id)
            self.bus.publish("app_terminated_event", appId=app_id)
        for group in [group for group in self.store.groups if group != "/"]:
            if paths.is_within(group, group_id):
                del self.store.groups[group]
        self.store.touch(group_id)
        steps = [STOP] if app_ids else []
        deployment = self.engine.start(app_ids or [group_id], steps, removed=removed)
        return _result(deployment, deployment.version)


def _merge(current: Json, update: Json) -> Json:
    """A partial update applied to the current definition, field by field (top level).

    A deprecated field in the update replaces the current field it stands for, as
    Marathon translates the update before it applies it.
    """
    merged = {**current, **update}
    docker = (update.get("container") or {}).get("docker") or {}
    if ("network" in docker or "ipAddress" in update) and "networks" not in update:
        merged.pop("networks", None)
    if "ports" in update and "portDefinitions" not in update:
        merged.pop("portDefinitions", None)
    if "uris" in update and "fetch" not in update:
        merged.pop("fetch", None)
    return merged


def _tasks_text(tasks: list[Task]) -> str:
    """The ``text/plain`` task list: ``<app> <servicePort> <host>:<port> ...`` per app port."""
    lines: list[str] = []
    by_app: dict[str, list[Task]] = {}
    for task in tasks:
        by_app.setdefault(task.app_id, []).append(task)
    for app_id, app_tasks in by_app.items():
        service_ports = app_tasks[0].service_ports or [0]
        for index, service_port in enumerate(service_ports):
            endpoints = [
                f"{task.host}:{task.ports[index]}" for task in app_tasks if index < len(task.ports)
            ]
            lines.append("\t".join([paths.safe_name(app_id), str(service_port), *endpoints]))
    return "\n".join(lines) + ("\n" if lines else "")
