"""The autoscaler handover: who owns a deployment's replica count once an HPA scales it.

Server-side apply removes a field its only manager stops applying, which would reset the
replicas to 1 when orchsdk stops applying them. So before an autoscaler's apply, a second
field manager, :data:`~orchsdk_kubernetes.labels.HANDOVER_MANAGER`, co-owns the count as
it is and marks the deployment with
:data:`~orchsdk_kubernetes.labels.AUTOSCALER_ANNOTATION`; later applies of the
deployment leave ``replicas`` out while the mark is there. Deleting the autoscaler takes
the mark off again, and the next apply of the deployment sets ``replicas`` once more.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from orchsdk import Action, Autoscaler, NotFound, Resource, ValidationError
from orchsdk.errors import reads_answers
from orchsdk_kubernetes.client import as_object
from orchsdk_kubernetes.handlers import Context, Handler
from orchsdk_kubernetes.labels import AUTOSCALER_ANNOTATION, HANDOVER_MANAGER
from orchsdk_kubernetes.object_cache import Seen

__all__ = ["AutoscalerHandler", "Handover"]

log = logging.getLogger("orchsdk.kubernetes")

JSON_PATCH = "application/json-patch+json"


class Handover:
    """Hands deployments' replica counts to autoscalers and back, through ``deployments``,
    the deployment handler (whose record of objects seen it keeps up to date)."""

    def __init__(self, deployments: Handler) -> None:
        self.deployments = deployments

    def take(self, scaler: Autoscaler) -> None:
        """Gives the target's replica count a second owner before orchsdk stops applying it.

        Done at each apply of the autoscaler (two requests: the count, then the
        handover), as the deployment may have been handed back meanwhile.
        """
        assert scaler.namespace is not None, "the orchestrator fills namespaces in"
        try:
            scale = self.deployments.client.request(
                "deployment_scale",
                "read",
                scaler.target,
                scaler.namespace,
                what=f"read scale of {scaler.target}",
            )
        except NotFound:
            return
        replicas = as_object(scale, "read scale")["spec"].get("replicas", 1)
        self.hand_over(scaler.target, scaler.namespace, scaler.name, replicas)

    def hand_over(self, deployment: str, namespace: str, autoscaler: str, replicas: Any) -> Seen:
        """Applies, as the handover's field manager, the replica count as it is and the mark
        that says the deployment is handed to ``autoscaler``.

        The mark outlives the handover's claim on the count (which the HPA takes when it
        first scales): it is how later applies tell, from the deployment alone, that they
        must leave ``replicas`` out. Returns the deployment as seen after.
        """
        manifest = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": deployment,
                "namespace": namespace,
                "annotations": {AUTOSCALER_ANNOTATION: autoscaler},
            },
            "spec": {"replicas": replicas},
        }
        what = f"hand {deployment} to autoscaler/{autoscaler}"
        with self.deployments.writing(self.deployments.key(namespace, deployment)):
            answer = self.deployments.apply_manifest(
                manifest, namespace, what, manager=HANDOVER_MANAGER
            )
            return self.deployments.remember(namespace, as_object(answer.body, what))

    @reads_answers
    def give_back(self, autoscaler: str, namespace: str) -> None:
        """Takes the mark of ``autoscaler`` off the deployment it targets, before it goes.

        The next apply of the deployment sets ``replicas`` again; until then the count
        stays where the autoscaler left it (the handover still co-owns it if the HPA never
        scaled, so nothing resets it). The JSON patch tests the mark first: a deployment
        handed to another autoscaler since, or never handed, is left alone. Raises
        :class:`~orchsdk.NotFound` when there is no such autoscaler.
        """
        client = self.deployments.client
        what = f"hand back the replicas autoscaler/{autoscaler} owns in {namespace}"
        hpa = as_object(
            client.request("horizontal_pod_autoscaler", "read", autoscaler, namespace, what=what),
            what,
        )
        target = hpa["spec"]["scaleTargetRef"]
        if target.get("kind") != "Deployment":
            return
        pointer = "/metadata/annotations/" + AUTOSCALER_ANNOTATION.replace("/", "~1")
        patch = [
            {"op": "test", "path": pointer, "value": autoscaler},
            {"op": "remove", "path": pointer},
        ]
        try:
            with self.deployments.writing(self.deployments.key(namespace, target["name"])):
                answer = client.request(
                    "deployment",
                    "patch",
                    target["name"],
                    namespace,
                    patch,
                    field_manager=HANDOVER_MANAGER,
                    _content_type=JSON_PATCH,
                    what=what,
                )
        except (NotFound, ValidationError):  # no such deployment, or not handed to this one
            return
        log.info(
            "deployment/%s: replicas handed back from autoscaler/%s", target["name"], autoscaler
        )
        self.deployments.remember(namespace, as_object(answer, what))

    def follow(self, spec: Resource, answer: Mapping[str, Any], after: Seen, what: str) -> Seen:
        """Puts the replica count's owners right after an apply that took the deployment's
        autoscaling wrongly (another client handed it over or back since this backend last
        saw it); returns the deployment as seen after.

        Handed over: the apply set ``replicas``, taking them from the autoscaler for this
        once, so the handover co-owns them again at the count they have now, lest the next
        apply, which leaves them out, reset them to 1. Handed back: the apply left
        ``replicas`` out, so the manifest is sent again with them.
        """
        assert spec.namespace is not None, "the orchestrator fills namespaces in"
        log.info("%s: handed to an autoscaler or back meanwhile; following", what)
        if after.autoscaler is not None:
            replicas = (answer.get("spec") or {}).get("replicas", 1)
            return self.hand_over(spec.name, spec.namespace, after.autoscaler, replicas)
        resent = self.deployments.apply_manifest(
            self.deployments.render(spec), spec.namespace, what
        )
        return self.deployments.remember(spec.namespace, as_object(resent.body, what))


class AutoscalerHandler(Handler):
    """HorizontalPodAutoscalers: each apply hands the target's replicas over first, and a
    delete hands them back first."""

    def __init__(self, context: Context, handover: Handover) -> None:
        super().__init__(Autoscaler, "horizontal_pod_autoscaler", context)
        self.handover = handover

    @reads_answers
    def apply(self, spec: Resource) -> Action:
        """Hands the target's replica count over, then applies the autoscaler."""
        assert isinstance(spec, Autoscaler)
        self.handover.take(spec)
        return super().apply(spec)

    def delete(self, name: str, namespace: str) -> None:
        """Hands the target's replica count back, then deletes the autoscaler."""
        self.handover.give_back(name, namespace)
        super().delete(name, namespace)
