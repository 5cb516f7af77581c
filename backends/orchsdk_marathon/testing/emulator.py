"""The public face of the Marathon emulator: :class:`MarathonEmulator` and its controls.

:class:`Control` names apps by id; :class:`RolloutControl` is the contract suite's
:class:`~orchsdk.testing.RolloutControl`, naming deployments as orchsdk does.

>>> with MarathonEmulator() as marathon:                        # doctest: +SKIP
...     requests.post(marathon.marathon_url + "/v2/apps", json={"id": "/web", "cmd": "sleep 1000"})
...     marathon.control.finish("/web")
...     marathon.rollout_control.hold("web", "shop")            # the app /shop/web
"""

from __future__ import annotations

import copy
import math
import os
from typing import Any

from orchsdk.testing.loopback import LoopbackServer
from orchsdk_marathon.testing import paths
from orchsdk_marathon.testing.deployments import SCALE, DeploymentEngine
from orchsdk_marathon.testing.events import EventBus
from orchsdk_marathon.testing.lifecycle import Lifecycle
from orchsdk_marathon.testing.routes import MarathonApi
from orchsdk_marathon.testing.secret_store import PREFIX as SECRETS_PREFIX
from orchsdk_marathon.testing.secret_store import SecretStore
from orchsdk_marathon.testing.state import Store
from orchsdk_marathon.testing.validation import SchemaCheck

__all__ = ["Control", "MarathonEmulator", "RolloutControl"]

TICKS_PER_ROUND = 4
"""A deployment round: start the step, stage the tasks, run them, report them healthy."""


class Control:
    """What a test can do to the emulated cluster besides calling its API.

    App ids may be given with or without the leading ``/``. Every method is safe to call
    while the clock runs.
    """

    def __init__(self, store: Store, engine: DeploymentEngine) -> None:
        self._store = store
        self._engine = engine

    def hold(self, app_id: str) -> None:
        """The app's deployments (now and later) stop advancing on the clock."""
        with self._store.lock:
            self._engine.held.add(paths.canonical(app_id))

    def release(self, app_id: str) -> None:
        """Undoes :meth:`hold` (and :meth:`lock`): the clock drives the app again."""
        with self._store.lock:
            self._engine.held.discard(paths.canonical(app_id))

    def fail(self, app_id: str) -> list[str]:
        """The app's running deployment fails.

        Marathon sends ``deployment_failed`` and drops the deployment; the tasks the
        deployment launched die (``TASK_FAILED``, recorded as ``lastTaskFailure``) and
        the app keeps the tasks it had before. Its definition stays the new one, as in
        Marathon. Returns the ids of the failed deployments.
        """
        with self._store.lock:
            return self._engine.fail(paths.canonical(app_id))

    def step(self, app_id: str) -> bool:
        """One tick for the app (even when held); True while it is still deploying."""
        app_id = paths.canonical(app_id)
        with self._store.lock:
            self._engine.tick_app(app_id)
            return self._engine.busy(app_id)

    def finish(self, app_id: str, *, max_ticks: int = 1000) -> None:
        """Ticks the app (even when held) until its deployments are done and tasks ready."""
        app_id = paths.canonical(app_id)
        with self._store.lock:
            for _ in range(max_ticks):
                if not self._engine.busy(app_id):
                    return
                self._engine.tick_app(app_id)
        raise RuntimeError(f"{app_id} did not converge in {max_ticks} ticks")

    def lock(self, app_id: str) -> str:
        """Forces a long-running deployment on the app, so writes get the 409 lock body.

        The app is held: the deployment stays until :meth:`release` (then the clock
        finishes it), :meth:`finish` or :meth:`fail`. Returns the deployment id.
        """
        app_id = paths.canonical(app_id)
        with self._store.lock:
            record = self._store.app(app_id)
            if record is None:
                raise KeyError(f"no app {app_id}")
            self._engine.held.add(app_id)
            running = self._engine.of_app(app_id)
            if running:
                return running[0].id
            deployment = self._engine.start([app_id], [SCALE], target=record.definition)
            return deployment.id

    def deployments(self, app_id: str) -> list[str]:
        """The ids of the deployments running on the app."""
        with self._store.lock:
            return [d.id for d in self._engine.of_app(paths.canonical(app_id))]

    def tick(self) -> None:
        """One clock tick for every app that is not held (what the clock does by itself)."""
        with self._store.lock:
            self._engine.tick_all()


class RolloutControl:
    """The contract suite's rollout control: deployment ``name`` in ``namespace`` is the app
    ``/<namespace>/<name>``, as the orchsdk Marathon backend names it."""

    def __init__(self, control: Control) -> None:
        self._control = control

    def hold(self, name: str, namespace: str) -> None:
        """The app's deployments stop advancing: its new tasks stay not ready."""
        self._control.hold(f"/{namespace}/{name}")

    def release(self, name: str, namespace: str) -> None:
        """Lets a held rollout go on."""
        self._control.release(f"/{namespace}/{name}")

    def fail(self, name: str, namespace: str) -> None:
        """The app's running deployment fails (see :meth:`Control.fail`)."""
        self._control.fail(f"/{namespace}/{name}")


