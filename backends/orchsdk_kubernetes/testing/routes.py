"""URL → handler: the REST surface of the emulated API server.

:class:`Router` is the function the :class:`~orchsdk.testing.loopback.LoopbackServer`
serves. It parses ``/api/v1/...`` and ``/apis/{group}/{version}/...`` paths (namespaced,
cluster-wide and ``watch/`` forms, subresources), checks the bearer token, reads the query
options every verb takes, calls the :class:`~.registry.Registry`, lets the controllers
settle after writes, and answers JSON (or a Table for kubectl, or a watch stream). Every
:class:`~.errors.ApiError` becomes its ``Status`` body; an emulator bug becomes a 500
``InternalError`` Status and is remembered in :attr:`Router.internal_errors`.
"""

from __future__ import annotations

import base64
import json
import time
import traceback
from collections.abc import Iterator
from typing import Any

import attrs

from orchsdk.testing.loopback import DropConnection, Request, Response, client_gone
from orchsdk_kubernetes.testing import discovery, errors
from orchsdk_kubernetes.testing.controllers import Controllers
from orchsdk_kubernetes.testing.errors import ApiError
from orchsdk_kubernetes.testing.registry import Registry
from orchsdk_kubernetes.testing.registry.patches import APPLY
from orchsdk_kubernetes.testing.resources import ResourceType, lookup
from orchsdk_kubernetes.testing.selectors import (
    FieldSelector,
    LabelSelector,
    parse_field_selector,
    parse_label_selector,
)
from orchsdk_kubernetes.testing.store import Event
from orchsdk_kubernetes.testing.tables import table, wants_table

__all__ = ["Router"]

Obj = dict[str, Any]

_NOT_FOUND_PAGE = Response(
    404, b"404 page not found\n", {"Content-Type": "text/plain; charset=utf-8"}
)
_TRUE = ("1", "t", "T", "true", "TRUE", "True")


@attrs.frozen
class Target:
    """What a path names: a type, maybe a namespace, name and subresource."""

    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str
    watch_path: bool = False


def _flag(request: Request, name: str) -> bool | None:
    value = request.arg(name)
    if value is None:
        return None
    return value in _TRUE


