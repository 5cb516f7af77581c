"""Where the examples run, and how they print: not an example itself, the plumbing they share.

Each example runs on Kubernetes and on Marathon. It uses your clusters when you name
them, and starts local emulators (in this process, on 127.0.0.1) when you do not:

- Kubernetes: ``KUBECONFIG`` set -> ``kubernetes://`` with that kubeconfig, and the
  context ``KUBE_CONTEXT`` if set (else the kubeconfig's current context);
- Marathon: ``MARATHON_URL`` set (``https://marathon.example.com:8443``) -> that
  Marathon, with the DC/OS token ``DCOS_ACS_TOKEN`` and the secret store
  ``MARATHON_SECRET_STORE`` (``https://master.mesos/secrets/v1``) when set.

Namespaces are created on Kubernetes when missing, and those an example created are
deleted when it ends (with everything left in them); on Marathon a namespace is a group,
which Marathon makes for the first app in it.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import orchsdk
from orchsdk import Orchestrator

__all__ = [
    "Cluster",
    "Namespaces",
    "Step",
    "StepFailed",
    "both",
    "clean_up_quietly",
    "kubernetes",
    "marathon",
    "run",
    "run_steps",
    "say",
    "side_by_side",
    "title",
]

Step = Callable[[Orchestrator], Iterable[str]]
"""One step of an example: does something on one orchestrator, yields lines to print."""


@dataclass(frozen=True)
class Cluster:
    """One orchestrator an example runs on: how to connect to it, and where it is."""

    url: str
    where: str
    """For the log: ``local emulator`` or the cluster's name (never a credential)."""
    options: dict[str, Any] = field(default_factory=dict)
    marathon_api: str | None = None
    """Marathon only: the plain ``http(s)://`` base of its REST API, for ``requests``."""
    secret_store_api: str | None = None
    """Marathon only: the DC/OS secret store API base, when there is one."""
    emulated: bool = False
    namespaces: Any = None
    """Kubernetes only: the namespaces of the cluster, to delete those an example made."""

    def connect(self, namespace: str) -> Orchestrator:
        """An orchestrator on this cluster, with ``namespace`` as its default namespace."""
        if self.namespaces is not None:
            self.namespaces.note(namespace)
        return orchsdk.connect(self.url, namespace=namespace, **self.options)


class Namespaces:
    """The Kubernetes namespaces an example used that did not exist before it; deleted at
    its end, so that a run leaves nothing behind (the emulators leave nothing anyway)."""

    def __init__(self, context: str | None) -> None:
        from kubernetes import client, config

        api_client = config.new_client_from_config(context=context)  # type: ignore[no-untyped-call]
        self._api = client.CoreV1Api(api_client)
        self._client = client
        self.made: list[str] = []

    def note(self, name: str) -> None:
        """Remembers ``name`` if it does not exist yet (orchsdk creates it on first use)."""
        if name not in self.made and not self._exists(name):
            self.made.append(name)

    def delete_made(self, timeout: float = 120.0) -> None:
        """Deletes the namespaces the example made, and waits until they are gone (so that
        the next run does not find one still terminating)."""
        for name in self.made:
            try:
                self._api.delete_namespace(name)
            except self._client.ApiException as error:
                if error.status != 404:
                    raise
        deadline = time.monotonic() + timeout
        while self.made and time.monotonic() < deadline:
            time.sleep(0.5)
            self.made = [name for name in self.made if self._exists(name)]
        self._api.api_client.close()

    def _exists(self, name: str) -> bool:
        try:
            self._api.read_namespace(name)
        except self._client.ApiException as error:
            if error.status == 404:
                return False
            raise
        return True


@contextmanager
def kubernetes() -> Iterator[Cluster]:
    """The Kubernetes of ``KUBECONFIG`` (and ``KUBE_CONTEXT``), else a local emulator."""
    query = {"create_namespace": "true"}
    if os.environ.get("KUBECONFIG"):
        context = os.environ.get("KUBE_CONTEXT")
        if context:
            query["context"] = context
        where = f"KUBECONFIG, context {context}" if context else "KUBECONFIG, current context"
        namespaces = Namespaces(context)
        try:
            yield Cluster(f"kubernetes://?{urlencode(query)}", where, namespaces=namespaces)
        finally:
            namespaces.delete_made()
        return
    from orchsdk_kubernetes.testing import KubernetesEmulator

    with KubernetesEmulator(rollout_seconds=0.5) as emulator:
        url = f"{emulator.url}&{urlencode(query)}"
        yield Cluster(url, "local emulator", emulated=True)


