"""What the emulated Marathon knows: apps with their stored versions, groups and tasks.

Everything here is guarded by :attr:`Store.lock`; the HTTP routes, the deployment
clock and the test controls all take it before they read or change anything.
"""

from __future__ import annotations

import copy
import datetime
import itertools
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from orchsdk_marathon.testing import paths
from orchsdk_marathon.testing.agents import Agent
from orchsdk_marathon.testing.agents import agents as make_agents
from orchsdk_marathon.testing.queue import LaunchQueue

__all__ = ["AppRecord", "Store", "Task", "iso"]

Json = dict[str, Any]


def iso(moment: datetime.datetime) -> str:
    """Marathon's timestamp form: ``2015-09-25T15:13:48.343Z`` (UTC, milliseconds)."""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


@dataclass
class Task:
    """One task of an app (one instance with one incarnation).

    ``state`` is a Mesos task state (``TASK_STAGING``, ``TASK_RUNNING``, ``TASK_KILLING``,
    ...); ``healthy`` is ``None`` until the first health check result, then ``True`` or
    ``False``. The id is Marathon's (1.8+) ``<instance id>._app.<incarnation>``: a failed
    instance is launched again under the same instance id, one incarnation up.
    """

    id: str
    instance_id: str
    app_id: str
    version: str
    agent: int
    host: str
    ports: list[int]
    service_ports: list[int]
    ip_address: str
    staged_at: str
    state: str = "TASK_STAGING"
    started_at: str | None = None
    healthy: bool | None = None
    first_success: str | None = None
    health_checks: int = 0
    config_version: str = ""
    """The app's ``lastConfigChangeAt`` when launched: a restart replaces other tasks."""
    zone: str = "zone-a"
    incarnation: int = 1
    crashes: bool = False
    """The task's command exits as soon as it runs (see :mod:`.triggers`)."""
    kill_ticks: int = 0
    """Ticks left in ``TASK_KILLING`` before the task is gone."""

    @property
    def ready(self) -> bool:
        """Running, and healthy when the app has health checks (what a deployment waits for)."""
        if self.state != "TASK_RUNNING" or self.crashes:
            return False
        return self.health_checks == 0 or self.healthy is True

    def to_json(self) -> Json:
        """The task as ``/v2/tasks`` and ``/v2/apps/{id}/tasks`` show it."""
        document: Json = {
            "id": self.id,
            "appId": self.app_id,
            "host": self.host,
            "ports": list(self.ports),
            "servicePorts": list(self.service_ports),
            "ipAddresses": [{"ipAddress": self.ip_address, "protocol": "IPv4"}],
            "slaveId": f"emulator-S{self.agent}",
            "state": self.state,
            "stagedAt": self.staged_at,
            "version": self.version,
            "localVolumes": [],
            "region": "emulator",
            "zone": self.zone,
            "role": "*",
        }
        if self.started_at is not None:
            document["startedAt"] = self.started_at
        if self.health_checks:
            document["healthCheckResults"] = self.health_results()
        return document

    def health_results(self) -> list[Json]:
        """One result per health check once the first check ran, as Marathon reports them."""
        if self.healthy is None:
            return []
        result: Json = {
            "alive": self.healthy,
            "consecutiveFailures": 0 if self.healthy else 1,
            "firstSuccess": self.first_success,
            "lastFailure": None,
            "lastSuccess": self.first_success,
            "lastFailureCause": None,
            "instanceId": self.instance_id,
        }
        return [dict(result) for _ in range(self.health_checks)]


@dataclass
class AppRecord:
    """An app: its current definition, every stored version, its tasks and last failure,
    and its launch queue (instances to launch, their back-off, the offers declined)."""

    definition: Json
    versions: dict[str, Json] = field(default_factory=dict)
    tasks: list[Task] = field(default_factory=list)
    last_task_failure: Json | None = None
    queue: LaunchQueue = field(default_factory=lambda: LaunchQueue())

    @property
    def id(self) -> str:
        return str(self.definition["id"])

    @property
    def version(self) -> str:
        return str(self.definition["version"])

    def counts(self) -> Json:
        """``tasksStaged``, ``tasksRunning``, ``tasksHealthy`` and ``tasksUnhealthy``."""
        running = [task for task in self.tasks if task.state == "TASK_RUNNING"]
        return {
            "tasksStaged": sum(1 for task in self.tasks if task.state == "TASK_STAGING"),
            "tasksRunning": len(running),
            "tasksHealthy": sum(1 for task in running if task.healthy is True),
            "tasksUnhealthy": sum(1 for task in running if task.healthy is False),
        }