class Router:
    """Handles one request; thread-safe (the store lock is the only shared state)."""

    def __init__(
        self,
        registry: Registry,
        controllers: Controllers,
        *,
        token: str | None,
        require_token: bool = False,
        watch_timeout: float = 1800.0,
        bookmark_seconds: float = 60.0,
        server_address: str = "127.0.0.1:0",
    ) -> None:
        self.registry = registry
        self.controllers = controllers
        self.store = registry.store
        self.token = token
        self.require_token = require_token
        self.watch_timeout = watch_timeout
        self.bookmark_seconds = bookmark_seconds
        self.server_address = server_address
        self.internal_errors: list[str] = []
        self.open_watches = 0

    # -- entry -------------------------------------------------------------------------------

    def __call__(self, request: Request) -> Response:
        try:
            self._authenticate(request)
            return self._route(request)
        except ApiError as error:
            return Response.json(error.status, error.code, **error.headers)
        except Exception as error:  # an emulator bug: visible, not a hang
            self.internal_errors.append(traceback.format_exc())
            status = errors.status(
                500,
                "InternalError",
                f"Internal error occurred: {error!r}",
                {"causes": [{"message": repr(error)}]},
            )
            return Response.json(status, 500)

    def _authenticate(self, request: Request) -> None:
        """A wrong token is 401; no token is allowed unless ``require_token``.

        kubectl (client-go) sends no bearer token over plain HTTP, so anonymous requests
        are accepted by default, as on a cluster that lets anonymous users in.
        """
        if self.token is None:
            return
        sent = request.headers.get("authorization")
        if sent is None and not self.require_token:
            return
        if sent != f"Bearer {self.token}":
            raise ApiError(errors.status(401, "Unauthorized", "Unauthorized"))

    def _route(self, request: Request) -> Response:
        parts = [part for part in request.path.split("/") if part]
        if parts in (["version"], ["version", ""]):
            return Response.json(discovery.version())
        if parts in (["healthz"], ["livez"], ["readyz"]):
            return Response(200, b"ok", {"Content-Type": "text/plain; charset=utf-8"})
        if parts == ["api"]:
            return Response.json(discovery.api_versions(self.server_address))
        if parts == ["apis"]:
            return Response.json(discovery.api_groups())
        if parts[:2] == ["openapi", "v3"]:
            return self._openapi(parts[2:])
        if not parts or parts[0] not in ("api", "apis"):
            return _NOT_FOUND_PAGE
        if parts[0] == "api":
            group, version, rest = "", parts[1] if len(parts) > 1 else "", parts[2:]
        else:
            if len(parts) == 2:
                document = discovery.api_group(parts[1])
                return Response.json(document) if document else self._no_such_resource()
            group, version, rest = parts[1], parts[2], parts[3:]
        if not rest:
            document = discovery.resource_list(group, version)
            return Response.json(document) if document else self._no_such_resource()
        target = self._target(group, version, rest)
        if target is None:
            return self._no_such_resource()
        return self._dispatch(request, target)

    def _openapi(self, rest: list[str]) -> Response:
        if not rest:
            return Response.json(discovery.openapi_index())
        if rest[0] == "api" and len(rest) == 2:
            document = discovery.openapi_document("", rest[1])
        elif rest[0] == "apis" and len(rest) == 3:
            document = discovery.openapi_document(rest[1], rest[2])
        else:
            document = None
        return Response.json(document) if document else _NOT_FOUND_PAGE

    @staticmethod
    def _no_such_resource() -> Response:
        return Response.json(
            errors.status(404, "NotFound", "the server could not find the requested resource", {}),
            404,
        )

    @staticmethod
    def _target(group: str, version: str, rest: list[str]) -> Target | None:
        watch_path = bool(rest) and rest[0] == "watch"
        if watch_path:
            rest = rest[1:]
        namespace = None
        if (
            len(rest) >= 3
            and rest[0] == "namespaces"
            and not (len(rest) == 3 and rest[2] in ("status", "finalize"))
        ):
            namespace, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            return None
        rt = lookup(group, version, rest[0])
        if rt is None:
            return None
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else ""
        if rt.namespaced and name is not None and namespace is None:
            return None
        if not rt.namespaced and namespace is not None:
            return None
        if sub and sub not in rt.subresources:
            return None
        return Target(rt, namespace, name, sub, watch_path)

    # -- dispatch ----------------------------------------------------------------------------

    def _dispatch(self, request: Request, target: Target) -> Response:
        method = request.method
        watch = target.watch_path or _flag(request, "watch") is True
        if target.name is None:
            if method == "GET":
                return self._watch(request, target) if watch else self._list(request, target)
            if method == "POST":
                return self._write(request, target, self._create)
            if method == "DELETE":
                return self._write(request, target, self._delete_collection)
            raise errors.method_not_allowed()
        if method == "GET" and watch:
            return self._watch(request, target)
        if method == "GET":
            return self._get(request, target)
        if method == "PUT":
            return self._write(request, target, self._replace)
        if method == "PATCH":
            return self._write(request, target, self._patch)
        if method == "DELETE" and not target.subresource:
            return self._write(request, target, self._delete)
        raise errors.method_not_allowed()

    def _write(self, request: Request, target: Target, handler: Any) -> Response:
        with self.store.lock:
            response: Response = handler(request, target)
            if request.arg("dryRun") != "All":
                self.controllers.settle()
            return response

    @staticmethod
    def _namespace(target: Target) -> str:
        return target.namespace or "" if target.rt.namespaced else ""

    def _manager(self, request: Request) -> str:
        manager = request.arg("fieldManager")
        if manager:
            return manager
        agent = request.headers.get("user-agent", "")
        return agent.split("/", 1)[0][:128] or "unknown"

    @staticmethod
    def _body(request: Request) -> Any:
        content_type = request.headers.get("content-type", "application/json")
        if "protobuf" in content_type or "cbor" in content_type:
            raise ApiError(
                errors.status(
                    415,
                    "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types "
                    "include: application/json, application/yaml",
                    {},
                )
            )
        try:
            if "yaml" in content_type:
                import yaml  # type: ignore[import-untyped]

                return yaml.safe_load(request.body or b"null")
            return json.loads(request.body or b"null")
        except Exception as error:
            raise errors.bad_request(
                f"couldn't get version/kind; json parse error: {error}"
            ) from None

    def _answer(self, request: Request, target: Target, obj: Obj, status: int = 200) -> Response:
        if wants_table(request.headers.get("accept", "")) and obj.get("kind") == target.rt.kind:
            return Response.json(
                table(target.rt, [obj], obj["metadata"].get("resourceVersion", ""))
            )
        return Response.json(obj, status)

    # -- reads -------------------------------------------------------------------------------

    def _get(self, request: Request, target: Target) -> Response:
        assert target.name is not None
        with self.store.lock:
            obj = self.registry.get(
                target.rt, self._namespace(target), target.name, target.subresource
            )
        return self._answer(request, target, obj)

    def _selectors(self, request: Request, target: Target) -> tuple[LabelSelector, FieldSelector]:
        labels = parse_label_selector(request.arg("labelSelector"))
        fields = parse_field_selector(request.arg("fieldSelector"), target.rt.field_labels)
        if target.name is not None:
            fields = FieldSelector((*fields.terms, ("metadata.name", "=", target.name)))
        return labels, fields

    def _list(self, request: Request, target: Target) -> Response:
        labels, fields = self._selectors(request, target)
        with self.store.lock:
            items = self.registry.select(target.rt, target.namespace, labels, fields)
            rv = str(self.store.resource_version)
        metadata: Obj = {"resourceVersion": rv}
        token = request.arg("continue")
        if token:
            start = _decode_continue(token)
            items = [obj for obj in items if _sort_key(obj) > start]
        limit = request.arg("limit")
        if limit and limit.isdigit() and int(limit) > 0 and len(items) > int(limit):
            remaining = len(items) - int(limit)
            items = items[: int(limit)]
            metadata["continue"] = _encode_continue(_sort_key(items[-1]), rv)
            metadata["remainingItemCount"] = remaining
        if wants_table(request.headers.get("accept", "")):
            document = table(target.rt, items, rv)
            document["metadata"].update(
                {k: v for k, v in metadata.items() if k != "resourceVersion"}
            )
            return Response.json(document)
        return Response.json(
            {
                "kind": target.rt.list_kind,
                "apiVersion": target.rt.api_version,
                "metadata": metadata,
                "items": [_without_type(obj) for obj in items],
            }
        )

    # -- writes ------------------------------------------------------------------------------

    def _create(self, request: Request, target: Target) -> Response:
        if target.subresource:
            raise errors.method_not_allowed()
        namespace = self._namespace(target)
        obj = self.registry.create(
            target.rt,
            namespace,
            self._body(request),
            manager=self._manager(request),
            dry_run=request.arg("dryRun") == "All",
        )
        return Response.json(obj, 201)

    def _replace(self, request: Request, target: Target) -> Response:
        assert target.name is not None
        namespace = self._namespace(target)
        body = self._body(request)
        manager = self._manager(request)
        dry_run = request.arg("dryRun") == "All"
        obj = self.registry.update(
            target.rt,
            namespace,
            target.name,
            body,
            manager=manager,
            subresource=target.subresource,
            dry_run=dry_run,
        )
        return Response.json(obj)

    def _patch(self, request: Request, target: Target) -> Response:
        assert target.name is not None
        namespace = self._namespace(target)
        content_type = request.headers.get("content-type", "").split(";", 1)[0].strip()
        existed = self.store.get(target.rt, namespace, target.name) is not None
        manager = request.arg("fieldManager") or ""
        if content_type != APPLY and not manager:
            manager = self._manager(request)
        result = self.registry.patch(
            target.rt,
            namespace,
            target.name,
            content_type,
            request.body,
            manager=manager,
            force=_flag(request, "force"),
            subresource=target.subresource,
            dry_run=request.arg("dryRun") == "All",
        )
        return Response.json(result, 200 if existed else 201)

    def _delete_options(self, request: Request) -> Obj:
        options: Obj = {}
        if request.body:
            body = self._body(request)
            if isinstance(body, dict):
                options = body
        for name in ("propagationPolicy", "gracePeriodSeconds"):
            value = request.arg(name)
            if value is not None:
                options[name] = value
        if request.arg("orphanDependents") is not None:
            options["orphanDependents"] = _flag(request, "orphanDependents")
        if options.get("orphanDependents") is True and "propagationPolicy" not in options:
            options["propagationPolicy"] = "Orphan"
        return options

    def _delete(self, request: Request, target: Target) -> Response:
        assert target.name is not None
        options = self._delete_options(request)
        answer = self.registry.delete(
            target.rt,
            self._namespace(target),
            target.name,
            propagation=options.get("propagationPolicy"),
            preconditions=options.get("preconditions"),
            dry_run=request.arg("dryRun") == "All" or "All" in (options.get("dryRun") or []),
        )
        return Response.json(answer)

    def _delete_collection(self, request: Request, target: Target) -> Response:
        if target.subresource:
            raise errors.method_not_allowed()
        labels, fields = self._selectors(request, target)
        options = self._delete_options(request)
        deleted = []
        for obj in self.registry.select(target.rt, target.namespace, labels, fields):
            metadata = obj["metadata"]
            self.registry.delete(
                target.rt,
                metadata.get("namespace", ""),
                metadata["name"],
                propagation=options.get("propagationPolicy"),
            )
            deleted.append(_without_type(obj))
        return Response.json(
            {
                "kind": target.rt.list_kind,
                "apiVersion": target.rt.api_version,
                "metadata": {"resourceVersion": str(self.store.resource_version)},
                "items": deleted,
            }
        )

    # -- watch -------------------------------------------------------------------------------

    def _watch(self, request: Request, target: Target) -> Response:
        labels, fields = self._selectors(request, target)
        timeout_text = request.arg("timeoutSeconds")
        timeout = float(timeout_text) if timeout_text else self.watch_timeout
        watch = _Watch(
            router=self,
            rt=target.rt,
            namespace=target.namespace,
            labels=labels,
            fields=fields,
            resource_version=request.arg("resourceVersion"),
            deadline=time.monotonic() + timeout,
            bookmarks=_flag(request, "allowWatchBookmarks") is True,
            initial_events=_flag(request, "sendInitialEvents") is True,
        )
        return Response.stream(watch.lines())


