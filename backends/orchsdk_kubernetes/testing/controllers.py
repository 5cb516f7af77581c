"""The controllers that make a cluster move: deployments, replica sets, pods, endpoints, HPAs.

They follow ``kube-controller-manager``'s logic closely enough that clients reading
status see what they would see on a cluster:

- **deployment**: see :mod:`.deployments`;
- **replica set**: creates and deletes pods to match ``spec.replicas``;
- **scheduler and kubelet** (:mod:`.kubelet`, one step per :meth:`Controllers.tick`):
  pending pods start and become ready one step after they were created, unless their
  deployment is held or failed, or they fail as on a real cluster; stopped pods linger;
- **endpoint slices**: one slice per Service with a selector, listing the matching pods;
- **service load balancer**: gives LoadBalancer Services an ingress IP;
- **horizontal pod autoscaler**: keeps the target's replicas within min/max (the
  emulator has no metrics; tests can make it recommend a count), first acting
  ``autoscaler_delay`` seconds after it is created, as its sync period;
- **namespace** finalization and **garbage collection** by ownerReferences.

All of it runs under the store lock, synchronously after each API write
(:meth:`Controllers.settle`), so a test sees a consistent cluster as soon as a call
returns; only pod start-up takes time, one *step* per tick of the emulator's clock.
"""

from __future__ import annotations

import copy
import itertools
import time
from typing import Any

from orchsdk_kubernetes.testing.deployments import DeploymentController
from orchsdk_kubernetes.testing.event_recorder import EventRecorder
from orchsdk_kubernetes.testing.kubelet import Kubelet
from orchsdk_kubernetes.testing.objects import (
    DEPLOYMENT,
    HASH_LABEL,
    HPA,
    KUBELET,
    MANAGER,
    NAMESPACE,
    POD,
    REPLICASET,
    SERVICE,
    SLICE,
    Key,
    compact,
    controller_uid,
    is_ready,
    owner_reference,
)
from orchsdk_kubernetes.testing.registry import Registry
from orchsdk_kubernetes.testing.registry.meta import now, random_suffix
from orchsdk_kubernetes.testing.resources import by_key
from orchsdk_kubernetes.testing.selectors import from_object

__all__ = ["Controllers"]

Obj = dict[str, Any]