class MarathonEmulator:
    """A local Marathon (and DC/OS secret store) on ``127.0.0.1``, for tests and examples.

    - ``secrets``: serve the secret store under ``/secrets/v1`` (its base is put in
      :attr:`url` as ``?secret_store=``) and list the ``secrets`` feature in ``/v2/info``.
    - ``secrets_feature``: whether Marathon has ``--enable_features secrets``; defaults
      to ``secrets``. Without it, Marathon rejects apps that use secrets (422, as its
      ``AppValidation`` does); with it but without a store (``secrets=False,
      secrets_feature=True``), apps with secrets are accepted and nothing is injected —
      open-source Marathon without a secrets plugin.
    - ``schema``: path to Marathon's ``AppDefinition.json``; every app body written is
      then also validated against it (plus the newer fields listed in
      :data:`~orchsdk_marathon.testing.validation.NEWER_FIELDS`).
    - ``deployment_seconds``: how long one round of a deployment takes on the clock
      (stage, run, turn healthy): creating or scaling an app takes about this long; a
      rolling restart takes one round per batch its ``upgradeStrategy`` allows.
    - ``auto``: run the clock; with ``False`` only :attr:`control` advances deployments.
    - ``token``: when set, every call needs ``Authorization: token=<token>`` (else 401).
    - ``agents``: how many agents (``agent-N.emulator``, 4 CPUs and 16 GiB each, zone
      ``zone-a``, ``zone-b``, ...) tasks are spread over; an app that none can hold
      waits in ``/v2/queue`` with the offers it declined (see :mod:`.agents`).
    - ``kill_grace_seconds``: how long a killed task stays ``TASK_KILLING`` (not
      healthy, still listed) before it is gone; envtest keeps terminating pods for 1 s.
    - ``backoff_scale``: the share of Marathon's launch back-off after a failed task
      (``backoffSeconds`` 1, ``backoffFactor`` 1.15) that the emulator waits.

    Tasks fail as the envtest kubelet's pods do (:mod:`.triggers`): an image on a
    ``.invalid`` registry host, a missing secret, a ``false`` command.
    """

    def __init__(
        self,
        secrets: bool = True,
        *,
        schema: str | os.PathLike[str] | None = None,
        deployment_seconds: float = 0.5,
        auto: bool = True,
        token: str | None = None,
        secrets_feature: bool | None = None,
        agents: int = 2,
        kill_grace_seconds: float = 0.2,
        backoff_scale: float = 0.1,
    ) -> None:
        self.secrets = secrets
        self.token = token
        self.auto = auto
        self.events = EventBus()
        """Every event sent (``.log``, ``.of_type()``), and the SSE streams."""
        self.secret_store = SecretStore() if secrets else None
        """The secret values (``.values``), when ``secrets`` is on."""
        self._store = Store(agents=agents)
        tick_seconds = max(deployment_seconds, 0.004) / TICKS_PER_ROUND
        store = self.secret_store
        lifecycle = Lifecycle(
            self._store,
            self.events,
            tick_seconds=tick_seconds,
            kill_ticks=math.ceil(max(kill_grace_seconds, 0.0) / tick_seconds - 1e-9),
            backoff_scale=max(backoff_scale, 0.0),
            secret_exists=None if store is None else lambda path: path in store.values,
        )
        self._engine = DeploymentEngine(lifecycle)
        self.control = Control(self._store, self._engine)
        """Holds, steps, finishes, fails and locks deployments (see :class:`Control`)."""
        self.rollout_control = RolloutControl(self.control)
        """The same by deployment name and namespace (see :class:`RolloutControl`)."""
        self._api = MarathonApi(
            self._store,
            self._engine,
            self.events,
            base_url=lambda: self.marathon_url,
            secrets_feature=secrets if secrets_feature is None else secrets_feature,
            secret_store=self.secret_store,
            schema=SchemaCheck(schema) if schema is not None else None,
            token=token,
        )
        self.server = LoopbackServer(self._api)
        """The HTTP server: ``.faults`` to inject faults, ``.requests`` and ``.count()``."""
        self._started = False

    @property
    def marathon_url(self) -> str:
        """``http://127.0.0.1:PORT``: the plain base for ``requests`` and other clients."""
        return self.server.url

    @property
    def secret_store_url(self) -> str | None:
        """``http://127.0.0.1:PORT/secrets/v1`` when the secret store is on, else ``None``."""
        return self.server.url + SECRETS_PREFIX if self.secrets else None

    @property
    def url(self) -> str:
        """The URL for ``orchsdk.connect()``: ``marathon+http://127.0.0.1:PORT``.

        With the secret store on, its base follows as ``?secret_store=<secret_store_url>``.
        The token (if any) is not in the URL: pass it to ``connect`` as an option.
        """
        base = "marathon+" + self.server.url
        if self.secret_store_url is not None:
            return f"{base}?secret_store={self.secret_store_url}"
        return base

    def start(self) -> MarathonEmulator:
        """Starts serving (and the clock, when ``auto``); returns self."""
        if not self._started:
            self.server.start()
            if self.auto:
                self._engine.start_clock()
            self._started = True
        return self

    def stop(self) -> None:
        """Ends the event streams, stops the clock and the server."""
        self.events.close()
        self._engine.stop_clock()
        self.server.stop()
        self._started = False

    def __enter__(self) -> MarathonEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"MarathonEmulator({self.marathon_url}, secrets={self.secrets})"

    # -- conveniences for tests ----------------------------------------------------------

    def app(self, app_id: str) -> dict[str, Any] | None:
        """A copy of the app's stored definition, or ``None`` (without going through HTTP)."""
        with self._store.lock:
            record = self._store.app(paths.canonical(app_id))
            return None if record is None else copy.deepcopy(record.definition)
