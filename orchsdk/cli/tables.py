"""The tables of ``orchsdk get``, ``instances``, ``endpoints`` and ``capabilities``.

One function per table: what its columns are and how each row reads, printed with
:func:`~orchsdk.cli.output.echo_table`. Secret tables show key names, never values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from orchsdk import (
    Autoscaler,
    Capabilities,
    ConfigMap,
    Deployment,
    Endpoint,
    Event,
    EventType,
    Instance,
    Orchestrator,
    Resource,
    Revision,
    Secret,
    Service,
)
from orchsdk.cli.output import echo_table, ports_text

__all__ = [
    "TABLES",
    "capabilities_table",
    "capability_flags",
    "endpoints_table",
    "events_table",
    "history_table",
    "instances_table",
    "latest_warning",
]


def deployment_table(orch: Orchestrator, items: list[Any], wide: bool) -> None:
    headers = ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "IMAGE"]
    if wide:
        headers += ["PORTS", "REVISION", "PHASE", "LABELS"]
    rows = []
    for item in items:
        status = orch.status(item.name, item.namespace)
        row = [item.name, f"{status.ready}/{status.desired}", status.updated, status.available]
        row.append(item.image)
        if wide:
            row += [ports_text(item.ports), status.revision, status.phase.value, item.labels]
        rows.append(row)
    echo_table(headers, rows)


def service_table(orch: Orchestrator, items: list[Any], wide: bool) -> None:
    headers = ["NAME", "EXPOSURE", "PORTS", "SELECTOR"] + (["HOSTNAME", "LABELS"] if wide else [])
    rows = [
        [item.name, item.exposure, ports_text(item.ports), item.selector]
        + ([item.hostname, item.labels] if wide else [])
        for item in items
    ]
    echo_table(headers, rows)


def data_table(orch: Orchestrator, items: list[Any], wide: bool) -> None:
    headers = ["NAME", "KEYS"] + (["KEY NAMES", "LABELS"] if wide else [])
    rows = [
        [item.name, len(item.data)] + ([sorted(item.data), item.labels] if wide else [])
        for item in items
    ]
    echo_table(headers, rows)


def autoscaler_table(orch: Orchestrator, items: list[Any], wide: bool) -> None:
    headers = ["NAME", "TARGET", "MIN", "MAX", "CPU%", "MEMORY%"] + (["LABELS"] if wide else [])
    rows = [
        [
            item.name,
            item.target,
            item.min_replicas,
            item.max_replicas,
            item.cpu_percent,
            item.memory_percent,
        ]
        + ([item.labels] if wide else [])
        for item in items
    ]
    echo_table(headers, rows)


TABLES: dict[type[Resource], Callable[[Orchestrator, list[Any], bool], None]] = {
    Deployment: deployment_table,
    Service: service_table,
    Secret: data_table,
    ConfigMap: data_table,
    Autoscaler: autoscaler_table,
}
"""The table ``orchsdk get KIND`` prints for each kind (``wide`` adds columns)."""


def instances_table(found: Sequence[Instance]) -> None:
    rows = [[i.id, i.host, i.ports, i.state, i.ready, i.revision] for i in found]
    echo_table(["ID", "HOST", "PORTS", "STATE", "READY", "REVISION"], rows)


def endpoints_table(found: Sequence[Endpoint]) -> None:
    rows = [[e.address, e.port_name, e.protocol, e.ready, e.instance] for e in found]
    echo_table(["ADDRESS", "PORT NAME", "PROTOCOL", "READY", "INSTANCE"], rows)


def events_table(found: Sequence[Event]) -> None:
    rows = [
        [
            e.time.isoformat(timespec="seconds") if e.time else "-",
            e.type.value,
            e.reason,
            e.object,
            e.count,
            e.message,
        ]
        for e in found
    ]
    echo_table(["TIME", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE"], rows)


def history_table(found: Sequence[Revision]) -> None:
    rows = [
        [
            f"{r.number}*" if r.current else r.number,
            r.created.isoformat(timespec="seconds") if r.created else "-",
            r.image,
            r.cause or "-",
        ]
        for r in found
    ]
    echo_table(["REVISION", "CREATED", "IMAGE", "CAUSE"], rows)


def latest_warning(found: Sequence[Event]) -> str | None:
    """The newest warning among events, as ``status`` shows it under the rollout."""
    warnings = [event for event in found if event.type is EventType.WARNING]
    return f"latest warning: {warnings[-1]}" if warnings else None


def capabilities_table(caps: Capabilities) -> None:
    rows = [
        [name, on, "-" if on else caps.reason(name)] for name, on in capability_flags(caps).items()
    ]
    echo_table(["CAPABILITY", "SUPPORTED", "REASON"], rows)


def capability_flags(caps: Capabilities) -> dict[str, bool]:
    """Every capability and whether it is on, in declaration order."""
    return {name: caps.supports(name) for name in caps.names()}