class Controllers:
    """The emulated controller manager and kubelet, plus the state tests steer."""

    def __init__(
        self,
        registry: Registry,
        *,
        termination_seconds: float = 0.0,
        autoscaler_delay: float = 0.0,
    ) -> None:
        self.registry = registry
        self.store = registry.store
        self.events = EventRecorder(registry)
        self.kubelet = Kubelet(registry, self.events, termination_seconds)
        self.autoscaler_delay = autoscaler_delay
        self.deployments = DeploymentController(registry)
        # Deployments whose new pods the kubelet must not start (RolloutControl.hold).
        self.held: set[Key] = set()
        # (namespace, name) of an HPA -> the replica count "metrics" recommend.
        self.recommendations: dict[Key, int] = {}
        # The resourceVersion up to which changes were reconciled, and namespaces that
        # need a pass for reasons the store does not see (hold, fail, recommendations).
        self._seen = 0
        self._touched: set[str] = set()
        self._lb_ips = (f"172.18.255.{200 + n % 50}" for n in itertools.count())
        # HPAs waiting for their first sync: uid -> (namespace, the time.monotonic() due),
        # and those past it.
        self._autoscalers_due: dict[str, tuple[str, float]] = {}
        self._autoscalers_acting: set[str] = set()

    @property
    def failed(self) -> dict[Key, str]:
        """Failed rollouts: ``(namespace, name)`` -> the pod-template-hash that failed."""
        return self.deployments.failed

    # -- driving -----------------------------------------------------------------------------

    def touch(self, namespace: str) -> None:
        """Makes the next :meth:`settle` look at ``namespace`` even if nothing was written."""
        with self.store.lock:
            self._touched.add(namespace)

    def settle(self, max_rounds: int = 200) -> None:
        """Runs the controllers until nothing changes (the cluster is quiet).

        Each round looks only at the namespaces that changed since the previous one (all
        controllers here work within a namespace), so a quiet cluster costs nothing.
        """
        with self.store.lock:
            for _ in range(max_rounds):
                dirty = self.store.namespaces_since(self._seen)
                if dirty is None:
                    dirty = self.store.namespaces()
                dirty |= self._touched
                self._touched = set()
                self._seen = self.store.resource_version
                if not dirty:
                    return
                for namespace in sorted(dirty):
                    self._reconcile(namespace)

    def _reconcile(self, namespace: str) -> None:
        if self._finalize_namespace(namespace):
            return
        self._garbage_collect(namespace)
        for deployment in self.store.list(DEPLOYMENT, namespace):
            self.deployments.sync(deployment)
        for replica_set in self.store.list(REPLICASET, namespace):
            self._sync_replica_set(replica_set)
        for service in self.store.list(SERVICE, namespace):
            self._sync_load_balancer(service)
            self._sync_endpoint_slice(service)
        for autoscaler in self.store.list(HPA, namespace):
            self._sync_autoscaler(autoscaler)

    def tick(self, only: set[Key] | None = None) -> None:
        """One step of time: pending pods become ready (except held or failed rollouts).

        ``only`` limits the step to the pods of those deployments ``(namespace, name)``.
        """
        with self.store.lock:
            self._touched |= self.deployments.check_deadlines()
            self._touched |= set(self.kubelet.reap())
            clock = time.monotonic()
            self._touched |= {ns for ns, due in self._autoscalers_due.values() if due <= clock}
            owners = self._pod_owners()
            for pod in self.store.list(POD):
                if is_ready(pod) or pod["metadata"].get("deletionTimestamp"):
                    continue
                key, template_hash = owners.get(controller_uid(pod) or "", (None, None))
                if only is not None and key not in only:
                    continue
                if key in self.held:
                    continue
                if key is not None and self.failed.get(key) == template_hash:
                    continue
                self.kubelet.step(pod)
            self.settle()

    def _pod_owners(self) -> dict[str, tuple[Key | None, str | None]]:
        """ReplicaSet uid -> (its deployment's key, the ReplicaSet's template hash)."""
        deployments = {d["metadata"]["uid"]: d for d in self.store.list(DEPLOYMENT)}
        owners: dict[str, tuple[Key | None, str | None]] = {}
        for rs in self.store.list(REPLICASET):
            deployment = deployments.get(controller_uid(rs) or "")
            key = (
                (deployment["metadata"]["namespace"], deployment["metadata"]["name"])
                if deployment
                else None
            )
            owners[rs["metadata"]["uid"]] = (key, rs["metadata"].get("labels", {}).get(HASH_LABEL))
        return owners

    # -- namespaces and garbage collection -----------------------------------------------

    def _finalize_namespace(self, name: str) -> bool:
        """Deletes a terminating namespace's objects, then the namespace; True if it did."""
        namespace = self.store.get(NAMESPACE, "", name)
        if namespace is None or not namespace["metadata"].get("deletionTimestamp"):
            return False
        for key, obj in self.store.all_objects(name):
            self.registry.remove(by_key(key), name, obj["metadata"]["name"])
        self.store.remove(NAMESPACE, "", name)
        self.kubelet.forget(name)
        self.held = {held for held in self.held if held[0] != name}
        for failed in [failed for failed in self.failed if failed[0] == name]:
            del self.failed[failed]
        return True

    def _garbage_collect(self, namespace: str) -> None:
        """Deletes objects all of whose owners are gone (background cascading deletion)."""
        for key, obj in self.store.all_objects(namespace):
            references = obj["metadata"].get("ownerReferences") or []
            if references and all(self.store.by_uid(r.get("uid", "")) is None for r in references):
                if by_key(key) is POD:
                    self.kubelet.terminate(obj)
                else:
                    self.registry.remove(by_key(key), namespace, obj["metadata"]["name"])

    # -- replica sets and pods -------------------------------------------------------------

    def _sync_replica_set(self, rs: Obj) -> bool:
        metadata = rs["metadata"]
        namespace, uid = metadata["namespace"], metadata["uid"]
        pods = [
            pod
            for pod in self.store.list(POD, namespace)
            if controller_uid(pod) == uid and not pod["metadata"].get("deletionTimestamp")
        ]
        wanted = rs["spec"].get("replicas", 1)
        changed = False
        if len(pods) < wanted:
            for _ in range(wanted - len(pods)):
                pods.append(self._create_pod(rs))
            changed = True
        elif len(pods) > wanted:
            ranked = sorted(
                pods,
                key=lambda p: (
                    is_ready(p),
                    p["metadata"]["creationTimestamp"],
                    p["metadata"]["name"],
                ),
            )
            doomed = ranked[: len(pods) - wanted]
            ordered_doomed = sorted(doomed, key=lambda p: (is_ready(p), p["metadata"]["name"]))
            for pod in ordered_doomed:
                self.kubelet.terminate(pod)
            names = {p["metadata"]["name"] for p in doomed}
            pods = [p for p in pods if p["metadata"]["name"] not in names]
            changed = True
        ready = sum(1 for pod in pods if is_ready(pod))
        template_labels = (rs["spec"]["template"].get("metadata") or {}).get("labels") or {}
        labelled = sum(
            1
            for pod in pods
            if all(
                pod["metadata"].get("labels", {}).get(k) == v for k, v in template_labels.items()
            )
        )
        status = compact(
            {
                "replicas": len(pods),
                "fullyLabeledReplicas": labelled,
                "readyReplicas": ready,
                "availableReplicas": ready,
                "observedGeneration": metadata.get("generation", 1),
            },
            keep=("replicas",),
        )
        latest = self.store.get(REPLICASET, namespace, metadata["name"])
        if latest is not None and latest.get("status") != status:
            self.registry.write(
                REPLICASET, {**latest, "status": status}, manager=MANAGER, subresource="status"
            )
            changed = True
        return changed

    def _create_pod(self, rs: Obj) -> Obj:
        metadata, template = rs["metadata"], rs["spec"]["template"]
        template_meta = template.get("metadata") or {}
        pod_meta: Obj = {
            "name": f"{metadata['name']}-{random_suffix()}",
            "generateName": f"{metadata['name']}-",
            "namespace": metadata["namespace"],
            "labels": dict(template_meta.get("labels") or {}),
        }
        if template_meta.get("annotations"):
            pod_meta["annotations"] = dict(template_meta["annotations"])
        pod_meta["ownerReferences"] = [owner_reference(rs, "ReplicaSet", "apps/v1")]
        spec = copy.deepcopy(template.get("spec") or {})
        node, message = self.kubelet.place(spec, metadata["namespace"])
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": spec}
        pod = self.registry.create(
            POD,
            metadata["namespace"],
            body,
            manager=MANAGER,
            validate=False,
        )
        status = self.kubelet.first_status(pod, node, message)
        return self.registry.write(
            POD, {**pod, "status": status}, manager=KUBELET, subresource="status"
        )

    # -- services --------------------------------------------------------------------------

    def _sync_load_balancer(self, service: Obj) -> bool:
        spec = service["spec"]
        balancer = (service.get("status") or {}).get("loadBalancer") or {}
        if spec.get("type") == "LoadBalancer" and not balancer.get("ingress"):
            status = {"loadBalancer": {"ingress": [{"ip": next(self._lb_ips), "ipMode": "VIP"}]}}
        elif spec.get("type") != "LoadBalancer" and balancer.get("ingress"):
            status = {"loadBalancer": {}}
        else:
            return False
        self.registry.write(
            SERVICE, {**service, "status": status}, manager=MANAGER, subresource="status"
        )
        return True

    def _sync_endpoint_slice(self, service: Obj) -> bool:
        metadata, spec = service["metadata"], service["spec"]
        namespace, name = metadata["namespace"], metadata["name"]
        slices = [
            s for s in self.store.list(SLICE, namespace) if controller_uid(s) == metadata["uid"]
        ]
        selector = spec.get("selector")
        if not selector or spec.get("type") == "ExternalName":
            for item in slices:
                self.registry.remove(SLICE, namespace, item["metadata"]["name"])
            return bool(slices)
        chosen = from_object({"matchLabels": selector})
        pods = [
            pod
            for pod in self.store.list(POD, namespace)
            if chosen.matches(pod["metadata"].get("labels"))
            and (pod.get("status") or {}).get("podIP")
        ]
        endpoints = [
            {
                "addresses": [pod["status"]["podIP"]],
                "conditions": {
                    "ready": is_ready(pod) and not pod["metadata"].get("deletionTimestamp"),
                    "serving": is_ready(pod),
                    "terminating": bool(pod["metadata"].get("deletionTimestamp")),
                },
                "nodeName": pod["spec"].get("nodeName"),
                "targetRef": {
                    "kind": "Pod",
                    "namespace": namespace,
                    "name": pod["metadata"]["name"],
                    "uid": pod["metadata"]["uid"],
                },
            }
            for pod in pods
        ]
        ports = []
        for port in spec.get("ports") or []:
            target = port.get("targetPort", port.get("port"))
            if isinstance(target, str):
                target = _named_port(pods, target, port.get("protocol", "TCP"))
                if target is None:
                    continue
            ports.append(
                {
                    "name": port.get("name", ""),
                    "protocol": port.get("protocol", "TCP"),
                    "port": target,
                }
            )
        labels = dict(metadata.get("labels") or {})
        labels.update(
            {
                "kubernetes.io/service-name": name,
                "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
            }
        )
        body = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "generateName": f"{name}-",
                "namespace": namespace,
                "labels": labels,
                "ownerReferences": [owner_reference(service, "Service", "v1")],
            },
            "addressType": "IPv4",
            "endpoints": endpoints or None,
            "ports": ports or None,
        }
        if not slices:
            self.registry.create(SLICE, namespace, body, manager=MANAGER, validate=False)
            return True
        first, extra = slices[0], slices[1:]
        for item in extra:
            self.registry.remove(SLICE, namespace, item["metadata"]["name"])
        new = {**first, "metadata": {**first["metadata"], "labels": labels}}
        for key in ("endpoints", "ports"):
            if body.get(key):
                new[key] = body[key]
            else:
                new.pop(key, None)
        if new == first:
            return bool(extra)
        stored = self.registry.write(SLICE, new, manager=MANAGER)
        return stored is not first or bool(extra)

    # -- autoscalers -----------------------------------------------------------------------

    def _sync_autoscaler(self, hpa: Obj) -> bool:
        metadata, spec = hpa["metadata"], hpa["spec"]
        namespace = metadata["namespace"]
        if self.autoscaler_delay > 0 and metadata["uid"] not in self._autoscalers_acting:
            _, due = self._autoscalers_due.setdefault(
                metadata["uid"], (namespace, time.monotonic() + self.autoscaler_delay)
            )
            if due > time.monotonic():
                return False
            del self._autoscalers_due[metadata["uid"]]
            self._autoscalers_acting.add(metadata["uid"])
        target_ref = spec.get("scaleTargetRef") or {}
        kinds = {"Deployment": DEPLOYMENT, "ReplicaSet": REPLICASET}
        rt = kinds.get(target_ref.get("kind", ""))
        target = self.store.get(rt, namespace, target_ref.get("name", "")) if rt else None
        stamp = now()
        previous = hpa.get("status") or {}
        conditions = list(previous.get("conditions") or [])
        status: Obj = {}
        if target is None or rt is None:
            plural = rt.key if rt else f"{str(target_ref.get('kind', '')).lower()}s"
            conditions = _set_hpa_condition(
                conditions,
                "AbleToScale",
                "False",
                "FailedGetScale",
                f"the HPA controller was unable to get the target's current scale: {plural}/scale "
                f'"{target_ref.get("name", "")}" not found',
                stamp,
            )
            status = {"desiredReplicas": 0, "conditions": conditions}
        else:
            current = target["spec"].get("replicas", 1)
            minimum, maximum = spec.get("minReplicas", 1), spec["maxReplicas"]
            status["currentReplicas"] = (target.get("status") or {}).get("replicas", 0)
            recommended = self.recommendations.get((namespace, metadata["name"]))
            if current == 0 and minimum != 0:
                desired = 0
                conditions = _set_hpa_condition(
                    conditions,
                    "ScalingActive",
                    "False",
                    "ScalingDisabled",
                    "scaling is disabled since the replica count of the target is zero",
                    stamp,
                )
            else:
                wanted = recommended if recommended is not None else current
                desired = min(max(wanted, minimum), maximum)
                if recommended is not None:
                    conditions = _set_hpa_condition(
                        conditions,
                        "ScalingActive",
                        "True",
                        "ValidMetricFound",
                        "the HPA was able to successfully calculate a replica count from cpu "
                        "resource utilization (percentage of request)",
                        stamp,
                    )
                else:
                    conditions = _set_hpa_condition(
                        conditions,
                        "ScalingActive",
                        "False",
                        "FailedGetResourceMetric",
                        "the HPA was unable to compute the replica count: no metrics returned "
                        "from resource metrics API",
                        stamp,
                    )
                if wanted < minimum:
                    limited = (
                        "True",
                        "TooFewReplicas",
                        "the desired replica count is less than the minimum replica count",
                    )
                elif wanted > maximum:
                    limited = (
                        "True",
                        "TooManyReplicas",
                        "the desired replica count is more than the maximum replica count",
                    )
                else:
                    limited = (
                        "False",
                        "DesiredWithinRange",
                        "the desired count is within the acceptable range",
                    )
                conditions = _set_hpa_condition(conditions, "ScalingLimited", *limited, stamp)
            if desired != current and desired > 0:
                self.registry.update(
                    rt,
                    namespace,
                    target["metadata"]["name"],
                    {"spec": {"replicas": desired}},
                    manager=MANAGER,
                    subresource="scale",
                )
                status["lastScaleTime"] = stamp
                conditions = _set_hpa_condition(
                    conditions,
                    "AbleToScale",
                    "True",
                    "SucceededRescale",
                    f"the HPA controller was able to update the target scale to {desired}",
                    stamp,
                )
            else:
                conditions = _set_hpa_condition(
                    conditions,
                    "AbleToScale",
                    "True",
                    "ReadyForNewScale",
                    "recommended size matches current size",
                    stamp,
                )
            if "lastScaleTime" not in status and previous.get("lastScaleTime"):
                status["lastScaleTime"] = previous["lastScaleTime"]
            status["desiredReplicas"] = desired
            status["conditions"] = _order_hpa(conditions)
        status = {k: v for k, v in status.items() if v is not None}
        if status == previous:
            return False
        stored = self.registry.write(
            HPA, {**hpa, "status": status}, manager=MANAGER, subresource="status"
        )
        return stored is not hpa


def _set_hpa_condition(
    conditions: list[Obj], kind: str, status: str, reason: str, message: str, stamp: str
) -> list[Obj]:
    current = next((c for c in conditions if c["type"] == kind), None)
    if current and (current["status"], current.get("reason"), current.get("message")) == (
        status,
        reason,
        message,
    ):
        return conditions
    transition = current["lastTransitionTime"] if current and current["status"] == status else stamp
    new = {
        "type": kind,
        "status": status,
        "lastTransitionTime": transition,
        "reason": reason,
        "message": message,
    }
    return [c if c["type"] != kind else new for c in conditions] if current else [*conditions, new]


def _order_hpa(conditions: list[Obj]) -> list[Obj]:
    order = {"AbleToScale": 0, "ScalingActive": 1, "ScalingLimited": 2}
    return sorted(conditions, key=lambda c: order.get(c["type"], 9))


def _named_port(pods: list[Obj], name: str, protocol: str) -> int | None:
    for pod in pods:
        for container in pod["spec"].get("containers") or []:
            for port in container.get("ports") or []:
                if port.get("name") == name and port.get("protocol", "TCP") == protocol:
                    return int(port["containerPort"])
    return None
