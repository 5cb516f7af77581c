"""The Kubernetes backend: server-side apply of rendered manifests, raw-dict reads, kubectl's rules.

Writes are server-side apply patches with field manager ``orchsdk``; reads ask for
raw JSON (``_preload_content=False``) so no field is lost to the client's typed
models. What the backend last saw of each object is kept in an
:class:`~orchsdk_kubernetes.object_cache.ObjectCache`, so that an apply is one request.
``kubernetes`` is imported when the backend is made, each API class on its first use.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from orchsdk import (
    Action,
    Autoscaler,
    Backend,
    BackendUnavailable,
    Capabilities,
    Comparison,
    ConfigMap,
    Deployment,
    DeploymentStatus,
    Endpoint,
    Instance,
    NotFound,
    OrchestratorError,
    Resource,
    Secret,
    Service,
    ValidationError,
)
from orchsdk.backend import url_options
from orchsdk.diffing import mask_secret_values
from orchsdk_kubernetes.connection import ConnectionSettings, connect_client
from orchsdk_kubernetes.errors import UnexpectedResponse, map_api_exception
from orchsdk_kubernetes.names import AUTOSCALER_ANNOTATION, HANDOVER_MANAGER, REVISION_ANNOTATION
from orchsdk_kubernetes.object_cache import (
    ABSENT,
    Group,
    Key,
    ObjectCache,
    Seen,
    autoscaler_of,
    content,
)
from orchsdk_kubernetes.parse import parse
from orchsdk_kubernetes.render import render
from orchsdk_kubernetes.rollback import (
    RollbackTarget,
    rollback_manifest,
    rollback_target,
    rolled_back,
)
from orchsdk_kubernetes.rollout import rollout_status
from orchsdk_kubernetes.watching import watch_object

__all__ = ["KubernetesBackend"]

R = TypeVar("R", bound=Resource)
T = TypeVar("T")
P = ParamSpec("P")
log = logging.getLogger("orchsdk.kubernetes")

FIELD_MANAGER = "orchsdk"
APPLY_PATCH = "application/apply-patch+yaml"
JSON_PATCH = "application/json-patch+json"
LIST_PAGE = 500
"""Objects asked for when apply lists a kind in a namespace: one page, never more."""

_API_OF = {
    Deployment: ("AppsV1Api", "deployment"),
    Service: ("CoreV1Api", "service"),
    Secret: ("CoreV1Api", "secret"),
    ConfigMap: ("CoreV1Api", "config_map"),
    Autoscaler: ("AutoscalingV2Api", "horizontal_pod_autoscaler"),
}


_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError)
"""What reading a field of a document that is not what the API sends raises."""


def _reads_answers(method: Callable[P, T]) -> Callable[P, T]:
    """Turns a malformed server answer met while ``method`` reads it into
    :class:`~orchsdk_kubernetes.errors.UnexpectedResponse`: never a ``KeyError`` from inside."""

    @functools.wraps(method)
    def reading(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except _MALFORMED as error:
            raise _unexpected(method.__name__, error) from error

    return reading


def _unexpected(operation: str, error: BaseException) -> UnexpectedResponse:
    detail = str(error)[:120]  # a key, or a type mismatch: never a value sent (secrets are not)
    return UnexpectedResponse(
        f"{operation}: the server's answer is not a Kubernetes API document "
        f"({type(error).__name__}: {detail})"
    )


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class KubernetesBackend(Backend):
    """orchsdk on Kubernetes: ``orchsdk.connect("kubernetes://?context=prod&namespace=shop")``.

    URL forms: ``kubernetes://`` (the current kubeconfig context, or the in-cluster
    service account inside a pod), ``kubernetes://in-cluster``, and
    ``kubernetes://HOST:PORT?token=...`` (``scheme=http`` for a plain-HTTP server).
    Query options: ``kubeconfig``, ``context``, ``namespace``, ``verify``, ``ca_cert``,
    ``timeout``, ``create_namespace`` (create namespaces on demand).
    """

    name = "kubernetes"

    def __init__(
        self,
        *,
        kubeconfig: str | None = None,
        context: str | None = None,
        in_cluster: bool | str = False,
        host: str | None = None,
        token: str | None = None,
        verify: bool | str = True,
        ca_cert: str | None = None,
        namespace: str | None = None,
        create_namespace: bool | str = False,
        timeout: float | str = 30.0,
        connect_timeout: float | str = 5.0,
        pool_size: int | str = 32,
    ) -> None:
        self.settings = ConnectionSettings(
            kubeconfig=kubeconfig,
            context=context,
            in_cluster=_flag(in_cluster),
            host=host,
            token=token,
            verify=_flag(verify),
            ca_cert=ca_cert,
            connect_timeout=float(connect_timeout),
            read_timeout=float(timeout),
            pool_size=int(pool_size),
        )
        self._client, context_namespace = connect_client(self.settings)
        self._namespace = namespace or context_namespace or "default"
        self._create_namespace = _flag(create_namespace)
        self._apis: dict[str, Any] = {}
        self._seen = ObjectCache()

    @classmethod
    def from_url(cls, url: str, **options: Any) -> KubernetesBackend:
        settings: dict[str, Any] = {**url_options(url), **options}
        location = urlsplit(url).netloc
        if location == "in-cluster":
            settings["in_cluster"] = True
        elif location:
            settings["host"] = f"{settings.pop('scheme', 'https')}://{location}"
        return cls(**settings)

    @property
    def default_namespace(self) -> str:
        return self._namespace

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(status_stream=True)

    def close(self) -> None:
        self._client.close()

    def render(self, resource: Resource) -> builtins.list[dict[str, Any]]:
        """The manifest of the spec as written: pure, so a deployment keeps its ``replicas``
        even while an autoscaler owns them (``apply`` and ``diff`` leave them out then)."""
        return [render(resource)]

    # -- transport ---------------------------------------------------------------

    def _api(self, name: str) -> Any:
        api = self._apis.get(name)
        if api is None:
            from kubernetes import client

            api = self._apis[name] = getattr(client, name)(self._client)
        return api

    def _call(self, api: str, method: str, *args: Any, what: str, **kwargs: Any) -> Any:
        """Calls one API method and returns the JSON the server sent, as plain data."""
        return self._parse_body(self._send(api, method, *args, what=what, **kwargs), what)

    def _send(self, api: str, method: str, *args: Any, what: str, **kwargs: Any) -> Any:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        call: Callable[..., Any] = getattr(self._api(api), method)
        kwargs.setdefault("_request_timeout", self.settings.timeout)
        try:
            return call(*args, _preload_content=False, **kwargs)
        except ApiException as error:
            raise map_api_exception(error, what) from error
        except HTTPError as error:
            raise _transport_error(error, what) from error

    @staticmethod
    def _parse_body(response: Any, what: str) -> Any:
        try:
            data = response.data
            return json.loads(data) if data else None
        except ValueError as error:  # cut off in transit, most likely: worth another try
            raise BackendUnavailable(f"{what}: the server sent malformed JSON") from error
        except Exception as error:  # the body could not be read to its end
            from urllib3.exceptions import HTTPError

            if isinstance(error, HTTPError):
                raise _transport_error(error, what) from error
            raise

    def _kind_call(
        self, kind: type[Resource], verb: str, *args: Any, what: str, **kwargs: Any
    ) -> Any:
        api, plural = _API_OF[kind]
        return self._call(api, f"{verb}_namespaced_{plural}", *args, what=what, **kwargs)

    # -- resources ---------------------------------------------------------------

    @_reads_answers
    def apply(self, resource: Resource) -> Action:
        """One server-side apply, whose answer is compared with the object as last seen.

        The report compares the server's answer with what this backend last saw of the
        object (:meth:`_last_seen`): a 201 is *created*; the same resourceVersion, or the
        same content (a controller's status update changes the resourceVersion alone),
        *unchanged*; anything else *updated*. An object this backend has not seen yet is
        looked for first, so an apply is one request when the object was seen (by an
        apply, a get, a list) and at most two when it was not.

        The object always ends as the manifest says (the whole manifest is sent each
        time); only the report can be stale, when another client wrote the object since
        this backend last saw it: that client's change shows as *updated* even if this
        apply changed nothing, and a change of its that this apply undid shows as
        *unchanged*, since the answer then equals the object last seen (and a
        resourceVersion cannot tell such an undo from a status update).

        A deployment handed to an autoscaler is applied without ``replicas``
        (:func:`~orchsdk_kubernetes.object_cache.autoscaler_of`). An apply whose answer was
        lost is resolved by reading back (:meth:`_landed`). When that fails too, the record
        is left as it was before this apply: the retry (or the next apply) compares its
        answer with the object before the lost try, so it reports what that try did
        rather than *unchanged*.
        """
        kind, namespace = type(resource), _namespace_of(resource)
        what = f"apply {resource.kind.lower()}/{resource.name} in {namespace}"
        if isinstance(resource, Autoscaler):
            self._hand_replicas_to_autoscaler(resource)
        before = self._last_seen(kind, resource.name, namespace)
        return self._apply_over(resource, before, what)

    def _apply_over(self, resource: Resource, before: Seen | None, what: str) -> Action:
        """Applies ``resource`` over the object as last seen (None: absent); what it did."""
        kind, namespace = type(resource), _namespace_of(resource)
        autoscaled = before is not None and before.autoscaler is not None
        manifest = render(resource, autoscaled=autoscaled)
        try:
            response = self._apply_manifest(kind, manifest, namespace, what)
        except BackendUnavailable as error:
            if error.acted is False:
                raise
            action = self._landed(kind, manifest, namespace, before)
            if action is None:
                raise
            log.info("%s: the answer was lost, but the object reads back as applied", what)
            return action
        answer = _object(self._parse_body(response, what), what)
        after = self._remember(kind, namespace, answer, before)
        if (after.autoscaler is not None) != autoscaled:
            after = self._follow_autoscaler(resource, answer, after, what)
        if response.status == 201:
            return Action.CREATED
        if before is None:  # another client created it since this backend found it absent
            return Action.UPDATED
        return Action.UNCHANGED if before.same_content(after) else Action.UPDATED

    def _last_seen(self, kind: type[Resource], name: str, namespace: str) -> Seen | None:
        """The object as this backend last saw it, or None if it does not exist.

        An object not seen yet is looked for with one of two reads:

        - the first time its kind is met in its namespace, a listing of that kind there.
          It is one request, as a read of the object would be (larger, but bounded to one
          page of :data:`LIST_PAGE` objects), and it tells about every other object of
          that kind there, seen or absent: applying many objects into a namespace costs
          one listing per kind, then one request per object. Applies rarely come alone
          (a manifest, a release, a migration), so the listing is the better bet.
        - once the kind was listed there but the listing is no longer complete (the
          namespace held more than a page, or an entry was evicted or forgotten), a read
          of that object alone: listing again would bring back the same page, or evict as
          much as it brings in.
        """
        key = _key(kind, namespace, name)
        known = self._seen.lookup(key)
        if known is None and not self._seen.listed(_group(kind, namespace)):
            self._list_seen(kind, namespace)
            known = self._seen.lookup(key)
        if known is None:
            what = f"read {kind.kind.lower()}/{name} in {namespace}"
            try:
                known = self._read(kind, name, namespace, what)[1]
            except NotFound:
                return None
        return None if known is ABSENT else known

    def _list_seen(self, kind: type[Resource], namespace: str) -> None:
        """Lists one page of a kind in a namespace, for :meth:`_last_seen`."""
        what = f"list {kind.kind.lower()}s in {namespace}"
        mark = self._seen.mark()
        try:
            found = self._kind_call(kind, "list", namespace, limit=LIST_PAGE, what=what)
        except NotFound:  # no such namespace: nothing of any kind in it
            found = {"items": []}
        items = _listing(found, what)
        complete = not (found.get("metadata") or {}).get("continue")
        seen = [(item["metadata"]["name"], self._seen.seen(item)) for item in items]
        self._seen.remember_listing(_group(kind, namespace), seen, complete=complete, mark=mark)

    def _read(
        self, kind: type[Resource], name: str, namespace: str, what: str
    ) -> tuple[dict[str, Any], Seen]:
        """Reads one object, and remembers it as seen (or, on NotFound, as absent)."""
        try:
            obj = _object(self._kind_call(kind, "read", name, namespace, what=what), what)
        except NotFound:
            self._seen.remember(_key(kind, namespace, name), ABSENT)
            raise
        return obj, self._remember(kind, namespace, obj)

    @contextlib.contextmanager
    def _writing(self, key: Key) -> Iterator[None]:
        """Forgets the object when the write in the block fails: it may or may not have
        acted, so the next apply reads the object afresh."""
        try:
            yield
        except BaseException:
            self._seen.forget(key)
            raise

    def _remember(
        self,
        kind: type[Resource],
        namespace: str,
        obj: Mapping[str, Any],
        previous: Seen | None = None,
    ) -> Seen:
        """Records an object the server sent as the one last seen, and returns the record.

        ``previous``: the record of the object before; at the same resourceVersion it is
        the same object, and its record is kept rather than digested again.
        """
        version = obj["metadata"].get("resourceVersion")
        if (
            previous is not None
            and version is not None
            and str(version) == previous.resource_version
        ):
            seen = previous
        else:
            seen = self._seen.seen(obj)
        self._seen.remember(_key(kind, namespace, obj["metadata"]["name"]), seen)
        return seen

    def _landed(
        self,
        kind: type[Resource],
        manifest: dict[str, Any],
        namespace: str,
        before: Seen | None,
    ) -> Action | None:
        """What an apply whose answer was lost did, or None if it cannot be told it landed.

        The object has landed when a server-side dry run of the same apply would change
        nothing in it; then the action is told from the object as last seen. The apply
        itself is idempotent, so the caller may as well retry when this says None.
        """
        name = manifest["metadata"]["name"]
        api, plural = _API_OF[kind]
        what = f"read back {kind.kind.lower()}/{name} in {namespace}"
        try:
            now = _object(self._kind_call(kind, "read", name, namespace, what=what), what)
            dry = self._call(
                api,
                f"patch_namespaced_{plural}",
                name,
                namespace,
                manifest,
                field_manager=FIELD_MANAGER,
                force=True,
                dry_run="All",
                _content_type=APPLY_PATCH,
                what=what,
            )
            if content(_object(dry, what)) != content(now):
                return None
        except OrchestratorError:
            return None
        landed = self._remember(kind, namespace, now)
        if before is None:
            return Action.CREATED
        return Action.UNCHANGED if before.same_content(landed) else Action.UPDATED

    def _apply_manifest(
        self,
        kind: type[Resource],
        manifest: dict[str, Any],
        namespace: str,
        what: str,
        manager: str = FIELD_MANAGER,
    ) -> Any:
        api, plural = _API_OF[kind]

        def send() -> Any:
            return self._send(
                api,
                f"patch_namespaced_{plural}",
                manifest["metadata"]["name"],
                namespace,
                manifest,
                field_manager=manager,
                force=True,
                _content_type=APPLY_PATCH,
                what=what,
            )

        try:
            return send()
        except NotFound:
            if not self._create_namespace or not self._ensure_namespace(namespace):
                raise
            return send()

    def _ensure_namespace(self, namespace: str) -> bool:
        """Creates the namespace if it is missing; False when it existed already."""
        try:
            self._call("CoreV1Api", "read_namespace", namespace, what=f"read namespace {namespace}")
            return False
        except NotFound:
            pass
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
        try:
            self._call("CoreV1Api", "create_namespace", body, what=f"create namespace {namespace}")
        except BackendUnavailable as error:
            # A create is not safe to repeat blindly: read back whether this one landed.
            if error.acted is False or not self._namespace_exists(namespace):
                raise
        except OrchestratorError as error:
            if getattr(error, "reason", None) != "exists":
                raise
        log.info("namespace/%s: created", namespace)
        return True

    def _namespace_exists(self, namespace: str) -> bool:
        try:
            self._call("CoreV1Api", "read_namespace", namespace, what=f"read namespace {namespace}")
        except OrchestratorError:
            return False
        return True

    @_reads_answers
    def compare(self, resource: Resource) -> Comparison:
        """The object as it is and the manifest as :meth:`apply` would send it.

        Both sides are rendered as apply sees them: a deployment handed to an autoscaler
        has no ``replicas`` on either side (apply leaves them to the autoscaler), and a
        secret's ``data`` holds the masked placeholders themselves, not their base64.
        """
        kind, name, namespace = type(resource), resource.name, _namespace_of(resource)
        what = f"compare {resource.kind.lower()}/{name} in {namespace}"
        try:
            obj: dict[str, Any] | None = self._read(kind, name, namespace, what)[0]
        except NotFound:
            obj = None
        autoscaled = obj is not None and autoscaler_of(obj) is not None
        current = None if obj is None else parse(kind, obj, reveal=True)
        current, desired = mask_secret_values(current, resource)
        live = None if current is None else [_as_compared(current, autoscaled)]
        return Comparison(live, [_as_compared(desired, autoscaled)])

    @_reads_answers
    def get(self, kind: type[R], name: str, namespace: str, *, reveal: bool = False) -> R:
        what = f"get {kind.kind.lower()}/{name} in {namespace}"
        obj, _ = self._read(kind, name, namespace, what)
        return parse(kind, obj, reveal=reveal)  # type: ignore[return-value]

    @_reads_answers
    def list(
        self, kind: type[R], namespace: str, labels: Mapping[str, str], *, reveal: bool = False
    ) -> builtins.list[R]:
        """The objects that carry ``labels``; all of them seen, and, with no labels, the
        listing tells the next apply which objects of that kind are absent there."""
        selector = ",".join(f"{key}={value}" for key, value in labels.items())
        what = f"list {kind.kind.lower()}s in {namespace}"
        mark = self._seen.mark()
        found = self._kind_call(kind, "list", namespace, label_selector=selector or None, what=what)
        items = sorted(_listing(found, what), key=lambda item: item["metadata"]["name"])
        seen = [(item["metadata"]["name"], self._seen.seen(item)) for item in items]
        if selector:
            self._seen.fill(_group(kind, namespace), seen)
        else:
            self._seen.remember_listing(_group(kind, namespace), seen, complete=True, mark=mark)
        return [parse(kind, item, reveal=reveal) for item in items]  # type: ignore[misc]

    def delete(self, kind: type[Resource], name: str, namespace: str) -> None:
        """Deletes the object (an autoscaler hands its deployment's replicas back first),
        and remembers it absent; forgotten if the outcome is unknown."""
        what = f"delete {kind.kind.lower()}/{name} in {namespace}"
        key = _key(kind, namespace, name)
        if kind is Autoscaler:
            self._hand_replicas_back(name, namespace)
        try:
            self._kind_call(
                kind, "delete", name, namespace, propagation_policy="Background", what=what
            )
        except NotFound:
            self._seen.remember(key, ABSENT)
            raise
        except BaseException:
            self._seen.forget(key)
            raise
        self._seen.remember(key, ABSENT)

    # -- autoscalers own the replica count ---------------------------------------

    def _hand_replicas_to_autoscaler(self, scaler: Autoscaler) -> None:
        """Gives the target's replica count a second owner before orchsdk stops applying it.

        Server-side apply removes a field its only manager stops applying, which would
        reset the replicas to 1; a co-owner keeps the count as it is until the HPA acts.
        Done at each apply of the autoscaler (two requests: the count, then the handover),
        as the deployment may have been handed back meanwhile.
        """
        namespace = _namespace_of(scaler)
        try:
            scale = self._call(
                "AppsV1Api",
                "read_namespaced_deployment_scale",
                scaler.target,
                namespace,
                what=f"read scale of {scaler.target}",
            )
        except NotFound:
            return
        replicas = _object(scale, "read scale")["spec"].get("replicas", 1)
        self._hand_over(scaler.target, namespace, scaler.name, replicas)

    def _hand_over(self, deployment: str, namespace: str, autoscaler: str, replicas: Any) -> Seen:
        """Applies, as :data:`~orchsdk_kubernetes.names.HANDOVER_MANAGER`, the replica count
        as it is and the mark that says the deployment is handed to ``autoscaler``.

        The mark outlives the handover's claim on the count (which the HPA takes when it
        first scales): it is how later applies tell, from the deployment alone, that they
        must leave ``replicas`` out. Returns the deployment as seen after.
        """
        manifest = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": deployment,
                "namespace": namespace,
                "annotations": {AUTOSCALER_ANNOTATION: autoscaler},
            },
            "spec": {"replicas": replicas},
        }
        what = f"hand {deployment} to autoscaler/{autoscaler}"
        with self._writing(_key(Deployment, namespace, deployment)):
            response = self._apply_manifest(
                Deployment, manifest, namespace, what, manager=HANDOVER_MANAGER
            )
            answer = _object(self._parse_body(response, what), what)
            return self._remember(Deployment, namespace, answer)

    @_reads_answers
    def _hand_replicas_back(self, autoscaler: str, namespace: str) -> None:
        """Takes the mark of ``autoscaler`` off the deployment it targets, before it goes.

        The next apply of the deployment sets ``replicas`` again; until then the count
        stays where the autoscaler left it (the handover still co-owns it if the HPA never
        scaled, so nothing resets it). The JSON patch tests the mark first: a deployment
        handed to another autoscaler since, or never handed, is left alone. Raises
        :class:`~orchsdk.NotFound` when there is no such autoscaler.
        """
        what = f"hand back the replicas autoscaler/{autoscaler} owns in {namespace}"
        hpa = _object(self._kind_call(Autoscaler, "read", autoscaler, namespace, what=what), what)
        target = hpa["spec"]["scaleTargetRef"]
        if target.get("kind") != "Deployment":
            return
        pointer = "/metadata/annotations/" + AUTOSCALER_ANNOTATION.replace("/", "~1")
        patch = [
            {"op": "test", "path": pointer, "value": autoscaler},
            {"op": "remove", "path": pointer},
        ]
        try:
            with self._writing(_key(Deployment, namespace, target["name"])):
                answer = self._call(
                    "AppsV1Api",
                    "patch_namespaced_deployment",
                    target["name"],
                    namespace,
                    patch,
                    field_manager=HANDOVER_MANAGER,
                    _content_type=JSON_PATCH,
                    what=what,
                )
        except (NotFound, ValidationError):  # no such deployment, or not handed to this one
            return
        log.info(
            "deployment/%s: replicas handed back from autoscaler/%s", target["name"], autoscaler
        )
        self._remember(Deployment, namespace, _object(answer, what))

    def _follow_autoscaler(
        self, resource: Resource, answer: Mapping[str, Any], after: Seen, what: str
    ) -> Seen:
        """Puts the replica count's owners right after an apply that took the deployment's
        autoscaling wrongly (another client handed it over or back since this backend last
        saw it); returns the deployment as seen after.

        Handed over: the apply set ``replicas``, taking them from the autoscaler for this
        once, so the handover co-owns them again at the count they have now, lest the next
        apply, which leaves them out, reset them to 1. Handed back: the apply left
        ``replicas`` out, so the manifest is sent again with them.
        """
        namespace = _namespace_of(resource)
        log.info("%s: handed to an autoscaler or back meanwhile; following", what)
        if after.autoscaler is not None:
            replicas = (answer.get("spec") or {}).get("replicas", 1)
            return self._hand_over(resource.name, namespace, after.autoscaler, replicas)
        response = self._apply_manifest(type(resource), render(resource), namespace, what)
        resent = _object(self._parse_body(response, what), what)
        return self._remember(type(resource), namespace, resent)

    # -- deployments -------------------------------------------------------------

    def scale(self, name: str, namespace: str, replicas: int) -> None:
        """Patches the ``/scale`` subresource, and forgets the deployment: its answer is the
        Scale, not the deployment, so the next apply reads the deployment afresh (and
        reports a count it puts back as *updated*)."""
        try:
            self._call(
                "AppsV1Api",
                "patch_namespaced_deployment_scale",
                name,
                namespace,
                {"spec": {"replicas": replicas}},
                what=f"scale {name} in {namespace}",
            )
        finally:
            self._seen.forget(_key(Deployment, namespace, name))

    def _deployment(self, name: str, namespace: str) -> dict[str, Any]:
        what = f"get deployment/{name} in {namespace}"
        return _object(
            self._call("AppsV1Api", "read_namespaced_deployment", name, namespace, what=what),
            what,
        )

    @_reads_answers
    def status(self, name: str, namespace: str) -> DeploymentStatus:
        return rollout_status(self._deployment(name, namespace))

    def watch_status(self, name: str, namespace: str, timeout: float) -> Iterator[DeploymentStatus]:
        def list_once(**kwargs: Any) -> Any:
            return self._send(
                "AppsV1Api",
                "list_namespaced_deployment",
                namespace,
                field_selector=f"metadata.name={name}",
                what=f"watch deployment/{name} in {namespace}",
                **kwargs,
            )

        try:
            for obj in watch_object(list_once, self._parse_body, timeout, self.settings.timeout):
                if obj is None:
                    raise NotFound(f"deployment/{name} in {namespace}: not found")
                yield rollout_status(obj)
        except _MALFORMED as error:
            raise _unexpected("watch_status", error) from error

    @_reads_answers
    def rollback(self, name: str, namespace: str, revision: int | None) -> None:
        """``kubectl rollout undo`` as a server-side apply by ``orchsdk`` (see
        :func:`~orchsdk_kubernetes.rollback.rollback_manifest`), guarded by the
        resourceVersion it was computed from: a deployment changed in between gives
        ``Conflict("changed")`` (and the core tries again from a fresh read) instead of a
        rollback to the wrong place. An apply whose answer was lost is resolved by reading
        the template back. The deployment is forgotten (its answer is not read: a rollback
        that landed must not fail on it), so the next apply reads it afresh."""
        try:
            deployment = self._deployment(name, namespace)
            replica_sets = self._replica_sets(deployment)
        except BackendUnavailable as error:
            error.acted = False  # nothing was written yet: safe to try again
            raise
        target = rollback_target(deployment, replica_sets, revision)
        if target is None:
            return
        manifest = rollback_manifest(deployment, target, FIELD_MANAGER)
        what = f"roll back {name} in {namespace} to revision {target.revision}"
        try:
            self._send(
                "AppsV1Api",
                "patch_namespaced_deployment",
                name,
                namespace,
                manifest,
                field_manager=FIELD_MANAGER,
                force=True,
                _content_type=APPLY_PATCH,
                what=what,
            )
        except BackendUnavailable as error:
            if error.acted is False or not self._rolled_back(name, namespace, target):
                raise
            log.info("%s: the answer was lost, but the deployment reads back rolled back", what)
        finally:
            self._seen.forget(_key(Deployment, namespace, name))

    def _rolled_back(self, name: str, namespace: str, target: RollbackTarget) -> bool:
        try:
            return rolled_back(self._deployment(name, namespace), target)
        except (OrchestratorError, *_MALFORMED):
            return False

    def _replica_sets(self, deployment: Mapping[str, Any]) -> builtins.list[dict[str, Any]]:
        """The ReplicaSets this deployment controls (by owner uid, as kubectl finds them)."""
        metadata = deployment["metadata"]
        selector = _selector(deployment["spec"]["selector"])
        found = self._call(
            "AppsV1Api",
            "list_namespaced_replica_set",
            metadata["namespace"],
            label_selector=selector,
            what=f"list replicasets of {metadata['name']}",
        )
        replica_sets = _listing(found, f"list replicasets of {metadata['name']}")
        return [rs for rs in replica_sets if _controlled_by(rs, metadata["uid"])]

    @_reads_answers
    def instances(self, name: str, namespace: str) -> builtins.list[Instance]:
        deployment = self._deployment(name, namespace)
        revisions = {
            rs["metadata"]["uid"]: int(
                (rs["metadata"].get("annotations") or {}).get(REVISION_ANNOTATION, 0)
            )
            for rs in self._replica_sets(deployment)
        }
        pods = self._call(
            "CoreV1Api",
            "list_namespaced_pod",
            namespace,
            label_selector=_selector(deployment["spec"]["selector"]),
            what=f"list pods of {name}",
        )
        instances = []
        for pod in _listing(pods, f"list pods of {name}"):
            owner = next((uid for uid in revisions if _controlled_by(pod, uid)), None)
            if owner is None:
                continue
            status = pod.get("status") or {}
            containers = (pod.get("spec") or {}).get("containers") or []
            ports = [port["containerPort"] for c in containers for port in c.get("ports") or []]
            instances.append(
                Instance(
                    id=pod["metadata"]["name"],
                    deployment=name,
                    namespace=namespace,
                    host=status.get("podIP") or "",
                    ports=ports,
                    state=str(status.get("phase", "Unknown")).lower(),
                    ready=any(
                        c.get("type") == "Ready" and c.get("status") == "True"
                        for c in status.get("conditions") or []
                    ),
                    revision=revisions[owner],
                )
            )
        return sorted(instances, key=lambda instance: instance.id)

    @_reads_answers
    def endpoints(self, name: str, namespace: str) -> builtins.list[Endpoint]:
        what = f"get service/{name}"
        _object(self._kind_call(Service, "read", name, namespace, what=what), what)
        slices = self._call(
            "DiscoveryV1Api",
            "list_namespaced_endpoint_slice",
            namespace,
            label_selector=f"kubernetes.io/service-name={name}",
            what=f"list endpoint slices of {name}",
        )
        endpoints = []
        for piece in _listing(slices, f"list endpoint slices of {name}"):
            for endpoint in piece.get("endpoints") or []:
                ready = (endpoint.get("conditions") or {}).get("ready")
                for address in endpoint.get("addresses") or []:
                    for port in piece.get("ports") or []:
                        endpoints.append(
                            Endpoint(
                                service=name,
                                namespace=namespace,
                                host=address,
                                port=port.get("port") or 0,
                                port_name=port.get("name") or None,
                                protocol=port.get("protocol", "TCP"),
                                ready=ready is not False,
                                instance=(endpoint.get("targetRef") or {}).get("name"),
                            )
                        )
        return endpoints


def _object(document: Any, what: str) -> dict[str, Any]:
    """A read object as the API sends it (a JSON object with its ``metadata``), or
    :class:`~orchsdk_kubernetes.errors.UnexpectedResponse`."""
    if not isinstance(document, dict) or not isinstance(document.get("metadata"), dict):
        raise UnexpectedResponse(f"{what}: the answer is not a Kubernetes object")
    return document


def _listing(document: Any, what: str) -> builtins.list[dict[str, Any]]:
    """The items of a list the API sent (``items`` may be null: none), or
    :class:`~orchsdk_kubernetes.errors.UnexpectedResponse`."""
    if not isinstance(document, dict) or not isinstance(document.get("metadata", {}), dict):
        raise UnexpectedResponse(f"{what}: the answer is not a Kubernetes list")
    items = document.get("items")
    if items is None:
        return []
    if not isinstance(items, builtins.list) or not all(isinstance(item, dict) for item in items):
        raise UnexpectedResponse(f"{what}: the list's items are not Kubernetes objects")
    return items


def _transport_error(error: Exception, what: str) -> OrchestratorError:
    """The orchsdk error for a urllib3 failure: refused or unreachable (nothing sent, so
    ``acted=False``), dropped or timed out after sending (``acted`` unknown), or TLS."""
    from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, SSLError

    cause: BaseException = error
    if isinstance(error, MaxRetryError) and error.reason is not None:
        cause = error.reason
    if isinstance(cause, SSLError):
        return OrchestratorError(
            f"{what}: TLS verification failed ({cause}); pass ca_cert=<CA bundle path>, "
            "or verify=false to opt out"
        )
    if isinstance(cause, ConnectTimeoutError):  # refused, unresolvable, or no connection in time
        return BackendUnavailable(f"{what}: could not connect: {cause}", acted=False)
    return BackendUnavailable(f"{what}: {type(cause).__name__}: {cause}")


def _namespace_of(resource: Resource) -> str:
    assert resource.namespace is not None, "the orchestrator fills namespaces in"
    return resource.namespace


def _key(kind: type[Resource], namespace: str, name: str) -> Key:
    return (kind.kind, namespace, name)


def _group(kind: type[Resource], namespace: str) -> Group:
    return (kind.kind, namespace)


def _as_compared(resource: Resource, autoscaled: bool) -> dict[str, Any]:
    """The manifest apply sends for ``resource``; a (masked) secret's values as they are."""
    manifest = render(resource, autoscaled=autoscaled)
    if isinstance(resource, Secret):
        manifest["data"] = dict(resource.data)
    return manifest


def _selector(selector: Mapping[str, Any]) -> str:
    """A label selector string from a ``LabelSelector`` (matchLabels and matchExpressions)."""
    terms = [f"{key}={value}" for key, value in (selector.get("matchLabels") or {}).items()]
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = ",".join(expression.get("values") or [])
        terms.append(
            {
                "In": f"{key} in ({values})",
                "NotIn": f"{key} notin ({values})",
                "Exists": key,
                "DoesNotExist": f"!{key}",
            }[operator]
        )
    return ",".join(terms)


def _controlled_by(obj: Mapping[str, Any], uid: str) -> bool:
    return any(
        owner.get("uid") == uid and owner.get("controller")
        for owner in (obj.get("metadata") or {}).get("ownerReferences") or []
    )
