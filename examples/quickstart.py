"""The whole orchsdk lifecycle on Kubernetes and Marathon, side by side.

Keep a secret, deploy, expose, wait, scale, roll out a new image, roll it back, look at
the instances and endpoints, and delete it all: the same calls on both orchestrators::

    .venv/bin/python examples/quickstart.py

With no cluster configured it starts a local Kubernetes emulator and a local Marathon
emulator (with a DC/OS secret store) and takes a few seconds. With ``KUBECONFIG`` (and
``KUBE_CONTEXT``) or ``MARATHON_URL`` (and ``DCOS_ACS_TOKEN``, ``MARATHON_SECRET_STORE``)
set it uses those clusters, in the namespace ``ORCHSDK_NAMESPACE`` (default
``quickstart``). Everything it creates is deleted at the end, also when a step fails.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import clusters

from orchsdk import (
    Autoscaler,
    ConfigMap,
    Deployment,
    HealthCheck,
    NotFound,
    Orchestrator,
    OrchestratorError,
    Port,
    Resource,
    Resources,
    Rollout,
    Secret,
    SecretRef,
    Service,
)

NAMESPACE = os.environ.get("ORCHSDK_NAMESPACE", "quickstart")
TIMEOUT = 300.0  # seconds per wait: the emulators need far less, a real cluster may not
LABELS = {"app": "web"}


def web(orch: Orchestrator, image: str, replicas: int) -> Deployment:
    """The deployment of every step: only its image and replica count change.

    Its database password comes from the secret ``db`` where the backend keeps secrets
    (a Marathon without a DC/OS secret store does not).
    """
    env: dict[str, str | SecretRef] = {"LOG_LEVEL": "info"}
    if orch.capabilities.secrets:
        env["DB_PASSWORD"] = SecretRef("db", "password")
    return Deployment(
        "web",
        image=image,
        replicas=replicas,
        ports=[Port(80, name="http")],
        env=env,
        resources=Resources(cpu="100m", memory="64Mi"),
        health=HealthCheck(http_path="/", port="http", grace=5),
        rollout=Rollout(max_surge=1, max_unavailable=0),  # one extra instance, none missing
        labels=LABELS,
    )


def keep_a_secret(orch: Orchestrator) -> Iterator[str]:
    """A secret first: the deployment reads its database password from it."""
    if not orch.capabilities.secrets:
        yield f"no secret: {orch.capabilities.reason('secrets')}"
        return
    for result in orch.apply(Secret("db", data={"password": "s3cr3t-from-the-quickstart"})):
        yield str(result)
    secret = orch.get(Secret, "db")
    yield f"read back: keys {', '.join(secret.data)}, values revealed: {secret.revealed}"


def deploy(orch: Orchestrator) -> Iterator[str]:
    """Two replicas of nginx; ``wait=True`` returns once they are rolled out and ready."""
    for result in orch.apply(web(orch, "nginx:1.27", replicas=2), wait=True, timeout=TIMEOUT):
        yield str(result)
    status = orch.status("web")
    yield f"{status.phase.value}: {status.ready}/{status.desired} ready, revision {status.revision}"


def expose(orch: Orchestrator) -> Iterator[str]:
    """A service in front of every deployment labelled ``app: web``, port 80 to ``http``."""
    service = Service("web", selector=LABELS, ports=[Port(80, target_port="http")])
    for result in orch.apply(service):
        yield str(result)
    again = orch.apply(service)
    yield f"applied again: {', '.join(str(result) for result in again)} (apply converges)"


def scale(orch: Orchestrator) -> Iterator[str]:
    """Three replicas, and wait for them; a scale is not a new revision."""
    status = orch.scale("web", 3, wait=True, timeout=TIMEOUT)
    yield f"scaled: {status.ready}/{status.desired} ready, revision {status.revision}"


def rolling_update(orch: Orchestrator) -> Iterator[str]:
    """A new image: first what would change (``diff``), then the rollout itself."""
    before = orch.status("web").revision
    update = web(orch, "nginx:1.28", replicas=3)
    for diff in orch.diff(update):
        for change in diff.changes:
            yield f"diff: {change}"
    orch.apply(update, wait=True, timeout=TIMEOUT)
    status = orch.status("web")
    yield f"rolled out nginx:1.28: revision {before} -> {status.revision}, {status.ready} ready"


def roll_back(orch: Orchestrator) -> Iterator[str]:
    """Back to the revision before, as ``kubectl rollout undo`` does."""
    status = orch.rollback("web", wait=True, timeout=TIMEOUT)
    image = orch.get(Deployment, "web").image
    yield f"rolled back to {image}: revision {status.revision}, {status.ready}/{status.desired}"


def extras(orch: Orchestrator) -> Iterator[str]:
    """A config map and an autoscaler, where this backend has them (its capabilities say)."""
    caps = orch.capabilities
    if caps.config_maps:
        yield from map(str, orch.apply(ConfigMap("web-config", data={"LOG_LEVEL": "debug"})))
    else:
        yield f"no config map: {caps.reason('config_maps')}"
    if caps.autoscalers:
        scaler = Autoscaler("web", target="web", min_replicas=2, max_replicas=5, cpu_percent=70)
        yield from (f"{result} (2..5 replicas at 70% CPU)" for result in orch.apply(scaler))
    else:
        yield f"no autoscaler: {caps.reason('autoscalers')}"


def instances_and_endpoints(orch: Orchestrator) -> Iterator[str]:
    """Where the copies run (pods, tasks), and the addresses behind the service."""
    instances = orch.instances("web")
    ready = sum(instance.ready for instance in instances)
    revisions = ", ".join(str(r) for r in sorted({instance.revision for instance in instances}))
    hosts = ", ".join(instance.host for instance in instances)
    yield f"{len(instances)} instances, {ready} ready, at revision {revisions}: {hosts}"
    addresses = [endpoint.address for endpoint in orch.endpoints("web")]
    yield f"service web -> {', '.join(addresses) or 'no endpoints yet'}"


def delete_everything(orch: Orchestrator) -> Iterator[str]:
    """Delete in the reverse order of creation, then check that the deployment is gone."""
    for kind, name in CREATED:
        if orch.delete(kind, name, missing_ok=True):
            yield f"{kind.kind.lower()}/{name} deleted"
    try:
        orch.get(Deployment, "web")
    except NotFound:
        yield "deployment/web is gone"
    else:
        raise OrchestratorError("deployment/web is still there after its deletion")


CREATED: list[tuple[type[Resource], str]] = [
    (Autoscaler, "web"),
    (ConfigMap, "web-config"),
    (Service, "web"),
    (Deployment, "web"),
    (Secret, "db"),
]
"""Everything the quickstart may create, in the order to delete it."""

STEPS: list[tuple[str, clusters.Step]] = [
    ("1. Keep a secret", keep_a_secret),
    ("2. Deploy, and wait for the rollout", deploy),
    ("3. Expose it with a service", expose),
    ("4. Scale to 3 replicas", scale),
    ("5. Rolling update to nginx:1.28", rolling_update),
    ("6. Roll back", roll_back),
    ("7. Extras where supported: a config map and an autoscaler", extras),
    ("8. Instances and endpoints", instances_and_endpoints),
    ("9. Delete everything", delete_everything),
]


def quickstart() -> None:
    """Runs every step on Kubernetes and Marathon, side by side."""
    with clusters.both() as (kube, marathon):
        print(f"orchsdk quickstart in namespace {NAMESPACE!r}")
        print(f"  kubernetes: {kube.where}\n  marathon:   {marathon.where}")
        with kube.connect(NAMESPACE) as k8s, marathon.connect(NAMESPACE) as mar:
            orchestrators = [k8s, mar]
            for orch in orchestrators:
                caps = orch.capabilities
                off = [name for name in caps.names() if not caps.supports(name)]
                clusters.say(orch.backend.name, f"capabilities off: {', '.join(off) or 'none'}")
            clusters.run_steps(STEPS, delete_everything, orchestrators)
    print("\ndone: the same calls worked on both orchestrators")


def main() -> int:
    return clusters.run("quickstart", quickstart)


if __name__ == "__main__":
    sys.exit(main())
