"""The public face of the emulator: :class:`KubernetesEmulator` and its :class:`RolloutControl`.

>>> with KubernetesEmulator() as cluster:
...     orch = orchsdk.connect(cluster.url)             # the orchsdk backend
...     api = kubernetes.config.new_client_from_config(cluster.kubeconfig)  # the raw client
...     # kubectl --kubeconfig "$KUBECONFIG" get pods   # kubectl, too

It starts a :class:`~orchsdk.testing.loopback.LoopbackServer` on 127.0.0.1 serving the
:class:`~.routes.Router`, writes a kubeconfig for it into a temporary directory, and runs
a clock thread that advances rollouts (one *step* = pending pods become ready) so that a
rollout finishes on its own within about ``rollout_seconds``. With ``auto=False`` nothing
moves until a test calls :attr:`KubernetesEmulator.control`.
"""

from __future__ import annotations

import builtins
import copy
import json
import os
import secrets
import shutil
import tempfile
import threading
import traceback
import urllib.parse
import weakref
from collections.abc import Iterable
from typing import Any

from orchsdk.testing.loopback import Fault, LoopbackServer
from orchsdk_kubernetes.testing.controllers import Controllers
from orchsdk_kubernetes.testing.errors import api_fault, fault_status
from orchsdk_kubernetes.testing.registry import Registry
from orchsdk_kubernetes.testing.resources import RESOURCES, ResourceType, by_kind
from orchsdk_kubernetes.testing.routes import Router
from orchsdk_kubernetes.testing.store import Store

__all__ = ["CONTEXT", "KubernetesEmulator", "RolloutControl"]

CONTEXT = "orchsdk-emulator"
_SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def _clocked(seconds: float | None, auto: bool, default: float) -> float:
    """A duration the clock measures: the given one, its default, or 0 without a clock."""
    if not auto:
        return 0.0
    return default if seconds is None else seconds


def _resource(kind_or_plural: str) -> ResourceType:
    for rt in RESOURCES:
        if kind_or_plural in (rt.kind, rt.plural, rt.singular, *rt.short_names):
            return rt
    raise KeyError(f"the emulator does not serve {kind_or_plural!r}")


class RolloutControl:
    """Steers deployments' rollouts from a test (the contract suite's ``RolloutControl``).

    Deployments are named by ``(name, namespace)``, as in the protocol. Holding one that
    does not exist yet is allowed: it applies once it is created.
    """

    def __init__(self, emulator: KubernetesEmulator) -> None:
        self._emulator = emulator

    @property
    def _controllers(self) -> Controllers:
        return self._emulator.controllers

    def hold(self, name: str, namespace: str) -> None:
        """Keeps the deployment's new pods from becoming ready until :meth:`release`."""
        with self._emulator.store.lock:
            self._controllers.held.add((namespace, name))

    def release(self, name: str, namespace: str) -> None:
        """Lets a held rollout go on (at the next clock step)."""
        with self._emulator.store.lock:
            self._controllers.held.discard((namespace, name))
            self._controllers.touch(namespace)

    def fail(self, name: str, namespace: str) -> None:
        """Fails the current rollout: Progressing=False, reason ``ProgressDeadlineExceeded``.

        The rollout stays failed (its new pods never become ready) until the pod template
        changes, as when the progress deadline passes on a cluster.
        """
        store = self._emulator.store
        with store.lock:
            deployment = store.get(by_kind("Deployment"), namespace, name)
            if deployment is None:
                raise KeyError(f"no deployment {namespace}/{name}")
            from orchsdk_kubernetes.testing.deployments import pod_template_hash

            spec = deployment["spec"]
            template_hash = pod_template_hash(spec["template"], spec.get("collisionCount"))
            self._controllers.failed[(namespace, name)] = template_hash
            self._controllers.touch(namespace)
            self._controllers.settle()

    def step(self, name: str, namespace: str) -> None:
        """Advances this deployment's rollout by one step (even when held or manual)."""
        with self._emulator.store.lock:
            held = (namespace, name) in self._controllers.held
            self._controllers.held.discard((namespace, name))
            try:
                self._controllers.tick(only={(namespace, name)})
            finally:
                if held:
                    self._controllers.held.add((namespace, name))

    def finish(self, name: str, namespace: str, *, max_steps: int = 1000) -> None:
        """Releases and un-fails the deployment and runs its rollout to the end."""
        store = self._emulator.store
        with store.lock:
            self._controllers.held.discard((namespace, name))
            self._controllers.failed.pop((namespace, name), None)
            self._controllers.touch(namespace)
            for _ in range(max_steps):
                self._controllers.tick(only={(namespace, name)})
                deployment = store.get(by_kind("Deployment"), namespace, name)
                if deployment is None or self._controllers.deployments.complete(deployment):
                    return
        raise RuntimeError(f"rollout of {namespace}/{name} did not finish in {max_steps} steps")

    def tick(self) -> None:
        """One clock step for every pod of every deployment not held or failed."""
        self._controllers.tick()

    def recommend(self, name: str, namespace: str, replicas: int | None = None) -> None:
        """Makes the HorizontalPodAutoscaler ``name`` recommend ``replicas`` (as metrics would).

        The controller still clamps it to minReplicas..maxReplicas; ``None`` forgets it.
        """
        with self._emulator.store.lock:
            if replicas is None:
                self._controllers.recommendations.pop((namespace, name), None)
            else:
                self._controllers.recommendations[(namespace, name)] = replicas
            self._controllers.touch(namespace)
            self._controllers.settle()


