"""A canary release on Kubernetes and Marathon: a new build next to the stable one, behind one
service, promoted or rolled back by a health gate.

    .venv/bin/python examples/canary.py         # the canary is healthy: promoted
    .venv/bin/python examples/canary.py --bad   # the canary fails the gate: rolled back

The stable deployment ``web`` and the canary ``web-canary`` both carry the service's
selector label ``app: web``, so the service sends traffic to both; the canary also
carries ``track: canary``. The gate checks that the canary rolled out, that every
canary instance is ready, and that its error rate is low enough (simulated here,
deterministically: plug in your metrics system). Promoting gives the stable deployment
the canary's image and deletes the canary; rolling back just deletes the canary.

With no cluster configured it runs on local emulators of both; see ``clusters.py`` for
``KUBECONFIG`` and ``MARATHON_URL``. Namespace: ``ORCHSDK_NAMESPACE`` (default
``canary``). Everything is deleted at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from functools import partial

import clusters

from orchsdk import (
    Deployment,
    HealthCheck,
    Instance,
    Orchestrator,
    OrchestratorError,
    Port,
    RolloutFailed,
    Service,
    WaitTimeout,
)

NAMESPACE = os.environ.get("ORCHSDK_NAMESPACE", "canary")
TIMEOUT = 300.0
STABLE_IMAGE = "nginx:1.27"
CANARY_IMAGE = "nginx:1.28"
MAX_ERROR_RATE = 0.01  # the gate: at most 1% of the canary's requests may fail
SELECTOR = {"app": "web"}


def web(name: str, image: str, replicas: int, track: str) -> Deployment:
    """The stable deployment or the canary: the same app, told apart by ``track``."""
    return Deployment(
        name,
        image=image,
        replicas=replicas,
        ports=[Port(80, name="http")],
        health=HealthCheck(http_path="/", port="http", grace=5),
        labels={**SELECTOR, "track": track},
    )


def error_rate(instances: list[Instance], *, broken: bool) -> float:
    """The canary's share of failed requests, as a metrics system would report it.

    Simulated, deterministically: each instance served 1000 requests, of which 2 failed
    (85 with ``--bad``). Replace this with a query to Prometheus, Datadog, ...
    """
    served = 1000 * len(instances)
    failed = (85 if broken else 2) * len(instances)
    return failed / served if served else 1.0


def deploy_stable(orch: Orchestrator) -> Iterator[str]:
    """Three replicas of the stable build, and the service in front of ``app: web``."""
    service = Service("web", selector=SELECTOR, ports=[Port(80, target_port="http")])
    stable = web("web", STABLE_IMAGE, replicas=3, track="stable")
    for result in orch.apply(stable, service, wait=True, timeout=TIMEOUT):
        yield str(result)
    yield f"service web -> {all_stable(orch)} endpoints, all stable ({STABLE_IMAGE})"


def all_stable(orch: Orchestrator) -> int:
    """How many endpoints the service has, after checking that each one is a ready
    instance of the stable deployment and that there is one per replica."""
    stable = {instance.id for instance in orch.instances("web") if instance.ready}
    endpoints = orch.endpoints("web")
    others = sorted(str(e.instance) for e in endpoints if e.instance not in stable)
    replicas = orch.status("web").desired
    if others or len(endpoints) != replicas:
        raise OrchestratorError(
            f"service web has {len(endpoints)} endpoints for {replicas} stable replicas"
            + (f"; not stable: {', '.join(others)}" if others else "")
        )
    return len(endpoints)


def deploy_canary(orch: Orchestrator) -> Iterator[str]:
    """One replica of the new build, with the service's labels: it joins the service."""
    canary = web("web-canary", CANARY_IMAGE, replicas=1, track="canary")
    try:
        for result in orch.apply(canary, wait=True, timeout=TIMEOUT):
            yield str(result)
    except (RolloutFailed, WaitTimeout) as error:  # the gate will see it is not ready
        yield f"the canary did not roll out: {error}"
    canary_ids = {instance.id for instance in orch.instances("web-canary")}
    endpoints = orch.endpoints("web")
    canaries = sum(endpoint.instance in canary_ids for endpoint in endpoints)
    stable = len(endpoints) - canaries
    yield f"service web -> {len(endpoints)} endpoints: {stable} stable, {canaries} canary"


