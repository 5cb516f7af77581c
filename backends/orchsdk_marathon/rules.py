"""Marathon's own rules on a deployment, beyond the core's: what Marathon would refuse (422).

Pure and cheap; :meth:`MarathonBackend.validate <orchsdk_marathon.MarathonBackend.validate>`
reports them for every resource of a call before its first request, and a read leaves
out of a spec what breaks them (:mod:`orchsdk_marathon.parse`).
"""

from __future__ import annotations

from orchsdk import Deployment, FieldError
from orchsdk.quantity import cpu_cores
from orchsdk_marathon.render import marathon_constraint

__all__ = ["MIN_CPUS", "RESERVED_NAMES", "rule_errors"]

MIN_CPUS = 0.001
"""Marathon rejects less (``cpus`` minimum in ``app.raml``)."""
RESERVED_NAMES = ("restart", "tasks", "versions")
"""The last segment of an app id may not be one of these (they are app sub-resources)."""


def rule_errors(spec: Deployment) -> list[FieldError]:
    """What the core's validation lets through but Marathon would reject (HTTP 422)."""
    errors = []
    if spec.name in RESERVED_NAMES:
        reserved = ", ".join(RESERVED_NAMES)
        errors.append(FieldError("name", f"{spec.name!r} is reserved by Marathon ({reserved})"))
    cpu = spec.resources.cpu
    if cpu is not None and cpu_cores(cpu) < MIN_CPUS:
        message = f"Marathon needs at least 1m (0.001 CPUs), got {cpu!r}"
        errors.append(FieldError("resources.cpu", message))
    seen: dict[tuple[str, ...], int] = {}
    for index, constraint in enumerate(spec.placement):
        rendered = tuple(marathon_constraint(constraint))
        if rendered in seen:
            errors.append(
                FieldError(
                    f"placement[{index}]",
                    f"is the same Marathon constraint as placement[{seen[rendered]}]; "
                    "Marathon needs every constraint once",
                )
            )
        seen.setdefault(rendered, index)
    return errors
