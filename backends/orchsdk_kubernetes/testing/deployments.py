"""The deployment controller: ReplicaSets per pod template, rolling updates, status.

It follows ``pkg/controller/deployment`` of Kubernetes: a ReplicaSet per pod template,
named ``<deployment>-<pod-template-hash>``, with the ``deployment.kubernetes.io/revision``
annotation (an old ReplicaSet whose template matches again is reused and gets the next
revision, as on ``kubectl rollout undo``); rolling updates bounded by ``maxSurge`` and
``maxUnavailable``; ``Recreate``; cleanup beyond ``revisionHistoryLimit``; and the
status fields and ``Available``/``Progressing`` conditions computed as ``calculateStatus``
and ``syncRolloutStatus`` do, which is what ``kubectl rollout status`` reads.
"""

from __future__ import annotations

import copy
import json
import math
import time
from typing import Any

from orchsdk_kubernetes.testing.objects import (
    DEPLOYMENT,
    HASH_LABEL,
    MANAGER,
    REPLICASET,
    Key,
    compact,
    controller_uid,
    owner_reference,
)
from orchsdk_kubernetes.testing.registry import Registry
from orchsdk_kubernetes.testing.registry.meta import now

__all__ = ["REVISION", "DeploymentController", "fenceposts", "pod_template_hash"]

Obj = dict[str, Any]

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX = "deployment.kubernetes.io/max-replicas"
_SKIPPED_ANNOTATIONS = {
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED,
    MAX,
    "deprecated.deployment.rollback.to",
}

_SAFE = "bcdfghjklmnpqrstvwxz2456789"


def _fnv32a(data: bytes, h: int = 0x811C9DC5) -> int:
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def pod_template_hash(template: Obj, collision_count: int | None = None) -> str:
    """The ``pod-template-hash`` of a template: FNV-32a, safe-encoded as Kubernetes does."""
    h = _fnv32a(json.dumps(_without_hash(template), sort_keys=True).encode())
    if collision_count:
        h = _fnv32a(str(collision_count).encode(), h)
    return "".join(_SAFE[ord(char) % len(_SAFE)] for char in str(h))


def _without_hash(template: Any) -> Any:
    """The template without the pod-template-hash label (a shallow copy: do not modify)."""
    template = template or {}
    metadata = template.get("metadata") or {}
    labels = metadata.get("labels")
    if isinstance(labels, dict) and HASH_LABEL in labels:
        labels = {key: value for key, value in labels.items() if key != HASH_LABEL}
        return {**template, "metadata": {**metadata, "labels": labels}}
    return template


def _revision(obj: Obj) -> int:
    value = (obj["metadata"].get("annotations") or {}).get(REVISION, "0")
    return int(value) if str(value).isdigit() else 0


def _amount(value: Any, total: int, *, round_up: bool) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.endswith("%"):
        fraction = total * int(value[:-1]) / 100
        return math.ceil(fraction) if round_up else math.floor(fraction)
    return 0


