"""The Kubernetes backend: server-side apply of rendered manifests, raw-dict reads, kubectl's rules.

Writes are server-side apply patches with field manager ``orchsdk``; reads ask for
raw JSON (``_preload_content=False``) so no field is lost to the client's typed
models. ``kubernetes`` is imported when the backend is made, each API class on its
first use.
"""

from __future__ import annotations

import builtins
import functools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from orchsdk import (
    Action,
    Autoscaler,
    Backend,
    BackendUnavailable,
    Capabilities,
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
)
from orchsdk.backend import url_options
from orchsdk_kubernetes.connection import ConnectionSettings, connect_client
from orchsdk_kubernetes.errors import UnexpectedResponse, map_api_exception
from orchsdk_kubernetes.names import REVISION_ANNOTATION
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
HANDOVER_MANAGER = "orchsdk-handover-to-hpa"
APPLY_PATCH = "application/apply-patch+yaml"
AUTOSCALER_CACHE_SECONDS = 10.0

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
        self._autoscaled: dict[str, tuple[float, set[str]]] = {}
        self._lock = threading.Lock()

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
        return [render(resource, autoscaled=self._is_autoscaled(resource))]

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
        """Reads the object, applies the manifest, and compares what the server holds.

        The read makes the report exact: resourceVersions alone cannot tell an apply
        that changed nothing from a controller's status update in between. An apply
        whose answer was lost is resolved by reading back (:meth:`_landed`).
        """
        kind, name, namespace = type(resource), resource.name, _namespace_of(resource)
        what = f"apply {resource.kind.lower()}/{name} in {namespace}"
        if isinstance(resource, Autoscaler):
            self._hand_replicas_to_autoscaler(resource)
        manifest = render(resource, autoscaled=self._is_autoscaled(resource))
        try:
            before = _object(
                self._kind_call(kind, "read", name, namespace, what=f"read {name}"), what
            )
        except NotFound:
            before = None
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
        after = _object(self._parse_body(response, what), what)
        if response.status == 201:
            return Action.CREATED
        if before is None:  # another client created it between our read and our apply
            return Action.UPDATED
        return Action.UNCHANGED if _content(before) == _content(after) else Action.UPDATED

    def _landed(
        self,
        kind: type[Resource],
        manifest: dict[str, Any],
        namespace: str,
        before: Mapping[str, Any] | None,
    ) -> Action | None:
        """What an apply whose answer was lost did, or None if it cannot be told it landed.

        The object has landed when a server-side dry run of the same apply would change
        nothing in it; then the action is told from the object read before. The apply
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
            if _content(_object(dry, what)) != _content(now):
                return None
        except OrchestratorError:
            return None
        if before is None:
            return Action.CREATED
        return Action.UNCHANGED if _content(before) == _content(now) else Action.UPDATED

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
    def get(self, kind: type[R], name: str, namespace: str, *, reveal: bool = False) -> R:
        what = f"get {kind.kind.lower()}/{name} in {namespace}"
        obj = _object(self._kind_call(kind, "read", name, namespace, what=what), what)
        return parse(kind, obj, reveal=reveal)  # type: ignore[return-value]

    @_reads_answers
    def list(
        self, kind: type[R], namespace: str, labels: Mapping[str, str], *, reveal: bool = False
    ) -> builtins.list[R]:
        selector = ",".join(f"{key}={value}" for key, value in labels.items())
        what = f"list {kind.kind.lower()}s in {namespace}"
        found = self._kind_call(kind, "list", namespace, label_selector=selector or None, what=what)
        items = sorted(_listing(found, what), key=lambda item: item["metadata"]["name"])
        return [parse(kind, item, reveal=reveal) for item in items]  # type: ignore[misc]

    def delete(self, kind: type[Resource], name: str, namespace: str) -> None:
        what = f"delete {kind.kind.lower()}/{name} in {namespace}"
        self._kind_call(kind, "delete", name, namespace, propagation_policy="Background", what=what)
        if kind is Autoscaler:
            self._autoscaled.pop(namespace, None)

    # -- autoscalers own the replica count ---------------------------------------

    @_reads_answers
    def _is_autoscaled(self, resource: Resource) -> bool:
        if not isinstance(resource, Deployment):
            return False
        namespace = _namespace_of(resource)
        with self._lock:
            cached = self._autoscaled.get(namespace)
        if cached is None or time.monotonic() - cached[0] > AUTOSCALER_CACHE_SECONDS:
            found = self._kind_call(
                Autoscaler, "list", namespace, what=f"list autoscalers in {namespace}"
            )
            targets = {
                item["spec"]["scaleTargetRef"]["name"]
                for item in _listing(found, f"list autoscalers in {namespace}")
                if item["spec"]["scaleTargetRef"].get("kind") == "Deployment"
            }
            cached = (time.monotonic(), targets)
            with self._lock:
                self._autoscaled[namespace] = cached
        return resource.name in cached[1]

    def _hand_replicas_to_autoscaler(self, scaler: Autoscaler) -> None:
        """Gives the target's replica count a second owner before orchsdk stops applying it.

        Server-side apply removes a field its only manager stops applying, which would
        reset the replicas to 1; a co-owner keeps the count as it is until the HPA acts.
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
        handover = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": scaler.target, "namespace": namespace},
            "spec": {"replicas": _object(scale, "read scale")["spec"].get("replicas", 1)},
        }
        self._apply_manifest(
            Deployment,
            handover,
            namespace,
            f"hand {scaler.target} to its HPA",
            manager=HANDOVER_MANAGER,
        )
        with self._lock:
            self._autoscaled.setdefault(namespace, (time.monotonic(), set()))[1].add(scaler.target)

    # -- deployments -------------------------------------------------------------

    def scale(self, name: str, namespace: str, replicas: int) -> None:
        self._call(
            "AppsV1Api",
            "patch_namespaced_deployment_scale",
            name,
            namespace,
            {"spec": {"replicas": replicas}},
            what=f"scale {name} in {namespace}",
        )

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
        the template back."""
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


_VOLATILE_METADATA = ("resourceVersion", "managedFields", "generation", "selfLink")
_CONTROLLER_ANNOTATIONS = ("deployment.kubernetes.io/",)


def _content(obj: Mapping[str, Any]) -> dict[str, Any]:
    """What an apply can change: the object less its status and bookkeeping metadata."""
    content = {key: value for key, value in obj.items() if key != "status"}
    metadata = {
        key: value
        for key, value in (obj.get("metadata") or {}).items()
        if key not in _VOLATILE_METADATA
    }
    metadata["annotations"] = {
        key: value
        for key, value in (metadata.get("annotations") or {}).items()
        if not key.startswith(_CONTROLLER_ANNOTATIONS)
    }
    content["metadata"] = metadata
    return content


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
