"""The emulated scheduler and kubelet: where a pod runs, how it starts, fails and stops.

They fail pods on the triggers of :mod:`orchsdk.testing.cluster`, with the statuses and
Events that the envtest kubelet and a real v1.24 cluster give (its README's "Failure
conventions"), one step of the emulator's clock at a time:

- a pod no node can hold (requests above a node's 4 CPUs or 16Gi, a node selector or
  required node affinity no node matches) stays Pending, ``PodScheduled=False`` reason
  ``Unschedulable``, with the scheduler's message and a ``FailedScheduling`` Event;
- an image on a ``.invalid`` registry host: ``ErrImagePull``, then ``ImagePullBackOff``;
- an env value from a missing Secret or ConfigMap (or key): ``CreateContainerConfigError``
  until it exists; a missing volume source keeps it ``ContainerCreating`` (``FailedMount``);
- the command ``false``: it starts, then every step exits 1 and waits in
  ``CrashLoopBackOff`` with one restart more;
- a stopped pod keeps running, not ready, with a ``deletionTimestamp`` for
  ``termination_seconds`` before it is gone (0: at once).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import time
from collections.abc import Iterator
from typing import Any

from orchsdk.quantity import parse_quantity
from orchsdk.testing.cluster import NODES, Node, exits_at_once, unpullable
from orchsdk_kubernetes.testing.event_recorder import EventRecorder
from orchsdk_kubernetes.testing.objects import KUBELET, POD
from orchsdk_kubernetes.testing.registry import Registry
from orchsdk_kubernetes.testing.registry.meta import now
from orchsdk_kubernetes.testing.resources import by_kind
from orchsdk_kubernetes.testing.selectors import from_object

__all__ = ["Kubelet"]

Obj = dict[str, Any]

SECRET = by_kind("Secret")
CONFIG_MAP = by_kind("ConfigMap")
SCHEDULER = "default-scheduler"
_HOST_IPS = {node.name: f"172.18.0.{index + 2}" for index, node in enumerate(NODES)}


def node_name(node: Node) -> str:
    """The emulator's name for a simulated node."""
    return f"emulator-{node.name}"


def node_labels(node: Node) -> dict[str, str]:
    """The well-known labels a kubelet puts on its node."""
    return {
        "kubernetes.io/hostname": node_name(node),
        "topology.kubernetes.io/zone": node.labels["zone"],
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
    }


