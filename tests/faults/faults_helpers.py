"""The seeded chaos run shared by both backends, and the leak scanner that watches it.

A :class:`Chaos` drives one :class:`~orchsdk.Orchestrator` through a long random mix of
operations (apply of new and changed specs, scale, rollback, delete, secret rotation)
while the emulator fails a share of the requests at random. It keeps a *model* of what
the caller meant to have, including how each backend numbers revisions (so that a
rollback's target is predicted, not read), and at the end the test compares the model
with the cluster. The backend-specific parts (how a rollback picks its target: Marathon
puts back a whole version, instance count included) are :class:`KubernetesRules` and
:class:`MarathonRules`.

Named ``faults_helpers`` so as not to collide with other test directories' helpers.
"""

from __future__ import annotations

import base64
import collections
import logging
import random
import re
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs

from orchsdk import (
    Action,
    BackendUnavailable,
    Deployment,
    NotFound,
    Orchestrator,
    OrchestratorError,
    Port,
    RetryPolicy,
    Secret,
    SecretRef,
)
from orchsdk.testing.loopback import Fault

FIGURES: list[str] = []
"""Lines printed at the end of the pytest run (see ``conftest.py``)."""

FAST_RETRY = RetryPolicy(attempts=15, deadline=20.0, initial_delay=0.001, max_delay=0.005)
"""The orchestrator's retry policy in the chaos runs: the default's shape, tiny delays, and
room for the operations made of many requests (a Marathon secret: one per key), which
at a 20% failure rate fail a whole try more often than not."""


@attrs.frozen
class Timing:
    """A backend's read timeout in a chaos run, and the injected delay that passes it.

    A request that timed out may still act when its delay is over (as on a real server,
    which cannot know that the client gave up); no client can order such a late write
    after its next one. Kubernetes rollbacks carry a resourceVersion precondition, which
    makes theirs harmless; for other writes the run leaves a resource alone for
    ``quiet`` seconds after writing it.
    """

    read_timeout: float
    delay: float

    @property
    def quiet(self) -> float:
        return self.delay + 0.2


KUBERNETES_TIMING = Timing(read_timeout=0.1, delay=0.15)
"""The Kubernetes emulator validates each write against the schemas: ~10-30 ms."""
MARATHON_TIMING = Timing(read_timeout=0.05, delay=0.1)
"""The Marathon emulator answers in a few milliseconds."""


def chaos_faults(
    timing: Timing, *, status_body: Callable[[Fault], Any] | None = None
) -> list[Fault]:
    """Every kind of failure, one of each: 500, 503, 429 with Retry-After, a connection
    dropped before and after the server acted, and a delay past the client's timeout."""
    faults = [
        Fault(status=500),
        Fault(status=503),
        Fault(status=429, retry_after=0.01),
        Fault(drop="before"),
        Fault(drop="after"),
        Fault(delay=timing.delay),
    ]
    if status_body is not None:
        faults = [
            attrs.evolve(fault, body=status_body(fault)) if fault.status else fault
            for fault in faults
        ]
    return faults


# -- counting what happens ----------------------------------------------------------------


