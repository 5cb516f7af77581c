"""The specs the contract suite applies: small enough for every backend, rich enough to
round-trip every field."""

from __future__ import annotations

from typing import Any

import attrs

from orchsdk import (
    ConfigRef,
    Constraint,
    Deployment,
    FileMount,
    HealthCheck,
    Port,
    Resources,
    Rollout,
    SecretRef,
)

__all__ = ["rich_deployment", "web"]


def web(name: str = "web", **changes: Any) -> Deployment:
    """A small deployment that every backend can run."""
    spec = Deployment(
        name,
        image="nginx:1.27",
        replicas=2,
        ports=[Port(8080, name="http")],
        resources=Resources(cpu="100m", memory="64Mi"),
        labels={"app": name},
    )
    return attrs.evolve(spec, **changes)


def rich_deployment() -> Deployment:
    """A deployment that uses every field, for round trips."""
    return Deployment(
        "rich",
        image="registry.example.com/team/rich:2.1",
        replicas=2,
        args=["serve", "--port", "8080"],
        ports=[Port(8080, name="http"), Port(9090, name="metrics")],
        env={
            "MODE": "production",
            "DB_PASSWORD": SecretRef("rich-db", "password"),
            "LOG_LEVEL": ConfigRef("rich-config", "LOG_LEVEL"),
        },
        resources=Resources(cpu="250m", memory="256Mi", gpu=1),
        health=HealthCheck(http_path="/healthz", port="http", interval=15, timeout=3, grace=20),
        rollout=Rollout(max_surge=1, max_unavailable=0),
        placement=[Constraint("zone", "in", ["eu-1a", "eu-1b"]), Constraint("hostname", "unique")],
        files=[FileMount("/etc/rich/db-password", SecretRef("rich-db", "password"))],
        labels={"app": "rich", "tier": "backend"},
        annotations={"team": "platform"},
    )