class Kubelet:
    """Places pods on the simulated nodes and moves each one step through its life."""

    def __init__(self, registry: Registry, events: EventRecorder, termination_seconds: float):
        self.registry = registry
        self.store = registry.store
        self.events = events
        self.termination_seconds = termination_seconds
        self._leaving: dict[str, tuple[str, str, float]] = {}
        self._pod_ips = (f"10.244.{n // 250}.{n % 250 + 2}" for n in itertools.count())
        self._nodes = itertools.cycle(NODES)

    # -- scheduling --------------------------------------------------------------------------

    def place(self, spec: Obj, namespace: str) -> tuple[Node | None, str]:
        """The next node (round robin) that holds a pod of ``spec`` in ``namespace``, or
        None and the scheduler's message; a placed pod's ``spec.nodeName`` is set."""
        node, message = self._place(spec, namespace)
        if node is not None:
            spec["nodeName"] = node_name(node)
        return node, message

    def first_status(self, pod: Obj, node: Node | None, message: str) -> Obj:
        """The status of a pod just created: bound to ``node``, or Pending and unschedulable."""
        spec, stamp = pod["spec"], now()
        if node is None:
            self.events.emit(pod, "Warning", "FailedScheduling", message, component=SCHEDULER)
            condition = {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": message,
                "lastProbeTime": None,
                "lastTransitionTime": stamp,
            }
            return {"phase": "Pending", "conditions": [condition], "qosClass": qos_class(spec)}
        where = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
        self.events.emit(
            pod,
            "Normal",
            "Scheduled",
            f"Successfully assigned {where} to {spec['nodeName']}",
            component=SCHEDULER,
        )
        host_ip, pod_ip = _HOST_IPS[node.name], next(self._pod_ips)
        return {
            "phase": "Pending",
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": stamp,
                }
            ],
            "hostIP": host_ip,
            "hostIPs": [{"ip": host_ip}],
            "podIP": pod_ip,
            "podIPs": [{"ip": pod_ip}],
            "startTime": stamp,
            "containerStatuses": [
                {
                    "name": container["name"],
                    "state": {"waiting": {"reason": "ContainerCreating"}},
                    "lastState": {},
                    "ready": False,
                    "restartCount": 0,
                    "image": container.get("image", ""),
                    "imageID": "",
                    "started": False,
                }
                for container in spec.get("containers") or []
            ],
            "qosClass": qos_class(spec),
        }

    def _place(self, spec: Obj, namespace: str) -> tuple[Node | None, str]:
        """The next node (round robin) that holds the pod, or the scheduler's message."""
        fitting = [node for node in NODES if self._matches(spec, node)]
        if not fitting:
            return None, _unschedulable(
                f"{len(NODES)} node(s) didn't match Pod's node affinity/selector",
                "Preemption is not helpful for scheduling",
            )
        fitting = [node for node in fitting if not self._repels(spec, namespace, node)]
        if not fitting:
            return None, _unschedulable(
                f"{len(NODES)} node(s) didn't match pod anti-affinity rules",
                "No preemption victims found for incoming pod",
            )
        short = _insufficient(spec, fitting)
        if short:
            counts = ", ".join(f"{len(fitting)} Insufficient {name}" for name in short)
            return None, _unschedulable(counts, "No preemption victims found for incoming pod")
        for _ in range(len(NODES)):
            node = next(self._nodes)
            if node in fitting:
                return node, ""
        raise AssertionError("a fitting node is among the nodes")

    def _repels(self, spec: Obj, namespace: str, node: Node) -> bool:
        """Whether a required pod anti-affinity term keeps the pod off ``node``: a pod it
        selects already runs where the term's topology key has the node's value."""
        terms = ((spec.get("affinity") or {}).get("podAntiAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        ) or []
        if not terms:
            return False
        labels_of = {node_name(other): node_labels(other) for other in NODES}
        for term in terms:
            selector = from_object(term.get("labelSelector") or {})
            key = term.get("topologyKey", "")
            value = node_labels(node).get(key)
            for pod in self.store.list(POD, namespace):
                placed = labels_of.get(pod["spec"].get("nodeName", ""), {})
                if (
                    not pod["metadata"].get("deletionTimestamp")
                    and selector.matches(pod["metadata"].get("labels"))
                    and value is not None
                    and placed.get(key) == value
                ):
                    return True
        return False

    @staticmethod
    def _matches(spec: Obj, node: Node) -> bool:
        labels = node_labels(node)
        if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
            return False
        required = (
            ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
                "requiredDuringSchedulingIgnoredDuringExecution"
            )
            or {}
        ).get("nodeSelectorTerms")
        if not required:
            return True
        return any(
            from_object({"matchExpressions": term.get("matchExpressions") or []}).matches(labels)
            for term in required
        )

    # -- running -------------------------------------------------------------------------------

    def step(self, pod: Obj) -> None:
        """One step of a bound pod that is not ready: it starts, or fails one step further."""
        if not pod["spec"].get("nodeName"):
            return
        status = copy.deepcopy(pod.get("status") or {})
        specs = {c["name"]: c for c in pod["spec"].get("containers") or []}
        volume_error = self._missing_volume(pod)
        statuses = []
        for container in status.get("containerStatuses") or []:
            spec = specs.get(container["name"], {})
            if volume_error is not None:
                statuses.append(container)
                continue
            statuses.append(self._container_step(pod, spec, container))
        if volume_error is not None:
            self.events.emit(pod, "Warning", "FailedMount", volume_error, host=_host(pod))
        status["containerStatuses"] = statuses
        ready = bool(statuses) and all(c["ready"] for c in statuses)
        started = any(c.get("started") or c.get("lastState") for c in statuses)
        status["phase"] = "Running" if started else "Pending"
        status["conditions"] = _conditions(status, ready)
        if status != pod.get("status"):
            self.registry.write(
                POD, {**pod, "status": status}, manager=KUBELET, subresource="status"
            )

    def _container_step(self, pod: Obj, spec: Obj, container: Obj) -> Obj:
        image = spec.get("image", "")
        waiting = (container.get("state") or {}).get("waiting") or {}
        host = _host(pod)
        if unpullable(image):
            if waiting.get("reason") == "ImagePullBackOff":
                return container
            if waiting.get("reason") == "ErrImagePull":
                message = f'Back-off pulling image "{image}"'
                self.events.emit(pod, "Normal", "BackOff", message, host=host)
                self.events.emit(pod, "Warning", "Failed", "Error: ImagePullBackOff", host=host)
                return _waiting(container, "ImagePullBackOff", message)
            message = _pull_error(image)
            self.events.emit(pod, "Normal", "Pulling", f'Pulling image "{image}"', host=host)
            self.events.emit(
                pod, "Warning", "Failed", f'Failed to pull image "{image}": {message}', host=host
            )
            self.events.emit(pod, "Warning", "Failed", "Error: ErrImagePull", host=host)
            return _waiting(container, "ErrImagePull", message)
        missing = self._missing_env(pod, spec)
        if missing is not None:
            self.events.emit(pod, "Warning", "Failed", f"Error: {missing}", host=host)
            return _waiting(container, "CreateContainerConfigError", missing)
        if container.get("started") or container.get("lastState"):
            return self._crash(pod, spec, container)
        name = container["name"]
        message = f'Container image "{image}" already present on machine'
        self.events.emit(pod, "Normal", "Pulled", message, host=host)
        self.events.emit(pod, "Normal", "Created", f"Created container {name}", host=host)
        self.events.emit(pod, "Normal", "Started", f"Started container {name}", host=host)
        crashes = exits_at_once(spec.get("command") or (), spec.get("args") or ())
        return _running(pod, container, image, ready=not crashes)

    def _crash(self, pod: Obj, spec: Obj, container: Obj) -> Obj:
        """A started container that exits at once: one more restart, in CrashLoopBackOff."""
        restarts = int(container.get("restartCount") or 0) + 1
        metadata, name = pod["metadata"], container["name"]
        stamp = now()
        self.events.emit(
            pod, "Warning", "BackOff", "Back-off restarting failed container", host=_host(pod)
        )
        backoff = min(10 * 2 ** (restarts - 1), 300)
        message = (
            f"back-off {backoff}s restarting failed container={name} "
            f"pod={metadata['name']}_{metadata['namespace']}({metadata['uid']})"
        )
        crashed = _waiting(container, "CrashLoopBackOff", message)
        crashed["restartCount"] = restarts
        crashed["lastState"] = {
            "terminated": {
                "exitCode": 1,
                "reason": "Error",
                "startedAt": stamp,
                "finishedAt": stamp,
                "containerID": container.get("containerID", ""),
            }
        }
        return crashed

    def _missing_env(self, pod: Obj, spec: Obj) -> str | None:
        """What a container's env refers to that is missing, in the kubelet's words."""
        namespace = pod["metadata"]["namespace"]
        for ref in spec.get("envFrom") or []:
            for rt, label, source in (
                (CONFIG_MAP, "configmap", ref.get("configMapRef")),
                (SECRET, "secret", ref.get("secretRef")),
            ):
                name = (source or {}).get("name", "")
                required = source is not None and not source.get("optional")
                if required and self.store.get(rt, namespace, name) is None:
                    return f'{label} "{name}" not found'
        for variable in spec.get("env") or []:
            value_from = variable.get("valueFrom") or {}
            for rt, label, kind, source in (
                (CONFIG_MAP, "configmap", "ConfigMap", value_from.get("configMapKeyRef")),
                (SECRET, "secret", "Secret", value_from.get("secretKeyRef")),
            ):
                if not source or source.get("optional"):
                    continue
                obj = self.store.get(rt, namespace, source.get("name", ""))
                if obj is None:
                    return f'{label} "{source.get("name")}" not found'
                if source.get("key") not in {
                    **(obj.get("data") or {}),
                    **(obj.get("binaryData") or {}),
                }:
                    key, name = source.get("key"), source.get("name")
                    return f"couldn't find key {key} in {kind} {namespace}/{name}"
        return None

    def _missing_volume(self, pod: Obj) -> str | None:
        """The FailedMount message of a secret or config map volume whose source is missing."""
        namespace = pod["metadata"]["namespace"]
        for volume in pod["spec"].get("volumes") or []:
            for rt, label, source, name in (
                (SECRET, "secret", volume.get("secret"), "secretName"),
                (CONFIG_MAP, "configmap", volume.get("configMap"), "name"),
            ):
                if not source or source.get("optional"):
                    continue
                obj = self.store.get(rt, namespace, source.get(name, ""))
                if obj is None:
                    return (
                        f'MountVolume.SetUp failed for volume "{volume["name"]}" : '
                        f'{label} "{source.get(name)}" not found'
                    )
                data = {**(obj.get("data") or {}), **(obj.get("binaryData") or {})}
                for item in source.get("items") or []:
                    if item.get("key") not in data:
                        return (
                            f'MountVolume.SetUp failed for volume "{volume["name"]}" : '
                            f"configmap references non-existent config key: {item.get('key')}"
                        )
        return None

    # -- stopping ------------------------------------------------------------------------------

    def terminate(self, pod: Obj) -> None:
        """Stops a pod: at once without a grace period, else it lingers, not ready."""
        metadata = pod["metadata"]
        if self.termination_seconds <= 0:
            self.registry.remove(POD, metadata["namespace"], metadata["name"])
            return
        if metadata.get("deletionTimestamp"):
            return
        stopping = copy.deepcopy(pod)
        stopping["metadata"]["deletionTimestamp"] = now()
        stopping["metadata"]["deletionGracePeriodSeconds"] = max(1, round(self.termination_seconds))
        status = stopping.setdefault("status", {})
        for container in status.get("containerStatuses") or []:
            container["ready"] = False
        status["conditions"] = _conditions(status, ready=False)
        self.store.put(POD, stopping)
        for container in pod["spec"].get("containers") or []:
            message = f"Stopping container {container['name']}"
            self.events.emit(pod, "Normal", "Killing", message, host=_host(pod))
        due = time.monotonic() + self.termination_seconds
        self._leaving[metadata["uid"]] = (metadata["namespace"], metadata["name"], due)

    def reap(self) -> Iterator[str]:
        """Removes the pods whose grace period has passed; yields their namespaces."""
        clock = time.monotonic()
        for uid, (namespace, name, due) in list(self._leaving.items()):
            if due <= clock:
                del self._leaving[uid]
                pod = self.store.get(POD, namespace, name)
                if pod is not None and pod["metadata"]["uid"] == uid:
                    self.registry.remove(POD, namespace, name)
                    yield namespace

    def forget(self, namespace: str) -> None:
        """Forgets the pods of a namespace that was deleted with everything in it."""
        self._leaving = {
            uid: leaving for uid, leaving in self._leaving.items() if leaving[0] != namespace
        }


def _unschedulable(reasons: str, preemption: str) -> str:
    total = len(NODES)
    return (
        f"0/{total} nodes are available: {reasons}. "
        f"preemption: 0/{total} nodes are available: {total} {preemption}."
    )


def _insufficient(spec: Obj, nodes: list[Node]) -> list[str]:
    """The resources of which the pod requests more than every one of ``nodes`` has."""
    wanted = {"cpu": 0.0, "memory": 0.0}
    for container in spec.get("containers") or []:
        resources = container.get("resources") or {}
        requests = {**(resources.get("limits") or {}), **(resources.get("requests") or {})}
        for name in wanted:
            if name in requests:
                wanted[name] += float(parse_quantity(str(requests[name])))
    short = []
    if all(wanted["cpu"] > node.cpu for node in nodes):
        short.append("cpu")
    if all(wanted["memory"] > node.memory for node in nodes):
        short.append("memory")
    return short


def _pull_error(image: str) -> str:
    registry = image.split("/")[0]
    return (
        f'rpc error: code = Unknown desc = failed to pull and unpack image "{image}": '
        f'failed to resolve reference "{image}": failed to do request: Head '
        f'"https://{registry}/v2/": dial tcp: lookup {registry}: no such host'
    )


def _waiting(container: Obj, reason: str, message: str) -> Obj:
    changed = copy.deepcopy(container)
    changed["state"] = {"waiting": {"reason": reason, "message": message}}
    changed["ready"] = False
    changed["started"] = False
    return changed


def _running(pod: Obj, container: Obj, image: str, *, ready: bool) -> Obj:
    digest = hashlib.sha256(image.encode()).hexdigest()
    identity = f"{pod['metadata']['uid']}/{container['name']}".encode()
    return {
        **container,
        "state": {"running": {"startedAt": now()}},
        "ready": ready,
        "started": True,
        "imageID": f"{image.split(':')[0]}@sha256:{digest}",
        "containerID": "containerd://" + hashlib.sha256(identity).hexdigest(),
    }


def _conditions(status: Obj, ready: bool) -> list[Obj]:
    """The pod's conditions: Ready and ContainersReady as ``ready``, PodScheduled kept."""
    stamp = now()
    previous = {c["type"]: c for c in status.get("conditions") or []}

    def condition(kind: str, value: bool) -> Obj:
        text = "True" if value else "False"
        old = previous.get(kind)
        if old is not None and old.get("status") == text:
            return dict(old)
        found: Obj = {
            "type": kind,
            "status": text,
            "lastProbeTime": None,
            "lastTransitionTime": stamp,
        }
        if not value:
            found["reason"] = "ContainersNotReady"
        return found

    started = any(
        c.get("started") or c.get("lastState") for c in status.get("containerStatuses") or []
    )
    return [
        condition("PodReadyToStartContainers", started or ready),
        condition("Initialized", True),
        condition("Ready", ready),
        condition("ContainersReady", ready),
        *[c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"],
    ]


def _host(pod: Obj) -> str | None:
    node = pod["spec"].get("nodeName")
    return str(node) if node else None


def qos_class(spec: Obj) -> str:
    """The pod's quality-of-service class, from its containers' requests and limits."""
    containers = spec.get("containers") or []
    requests = [(c.get("resources") or {}).get("requests") or {} for c in containers]
    limits = [(c.get("resources") or {}).get("limits") or {} for c in containers]
    if not any(requests) and not any(limits):
        return "BestEffort"
    guaranteed = all(
        lim.get("cpu")
        and lim.get("memory")
        and all(req.get(k, lim[k]) == lim[k] for k in ("cpu", "memory"))
        for req, lim in zip(requests, limits, strict=True)
    )
    return "Guaranteed" if guaranteed else "Burstable"
