"""Rollout status, instances and endpoints from Marathon's app, task and version documents.

Pure functions; the backend fetches, these decide. The definitions:

- the app's *config version* is ``versionInfo.lastConfigChangeAt``: it moves on a config
  change, not on a scale (which only moves ``version``/``lastScalingAt``);
- ``revision`` is the number :mod:`~orchsdk_marathon.history` gives the config version:
  it grows with each config change or restart and stays put on a scale;
- a task is *current* when it was launched for the config version or later; it is
  *ready* when it runs and passes every health check (just runs, without checks);
- ``desired`` = ``instances``; ``updated`` = current tasks; ``ready`` = ``available`` =
  current ready tasks;
- ``terminating`` = tasks in ``TASK_KILLING``: asked to stop, still shutting down; they
  count in nothing else, and are never ready;
- ``failure`` says why new tasks cannot start (:mod:`~orchsdk_marathon.failures`);
- the phase is ``progressing`` while Marathon lists a deployment for the app, or tasks
  are still being killed; ``complete`` when none is left and exactly ``instances`` tasks
  run, all current and ready; ``failed`` when none is left, the app has not converged,
  and either the deployment this backend started for it ended (Marathon drops a
  deployment that failed or was cancelled) or no task of the current config is ready
  while ``lastTaskFailure`` is one of them (what another process sees after a failed
  deployment); otherwise ``progressing`` (Marathon is replacing tasks that died).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from orchsdk import (
    DeploymentStatus,
    Endpoint,
    Failure,
    Instance,
    Phase,
    Service,
    UnexpectedResponse,
)
from orchsdk_marathon.failures import instance_of
from orchsdk_marathon.services import target_index

__all__ = [
    "AppState",
    "config_version",
    "endpoints_of",
    "instances_of",
    "parse_time",
    "sorted_versions",
    "status_of",
    "task_ready",
]

Json = dict[str, Any]

_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?"
)
_ACTIVE = frozenset({"TASK_STAGING", "TASK_STARTING", "TASK_RUNNING"})
"""Task states that count: a task being killed (or gone) is no longer an instance."""
_KILLING = "TASK_KILLING"
_STATES = {
    "TASK_STAGING": "starting",
    "TASK_STARTING": "starting",
    "TASK_RUNNING": "running",
    "TASK_KILLING": "terminating",
}
"""Mesos task states as instance states; the other ones are terminal, or unknown."""
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def parse_time(text: Any) -> datetime.datetime:
    """A Marathon timestamp (``2015-09-25T15:13:48.343Z``) as an aware datetime.

    Unreadable values sort first (the epoch) instead of failing a status read.
    """
    match = _TIME.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return _EPOCH
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micros = int((fraction or "0").ljust(6, "0")[:6])
    offset = datetime.timedelta(0)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return datetime.datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micros,
        tzinfo=datetime.timezone(offset),
    )  # fmt: skip


def config_version(app: Mapping[str, Any]) -> str:
    """The version at which the app's configuration last changed (not its scale)."""
    info = app.get("versionInfo")
    if isinstance(info, Mapping) and isinstance(info.get("lastConfigChangeAt"), str):
        return str(info["lastConfigChangeAt"])
    version = app.get("version")
    return version if isinstance(version, str) else ""


def sorted_versions(document: Any) -> list[str]:
    """``{"versions": [...]}`` as a list, oldest first (Marathon lists newest first)."""
    versions = document.get("versions") if isinstance(document, Mapping) else None
    if not isinstance(versions, list) or not all(isinstance(v, str) for v in versions):
        raise UnexpectedResponse("Marathon's versions list is not {'versions': [timestamps]}")
    return sorted(versions, key=parse_time)


def task_ready(task: Mapping[str, Any], checks: int) -> bool:
    """Running, and alive in every health check when the app has any."""
    if task.get("state") != "TASK_RUNNING":
        return False
    if checks == 0:
        return True
    results = task.get("healthCheckResults")
    if not isinstance(results, list) or len(results) < checks:
        return False
    return all(isinstance(result, Mapping) and result.get("alive") is True for result in results)


