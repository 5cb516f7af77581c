"""Move a running Marathon group to Kubernetes: read it as specs, say what does not carry over,
apply the same specs on Kubernetes, and check that a second pass changes nothing.

    .venv/bin/python examples/migrate_marathon_to_kubernetes.py
    .venv/bin/python examples/migrate_marathon_to_kubernetes.py --group shop --dry-run

The Marathon group ``/<group>`` becomes the Kubernetes namespace ``<group>``. The specs
are read with the same calls on any backend (``list(Deployment)``, ``list(Service)``,
``list(Secret, reveal=True)``) and applied unchanged: what the Marathon parser could not
say in the unified spec it keeps in each spec's ``native["marathon"]`` patch, which
applies on Marathon only. This script lists those patches per app, and checks every
spec against the Kubernetes backend's capabilities, before it applies anything.

With no ``MARATHON_URL`` it starts a local Marathon emulator and first seeds it with a
small estate the way Marathon users write one: raw app JSON posted to the REST API
(``cmd``, constraints, health checks, a secret from the DC/OS secret store), plus one
app and its service applied with orchsdk. With no ``KUBECONFIG`` it migrates to a local
Kubernetes emulator. On real clusters nothing is deleted: migrating is the point
(``--dry-run`` only reports and shows the diff).
"""

from __future__ import annotations

import argparse
import json
import secrets
import shlex
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import clusters
import requests

from orchsdk import (
    Action,
    Deployment,
    HealthCheck,
    Orchestrator,
    OrchestratorError,
    Port,
    Resource,
    Secret,
    Service,
    UnsupportedFeatureWarning,
)

TIMEOUT = 300.0
WOULD = {
    Action.CREATED: "would be created",
    Action.UPDATED: "would be updated",
    Action.UNCHANGED: "up to date",
}

# -- the estate on Marathon, as its users wrote it (seeded on the emulator only) ------------


def api_app(group: str) -> dict[str, Any]:
    """An HTTP API: ``cmd``, a health check, a secret in env, constraints orchsdk cannot say."""
    return {
        "id": f"/{group}/api",
        "cmd": "python3 -m http.server 8080",
        "instances": 2,
        "cpus": 0.25,
        "mem": 256,
        "container": {
            "type": "DOCKER",
            "docker": {"image": "python:3.12-slim"},
            "portMappings": [{"containerPort": 8080, "hostPort": 0, "name": "http"}],
        },
        "networks": [{"mode": "container/bridge"}],
        "env": {"DB_HOST": "db.shop.internal", "DB_PASSWORD": {"secret": "dbpass"}},
        "secrets": {"dbpass": {"source": f"{group}/db/password"}},
        "labels": {"app": "api", "team": "shop"},
        "healthChecks": [
            {
                "protocol": "MESOS_HTTP",
                "path": "/",
                "portIndex": 0,
                "gracePeriodSeconds": 30,
                "intervalSeconds": 10,
                "timeoutSeconds": 5,
                "maxConsecutiveFailures": 3,
            }
        ],
        # GROUP_BY has no unified equivalent: the parser keeps both constraints in native.
        "constraints": [["hostname", "UNIQUE"], ["rack_id", "GROUP_BY", "2"]],
        "upgradeStrategy": {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0.5},
    }


def worker_app(group: str) -> dict[str, Any]:
    """A queue worker: no ports, a command health check, constraints orchsdk can say.

    Not in these apps, on purpose: fields the parser drops without a word (``fetch``,
    ``user``, host networking's ``portDefinitions``, port-mapping labels such as
    ``VIP_0``); see tests/examples/test_found_bugs.py.
    """
    return {
        "id": f"/{group}/worker",
        "cmd": "python3 worker.py --queue orders",
        "instances": 2,
        "cpus": 0.5,
        "mem": 512,
        "container": {
            "type": "DOCKER",
            "docker": {"image": "python:3.12-slim"},
            # Explicitly no ports: left out, Marathon adds a mapping with containerPort 0,
            # which the parser reads as an invalid Port(0) (tests/examples/test_found_bugs.py).
            "portMappings": [],
        },
        "networks": [{"mode": "container/bridge"}],
        "env": {"QUEUE_URL": "amqp://rabbitmq.shop.internal:5672"},
        "labels": {"app": "worker", "team": "shop"},
        "healthChecks": [
            {
                "protocol": "COMMAND",
                "command": {"value": "pgrep -f worker.py"},
                "gracePeriodSeconds": 60,
                "intervalSeconds": 30,
                "timeoutSeconds": 10,
                "maxConsecutiveFailures": 3,
            }
        ],
        "constraints": [["hostname", "UNIQUE"], ["zone", "LIKE", "zone-a|zone-b"]],
    }