@attrs.define
class _Watch:
    """One watch stream: initial state (if asked), then events, until timeout or drop."""

    router: Router
    rt: ResourceType
    namespace: str | None
    labels: LabelSelector
    fields: FieldSelector
    resource_version: str | None
    deadline: float
    bookmarks: bool
    initial_events: bool

    def _matches(self, obj: Obj | None) -> bool:
        if obj is None:
            return False
        metadata = obj.get("metadata") or {}
        if self.namespace is not None and metadata.get("namespace") != self.namespace:
            return False
        return self.labels.matches(metadata.get("labels")) and self.fields.matches(obj)

    def _event(self, event: Event) -> bytes | None:
        now_matches = self._matches(event.object)
        if event.type == "DELETED":
            return _line("DELETED", event.object) if self._matches(event.old) else None
        before = self._matches(event.old)
        if now_matches and before:
            return _line("MODIFIED", event.object)
        if now_matches:
            return _line("ADDED", event.object)
        if before:
            return _line("DELETED", event.object)
        return None

    def _bookmark(self, rv: int, *, initial_end: bool = False) -> bytes:
        metadata: Obj = {"resourceVersion": str(rv)}
        if initial_end:
            metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
        return _line(
            "BOOKMARK",
            {"kind": self.rt.kind, "apiVersion": self.rt.api_version, "metadata": metadata},
        )

    def lines(self) -> Iterator[bytes]:
        store = self.router.store
        with store.lock:
            self.router.open_watches += 1
        try:
            yield from self._lines()
        finally:
            with store.lock:
                self.router.open_watches -= 1

    def _lines(self) -> Iterator[bytes]:
        store = self.router.store
        with store.lock:
            epoch = store.watch_epoch
            wanted = self.resource_version
            if wanted in (None, "", "0") or self.initial_events:
                start = store.resource_version
                first = [
                    _line("ADDED", obj)
                    for obj in self.router.registry.select(
                        self.rt, self.namespace, self.labels, self.fields
                    )
                ]
            else:
                if not str(wanted).isdigit():
                    first = [
                        _error(errors.bad_request(f'invalid resource version: "{wanted}"').status)
                    ]
                    start = -1
                else:
                    start = int(str(wanted))
                    first = []
                    if start < store.compacted:
                        first = [_error(_too_old(start, store.compacted))]
                        start = -1
        yield from first
        if start < 0:
            return
        if self.initial_events and self.bookmarks:
            yield self._bookmark(start, initial_end=True)
        last, last_bookmark = start, time.monotonic()
        while True:
            with store.lock:
                events = store.events_after(last, self.rt.key)
                if events == [] and not store.closed and store.watch_epoch == epoch:
                    wait = min(self.deadline - time.monotonic(), 0.5)
                    if self.bookmarks:
                        wait = min(
                            wait, last_bookmark + self.router.bookmark_seconds - time.monotonic()
                        )
                    if wait > 0:
                        store.changed.wait(wait)
                    events = store.events_after(last, self.rt.key)
                closed, dropped = store.closed, store.watch_epoch != epoch
                clean, compacted = store.drop_clean, store.compacted
            if events is None:
                yield _error(_too_old(last, compacted))
                return
            for event in events:
                last = event.rv
                line = self._event(event)
                if line is not None:
                    yield line
            if closed or (not events and client_gone()):
                return
            if dropped:
                if clean:
                    return
                raise DropConnection()
            clock = time.monotonic()
            if clock >= self.deadline:
                if self.bookmarks:
                    yield self._bookmark(max(last, store.resource_version))
                return
            if self.bookmarks and clock - last_bookmark >= self.router.bookmark_seconds:
                last = max(last, self._quiet_rv(last))
                yield self._bookmark(last)
                last_bookmark = clock

    def _quiet_rv(self, last: int) -> int:
        """The newest resourceVersion when no event of ours is pending after ``last``."""
        store = self.router.store
        with store.lock:
            if store.events_after(last, self.rt.key):
                return last
            return store.resource_version


def _line(kind: str, obj: Obj) -> bytes:
    return json.dumps({"type": kind, "object": obj}, separators=(",", ":")).encode() + b"\n"


def _error(status: Obj) -> bytes:
    return _line("ERROR", status)


def _too_old(rv: int, compacted: int) -> Obj:
    return errors.expired(f"too old resource version: {rv} ({compacted + 1})")


def _without_type(obj: Obj) -> Obj:
    """List items carry no kind/apiVersion on the wire, as with the real server."""
    return {key: value for key, value in obj.items() if key not in ("kind", "apiVersion")}


def _sort_key(obj: Obj) -> str:
    metadata = obj["metadata"]
    return f"{metadata.get('namespace', '')}/{metadata['name']}"


def _encode_continue(key: str, rv: str) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": int(rv), "start": key + "\x00"})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_continue(token: str) -> str:
    try:
        padded = token + "=" * (-len(token) % 4)
        document = json.loads(base64.urlsafe_b64decode(padded))
        return str(document["start"]).rstrip("\x00")
    except Exception:
        raise errors.bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion "
            "(version meta.k8s.io/v1)"
        ) from None