@attrs.frozen
class AppState:
    """What a status read learned about one app."""

    instances: int
    checks: int
    config: str
    tasks: tuple[Json, ...]
    deployments: tuple[str, ...]
    failure: str
    terminating: tuple[Json, ...] = ()
    last_failure: Json | None = None
    """``lastTaskFailure`` when it is of the current configuration."""
    image: str | None = None

    @classmethod
    def of(cls, app: Any) -> AppState:
        """From ``GET /v2/apps/{id}`` with ``embed`` of tasks, deployments and lastTaskFailure."""
        if not isinstance(app, Mapping):
            raise UnexpectedResponse("Marathon's app is not a JSON object")
        instances = app.get("instances", 1)
        if not isinstance(instances, int) or isinstance(instances, bool):
            raise UnexpectedResponse("Marathon's app has no integer 'instances'")
        checks = app.get("healthChecks") or []
        tasks = app.get("tasks") or []
        deployments = app.get("deployments") or []
        if not isinstance(checks, list) or not isinstance(tasks, list):
            raise UnexpectedResponse("Marathon's app has malformed 'healthChecks' or 'tasks'")
        if not isinstance(deployments, list):
            raise UnexpectedResponse("Marathon's app has malformed 'deployments'")
        failure = app.get("lastTaskFailure")
        message = ""
        config = config_version(app)
        current_failure = None
        if isinstance(failure, dict) and parse_time(failure.get("version")) >= parse_time(config):
            message = f"last task failure: {failure.get('state')}: {failure.get('message')}"
            current_failure = failure
        container = app.get("container")
        docker = container.get("docker") if isinstance(container, Mapping) else None
        image = docker.get("image") if isinstance(docker, Mapping) else None
        return cls(
            instances=instances,
            checks=len(checks),
            config=config,
            tasks=tuple(
                task
                for task in tasks
                if isinstance(task, dict)
                and isinstance(task.get("state"), str)
                and task["state"] in _ACTIVE
            ),
            deployments=tuple(
                str(item["id"])
                for item in deployments
                if isinstance(item, Mapping) and "id" in item
            ),
            failure=message,
            terminating=tuple(
                task for task in tasks if isinstance(task, dict) and task.get("state") == _KILLING
            ),
            last_failure=current_failure,
            image=image if isinstance(image, str) else None,
        )

    @property
    def converged(self) -> bool:
        """Exactly ``instances`` tasks, all current and ready, none being killed."""
        current = [task for task in self.tasks if self.current(task)]
        ready = sum(1 for task in current if task_ready(task, self.checks))
        return (
            len(self.tasks) == self.instances
            and len(current) == self.instances
            and ready == self.instances
            and not self.terminating
        )

    @property
    def missing(self) -> bool:
        """Fewer tasks than instances: some wait in Marathon's launch queue."""
        return len(self.tasks) < self.instances

    def current(self, task: Mapping[str, Any]) -> bool:
        """Whether a task runs the current configuration."""
        return parse_time(task.get("version")) >= parse_time(self.config)


def status_of(
    name: str,
    namespace: str,
    state: AppState,
    revision: int,
    *,
    ours_ended: bool,
    step: str = "",
    failure: Failure | None = None,
) -> DeploymentStatus:
    """The rollout status (see the module for the rules). ``ours_ended``: a deployment this
    backend started for the app is no longer listed; ``failure``: why new tasks cannot
    start (see :mod:`~orchsdk_marathon.failures`)."""
    current = [task for task in state.tasks if state.current(task)]
    ready = sum(1 for task in current if task_ready(task, state.checks))
    counts = f"{len(current)} of {state.instances} updated, {ready} ready"
    if state.terminating:
        counts += f", {len(state.terminating)} being killed"
    if failure is not None:
        counts += f"; {failure}"
    if state.deployments:
        phase = Phase.PROGRESSING
        message = f"deployment {', '.join(state.deployments)} running{step}: {counts}"
    elif state.converged:
        phase, message = Phase.COMPLETE, "successfully rolled out"
    elif state.terminating:
        phase, message = Phase.PROGRESSING, f"waiting for tasks to be killed: {counts}"
    elif ours_ended or (state.failure and ready == 0 and state.instances > 0):
        phase = Phase.FAILED
        message = f"the deployment ended before the app converged ({counts})"
        if state.failure:
            message += f"; {state.failure}"
    else:
        phase = Phase.PROGRESSING
        message = f"waiting for Marathon to replace tasks: {counts}"
        if state.failure:
            message += f"; {state.failure}"
    return DeploymentStatus(
        name=name,
        namespace=namespace,
        desired=state.instances,
        ready=ready,
        updated=len(current),
        available=ready,
        revision=revision,
        phase=phase,
        message=message,
        failure=failure,
        terminating=len(state.terminating),
    )