WEB = Deployment(
    "web",
    image="nginx:1.27",
    replicas=2,
    ports=[Port(80, name="http")],
    health=HealthCheck(http_path="/", port="http"),
    labels={"app": "web", "team": "shop"},
)
WEB_SERVICE = Service(
    "web",
    selector={"app": "web"},
    ports=[Port(80, target_port="http")],
    exposure="external",
    hostname="shop.example.com",
)


def seed_marathon(cluster: clusters.Cluster, marathon: Orchestrator) -> None:
    """A small estate in the group, written the way Marathon users write it."""
    assert cluster.marathon_api is not None, "seeded on the emulator only"
    assert cluster.secret_store_api is not None, "the emulator has a secret store"
    group = marathon.namespace
    http = requests.Session()
    path = f"{cluster.secret_store_api}/secret/default/{group}/db/password"
    http.put(path, json={"value": secrets.token_urlsafe(16)}, timeout=10).raise_for_status()
    clusters.say("marathon", f"secret {group}/db/password: PUT to the DC/OS secret store API")
    for app in (api_app(group), worker_app(group)):
        http.post(f"{cluster.marathon_api}/v2/apps", json=app, timeout=10).raise_for_status()
        clusters.say("marathon", f"app {app['id']}: raw app JSON POSTed to /v2/apps")
    wait_for_marathon_deployments(http, cluster.marathon_api)
    clusters.say("marathon", "their deployments finished (polled /v2/deployments)")
    for result in marathon.apply(WEB, WEB_SERVICE, wait=True, timeout=TIMEOUT):
        clusters.say("marathon", f"{result} with orchsdk")


def wait_for_marathon_deployments(http: requests.Session, api: str, timeout: float = 60) -> None:
    """Polls ``GET /v2/deployments`` until Marathon runs none, as its users' scripts do."""
    deadline = time.monotonic() + timeout
    while http.get(f"{api}/v2/deployments", timeout=10).json():
        if time.monotonic() > deadline:
            raise TimeoutError(f"Marathon deployments still running after {timeout:g}s")
        time.sleep(0.05)


# -- the migration ------------------------------------------------------------------------


def read_group(marathon: Orchestrator) -> list[Resource]:
    """Every spec of the group: secrets (values revealed, to copy them), deployments, services."""
    found: list[Resource] = [
        *marathon.list(Secret, reveal=True),
        *marathon.list(Deployment),
        *marathon.list(Service),
    ]
    if not any(isinstance(spec, Deployment) for spec in found):
        raise OrchestratorError(f"Marathon has no apps in the group /{marathon.namespace}")
    for spec in found:
        clusters.say("marathon", describe(spec))
    return found


def describe(spec: Resource) -> str:
    """One line about a spec (a secret's values never appear)."""
    if isinstance(spec, Deployment):
        command = f", command {shlex.join(spec.command)}" if spec.command else ""
        placement = "; ".join(
            f"{c.key} {c.operator} {'|'.join(c.values)}".rstrip() for c in spec.placement
        )
        where = f", placement {placement}" if placement else ""
        return f"deployment/{spec.name}: {spec.image} x{spec.replicas}{command}{where}"
    if isinstance(spec, Service):
        ports = ", ".join(f"{port.port}->{port.target_port or port.port}" for port in spec.ports)
        host = f", hostname {spec.hostname}" if spec.hostname else ""
        return f"service/{spec.name}: {spec.exposure}, ports {ports}{host}"
    if isinstance(spec, Secret):
        return f"secret/{spec.name}: keys {', '.join(spec.data)} (values are never printed)"
    return f"{spec.kind.lower()}/{spec.name}"


