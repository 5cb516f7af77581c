"""The labels, annotations and well-known names this backend owns on Kubernetes objects."""

from __future__ import annotations

SELECTOR_LABEL = "orchsdk.io/deployment"
"""The pod label a Deployment selects on: its name alone, so its immutable selector stays put."""

HOSTNAME_ANNOTATION = "external-dns.alpha.kubernetes.io/hostname"
"""Where an external Service's hostname goes: the annotation ExternalDNS reads."""

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
"""The revision the deployment controller stamps on Deployments and ReplicaSets."""

REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history"
"""The numbers a ReplicaSet had before the controller reused it for a newer revision."""

HANDOVER_MANAGER = "orchsdk-handover-to-hpa"
"""The field manager that co-owns a deployment's replica count while an autoscaler owns it."""

AUTOSCALER_ANNOTATION = "orchsdk.io/autoscaler"
"""The annotation ``HANDOVER_MANAGER`` puts on a deployment it handed to an autoscaler: the
autoscaler's name. It outlives the handover's claim on ``spec.replicas`` (the HPA takes
that field over when it first scales), so the deployment itself says it is autoscaled."""

GPU_RESOURCE = "nvidia.com/gpu"
"""The extended resource name for GPUs (the NVIDIA device plugin's)."""

CONTAINER_NAME = "app"
"""The name of the one container of each pod orchsdk renders."""

NODE_LABELS = {
    "hostname": "kubernetes.io/hostname",
    "zone": "topology.kubernetes.io/zone",
    "region": "topology.kubernetes.io/region",
}
"""Portable placement keys and the well-known node labels they stand for."""

PORTABLE_KEYS = {label: key for key, label in NODE_LABELS.items()}

RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt"
"""The pod-template annotation a restart sets to its time, as ``kubectl rollout restart``
does: a changed template is a new revision."""

CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause"
"""Why a revision was made, when someone said (``kubectl annotate``, the old ``--record``)."""
