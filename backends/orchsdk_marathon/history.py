"""Revisions from Marathon's stored versions, numbered as on every other backend.

Marathon keeps a version of an app for every change, scales included
(``GET /v2/apps/{id}/versions``, and each one's app at ``.../versions/{v}``). Pure
functions; the handler fetches, these decide:

- a *revision* is a config version: the versions sharing one ``lastConfigChangeAt``
  are one revision (the others are scales of it);
- revisions are numbered from 1, oldest first, one more for each config change or
  restart (a restart is a new config version of an unchanged definition);
- a definition that comes back after other ones (``PUT {"version": ...}``, or the same
  app written again) is a rollback: the latest earlier revision with that definition
  leaves the history, as a Kubernetes ReplicaSet reused by ``kubectl rollout undo``
  takes its new number, so the numbers are the same as on Kubernetes and memory;
- the number of a config version never changes, as long as Marathon keeps the versions
  before it (it drops the oldest past ``--max_versions``; the ones it kept are then
  numbered from 1).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from orchsdk import Revision, UnexpectedResponse
from orchsdk_marathon.status import parse_time

__all__ = ["Numbered", "VersionFacts", "facts_of", "number_versions"]

_NOT_CONFIG = frozenset(
    {
        "version",
        "versionInfo",
        "instances",
        "deployments",
        "tasks",
        "tasksStaged",
        "tasksRunning",
        "tasksHealthy",
        "tasksUnhealthy",
        "lastTaskFailure",
        "taskStats",
        "readinessCheckResults",
    }
)
"""Fields of a stored app that are not its configuration: a change of them alone (a
scale, the read-only counts) makes no revision."""


@attrs.frozen
class VersionFacts:
    """What numbering needs from one stored version: which config version it belongs
    to, a digest of its configuration and its image. A stored version never changes, so
    these are remembered for good."""

    config: str
    definition: str
    image: str


def facts_of(version: str, document: Any) -> VersionFacts:
    """The facts of ``GET /v2/apps/{id}/versions/{version}``'s app."""
    if not isinstance(document, Mapping):
        raise UnexpectedResponse(f"Marathon's app at version {version} is not a JSON object")
    info = document.get("versionInfo")
    config = info.get("lastConfigChangeAt") if isinstance(info, Mapping) else None
    configuration = {key: value for key, value in document.items() if key not in _NOT_CONFIG}
    text = json.dumps(configuration, sort_keys=True, separators=(",", ":"), default=str)
    container = document.get("container")
    docker = container.get("docker") if isinstance(container, Mapping) else None
    image = docker.get("image") if isinstance(docker, Mapping) else None
    return VersionFacts(
        config if isinstance(config, str) and config else version,
        hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
        image if isinstance(image, str) else "",
    )


@attrs.frozen
class Numbered:
    """An app's revisions: those still in its history (oldest first), the number of
    every config version seen (those that left the history too), and for each revision
    in the history the version a rollback to it puts back: its last one, the app as it
    was, instance count included, until the next change."""

    history: tuple[Revision, ...]
    numbers: Mapping[str, int]
    targets: Mapping[int, str]

    def number(self, config: str) -> int:
        """The revision of a config version; the newest one for a version not listed
        (Marathon lists every version it keeps, so only one it dropped)."""
        found = self.numbers.get(config)
        if found is not None:
            return found
        return max(self.numbers.values(), default=1)


def number_versions(
    versions: Sequence[str], facts: Mapping[str, VersionFacts], current: str
) -> Numbered:
    """Numbers the app's config versions (see the module); ``versions`` are all its
    stored versions, ``facts`` those versions' facts, ``current`` its config version."""
    first_of: dict[str, str] = {}
    last_of: dict[str, str] = {}
    for version in sorted(versions, key=parse_time):
        first_of.setdefault(facts[version].config, version)
        last_of[facts[version].config] = version
    configs = sorted(first_of, key=parse_time)
    numbers: dict[str, int] = {}
    kept: list[tuple[int, str, str, str]] = []
    """(number, definition digest, config version, cause) of the revisions still kept."""
    previous = ""
    for number, config in enumerate(configs, start=1):
        digest = facts[first_of[config]].definition
        if not kept:
            cause = "created"
        elif digest == previous:
            cause = "restart"
        else:
            earlier = [entry for entry in kept if entry[1] == digest]
            cause = "rollback" if earlier else "updated"
            if earlier:
                kept.remove(earlier[-1])
        kept.append((number, digest, config, cause))
        numbers[config] = number
        previous = digest
    now = numbers.get(current, len(configs))
    history = tuple(
        Revision(
            number,
            facts[first_of[config]].image,
            parse_time(config),
            number == now,
            cause,
        )
        for number, _, config, cause in kept
    )
    targets = {number: last_of[config] for number, _, config, _ in kept}
    return Numbered(history, numbers, targets)