def report_what_does_not_carry_over(
    specs: Sequence[Resource], marathon: Orchestrator, kubernetes: Orchestrator
) -> None:
    """The Marathon-only patches per app, then every spec against Kubernetes' capabilities."""
    for spec in specs:
        for field, value in spec.native.get("marathon", {}).items():
            clusters.say(
                "marathon",
                f"{spec.kind.lower()}/{spec.name}: Marathon-only, not applied on Kubernetes: "
                f"{field} {compact(value)}",
            )
    gaps = [gap for spec in specs for gap in kubernetes_gaps(kubernetes, spec)]
    for gap in gaps:
        clusters.say("kubernetes", gap)
    if not gaps:
        clusters.say("kubernetes", "every other field of every spec is supported here")
    gained = [
        name
        for name in kubernetes.capabilities.names()
        if kubernetes.capabilities.supports(name) and not marathon.capabilities.supports(name)
    ]
    clusters.say("kubernetes", f"capabilities Marathon lacked: {', '.join(gained) or 'none'}")


def kubernetes_gaps(kubernetes: Orchestrator, spec: Resource) -> list[str]:
    """What Kubernetes could not carry out of a spec, by its capabilities; nothing is sent.

    A lenient orchestrator on the same backend renders the spec and warns about each
    field it would leave out (a strict one stops at the first).
    """
    lenient = Orchestrator(kubernetes.backend, namespace=kubernetes.namespace, lenient=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnsupportedFeatureWarning)
        lenient.render(spec)
    return [str(item.message) for item in caught if item.category is UnsupportedFeatureWarning]


def apply_on_kubernetes(kubernetes: Orchestrator, specs: Sequence[Resource]) -> None:
    """The same specs, unchanged, in dependency order; waits for the deployments."""
    for result in kubernetes.apply(*specs, wait=True, timeout=TIMEOUT):
        clusters.say("kubernetes", str(result))


def second_pass(kubernetes: Orchestrator, specs: Sequence[Resource]) -> None:
    """A second pass must change nothing: the diff is empty, and the specs read back the same."""
    diffs = kubernetes.diff(*specs)
    changed = [diff for diff in diffs if diff.action is not Action.UNCHANGED]
    for diff in changed:
        clusters.say("kubernetes", str(diff).replace("\n", "; "))
    clusters.say("kubernetes", f"diff of {len(diffs)} resources: {len(changed)} would change")
    different = []
    for spec in specs:
        if isinstance(spec, (Deployment, Service)):  # a secret reads back redacted
            if kubernetes.get(type(spec), spec.name) == attrs.evolve(spec, native={}):
                clusters.say("kubernetes", f"{spec.kind.lower()}/{spec.name} reads back the same")
            else:
                different.append(f"{spec.kind.lower()}/{spec.name}")
    if changed or different:
        raise OrchestratorError(
            f"the second pass is not clean: {len(changed)} would change, "
            f"{', '.join(different) or 'none'} read back different"
        )


def migrate(group: str, dry_run: bool) -> None:
    """Reads the Marathon group, reports, applies on Kubernetes and checks a second pass."""
    with clusters.marathon() as source, clusters.kubernetes() as target:
        print(f"orchsdk: migrate the Marathon group /{group} to the Kubernetes namespace {group}")
        print(f"  marathon:   {source.where}\n  kubernetes: {target.where}")
        with source.connect(group) as marathon, target.connect(group) as kubernetes:
            if source.emulated:
                clusters.title("1. Seed Marathon the way its users do")
                seed_marathon(source, marathon)
            clusters.title("2. Read the group as specs")
            specs = read_group(marathon)
            clusters.title("3. What does not carry over")
            report_what_does_not_carry_over(specs, marathon, kubernetes)
            if dry_run:
                clusters.title("4. Dry run: what applying would do on Kubernetes")
                for diff in kubernetes.diff(*specs):
                    would = WOULD[diff.action]
                    clusters.say("kubernetes", f"{diff.kind.lower()}/{diff.name}: {would}")
                return
            clusters.title("4. Apply the same specs on Kubernetes, and wait")
            apply_on_kubernetes(kubernetes, specs)
            clusters.title("5. Second pass")
            second_pass(kubernetes, specs)
    print("\ndone: the group runs on Kubernetes, and a second pass changes nothing")


def compact(value: Any) -> str:
    """A spec value (frozen maps and tuples) as short JSON, for one line of output."""
    return json.dumps(_plain(value), separators=(",", ":"))


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Move a Marathon group to Kubernetes.")
    parser.add_argument("--group", default="shop", help="the Marathon group (default: shop)")
    parser.add_argument("--dry-run", action="store_true", help="report and diff; apply nothing")
    args = parser.parse_args(argv)
    return clusters.run("migration", lambda: migrate(args.group, args.dry_run))


if __name__ == "__main__":
    sys.exit(main())
