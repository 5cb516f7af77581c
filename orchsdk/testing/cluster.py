"""The cluster every simulated orchestrator models, and the specs that fail on it.

The memory backend and the emulators fail instances on the same triggers as the envtest
kubelet, and as a real cluster would: an image whose registry host ends in ``.invalid``
cannot be pulled; the command ``false`` exits at once, every time; two nodes of 4 CPUs
and 16 GiB in zones ``zone-a`` and ``zone-b`` hold no bigger instance and satisfy no
other placement. Each simulator words the failure as its orchestrator does; these
functions only decide whether it happens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from orchsdk.quantity import parse_quantity
from orchsdk.values import Constraint

__all__ = ["NODES", "Node", "exits_at_once", "nodes_for", "shortfall", "unpullable"]

FAILING_COMMANDS = (("false",), ("/bin/false",), ("sh", "-c", "exit 1"))
"""Commands that exit with status 1 as soon as they start."""


@attrs.frozen
class Node:
    """One node (a Kubernetes node, a Mesos agent): its name, labels and capacity."""

    name: str
    labels: Mapping[str, str]
    cpu: float
    memory: int


NODES = tuple(
    Node(f"node-{index}", {"hostname": f"node-{index}", "zone": zone}, 4.0, 16 * 2**30)
    for index, zone in enumerate(("zone-a", "zone-b"))
)
"""The simulated nodes: as envtest's, two of 4 CPUs and 16 GiB, one per zone."""


def unpullable(image: str) -> bool:
    """Whether ``image`` names a registry in the ``.invalid`` top-level domain."""
    first, _, rest = image.partition("/")
    if not rest:
        return False
    return first.split(":")[0].endswith(".invalid")


def exits_at_once(command: Sequence[str], args: Sequence[str] = ()) -> bool:
    """Whether the command (or, without one, the arguments) is one that exits 1 at once."""
    return tuple(command or args) in FAILING_COMMANDS


def shortfall(cpu: str | None, memory: str | None) -> list[str]:
    """The resources (``cpu``, ``memory``) of which one instance wants more than a node has."""
    short = []
    if cpu is not None and parse_quantity(cpu) > max(node.cpu for node in NODES):
        short.append("cpu")
    if memory is not None and parse_quantity(memory) > max(node.memory for node in NODES):
        short.append("memory")
    return short


def nodes_for(placement: Sequence[Constraint]) -> list[Node]:
    """The nodes whose labels satisfy every ``in``, ``not_in`` and ``exists`` constraint."""
    return [node for node in NODES if all(_holds(rule, node) for rule in placement)]


def _holds(rule: Constraint, node: Node) -> bool:
    value = node.labels.get(rule.key)
    if rule.operator == "in":
        return value in rule.values
    if rule.operator == "not_in":
        return value not in rule.values
    if rule.operator == "exists":
        return value is not None
    return True