class Store:
    """Apps, groups, versions and the allocators for timestamps, ports and task ids."""

    def __init__(self, *, agents: int = 2) -> None:
        self.lock = threading.RLock()
        self.apps: dict[str, AppRecord] = {}
        self.groups: dict[str, str] = {"/": self.now()}
        """Group id -> version (the time something below it last changed)."""
        self.agents = make_agents(agents)
        self._last_version = ""
        self._service_ports = itertools.count(10000)
        self._host_ports = itertools.count()
        self._agent_cycle = itertools.count()
        self._task_ips = itertools.count(2)
        self.used_service_ports: set[int] = set()

    # -- time ------------------------------------------------------------------

    def now(self) -> str:
        """The current time as a Marathon timestamp."""
        return iso(datetime.datetime.now(datetime.timezone.utc))

    def new_version(self) -> str:
        """A fresh version timestamp, strictly later than every one handed out before."""
        moment = datetime.datetime.now(datetime.timezone.utc)
        version = iso(moment)
        while version <= self._last_version:
            moment += datetime.timedelta(milliseconds=1)
            version = iso(moment)
        self._last_version = version
        return version

    # -- apps and groups -----------------------------------------------------------

    def app(self, app_id: str) -> AppRecord | None:
        return self.apps.get(app_id)

    def put_app(self, record: AppRecord) -> None:
        """Stores an app (new or changed) and creates the groups above it."""
        self.apps[record.id] = record
        self.touch(record.id)

    def touch(self, path: str) -> None:
        """Marks the groups above ``path`` changed, creating the missing ones."""
        version = self.new_version()
        for group in paths.parents(path):
            self.groups[group] = version

    def store_version(self, record: AppRecord) -> None:
        """Keeps a copy of the current definition under its version, for rollback."""
        record.versions[record.version] = copy.deepcopy(record.definition)

    def remove_app(self, app_id: str) -> AppRecord | None:
        """Forgets an app and its versions (as Marathon does); its groups stay."""
        record = self.apps.pop(app_id, None)
        if record is not None:
            self.touch(app_id)
        return record

    def group_exists(self, group_id: str) -> bool:
        return group_id in self.groups

    # -- ports and tasks -----------------------------------------------------------

    def service_port(self, wanted: int = 0) -> int:
        """``wanted`` if it is not 0, else the next free port from 10000 (``local_port_min``)."""
        if wanted:
            self.used_service_ports.add(wanted)
            return wanted
        while True:
            port = next(self._service_ports)
            if port not in self.used_service_ports:
                self.used_service_ports.add(port)
                return port

    def host_port(self) -> int:
        """The next dynamic host port, from 31000 as in Mesos' default port range."""
        return 31000 + next(self._host_ports) % 1001

    def next_agents(self) -> list[Agent]:
        """The agents in the order to offer them next (round robin, to spread tasks)."""
        start = next(self._agent_cycle) % len(self.agents)
        return self.agents[start:] + self.agents[:start]

    def new_task(
        self, definition: Json, agent: Agent, instance: str | None = None, incarnation: int = 1
    ) -> Task:
        """A staged task for ``definition`` on ``agent``: id, host and container ports,
        address; ``instance`` (an instance id) to launch a failed instance again."""
        app_id = str(definition["id"])
        instance = instance or f"{paths.safe_name(app_id)}.instance-{uuid.uuid4()}"
        host_ports, service_ports = self._task_ports(definition)
        networks = definition.get("networks") or [{"mode": "host"}]
        if networks[0].get("mode") == "container":
            address = f"172.16.{agent.index}.{next(self._task_ips) % 250 + 2}"
        else:
            address = f"10.0.0.{agent.index}"
        return Task(
            id=f"{instance}._app.{incarnation}",
            instance_id=instance,
            app_id=app_id,
            version=str(definition["version"]),
            config_version=str(definition["versionInfo"]["lastConfigChangeAt"]),
            agent=agent.index,
            host=agent.host,
            zone=agent.zone,
            incarnation=incarnation,
            ports=host_ports,
            service_ports=service_ports,
            ip_address=address,
            staged_at=self.now(),
            health_checks=len(definition.get("healthChecks") or []),
        )

    def _task_ports(self, definition: Json) -> tuple[list[int], list[int]]:
        """Host ports and service ports of one task of ``definition``."""
        host_ports: list[int] = []
        service_ports: list[int] = []
        mappings = (definition.get("container") or {}).get("portMappings")
        if mappings:
            for mapping in mappings:
                service_ports.append(int(mapping.get("servicePort") or 0))
                if "hostPort" in mapping:
                    host_ports.append(int(mapping["hostPort"]) or self.host_port())
            return host_ports, service_ports
        for definition_port in definition.get("portDefinitions") or []:
            port = int(definition_port.get("port") or 0)
            service_ports.append(port)
            host_ports.append(port if definition.get("requirePorts") and port else self.host_port())
        return host_ports, service_ports
