"""Malformed server answers give a typed error, never a KeyError or TypeError from inside.

A proxy in front of each emulator answers one path of one read with something no
orchestrator sends (truncated JSON, an HTML error page, a body of the wrong type, fields
missing or of the wrong type) and passes everything else through. Table-driven over the
backends' read paths: get, list, status, instances, endpoints (and a wait, and Marathon's
``/v2/info``). The outcome must be an :class:`~orchsdk.OrchestratorError`; a body that is
not even a JSON object must never read as a result.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from faults_helpers import error_text
from orchsdk_kubernetes.testing import KubernetesEmulator
from orchsdk_marathon.testing import MarathonEmulator

import orchsdk
from orchsdk import (
    Deployment,
    Orchestrator,
    OrchestratorError,
    Port,
    RetryPolicy,
    Secret,
    SecretRef,
    Service,
)
from orchsdk.testing.loopback import LoopbackServer, Request, Response

QUICK = RetryPolicy(attempts=2, deadline=5, initial_delay=0.001, max_delay=0.001)


@attrs.frozen
class Body:
    """A broken answer: its status, Content-Type, and body (bytes, or a function of the
    real answer's JSON for a document with one field broken)."""

    status: int
    content_type: str
    body: bytes | Callable[[Any], Any]
    must_fail: bool = True
    """False: a lenient reading (an absent list read as empty) is fine too."""


def _break_field(path: tuple[str, ...], value: Any) -> Callable[[Any], Any]:
    """Sets the field at ``path`` (the first item of a list on the way) to ``value``; a
    document without that field comes back as it was (and is not a broken answer)."""

    def broken(document: Any) -> Any:
        document = copy.deepcopy(document)
        target = document
        for key in path[:-1]:
            target = target[0] if isinstance(target, list) and target else target
            if not isinstance(target, dict) or key not in target:
                return document
            target = target[key]
        target = target[0] if isinstance(target, list) and target else target
        if isinstance(target, dict) and path[-1] in target:
            target[path[-1]] = value
        return document

    return broken


JSON = "application/json"
BODIES = {
    "truncated": Body(200, JSON, b'{"metadata": {"name": "we'),
    "html-200": Body(200, "text/html", b"<html><body><h1>Welcome to nginx!</h1></body></html>"),
    "html-502": Body(502, "text/html", b"<html><body>502 Bad Gateway</body></html>"),
    "empty": Body(200, JSON, b""),
    "null": Body(200, JSON, b"null"),
    "list": Body(200, JSON, b"[1, 2, 3]"),
    "string": Body(200, JSON, b'"hello"'),
    "number": Body(200, JSON, b"42"),
    "empty-object": Body(200, JSON, b"{}", must_fail=False),
    "metadata-wrong-type": Body(200, JSON, _break_field(("metadata",), [])),
    "spec-wrong-type": Body(200, JSON, _break_field(("spec",), "three")),
    "items-wrong-type": Body(200, JSON, _break_field(("items",), "nope")),
    "items-of-wrong-type": Body(200, JSON, _break_field(("items",), [1, "x", None])),
    "replicas-string": Body(200, JSON, _break_field(("spec", "replicas"), "three"), False),
    "app-wrong-type": Body(200, JSON, _break_field(("app",), ["not", "an", "app"])),
    "apps-wrong-type": Body(200, JSON, _break_field(("apps",), {"id": "/x"})),
    "tasks-wrong-type": Body(200, JSON, _break_field(("app", "tasks"), "none"), False),
    "instances-string": Body(200, JSON, _break_field(("app", "instances"), "two"), False),
    "versions-wrong": Body(200, JSON, _break_field(("versions",), [1, 2])),
    "array-wrong": Body(200, JSON, _break_field(("array",), "x")),
    "value-wrong": Body(200, JSON, _break_field(("value",), 5)),
    "queue-wrong-type": Body(200, JSON, _break_field(("queue",), "x")),
    "queue-of-wrong-type": Body(200, JSON, _break_field(("queue",), [{"app": "x"}]), False),
}


class Proxy:
    """Serves ``app`` (an emulator's router) except for one broken path."""

    def __init__(self, app: Callable[[Request], Response]) -> None:
        self.app = app
        self.broken: tuple[str, Body] | None = None
        self.hits = 0
        self.intact = 0
        self.server = LoopbackServer(self)

    def __call__(self, request: Request) -> Response:
        if self.broken is None or request.method != "GET" or request.path != self.broken[0]:
            return self.app(request)
        self.hits += 1
        body = self.broken[1]
        content = body.body
        if callable(content):
            real = self.app(request)
            assert isinstance(real.body, bytes)
            document = json.loads(real.body)
            changed = content(document)
            if changed == document:
                self.intact += 1  # the field is not in this answer: nothing is broken
            content = json.dumps(changed).encode()
        return Response(body.status, content, {"Content-Type": body.content_type})


LENIENT = {("endpoints", "spec-wrong-type")}
"""Reads that use only part of the broken answer (endpoints read the service only to
know it exists), so a broken field they do not use may read fine."""


def _outcome(operation: Callable[[], Any], body: Body, proxy: Proxy) -> None:
    try:
        result = operation()
    except OrchestratorError:
        return
    except Exception as error:
        raise AssertionError(f"untyped error:\n{error_text(error)}") from error
    finally:
        assert proxy.hits, "the broken path was not read: the table is wrong"
    if body.must_fail and proxy.intact < proxy.hits:
        raise AssertionError(f"read a result from a broken answer: {result!r}")


# -- Kubernetes --------------------------------------------------------------------------

K_DEPLOYMENT = "/apis/apps/v1/namespaces/shop/deployments/web"
K_DEPLOYMENTS = "/apis/apps/v1/namespaces/shop/deployments"
K_SECRET = "/api/v1/namespaces/shop/secrets/db"
K_SECRETS = "/api/v1/namespaces/shop/secrets"
K_SERVICE = "/api/v1/namespaces/shop/services/web"
K_REPLICASETS = "/apis/apps/v1/namespaces/shop/replicasets"
K_PODS = "/api/v1/namespaces/shop/pods"
K_SLICES = "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices"
K_EVENTS = "/api/v1/namespaces/shop/events"

KUBERNETES_READS: list[tuple[str, str, Callable[[Orchestrator], Any]]] = [
    ("get", K_DEPLOYMENT, lambda orch: orch.get(Deployment, "web")),
    ("list", K_DEPLOYMENTS, lambda orch: orch.list(Deployment)),
    ("get-secret", K_SECRET, lambda orch: orch.get(Secret, "db", reveal=True)),
    ("list-secrets", K_SECRETS, lambda orch: orch.list(Secret, reveal=True)),
    ("get-service", K_SERVICE, lambda orch: orch.get(Service, "web")),
    ("status", K_DEPLOYMENT, lambda orch: orch.status("web")),
    ("instances", K_DEPLOYMENT, lambda orch: orch.instances("web")),
    ("instances-replicasets", K_REPLICASETS, lambda orch: orch.instances("web")),
    ("instances-pods", K_PODS, lambda orch: orch.instances("web")),
    ("endpoints", K_SERVICE, lambda orch: orch.endpoints("web")),
    ("endpoints-slices", K_SLICES, lambda orch: orch.endpoints("web")),
    ("wait", K_DEPLOYMENT, lambda orch: orch.wait("web", timeout=1)),
    ("rollback", K_REPLICASETS, lambda orch: orch.rollback("web")),
    ("events", K_EVENTS, lambda orch: orch.events("web")),
]

KUBERNETES_BODIES = [
    name
    for name in BODIES
    if not name.startswith(("app-", "apps-", "tasks-", "instances-", "versions", "array", "queue"))
    and name != "value-wrong"
]

WEB = Deployment(
    "web",
    image="nginx:1.27",
    replicas=2,
    ports=[Port(8080, name="http")],
    env={"PASSWORD": SecretRef("db", "password")},
    labels={"app": "web"},
)


@pytest.fixture(scope="module")
def kubernetes_proxy() -> Iterator[Proxy]:
    with KubernetesEmulator(rollout_seconds=0.1, namespaces=["shop"]) as emulator:
        with orchsdk.connect(emulator.url, namespace="shop") as orch:
            orch.apply(
                Secret("db", data={"password": "pw"}),
                WEB,
                Service("web", selector={"app": "web"}, ports=[Port(80, target_port=8080)]),
                wait=True,
                timeout=30,
            )
            orch.apply(attrs.evolve(WEB, image="nginx:1.28"), wait=True)
        proxy = Proxy(emulator.router)
        with proxy.server:
            yield proxy


@pytest.mark.parametrize("body", KUBERNETES_BODIES)
@pytest.mark.parametrize(("read", "path", "operation"), KUBERNETES_READS, ids=lambda x: x)
def test_kubernetes_reads_of_malformed_answers_raise_typed_errors(
    kubernetes_proxy: Proxy,
    read: str,
    path: str,
    operation: Callable[[Orchestrator], Any],
    body: str,
) -> None:
    proxy = kubernetes_proxy
    proxy.broken, proxy.hits, proxy.intact = (path, BODIES[body]), 0, 0
    url = f"kubernetes://127.0.0.1:{proxy.server.url.rsplit(':', 1)[1]}?scheme=http"
    try:
        with orchsdk.connect(url, namespace="shop", retry=QUICK, read_timeout=2) as orch:
            broken = BODIES[body]
            if (read, body) in LENIENT:
                broken = attrs.evolve(broken, must_fail=False)
            _outcome(lambda: operation(orch), broken, proxy)
    finally:
        proxy.broken = None


# -- Marathon ----------------------------------------------------------------------------

M_APP = "/v2/apps/shop/web"
M_APPS = "/v2/apps"
M_VERSIONS = "/v2/apps/shop/web/versions"
M_SECRETS = "/secrets/v1/secret/default/shop/db"
M_VALUE = "/secrets/v1/secret/default/shop/db/password"

MARATHON_READS: list[tuple[str, str, Callable[[Orchestrator], Any]]] = [
    ("get", M_APP, lambda orch: orch.get(Deployment, "web")),
    ("list", M_APPS, lambda orch: orch.list(Deployment)),
    ("status", M_APP, lambda orch: orch.status("web")),
    ("status-versions", M_VERSIONS, lambda orch: orch.status("web")),
    ("instances", M_APP, lambda orch: orch.instances("web")),
    ("endpoints", M_APPS, lambda orch: orch.endpoints("web")),
    ("get-service", M_APPS, lambda orch: orch.get(Service, "web")),
    ("get-secret", M_SECRETS, lambda orch: orch.get(Secret, "db", reveal=True)),
    ("get-secret-value", M_VALUE, lambda orch: orch.get(Secret, "db", reveal=True)),
    ("info", "/v2/info", lambda orch: orch.capabilities),
    ("rollback", M_VERSIONS, lambda orch: orch.rollback("web")),
    ("wait", M_APP, lambda orch: orch.wait("web", timeout=1)),
    ("events", M_APP, lambda orch: orch.events("web")),
    ("events-queue", "/v2/queue", lambda orch: orch.events("web")),
]

MARATHON_BODIES = [
    name
    for name in BODIES
    if name
    not in ("metadata-wrong-type", "spec-wrong-type", "items-wrong-type", "items-of-wrong-type")
    and name != "replicas-string"
]


@pytest.fixture(scope="module")
def marathon_proxy() -> Iterator[Proxy]:
    with MarathonEmulator(deployment_seconds=0.02) as emulator:
        with orchsdk.connect(emulator.url, namespace="shop") as orch:
            orch.apply(
                Secret("db", data={"password": "pw"}),
                WEB,
                Service("web", selector={"app": "web"}, ports=[Port(80, target_port=8080)]),
                wait=True,
                timeout=30,
            )
            orch.apply(attrs.evolve(WEB, image="nginx:1.28"), wait=True)
        proxy = Proxy(emulator.server.app)
        with proxy.server:
            yield proxy


@pytest.mark.parametrize("body", MARATHON_BODIES)
@pytest.mark.parametrize(("read", "path", "operation"), MARATHON_READS, ids=lambda x: x)
def test_marathon_reads_of_malformed_answers_raise_typed_errors(
    marathon_proxy: Proxy,
    read: str,
    path: str,
    operation: Callable[[Orchestrator], Any],
    body: str,
) -> None:
    proxy = marathon_proxy
    proxy.broken, proxy.hits, proxy.intact = (path, BODIES[body]), 0, 0
    base = proxy.server.url
    url = f"marathon+{base}?secret_store={base}/secrets/v1"
    try:
        with orchsdk.connect(url, namespace="shop", retry=QUICK, read_timeout=2) as orch:
            if read != "info":
                orch.capabilities  # noqa: B018 - read /v2/info unbroken, before the case
            _outcome(lambda: operation(orch), BODIES[body], proxy)
    finally:
        proxy.broken = None