class Recorder(logging.Handler):
    """Keeps every log record of every logger, formatted (message, arguments, traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.retries = 0
        self.read_backs = 0
        self._lock2 = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.name} {record.levelname} {record.getMessage()} {record.args!r}"
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        with self._lock2:
            self.lines.append(text)
            if record.name == "orchsdk.retry":
                self.retries += 1
            if "answer was lost" in record.getMessage():
                self.read_backs += 1


_DEBUG_LOGGERS = ("", "orchsdk", "urllib3", "requests", "kubernetes", "kubernetes.client.rest")


@contextmanager
def recording() -> Iterator[Recorder]:
    """Records every log record, at DEBUG, of orchsdk and the HTTP clients, while it lasts."""
    recorder = Recorder()
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in _DEBUG_LOGGERS}
    for name in _DEBUG_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    root.addHandler(recorder)
    try:
        yield recorder
    finally:
        root.removeHandler(recorder)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def error_text(error: BaseException) -> str:
    """Everything an exception shows: str, repr and the whole chain of its traceback."""
    return "\n".join(
        [str(error), repr(error), *traceback.format_exception(type(error), error, None)]
    )


SECRET_PREFIX = "s3cr3t-"
"""Every secret value a chaos run makes starts so: the leak scan finds candidates in one
pass over everything recorded, then checks them against the values used."""
_CANDIDATE = re.compile(
    re.escape(SECRET_PREFIX)
    + r"[0-9a-f]{16}|"
    + re.escape(base64.b64encode(SECRET_PREFIX.encode()).decode()[:8])
    + r"[A-Za-z0-9+/]{8,}={0,2}"
)


def leaks(texts: list[str], secrets: set[str], tokens: tuple[str, ...] = ()) -> list[str]:
    """The secret values (as they are, or base64-encoded as Kubernetes carries them) and
    the tokens that occur anywhere in ``texts``, each with where it was."""
    found = []
    everything = "\n".join(texts)
    for match in _CANDIDATE.finditer(everything):
        candidate = match.group()
        if not candidate.startswith(SECRET_PREFIX):
            try:
                candidate = base64.b64decode(candidate + "==", validate=False).decode(
                    "utf-8", "replace"
                )[: len(SECRET_PREFIX) + 16]
            except ValueError:
                continue
        if candidate in secrets:
            at = match.start()
            found.append(f"{candidate!r} in ...{everything[max(0, at - 80) : at + 40]!r}...")
    for token in tokens:
        if token in everything:
            at = everything.index(token)
            found.append(f"a token in ...{everything[max(0, at - 80) : at + 20]!r}...")
    return found


# -- the model ------------------------------------------------------------------------------


def _template(spec: Deployment) -> Deployment:
    """What makes a revision: everything but the replica count."""
    return attrs.evolve(spec, replicas=0)


@attrs.define
class Tracked:
    """One deployment as the caller meant it: its spec, and its revision history."""

    spec: Deployment
    history: list[Deployment]
    """Each revision, oldest first: Kubernetes its pod template, Marathon its last version."""


class KubernetesRules:
    """How Kubernetes numbers revisions: one per distinct pod template (a ReplicaSet).

    A template seen before gets its old ReplicaSet back, now the newest revision; scaling
    makes none; a rollback re-applies the template of the revision before the newest and
    keeps the replica count.
    """

    name = "kubernetes"

    def created(self, spec: Deployment) -> Tracked:
        return Tracked(spec, [_template(spec)])

    def applied(self, tracked: Tracked, spec: Deployment) -> None:
        template = _template(spec)
        if template != tracked.history[-1]:
            if template in tracked.history:
                tracked.history.remove(template)
            tracked.history.append(template)
        tracked.spec = spec

    def scaled(self, tracked: Tracked, replicas: int) -> None:
        tracked.spec = attrs.evolve(tracked.spec, replicas=replicas)

    def can_roll_back(self, tracked: Tracked) -> bool:
        return len(tracked.history) >= 2

    def rolled_back(self, tracked: Tracked) -> Deployment:
        """The spec a rollback leads to (``rolled_back`` then records it)."""
        return attrs.evolve(tracked.history[-2], replicas=tracked.spec.replicas)

    def roll_back(self, tracked: Tracked) -> None:
        target = tracked.history.pop(-2)
        tracked.history.append(target)
        tracked.spec = attrs.evolve(target, replicas=tracked.spec.replicas)


class MarathonRules:
    """How Marathon numbers revisions: as Kubernetes does, one per change of the
    definition (a definition that comes back is renumbered), but a rollback puts back
    the last version of the revision before the newest, its instance count included. A
    write that changes nothing (same definition, same count) stores no version."""

    name = "marathon"

    def created(self, spec: Deployment) -> Tracked:
        return Tracked(spec, [spec])

    def applied(self, tracked: Tracked, spec: Deployment) -> None:
        if _template(spec) == _template(tracked.spec):
            tracked.history[-1] = spec
        else:
            back = [old for old in tracked.history if _template(old) == _template(spec)]
            if back:
                tracked.history.remove(back[-1])
            tracked.history.append(spec)
        tracked.spec = spec

    def scaled(self, tracked: Tracked, replicas: int) -> None:
        self.applied(tracked, attrs.evolve(tracked.spec, replicas=replicas))

    def can_roll_back(self, tracked: Tracked) -> bool:
        return len(tracked.history) >= 2

    def rolled_back(self, tracked: Tracked) -> Deployment:
        return tracked.history[-2]

    def roll_back(self, tracked: Tracked) -> None:
        target = tracked.history.pop(-2)
        tracked.history.append(target)
        tracked.spec = target


Rules = KubernetesRules | MarathonRules


@attrs.define
class Counts:
    """What a chaos run did and saw."""

    operations: collections.Counter[str] = attrs.field(factory=collections.Counter)
    reads: int = 0
    failures: collections.Counter[str] = attrs.field(factory=collections.Counter)
    reruns: int = 0
    misreported: collections.Counter[str] = attrs.field(factory=collections.Counter)
    """Applies whose reported action was not the one expected (after a lost answer that
    could not be read back, a retried apply says "unchanged"): reported, not asserted."""
    unknown_rollbacks: int = 0
    locks: int = 0
    errors: list[BaseException] = attrs.field(factory=list)


class Chaos:
    """A seeded random run of operations through one orchestrator, with its model.

    ``namespaces``: where resources go (spread out, as the emulators' controllers work
    per namespace). ``before_write(namespace, name)``: a hook called before a write to a
    deployment (Marathon's run locks the app there, now and then).
    """

    def __init__(
        self,
        orch: Orchestrator,
        rules: Rules,
        *,
        seed: int,
        namespaces: list[str],
        quiet: float,
        before_write: Callable[[str, str], None] | None = None,
    ) -> None:
        self.orch = orch
        self.quiet = quiet
        self.rules = rules
        self.random = random.Random(seed)
        self.namespaces = namespaces
        self.before_write = before_write or (lambda namespace, name: None)
        self.deployments: dict[tuple[str, str], Tracked] = {}
        self.secrets: dict[tuple[str, str], dict[str, str]] = {}
        self.pinned: dict[tuple[str, str], tuple[str, str]] = {}
        """Deployment -> the secret (namespace, name) it reads ``DB_PASSWORD`` from."""
        self.secret_values: set[str] = set()
        self.texts: list[str] = []
        """Everything shown to the caller (reprs, diffs, errors), for the leak scan."""
        self.counts = Counts()
        self._last_write: dict[tuple[str, str, str], float] = {}
        self._serial = 0

    # -- values --------------------------------------------------------------------------

    def _next(self) -> int:
        self._serial += 1
        return self._serial

    def _secret_value(self) -> str:
        value = f"s3cr3t-{self.random.getrandbits(64):016x}"
        self.secret_values.add(value)
        return value

    def _deployment_spec(self, namespace: str, name: str, replicas: int) -> Deployment:
        env: dict[str, Any] = {"RELEASE": f"r{self.random.randrange(6)}"}
        if self.random.random() < 0.5:
            env["MODE"] = self.random.choice(["fast", "safe"])
        pinned = self.pinned.get((namespace, name))
        if pinned is not None:
            env["DB_PASSWORD"] = SecretRef(pinned[1], "password")
        return Deployment(
            name,
            namespace=namespace,
            image=f"registry.example/app:{self.random.randrange(4)}",
            replicas=replicas,
            ports=[Port(8080, name="http")],
            env=env,
            labels={"app": name},
        )

    # -- choosing ------------------------------------------------------------------------

    def _quiet(self, kind: str, key: tuple[str, str]) -> bool:
        return time.monotonic() - self._last_write.get((kind, *key), -1e9) > self.quiet

    def _wrote(self, kind: str, key: tuple[str, str]) -> None:
        self._last_write[(kind, *key)] = time.monotonic()

    def _pick(self, pool: dict[tuple[str, str], Any], kind: str) -> tuple[str, str] | None:
        ready = [key for key in pool if self._quiet(kind, key)]
        return self.random.choice(sorted(ready)) if ready else None

    # -- running -------------------------------------------------------------------------

    def run(self, operations: int) -> None:
        """Runs ``operations`` writes (and some reads besides)."""
        steps: list[tuple[str, float]] = [
            ("create", 10),
            ("update", 20),
            ("reapply", 4),
            ("resize", 5),
            ("scale", 14),
            ("rollback", 12),
            ("delete", 5),
            ("create-secret", 5),
            ("rotate-secret", 13),
            ("delete-secret", 3),
            ("create-pair", 5),
            ("read", 8),
        ]
        names, weights = zip(*steps, strict=True)
        done = 0
        while done < operations:
            step = self.random.choices(names, weights)[0]
            if step == "read":
                self._read()
                continue
            if getattr(self, "_" + step.replace("-", "_"))():
                self.counts.operations[step] += 1
                done += 1

    def _attempt(self, what: str, operation: Callable[[], Any], *, rerun: bool = True) -> Any:
        """Runs an operation; a typed failure is recorded, then it runs again (as a caller
        would) until it succeeds. Anything but an OrchestratorError is a finding."""
        for _ in range(8):
            try:
                return operation()
            except OrchestratorError as error:
                self.counts.failures[type(error).__name__] += 1
                self.counts.errors.append(error)
                self.texts.append(error_text(error))
                if not rerun:
                    raise
                self.counts.reruns += 1
                time.sleep(self.quiet)
            except Exception as error:
                self.counts.errors.append(error)
                raise
        raise AssertionError(f"{what} failed 8 times in a row")

    def _create(self) -> bool:
        live = [key for key in self.deployments if key[0] in self.namespaces]
        if len(live) >= 24:
            return False
        namespace = self.random.choice(self.namespaces)
        name = f"app-{self._next()}"
        spec = self._deployment_spec(namespace, name, self.random.randrange(0, 3))
        results = self._attempt("create", lambda: self.orch.apply(spec))
        self.texts.append(repr(results))
        self._check(results, Action.CREATED)
        self.deployments[(namespace, name)] = self.rules.created(spec)
        self._wrote("deployment", (namespace, name))
        return True

    def _create_pair(self) -> bool:
        """A secret and a deployment that reads it, in one apply."""
        if len(self.deployments) >= 24:
            return False
        namespace = self.random.choice(self.namespaces)
        serial = self._next()
        name, secret_name = f"app-{serial}", f"db-{serial}"
        data = {"password": self._secret_value(), "user": f"user{serial}"}
        secret = Secret(secret_name, namespace=namespace, data=data)
        self.pinned[(namespace, name)] = (namespace, secret_name)
        spec = self._deployment_spec(namespace, name, self.random.randrange(0, 3))
        results = self._attempt("create pair", lambda: self.orch.apply(spec, secret))
        self.texts.append(repr(results))
        self._check(results, Action.CREATED)
        self.secrets[(namespace, secret_name)] = data
        self.deployments[(namespace, name)] = self.rules.created(spec)
        self._wrote("deployment", (namespace, name))
        self._wrote("secret", (namespace, secret_name))
        return True

    def _change(self, key: tuple[str, str], spec: Deployment) -> None:
        self.before_write(*key)
        results = self._attempt("apply", lambda: self.orch.apply(spec))
        self.texts.append(repr(results))
        tracked = self.deployments[key]
        expected = Action.UNCHANGED if spec == tracked.spec else Action.UPDATED
        self._check(results, expected)
        self.rules.applied(tracked, spec)
        self._wrote("deployment", key)

    def _check(self, results: list[Any], expected: Action) -> None:
        for result in results:
            if result.action is not expected:
                self.counts.misreported[f"{expected.value} as {result.action.value}"] += 1

    def _update(self) -> bool:
        key = self._pick(self.deployments, "deployment")
        if key is None:
            return False
        current = self.deployments[key].spec
        spec = self._deployment_spec(*key, current.replicas)
        self._change(key, spec)
        return True

    def _reapply(self) -> bool:
        key = self._pick(self.deployments, "deployment")
        if key is None:
            return False
        self._change(key, self.deployments[key].spec)
        return True

    def _resize(self) -> bool:
        key = self._pick(self.deployments, "deployment")
        if key is None:
            return False
        spec = self.deployments[key].spec
        self._change(key, attrs.evolve(spec, replicas=(spec.replicas + 1) % 3))
        return True

    def _scale(self) -> bool:
        key = self._pick(self.deployments, "deployment")
        if key is None:
            return False
        replicas = self.random.randrange(0, 3)
        self.before_write(*key)
        self._attempt("scale", lambda: self.orch.scale(key[1], replicas, key[0]))
        self.rules.scaled(self.deployments[key], replicas)
        self._wrote("deployment", key)
        return True

    def _rollback(self) -> bool:
        candidates = {
            key: tracked
            for key, tracked in self.deployments.items()
            if self.rules.can_roll_back(tracked)
        }
        key = self._pick(candidates, "deployment")
        if key is None:
            return False
        tracked = self.deployments[key]
        expected = self.rules.rolled_back(tracked)
        self.before_write(*key)
        try:
            self._attempt("rollback", lambda: self.orch.rollback(key[1], key[0]), rerun=False)
        except BackendUnavailable:
            # The outcome is unknown (and the SDK said so, not retrying): read back, after
            # any late write has had time to land, and keep whichever state it is in.
            self.counts.unknown_rollbacks += 1
            time.sleep(self.quiet)
            found = self._attempt("read back", lambda: self.orch.get(Deployment, key[1], key[0]))
            if found == expected:
                self.rules.roll_back(tracked)
            elif found != tracked.spec:
                raise AssertionError(
                    f"after a failed rollback {key} is neither {expected} nor {tracked.spec}: "
                    f"{found}"
                ) from None
        else:
            self.rules.roll_back(tracked)
        self._wrote("deployment", key)
        return True

    def _delete(self) -> bool:
        key = self._pick(self.deployments, "deployment")
        if key is None:
            return False
        self.before_write(*key)
        self._attempt(
            "delete",
            lambda: self.orch.delete(Deployment, key[1], key[0], missing_ok=True),
        )
        del self.deployments[key]
        self.pinned.pop(key, None)
        return True

    def _create_secret(self) -> bool:
        if len(self.secrets) >= 16:
            return False
        namespace = self.random.choice(self.namespaces)
        name = f"secret-{self._next()}"
        data = {f"key{index}": self._secret_value() for index in range(self.random.randrange(1, 4))}
        results = self._attempt(
            "create secret", lambda: self.orch.apply(Secret(name, namespace=namespace, data=data))
        )
        self.texts.append(repr(results))
        self.secrets[(namespace, name)] = data
        self._wrote("secret", (namespace, name))
        return True

    def _rotate_secret(self) -> bool:
        key = self._pick(self.secrets, "secret")
        if key is None:
            return False
        current = self.secrets[key]
        data = {name: self._secret_value() for name in current}
        pinned = key in self.pinned.values()
        if self.random.random() < 0.3:
            data[f"key{self.random.randrange(4)}"] = self._secret_value()
        if not pinned and len(data) > 1 and self.random.random() < 0.3:
            del data[self.random.choice(sorted(data))]
        secret = Secret(key[1], namespace=key[0], data=data)
        if self.random.random() < 0.4:  # what a rotation would change, shown first
            diffs = self._attempt("diff", lambda: self.orch.diff(secret))
            self.texts.extend([str(diffs), repr(diffs)])
        results = self._attempt("rotate secret", lambda: self.orch.apply(secret))
        self.texts.append(repr(results))
        self.secrets[key] = data
        self._wrote("secret", key)
        return True

    def _delete_secret(self) -> bool:
        free = {key: data for key, data in self.secrets.items() if key not in self.pinned.values()}
        key = self._pick(free, "secret")
        if key is None:
            return False
        self._attempt(
            "delete secret", lambda: self.orch.delete(Secret, key[1], key[0], missing_ok=True)
        )
        del self.secrets[key]
        return True

    def _read(self) -> None:
        """One secret (revealed), one deployment's status, one namespace's deployments."""
        self.counts.reads += 1
        namespace = self.random.choice(self.namespaces)
        found = self._attempt("list", lambda: self.orch.list(Deployment, namespace))
        self.texts.append(repr(found))
        if self.secrets:
            ns, name = self.random.choice(sorted(self.secrets))
            secret = self._attempt("get", lambda: self.orch.get(Secret, name, ns, reveal=True))
            self.texts.append(repr(secret))
        if self.deployments:
            key = self.random.choice(sorted(self.deployments))
            status = self._attempt("status", lambda: self.orch.status(key[1], key[0]))
            self.texts.append(repr(status))

    # -- the end -------------------------------------------------------------------------

    def desired(self, namespace: str) -> tuple[list[Deployment], list[Secret]]:
        """What the caller means to have in a namespace, sorted by name."""
        deployments = sorted(
            (tracked.spec for (ns, _), tracked in self.deployments.items() if ns == namespace),
            key=lambda spec: spec.name,
        )
        secrets = sorted(
            (
                Secret(name, namespace=ns, data=data)
                for (ns, name), data in self.secrets.items()
                if ns == namespace
            ),
            key=lambda secret: secret.name,
        )
        return deployments, secrets


def figures(
    backend: str,
    chaos: Chaos,
    *,
    injected: int,
    requests: int,
    retries: int,
    read_backs: int,
    seconds: float,
    converged: bool,
) -> str:
    """One line of figures for the terminal summary (and the docs)."""
    counts = chaos.counts
    writes = sum(counts.operations.values())
    failures = sum(counts.failures.values())
    return (
        f"chaos {backend}: {writes} operations ({dict(sorted(counts.operations.items()))}), "
        f"{counts.reads} reads, {requests} requests, {injected} injected faults, "
        + (f"{counts.locks} deployment locks, " if counts.locks else "")
        + f"{retries} retries, "
        f"{read_backs} lost answers resolved by reading back, "
        f"{failures} typed failures seen by the caller ({dict(counts.failures)}), "
        f"{counts.unknown_rollbacks} rollbacks of unknown outcome read back, "
        f"{sum(counts.misreported.values())} apply actions misreported "
        f"({dict(counts.misreported)}), "
        f"converged: {'yes' if converged else 'NO'}, {seconds:.1f}s"
    )


# -- servers that are not there --------------------------------------------------------------


def free_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def black_hole() -> Iterator[int]:
    """A port that accepts connections (the kernel does) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield int(listener.getsockname()[1])


def missing(operation: Callable[[], Any]) -> bool:
    try:
        operation()
    except NotFound:
        return True
    return False