def fenceposts(deployment: Obj) -> tuple[int, int]:
    """``(maxSurge, maxUnavailable)`` resolved against the replicas (``ResolveFenceposts``)."""
    spec = deployment["spec"]
    rolling = (spec.get("strategy") or {}).get("rollingUpdate") or {}
    replicas = spec.get("replicas", 1)
    surge = _amount(rolling.get("maxSurge", "25%"), replicas, round_up=True)
    unavailable = _amount(rolling.get("maxUnavailable", "25%"), replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _condition(kind: str, status: str, reason: str, message: str, stamp: str) -> Obj:
    return {
        "type": kind,
        "status": status,
        "lastUpdateTime": stamp,
        "lastTransitionTime": stamp,
        "reason": reason,
        "message": message,
    }


def _set_condition(conditions: list[Obj], new: Obj) -> list[Obj]:
    """``SetDeploymentCondition``: unchanged when status and reason are the same."""
    current = next((c for c in conditions if c["type"] == new["type"]), None)
    if current is not None and current["status"] == new["status"]:
        if current.get("reason") == new["reason"]:
            return conditions
        new = {**new, "lastTransitionTime": current["lastTransitionTime"]}
    return [c for c in conditions if c["type"] != new["type"]] + [new]


class DeploymentController:
    """Reconciles deployments; ``failed`` holds the rollouts tests (or deadlines) failed."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.store = registry.store
        # (namespace, name) -> pod-template-hash of the rollout that failed
        self.failed: dict[Key, str] = {}
        # deployment uid -> monotonic time of the rollout's last progress
        self._progress: dict[str, float] = {}

    def check_deadlines(self) -> set[str]:
        """Fails rollouts without progress for progressDeadlineSeconds; their namespaces."""
        touched: set[str] = set()
        clock = time.monotonic()
        deployments = self.store.list(DEPLOYMENT)
        alive = {deployment["metadata"]["uid"] for deployment in deployments}
        self._progress = {uid: at for uid, at in self._progress.items() if uid in alive}
        for deployment in deployments:
            uid, spec = deployment["metadata"]["uid"], deployment["spec"]
            deadline = spec.get("progressDeadlineSeconds")
            last = self._progress.get(uid)
            if deadline is None or last is None or clock - last <= deadline:
                continue
            key = (deployment["metadata"]["namespace"], deployment["metadata"]["name"])
            template_hash = pod_template_hash(spec["template"], spec.get("collisionCount"))
            if not self.complete(deployment) and self.failed.get(key) != template_hash:
                self.failed[key] = template_hash
                touched.add(key[0])
        return touched

    def sync(self, deployment: Obj) -> bool:
        """One reconcile of a deployment; True when it wrote something."""
        metadata, spec = deployment["metadata"], deployment["spec"]
        if metadata.get("deletionTimestamp"):
            return False
        namespace, name, uid = metadata["namespace"], metadata["name"], metadata["uid"]
        key = (namespace, name)
        owned = [rs for rs in self.store.list(REPLICASET, namespace) if controller_uid(rs) == uid]
        template = spec["template"]
        wanted = _without_hash(template)
        new_rs = next((rs for rs in owned if _without_hash(rs["spec"]["template"]) == wanted), None)
        old_rss = [rs for rs in owned if rs is not new_rs]
        max_revision = max((_revision(rs) for rs in old_rss), default=0)
        conditions = list((deployment.get("status") or {}).get("conditions") or [])
        stamp = now()
        changed = False
        paused = bool(spec.get("paused"))
        if new_rs is None and not paused:
            new_rs = self._create_replica_set(deployment, max_revision + 1, old_rss)
            conditions = _set_condition(
                conditions,
                _condition(
                    "Progressing",
                    "True",
                    "NewReplicaSetCreated",
                    f'Created new replica set "{new_rs["metadata"]["name"]}"',
                    stamp,
                ),
            )
            self._progress[uid] = time.monotonic()
            changed = True
        elif new_rs is not None:
            updated = self._sync_replica_set_annotations(deployment, new_rs, max_revision)
            if updated is not new_rs:
                new_rs, changed = updated, True
                if not any(c["type"] == "Progressing" for c in conditions):
                    conditions = _set_condition(
                        conditions,
                        _condition(
                            "Progressing",
                            "True",
                            "FoundNewReplicaSet",
                            f'Found new replica set "{new_rs["metadata"]["name"]}"',
                            stamp,
                        ),
                    )
        if not paused and new_rs is not None:
            changed = self._rollout(deployment, new_rs, old_rss) or changed
            if self._complete_counts(deployment, new_rs, old_rss):
                changed = self._clean_up(deployment, old_rss) or changed
        return self._sync_status(deployment, conditions, key) or changed

    def _create_replica_set(self, deployment: Obj, revision: int, old_rss: list[Obj]) -> Obj:
        metadata, spec = deployment["metadata"], deployment["spec"]
        template_hash = pod_template_hash(spec["template"], spec.get("collisionCount"))
        template = copy.deepcopy(spec["template"])
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = template_hash
        selector = copy.deepcopy(spec["selector"])
        selector.setdefault("matchLabels", {})[HASH_LABEL] = template_hash
        surge, _ = fenceposts(deployment)
        replicas = spec.get("replicas", 1)
        annotations = self._copied_annotations(deployment)
        annotations.update(
            {
                DESIRED: str(replicas),
                MAX: str(replicas + surge if self._rolling(deployment) else replicas),
                REVISION: str(revision),
            }
        )
        body: Obj = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{metadata['name']}-{template_hash}",
                "namespace": metadata["namespace"],
                "labels": dict(template["metadata"]["labels"]),
                "annotations": annotations,
                "ownerReferences": [owner_reference(deployment, "Deployment", "apps/v1")],
            },
            "spec": {
                "replicas": self._new_replicas(deployment, 0, old_rss),
                "minReadySeconds": spec.get("minReadySeconds", 0),
                "selector": selector,
                "template": template,
            },
        }
        if not body["spec"]["minReadySeconds"]:
            del body["spec"]["minReadySeconds"]
        return self.registry.create(
            REPLICASET,
            metadata["namespace"],
            body,
            manager=MANAGER,
            validate=False,
        )

    def _copied_annotations(self, deployment: Obj) -> dict[str, str]:
        annotations = deployment["metadata"].get("annotations") or {}
        return {k: v for k, v in annotations.items() if k not in _SKIPPED_ANNOTATIONS}

    def _sync_replica_set_annotations(self, deployment: Obj, rs: Obj, max_revision: int) -> Obj:
        """The new ReplicaSet's revision (bumped when an old one is reused) and annotations."""
        annotations = dict(rs["metadata"].get("annotations") or {})
        before = dict(annotations)
        annotations.update(self._copied_annotations(deployment))
        current = _revision(rs)
        if current <= max_revision:
            if current:
                history = [h for h in annotations.get(REVISION_HISTORY, "").split(",") if h]
                annotations[REVISION_HISTORY] = ",".join([*history, str(current)])
            annotations[REVISION] = str(max_revision + 1)
        if annotations == before:
            return rs
        new = copy.deepcopy(rs)
        new["metadata"]["annotations"] = annotations
        return self.registry.write(REPLICASET, new, manager=MANAGER)

    @staticmethod
    def _rolling(deployment: Obj) -> bool:
        strategy = deployment["spec"].get("strategy") or {}
        return bool(strategy.get("type", "RollingUpdate") != "Recreate")

    def _new_replicas(self, deployment: Obj, current: int, old_rss: list[Obj]) -> int:
        """``NewRSNewReplicas``: how far the new ReplicaSet may grow now."""
        replicas = int(deployment["spec"].get("replicas", 1))
        if not self._rolling(deployment):
            return replicas if not any(rs["spec"].get("replicas") for rs in old_rss) else 0
        surge, _ = fenceposts(deployment)
        total = current + sum(int(rs["spec"].get("replicas", 0)) for rs in old_rss)
        if total >= replicas + surge:
            return current
        return current + min(replicas + surge - total, max(replicas - current, 0))

    def _scale(self, rs: Obj, replicas: int, deployment: Obj) -> Obj:
        surge, _ = fenceposts(deployment)
        desired = deployment["spec"].get("replicas", 1)
        annotations = dict(rs["metadata"].get("annotations") or {})
        annotations[DESIRED] = str(desired)
        annotations[MAX] = str(desired + surge if self._rolling(deployment) else desired)
        if rs["spec"].get("replicas") == replicas and annotations == rs["metadata"].get(
            "annotations"
        ):
            return rs
        new = copy.deepcopy(rs)
        new["spec"]["replicas"] = replicas
        new["metadata"]["annotations"] = annotations
        return self.registry.write(REPLICASET, new, manager=MANAGER)

    def _rollout(self, deployment: Obj, new_rs: Obj, old_rss: list[Obj]) -> bool:
        """One reconcile of the rollout: scale the new ReplicaSet up and the old ones down."""
        replicas = deployment["spec"].get("replicas", 1)
        active_old = [rs for rs in old_rss if rs["spec"].get("replicas", 0) > 0]
        if not self._rolling(deployment):
            changed = False
            for rs in active_old:
                self._scale(rs, 0, deployment)
                changed = True
            if any((rs.get("status") or {}).get("replicas", 0) for rs in old_rss):
                return changed
            if new_rs["spec"].get("replicas") != replicas:
                self._scale(new_rs, replicas, deployment)
                return True
            return changed
        if not active_old:
            if new_rs["spec"].get("replicas") != replicas:
                self._scale(new_rs, replicas, deployment)
                return True
            return False
        current = new_rs["spec"].get("replicas", 0)
        if current > replicas:
            self._scale(new_rs, replicas, deployment)
            return True
        grown = self._new_replicas(deployment, current, old_rss)
        if grown != current:
            self._scale(new_rs, grown, deployment)
            return True
        return self._scale_down_old(deployment, new_rs, active_old)

    def _scale_down_old(self, deployment: Obj, new_rs: Obj, old_rss: list[Obj]) -> bool:
        """``reconcileOldReplicaSets``: unhealthy old pods first, then within maxUnavailable."""
        replicas = deployment["spec"].get("replicas", 1)
        _, unavailable = fenceposts(deployment)
        all_rss = [new_rs, *old_rss]
        total = sum(rs["spec"].get("replicas", 0) for rs in all_rss)
        min_available = replicas - unavailable
        new_status = new_rs.get("status") or {}
        new_unavailable = new_rs["spec"].get("replicas", 0) - new_status.get("availableReplicas", 0)
        budget = total - min_available - new_unavailable
        if budget <= 0:
            return False
        changed = False
        ordered = sorted(old_rss, key=lambda rs: rs["metadata"]["creationTimestamp"])
        for rs in ordered:
            if budget <= 0:
                break
            count = rs["spec"].get("replicas", 0)
            healthy = (rs.get("status") or {}).get("availableReplicas", 0)
            cut = min(budget, count - healthy)
            if cut > 0:
                self._scale(rs, count - cut, deployment)
                budget -= cut
                changed = True
        if changed:
            return True
        available = sum((rs.get("status") or {}).get("availableReplicas", 0) for rs in all_rss)
        budget = available - min_available
        for rs in ordered:
            if budget <= 0:
                break
            count = rs["spec"].get("replicas", 0)
            cut = min(budget, count)
            if cut > 0:
                self._scale(rs, count - cut, deployment)
                budget -= cut
                changed = True
        return changed

    def _clean_up(self, deployment: Obj, old_rss: list[Obj]) -> bool:
        """Deletes old, empty ReplicaSets beyond ``revisionHistoryLimit`` (oldest first)."""
        limit = deployment["spec"].get("revisionHistoryLimit", 10)
        empty = [
            rs
            for rs in old_rss
            if not rs["spec"].get("replicas") and not (rs.get("status") or {}).get("replicas")
        ]
        excess = len(empty) - limit
        if excess <= 0:
            return False
        for rs in sorted(empty, key=_revision)[:excess]:
            self.registry.remove(REPLICASET, rs["metadata"]["namespace"], rs["metadata"]["name"])
        return True

    def _complete_counts(self, deployment: Obj, new_rs: Obj, old_rss: list[Obj]) -> bool:
        replicas = deployment["spec"].get("replicas", 1)
        new_status = new_rs.get("status") or {}
        total = sum((rs.get("status") or {}).get("replicas", 0) for rs in [new_rs, *old_rss])
        return bool(
            new_status.get("replicas", 0) == replicas
            and total == replicas
            and new_status.get("availableReplicas", 0) == replicas
        )

    def complete(self, deployment: Obj) -> bool:
        status = deployment.get("status") or {}
        replicas = deployment["spec"].get("replicas", 1)
        return bool(
            status.get("updatedReplicas", 0) == replicas
            and status.get("replicas", 0) == replicas
            and status.get("availableReplicas", 0) == replicas
            and status.get("observedGeneration", 0) >= deployment["metadata"]["generation"]
        )

    def _sync_status(self, deployment: Obj, conditions: list[Obj], key: Key) -> bool:
        """Recomputes status (``calculateStatus`` + ``syncRolloutStatus``) and the revision."""
        latest = self.store.get(DEPLOYMENT, key[0], key[1])
        assert latest is not None
        spec, uid = latest["spec"], latest["metadata"]["uid"]
        owned = [rs for rs in self.store.list(REPLICASET, key[0]) if controller_uid(rs) == uid]
        wanted = _without_hash(spec["template"])
        new_rs = next((rs for rs in owned if _without_hash(rs["spec"]["template"]) == wanted), None)
        replicas = spec.get("replicas", 1)
        counts = [rs.get("status") or {} for rs in owned]
        total = sum(c.get("replicas", 0) for c in counts)
        available = sum(c.get("availableReplicas", 0) for c in counts)
        previous = latest.get("status") or {}
        status: Obj = {
            "observedGeneration": latest["metadata"]["generation"],
            "replicas": total,
            "updatedReplicas": (new_rs.get("status") or {}).get("replicas", 0) if new_rs else 0,
            "readyReplicas": sum(c.get("readyReplicas", 0) for c in counts),
            "availableReplicas": available,
            "unavailableReplicas": max(replicas - available, 0),
        }
        stamp = now()
        _, max_unavailable = fenceposts(latest) if self._rolling(latest) else (0, 0)
        max_unavailable = min(max_unavailable, replicas)
        if available >= replicas - max_unavailable:
            available_condition = _condition(
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
                stamp,
            )
        else:
            available_condition = _condition(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
                stamp,
            )
        conditions = _set_condition(conditions, available_condition)
        conditions = self._progressing(latest, status, previous, conditions, new_rs, key, stamp)
        status["conditions"] = conditions
        if previous.get("collisionCount") is not None:
            status["collisionCount"] = previous["collisionCount"]
        annotations = dict(latest["metadata"].get("annotations") or {})
        if new_rs is not None:
            annotations[REVISION] = str(_revision(new_rs))
        status = compact(status)
        if status == previous and annotations == latest["metadata"].get("annotations", {}):
            return False
        new = {**latest, "metadata": {**latest["metadata"], "annotations": annotations}}
        new["status"] = status
        stored = self.registry.write(DEPLOYMENT, new, manager=MANAGER, subresource="status")
        return stored is not latest

    def _progressing(
        self,
        deployment: Obj,
        status: Obj,
        previous: Obj,
        conditions: list[Obj],
        new_rs: Obj | None,
        key: Key,
        stamp: str,
    ) -> list[Obj]:
        spec = deployment["spec"]
        name = new_rs["metadata"]["name"] if new_rs else deployment["metadata"]["name"]
        what = f'ReplicaSet "{name}"' if new_rs else f'Deployment "{name}"'
        if spec.get("paused"):
            return _set_condition(
                conditions,
                _condition(
                    "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", stamp
                ),
            )
        if new_rs is not None and self.failed.get(key) == new_rs["metadata"]["labels"].get(
            HASH_LABEL
        ):
            return _set_condition(
                conditions,
                _condition(
                    "Progressing",
                    "False",
                    "ProgressDeadlineExceeded",
                    f"{what} has timed out progressing.",
                    stamp,
                ),
            )
        current = next((c for c in conditions if c["type"] == "Progressing"), None)
        if (
            current is not None
            and current.get("reason") == "NewReplicaSetAvailable"
            and status["replicas"] == status["updatedReplicas"]
        ):
            return conditions
        replicas = spec.get("replicas", 1)
        if (
            status["updatedReplicas"] == replicas
            and status["replicas"] == replicas
            and status["availableReplicas"] == replicas
        ):
            self._progress.pop(deployment["metadata"]["uid"], None)
            return _set_condition(
                conditions,
                _condition(
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    f"{what} has successfully progressed.",
                    stamp,
                ),
            )
        old_before = previous.get("replicas", 0) - previous.get("updatedReplicas", 0)
        old_now = status["replicas"] - status["updatedReplicas"]
        if (
            status["updatedReplicas"] > previous.get("updatedReplicas", 0)
            or old_now < old_before
            or status["readyReplicas"] > previous.get("readyReplicas", 0)
            or status["availableReplicas"] > previous.get("availableReplicas", 0)
        ):
            self._progress[deployment["metadata"]["uid"]] = time.monotonic()
            condition = _condition(
                "Progressing", "True", "ReplicaSetUpdated", f"{what} is progressing.", stamp
            )
            if current is not None and current["status"] == "True":
                condition["lastTransitionTime"] = current["lastTransitionTime"]
            return [c for c in conditions if c["type"] != "Progressing"] + [condition]
        if deployment["metadata"]["uid"] not in self._progress:
            self._progress[deployment["metadata"]["uid"]] = time.monotonic()
        return conditions
