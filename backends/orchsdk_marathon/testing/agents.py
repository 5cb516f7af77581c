"""The emulated Mesos agents, their offers, and why an offer cannot take an app's task.

Like the envtest nodes, every agent has 4 CPUs and 16 GiB and a ``zone`` attribute
(``zone-a``, ``zone-b``, ...), and no GPUs. An offer is an agent's whole capacity: the
emulator does not subtract what running tasks use, so an app is placed unless no agent
could ever hold one of its tasks (or its constraints rule every agent out).

The reasons are Marathon's ``NoOfferMatchReason`` names, in the order of its offer
funnel (``rejectSummaryLastOffers`` lists them in that order; an offer declined at one
step is not processed by the next).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["FUNNEL", "Agent", "agents", "declined_because", "funnel_summary"]

Json = dict[str, Any]

FUNNEL = (
    "UnfulfilledRole",
    "UnfulfilledConstraint",
    "NoCorrespondingReservationFound",
    "AgentMaintenance",
    "InsufficientCpus",
    "InsufficientMemory",
    "InsufficientDisk",
    "InsufficientGpus",
    "InsufficientPorts",
    "DeclinedScarceResources",
)
"""Marathon's reasons for not using an offer, in the order its matcher checks them."""

_PORTS = (31000, 32000)


@dataclass(frozen=True)
class Agent:
    """One Mesos agent: ``agent-N.emulator``, id ``emulator-SN``, in ``zone``."""

    index: int
    zone: str
    cpus: float = 4.0
    mem: float = 16384.0
    disk: float = 1_000_000.0
    gpus: float = 0.0

    @property
    def host(self) -> str:
        return f"agent-{self.index}.emulator"

    @property
    def agent_id(self) -> str:
        return f"emulator-S{self.index}"

    def attribute(self, name: str) -> str | None:
        """The value of a constraint field on this agent (``None`` when it has none)."""
        return {"hostname": self.host, "zone": self.zone, "@zone": self.zone}.get(name)

    def offer(self, offer_id: str) -> Json:
        """The agent's capacity as a Marathon ``Offer`` (``raml/v2/types/offer.raml``)."""
        scalars = (("cpus", self.cpus), ("mem", self.mem), ("disk", self.disk))
        resources: list[Json] = [
            {"name": name, "role": "*", "scalar": value} for name, value in scalars
        ]
        resources.append(
            {"name": "ports", "role": "*", "ranges": [{"begin": _PORTS[0], "end": _PORTS[1]}]}
        )
        return {
            "id": offer_id,
            "agentId": self.agent_id,
            "hostname": self.host,
            "resources": resources,
            "attributes": [{"name": "zone", "text": self.zone}],
        }


def agents(count: int) -> list[Agent]:
    """``count`` agents (at least one), their zones alternating ``zone-a``, ``zone-b``."""
    return [Agent(index, f"zone-{'ab'[(index - 1) % 2]}") for index in range(1, max(count, 1) + 1)]


def declined_because(agent: Agent, app: Mapping[str, Any], used: Sequence[Agent]) -> list[str]:
    """Every reason the agent's offer cannot take a task of ``app`` (empty: it can).

    ``used`` are the agents the app's live tasks run on, one entry per task, for the
    ``UNIQUE`` and ``MAX_PER`` constraints.
    """
    reasons = []
    constraints = app.get("constraints") or []
    if not all(_fulfilled(agent, constraint, used) for constraint in constraints):
        reasons.append("UnfulfilledConstraint")
    for name, reason, have in (
        ("cpus", "InsufficientCpus", agent.cpus),
        ("mem", "InsufficientMemory", agent.mem),
        ("disk", "InsufficientDisk", agent.disk),
        ("gpus", "InsufficientGpus", agent.gpus),
    ):
        if float(app.get(name) or 0) > have:
            reasons.append(reason)
    return reasons


def _fulfilled(agent: Agent, constraint: Any, used: Sequence[Agent]) -> bool:
    """Whether the agent satisfies one ``[field, OPERATOR, value?]`` constraint."""
    if not isinstance(constraint, list) or len(constraint) < 2:
        return True
    field, operator = str(constraint[0]), str(constraint[1])
    value = str(constraint[2]) if len(constraint) > 2 else None
    mine = agent.attribute(field)
    others = [other.attribute(field) for other in used]
    if operator == "UNIQUE":
        return mine not in others
    if operator == "MAX_PER":
        return others.count(mine) < int(value or 0)
    if operator == "GROUP_BY":
        return True
    if operator == "UNLIKE":
        return mine is None or re.fullmatch(value or "", mine) is None
    if mine is None:
        return False
    if operator == "LIKE":
        return re.fullmatch(value or "", mine) is not None
    if operator == "CLUSTER" and value is None:
        return not others or mine == others[0]
    return mine == value  # IS, CLUSTER with a value


def funnel_summary(declined: Iterable[tuple[Sequence[str], int]]) -> list[Json]:
    """``DeclinedOfferStep`` entries for offers declined for these reasons (``(reasons,
    how many offers)``; no reasons: the offers were used): each offer counts at the first
    step that declined it, and is processed by every step up to that one."""
    firsts = [
        (min((FUNNEL.index(r) for r in reasons), default=len(FUNNEL)), count)
        for reasons, count in declined
    ]
    return [
        {
            "reason": reason,
            "declined": sum(count for first, count in firsts if first == step),
            "processed": sum(count for first, count in firsts if first >= step),
        }
        for step, reason in enumerate(FUNNEL)
    ]
