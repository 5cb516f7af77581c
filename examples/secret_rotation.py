"""Rotate a secret, and roll the deployments that use it, on Kubernetes and Marathon.

    .venv/bin/python examples/secret_rotation.py

A new secret value reaches running instances only when they restart. This script writes
the new value, finds the deployments that refer to the secret (by scanning every
deployment's env values and files for a ``SecretRef`` to it), restarts each one
(``Orchestrator.restart``: ``kubectl rollout restart`` on Kubernetes, Marathon's
``/restart``), waits, and checks that each got a new revision and runs it everywhere,
while a deployment that does not use the secret is left alone. Secret values are never
printed.

With no cluster configured it runs on local emulators of both; see ``clusters.py`` for
``KUBECONFIG`` and ``MARATHON_URL``. Namespace: ``ORCHSDK_NAMESPACE`` (default
``rotation``). Everything is deleted at the end.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator

import attrs
import clusters

from orchsdk import Deployment, Orchestrator, OrchestratorError, Port, Secret, SecretRef

NAMESPACE = os.environ.get("ORCHSDK_NAMESPACE", "rotation")
TIMEOUT = 300.0
SECRET = "db"


def uses_secret(deployment: Deployment, secret: str) -> list[str]:
    """Where a deployment refers to the secret: env names and file paths (empty: nowhere)."""
    found = [
        f"env {name}"
        for name, value in deployment.env.items()
        if isinstance(value, SecretRef) and value.secret == secret
    ]
    found += [
        f"file {mount.path}"
        for mount in deployment.files
        if isinstance(mount.source, SecretRef) and mount.source.secret == secret
    ]
    return found


def deploy(orch: Orchestrator) -> Iterator[str]:
    """The secret, two deployments that read it and one that does not."""
    secret = Secret(SECRET, data={"password": secrets.token_urlsafe(16), "user": "shop"})
    api = Deployment(
        "api",
        image="nginx:1.27",
        replicas=2,
        ports=[Port(80, name="http")],
        env={"DB_PASSWORD": SecretRef(SECRET, "password"), "DB_USER": SecretRef(SECRET, "user")},
    )
    worker = Deployment(
        "worker",
        image="busybox:1.36",
        command=["sleep", "infinity"],
        env={"DB_PASSWORD": SecretRef(SECRET, "password")},
    )
    web = Deployment("web", image="nginx:1.27", ports=[Port(80, name="http")])
    for result in orch.apply(secret, api, worker, web, wait=True, timeout=TIMEOUT):
        yield str(result)


def rotate(orch: Orchestrator) -> Iterator[str]:
    """A new password: the instances running now still have the old one."""
    current = orch.get(Secret, SECRET, reveal=True)
    new = attrs.evolve(current, data={**current.data, "password": secrets.token_urlsafe(16)})
    for result in orch.apply(new):
        yield f"{result} (values are never printed)"


def roll_the_users(orch: Orchestrator) -> Iterator[str]:
    """Find the deployments that use the secret, restart each one, and check its revision."""
    for deployment in orch.list(Deployment):
        where = uses_secret(deployment, SECRET)
        before = orch.status(deployment.name).revision
        if not where:
            yield f"{deployment.name}: does not use secret {SECRET}, left alone (rev {before})"
            continue
        after = orch.restart(deployment.name, wait=True, timeout=TIMEOUT).revision
        instances = orch.instances(deployment.name)
        current = sum(instance.revision == after for instance in instances)
        yield (
            f"{deployment.name} ({', '.join(where)}): restarted, "
            f"revision {before} -> {after}, {current}/{len(instances)} instances on it"
        )
        if after <= before or current != len(instances):
            raise OrchestratorError(f"{deployment.name} did not roll out a new revision")


def clean_up(orch: Orchestrator) -> Iterator[str]:
    """Delete the deployments and the secret."""
    for name in ("api", "worker", "web"):
        if orch.delete(Deployment, name, missing_ok=True):
            yield f"deployment/{name} deleted"
    if orch.delete(Secret, SECRET, missing_ok=True):
        yield f"secret/{SECRET} deleted"


def rotation() -> None:
    """Runs the rotation on Kubernetes and Marathon, side by side."""
    steps: list[tuple[str, clusters.Step]] = [
        ("1. Deployments, two of them reading the secret", deploy),
        ("2. Rotate the secret", rotate),
        ("3. Roll the deployments that use it, and check", roll_the_users),
    ]
    with clusters.both() as (kube, marathon):
        print(f"orchsdk secret rotation in namespace {NAMESPACE!r}")
        print(f"  kubernetes: {kube.where}\n  marathon:   {marathon.where}")
        with kube.connect(NAMESPACE) as k8s, marathon.connect(NAMESPACE) as mar:
            clusters.run_steps(steps, clean_up, [k8s, mar])
            clusters.side_by_side("4. Clean up", clean_up, [k8s, mar])
    print("\ndone: the secret is rotated and every deployment using it runs a new revision")


def main() -> int:
    return clusters.run("secret rotation", rotation)


if __name__ == "__main__":
    sys.exit(main())