def _state(task: Mapping[str, Any]) -> str:
    state = task.get("state")
    return _STATES.get(state, "unknown") if isinstance(state, str) else "unknown"


def _ports(task: Mapping[str, Any]) -> tuple[int, ...]:
    ports = task.get("ports")
    if not isinstance(ports, list):
        return ()
    return tuple(port for port in ports if isinstance(port, int) and not isinstance(port, bool))


def instances_of(
    name: str,
    namespace: str,
    state: AppState,
    revision_of: Callable[[str], int],
    failure: Failure | None = None,
) -> list[Instance]:
    """The app's Marathon instances, each as its latest task (host ports, state,
    readiness, revision), those being killed too (``terminating``). The instance a
    ``failure`` names is ``failed``, listed from ``lastTaskFailure`` while Marathon waits
    to launch it again. Ids are instance ids (``web.instance-1a2b``), which stay the same
    when Marathon relaunches a failed task (``._app.1``, ``._app.2``, ...).
    ``revision_of`` gives the revision of an app version."""
    found = []
    for task in (*state.tasks, *state.terminating):
        launched = task.get("version")
        revision = revision_of(state.config if state.current(task) else str(launched))
        instance = instance_of(str(task.get("id", "")))[0]
        failed = failure is not None and failure.instance == instance
        found.append(
            Instance(
                id=instance,
                deployment=name,
                namespace=namespace,
                host=str(task.get("host", "")),
                ports=_ports(task),
                state="failed" if failed and task.get("state") != _KILLING else _state(task),
                ready=task_ready(task, state.checks) and not failed,
                revision=revision,
            )
        )
    waiting = _waiting(name, namespace, state, revision_of(state.config), failure)
    if waiting is not None and all(instance.id != waiting.id for instance in found):
        found.append(waiting)
    return found


def _waiting(
    name: str, namespace: str, state: AppState, revision: int, failure: Failure | None
) -> Instance | None:
    """The failed instance a failure names, from ``lastTaskFailure`` (for when Marathon
    has no task of it now: it waits out the back-off before it launches it again)."""
    last = state.last_failure
    if failure is None or failure.instance is None or last is None:
        return None
    return Instance(
        id=failure.instance,
        deployment=name,
        namespace=namespace,
        host=str(last.get("host", "")),
        state="failed",
        revision=revision,
    )


def endpoints_of(
    service: Service, apps: Iterable[Mapping[str, Any]], states: Mapping[str, AppState]
) -> list[Endpoint]:
    """``host:port`` of every task behind a service: the host port Marathon gave the port
    mapping that each service port targets."""
    assert service.namespace is not None
    found = []
    for app in apps:
        container = app.get("container")
        mappings = container.get("portMappings") if isinstance(container, Mapping) else None
        state = states.get(str(app.get("id")))
        if not isinstance(mappings, list) or state is None:
            continue
        for task in state.tasks:
            ports = _ports(task)
            for port in service.ports:
                index = target_index(port, mappings)
                if index is None or index >= len(ports):
                    continue
                found.append(
                    Endpoint(
                        service=service.name,
                        namespace=service.namespace,
                        host=str(task.get("host", "")),
                        port=ports[index],
                        port_name=port.name,
                        protocol=port.protocol,
                        ready=task_ready(task, state.checks),
                        instance=instance_of(str(task.get("id", "")))[0],
                    )
                )
    return found