@contextmanager
def marathon() -> Iterator[Cluster]:
    """The Marathon of ``MARATHON_URL`` (``DCOS_ACS_TOKEN``, ``MARATHON_SECRET_STORE``),
    else a local emulator with a DC/OS secret store."""
    configured = os.environ.get("MARATHON_URL")
    if configured:
        api = configured.removeprefix("marathon+").rstrip("/")
        options = {}
        store = os.environ.get("MARATHON_SECRET_STORE")
        if store:
            options["secret_store"] = store
        host = urlsplit(api).netloc.rpartition("@")[2]  # never print credentials
        yield Cluster(f"marathon+{api}", host, options, api, store)
        return
    from orchsdk_marathon.testing import MarathonEmulator

    schema = os.environ.get("ORCHSDK_MARATHON_SCHEMA") or None  # check apps against it
    with MarathonEmulator(secrets=True, deployment_seconds=0.2, schema=schema) as emulator:
        yield Cluster(
            emulator.url,
            "local emulator",
            marathon_api=emulator.marathon_url,
            secret_store_api=emulator.secret_store_url,
            emulated=True,
        )


@contextmanager
def both() -> Iterator[tuple[Cluster, Cluster]]:
    """Kubernetes and Marathon, each as :func:`kubernetes` and :func:`marathon` choose."""
    with kubernetes() as kube, marathon() as mara:
        yield kube, mara


# -- printing -----------------------------------------------------------------------


def title(text: str) -> None:
    """Prints the heading of a step."""
    print(f"\n== {text}", flush=True)


def say(who: str, line: str) -> None:
    """Prints one line of what happened, prefixed with the backend it happened on."""
    print(f"  {who:<10} | {line}", flush=True)


class StepFailed(Exception):
    """A step failed on one backend; the message says which step, where, and why."""


def side_by_side(heading: str, step: Step, orchestrators: Sequence[Orchestrator]) -> None:
    """Runs ``step`` on every orchestrator at once, then prints each one's lines in turn.

    The backends work in parallel threads (one orchestrator each); the output comes in
    a fixed order, so that runs read the same every time.
    """
    title(heading)
    with ThreadPoolExecutor(max_workers=len(orchestrators)) as pool:
        futures = [pool.submit(_lines_of, step, orch) for orch in orchestrators]
    for orch, future in zip(orchestrators, futures, strict=True):
        try:
            lines = future.result()
        except Exception as error:
            where = f"{orch.backend.name}, step {heading!r}"
            raise StepFailed(f"{where}: {type(error).__name__}: {error}") from error
        for line in lines:
            say(orch.backend.name, line)


def _lines_of(step: Step, orch: Orchestrator) -> list[str]:
    return list(step(orch))


def clean_up_quietly(step: Step, orchestrators: Sequence[Orchestrator]) -> None:
    """After a failure: runs a clean-up step on every orchestrator, best effort.

    Its output and its own errors are not printed (the first failure is what matters;
    set ``ORCHSDK_DEBUG`` to see them); on each orchestrator it stops at the first error.
    """
    for orch in orchestrators:
        try:
            for _ in step(orch):
                pass
        except Exception as error:
            if os.environ.get("ORCHSDK_DEBUG"):
                print(f"clean-up on {orch.backend.name}: {error}", file=sys.stderr)


def run_steps(
    steps: Sequence[tuple[str, Step]], clean_up: Step, orchestrators: Sequence[Orchestrator]
) -> None:
    """Runs each ``(heading, step)`` side by side; when one fails, runs ``clean_up`` quietly
    on every orchestrator before the failure goes on, so a failed run leaves nothing."""
    try:
        for heading, step in steps:
            side_by_side(heading, step, orchestrators)
    except BaseException:
        clean_up_quietly(clean_up, orchestrators)
        raise


def run(name: str, example: Callable[[], None]) -> int:
    """Runs an example; on failure prints one readable line (and the traceback only when
    ``ORCHSDK_DEBUG`` is set). Returns the process's exit code."""
    logging.basicConfig(level=logging.WARNING, format="  (log) %(name)s: %(message)s")
    try:
        example()
    except KeyboardInterrupt:
        print(f"\n{name}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if os.environ.get("ORCHSDK_DEBUG"):
            traceback.print_exc()
        message = (
            str(error) if isinstance(error, StepFailed) else f"{type(error).__name__}: {error}"
        )
        print(f"{name} failed: {' '.join(message.split())}", file=sys.stderr)
        return 1
    return 0