class KubernetesEmulator:
    """A local Kubernetes API server for tests, on 127.0.0.1 at a free port.

    ``rollout_seconds``: how long, about, an automatic rollout takes; each clock step is a
    tenth of it. ``auto=False``: no clock, rollouts move only through :attr:`control`.
    ``validate``: check every write against the schemas and the API server's rules.
    ``token``: the bearer token of the kubeconfig (one is made up when None); a request
    with another token gets 401, one without is let in unless ``require_token`` (kubectl
    sends no token over plain HTTP).
    ``namespaces``: created at start, besides the system ones (``default`` etc.).
    ``termination_seconds``: how long a stopped pod lingers, terminating and not ready,
    before it is gone (envtest's kubelet: 1 s; a real pod: up to its grace period);
    ``autoscaler_delay``: how long after it is created an HPA first acts (a real
    controller's sync period: 15 s, envtest's 5 s). Both are 0 without the clock
    (``auto=False``), where only :attr:`control` moves time.
    """

    def __init__(
        self,
        *,
        rollout_seconds: float = 1.0,
        auto: bool = True,
        validate: bool = True,
        token: str | None = None,
        require_token: bool = False,
        namespaces: Iterable[str] = (),
        watch_timeout: float = 1800.0,
        bookmark_seconds: float = 60.0,
        history_limit: int = 20000,
        termination_seconds: float | None = None,
        autoscaler_delay: float | None = None,
    ) -> None:
        self.rollout_seconds = rollout_seconds
        self.auto = auto
        self.token = token or secrets.token_urlsafe(24)
        self.store = Store(history_limit=history_limit)
        self.registry = Registry(self.store, validate=validate)
        self.controllers = Controllers(
            self.registry,
            termination_seconds=_clocked(termination_seconds, auto, rollout_seconds / 5),
            autoscaler_delay=_clocked(autoscaler_delay, auto, rollout_seconds / 2),
        )
        self.router = Router(
            self.registry,
            self.controllers,
            token=self.token,
            require_token=require_token,
            watch_timeout=watch_timeout,
            bookmark_seconds=bookmark_seconds,
        )
        self.server = LoopbackServer(self.router, fault_body=fault_status)
        """The HTTP server: ``.faults`` to inject faults, ``.requests`` and ``.count()``."""
        self.router.server_address = self.server.url.split("://", 1)[1]
        self.control = RolloutControl(self)
        """Steers rollouts (hold, release, step, finish, fail) and autoscalers (recommend)."""
        self._namespaces = (*_SYSTEM_NAMESPACES, *namespaces)
        self._directory: str | None = None
        self._clock: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> KubernetesEmulator:
        """Starts serving (idempotent); returns self."""
        if self._directory is not None:
            return self
        for name in self._namespaces:
            if self.store.get(by_kind("Namespace"), "", name) is None:
                self.registry.create(
                    by_kind("Namespace"), "", {"metadata": {"name": name}}, manager="kube-apiserver"
                )
        self._directory = tempfile.mkdtemp(prefix="orchsdk-kube-emulator-")
        # Removed by stop(); and, should the program end without it (an exception, an
        # interrupt, a forgotten emulator), when the emulator is collected or at exit.
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._directory, True)
        self._write_kubeconfig()
        self.server.start()
        if self.auto:
            self._stopping.clear()
            self._clock = threading.Thread(
                target=self._run_clock,
                name=f"kubernetes emulator clock {self.api_url}",
                daemon=True,
            )
            self._clock.start()
        return self

    def stop(self) -> None:
        """Stops the clock, ends open watches, stops the server and removes the kubeconfig."""
        self._stopping.set()
        if self._clock is not None:
            self._clock.join()
            self._clock = None
        self.store.close()
        self.server.stop()
        if self._directory is not None:
            self._cleanup()
            self._directory = None

    def __enter__(self) -> KubernetesEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run_clock(self) -> None:
        step = max(self.rollout_seconds / 10, 0.005)
        while not self._stopping.wait(step):
            try:
                self.controllers.tick()
            except Exception:  # an emulator bug: keep ticking, let tests see it
                self.router.internal_errors.append(traceback.format_exc())

    # -- where it is -----------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """The plain ``http://127.0.0.1:PORT`` base of the API."""
        return self.server.url

    @property
    def kubeconfig(self) -> str:
        """Path of a kubeconfig (context ``orchsdk-emulator``, namespace ``default``)."""
        if self._directory is None:
            raise RuntimeError("the emulator is not started")
        return os.path.join(self._directory, "kubeconfig")

    @property
    def context(self) -> str:
        """The kubeconfig's context (and cluster and user) name: ``orchsdk-emulator``."""
        return CONTEXT

    @property
    def url(self) -> str:
        """``kubernetes://?kubeconfig=<path>&context=orchsdk-emulator``, for ``orchsdk.connect``."""
        query = urllib.parse.urlencode({"kubeconfig": self.kubeconfig, "context": CONTEXT})
        return f"kubernetes://?{query}"

    def _write_kubeconfig(self) -> None:
        document = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": CONTEXT, "cluster": {"server": self.api_url}}],
            "users": [{"name": CONTEXT, "user": {"token": self.token}}],
            "contexts": [
                {
                    "name": CONTEXT,
                    "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": "default"},
                }
            ],
            "current-context": CONTEXT,
            "preferences": {},
        }
        with open(self.kubeconfig, "w", encoding="utf-8") as file:
            json.dump(document, file, indent=2)

    # -- test helpers ----------------------------------------------------------------------------

    def get(self, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
        """A copy of a stored object (``kind`` as ``Deployment``, ``deployments`` or ``deploy``)."""
        rt = _resource(kind)
        with self.store.lock:
            obj = self.store.get(rt, namespace if rt.namespaced else "", name)
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, kind: str, namespace: str | None = None) -> builtins.list[dict[str, Any]]:
        """Copies of the stored objects of a kind, in a namespace or all."""
        rt = _resource(kind)
        with self.store.lock:
            return copy.deepcopy(self.store.list(rt, namespace if rt.namespaced else None))

    def settle(self) -> None:
        """Runs the controllers until the cluster is quiet (they also run after each write)."""
        self.controllers.settle()

    def drop_watches(self, *, clean: bool = False) -> None:
        """Ends every open watch: cut mid-stream (default) or closed cleanly (``clean``)."""
        self.store.drop_watches(clean=clean)

    def compact(self) -> int:
        """Forgets the event history: watches from older resourceVersions get 410 Gone."""
        return self.store.compact()

    @property
    def resource_version(self) -> int:
        """The cluster's current resourceVersion."""
        return self.store.resource_version

    def fail_next(
        self,
        status: int,
        *,
        method: str = "*",
        path: str = "",
        count: int = 1,
        retry_after: float | None = None,
    ) -> None:
        """Makes the next ``count`` matching requests fail with an API-server ``Status``."""
        self.server.faults.add(
            api_fault(status, retry_after=retry_after), method=method, path=path, count=count
        )

    @property
    def open_watches(self) -> int:
        """How many watch streams are open now."""
        return self.router.open_watches

    @property
    def internal_errors(self) -> builtins.list[str]:
        """Tracebacks of emulator bugs answered as 500 (tests may assert it stays empty)."""
        return self.router.internal_errors

    def inject(self, fault: Fault, *, method: str = "*", path: str = "", count: int = 1) -> None:
        """Adds a raw :class:`~orchsdk.testing.loopback.Fault` (drops, delays, any status)."""
        self.server.faults.add(fault, method=method, path=path, count=count)