def health_gate(orch: Orchestrator, *, broken: bool, passed: dict[str, bool]) -> Iterator[str]:
    """Is the canary good? Rolled out, every instance ready, and few enough errors."""
    status = orch.status("web-canary")
    instances = orch.instances("web-canary")
    ready = sum(instance.ready for instance in instances)
    rate = error_rate(instances, broken=broken)
    checks = {
        f"rollout {status.phase.value}, {status.ready}/{status.desired} ready": status.done,
        f"{ready}/{len(instances)} canary instances ready": bool(instances)
        and ready == len(instances),
        f"error rate {rate:.1%} (at most {MAX_ERROR_RATE:.0%})": rate <= MAX_ERROR_RATE,
    }
    for check, ok in checks.items():
        yield f"{'ok  ' if ok else 'FAIL'} {check}"
    passed[orch.backend.name] = all(checks.values())
    yield "gate passed: promote" if passed[orch.backend.name] else "gate failed: roll back"


def promote_or_roll_back(orch: Orchestrator, *, passed: dict[str, bool]) -> Iterator[str]:
    """Promote: the stable deployment takes the canary's image. Either way the canary goes."""
    if passed[orch.backend.name]:
        image = orch.get(Deployment, "web-canary").image
        before = orch.status("web").revision
        orch.apply(web("web", image, replicas=3, track="stable"), wait=True, timeout=TIMEOUT)
        after = orch.status("web").revision
        yield f"promoted: web now runs {image} (revision {before} -> {after})"
    orch.delete(Deployment, "web-canary", wait=True, timeout=TIMEOUT)
    yield "canary deleted"
    image = orch.get(Deployment, "web").image
    yield f"service web -> {all_stable(orch)} endpoints, all stable ({image})"


def clean_up(orch: Orchestrator) -> Iterator[str]:
    """Delete the service and both deployments (whichever still exist)."""
    for kind, name in ((Service, "web"), (Deployment, "web-canary"), (Deployment, "web")):
        if orch.delete(kind, name, missing_ok=True, wait=True, timeout=TIMEOUT):
            yield f"{kind.kind.lower()}/{name} deleted"


def canary(broken: bool) -> None:
    """Runs the canary release on Kubernetes and Marathon, side by side."""
    passed: dict[str, bool] = {}
    steps: list[tuple[str, clusters.Step]] = [
        ("1. Stable deployment behind a service", deploy_stable),
        ("2. Canary next to it, behind the same service", deploy_canary),
        ("3. Health gate", partial(health_gate, broken=broken, passed=passed)),
        ("4. Promote or roll back", partial(promote_or_roll_back, passed=passed)),
    ]
    with clusters.both() as (kube, marathon):
        build = f"{CANARY_IMAGE}{' (simulated: a bad build)' if broken else ''}"
        print(f"orchsdk canary of {build} in namespace {NAMESPACE!r}")
        print(f"  kubernetes: {kube.where}\n  marathon:   {marathon.where}")
        with kube.connect(NAMESPACE) as k8s, marathon.connect(NAMESPACE) as mar:
            clusters.run_steps(steps, clean_up, [k8s, mar])
            clusters.side_by_side("5. Clean up", clean_up, [k8s, mar])
    verdicts = [f"{name} {'promoted' if ok else 'rolled back'}" for name, ok in passed.items()]
    print(f"\ndone: {', '.join(sorted(verdicts))}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A canary release on Kubernetes and Marathon.")
    parser.add_argument("--bad", action="store_true", help="simulate a canary that fails the gate")
    args = parser.parse_args(argv)
    return clusters.run("canary", lambda: canary(broken=args.bad))


if __name__ == "__main__":
    sys.exit(main())
