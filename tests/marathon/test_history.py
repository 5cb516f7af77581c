"""Marathon's revisions numbered from its stored versions, as every backend numbers them.

The property test plays the same random changes on the memory backend (the reference:
numbering by template, as Kubernetes does with ReplicaSets) and as the versions Marathon
would store, and requires the same history from both. Restarts are left out of it:
Marathon keeps no mark of a restart in the definition, so a definition from before a
restart that comes back after it is numbered differently (docs/backends/marathon.md).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from orchsdk_marathon.history import facts_of, number_versions

from orchsdk import Deployment, Orchestrator, UnexpectedResponse, connect

Json = dict[str, Any]


def _at(tick: int) -> str:
    return f"2024-01-01T{tick // 3600:02d}:{tick // 60 % 60:02d}:{tick % 60:02d}.000Z"


def _app(image: str, instances: int, version: str, config: str) -> Json:
    return {
        "id": "/shop/web",
        "instances": instances,
        "container": {"type": "DOCKER", "docker": {"image": image}},
        "version": version,
        "versionInfo": {"lastScalingAt": version, "lastConfigChangeAt": config},
    }


class StoredVersions:
    """The versions Marathon stores for one app as it is changed (one per write that
    changes something; a scale keeps the config version)."""

    def __init__(self, image: str) -> None:
        self.documents: dict[str, Json] = {}
        self._store(image, 1, config_change=True)

    @property
    def current(self) -> Json:
        return self.documents[max(self.documents)]

    def numbered(self) -> Any:
        facts = {version: facts_of(version, doc) for version, doc in self.documents.items()}
        config = self.current["versionInfo"]["lastConfigChangeAt"]
        return number_versions(list(self.documents), facts, config)

    def update(self, image: str) -> None:
        if image != self.current["container"]["docker"]["image"]:
            self._store(image, self.current["instances"], config_change=True)

    def scale(self, instances: int) -> None:
        if instances != self.current["instances"]:
            self._store(self.current["container"]["docker"]["image"], instances)

    def restart(self) -> None:
        self._store(self.current["container"]["docker"]["image"], self.current["instances"], True)

    def rollback(self, revision: int) -> None:
        target = self.documents[self.numbered().targets[revision]]
        self._store(target["container"]["docker"]["image"], target["instances"], True)

    def _store(self, image: str, instances: int, config_change: bool = False) -> None:
        version = _at(len(self.documents))
        config = version if config_change else self.current["versionInfo"]["lastConfigChangeAt"]
        self.documents[version] = _app(image, instances, version, config)


IMAGES = st.sampled_from(["nginx:1.25", "nginx:1.26", "nginx:1.27"])
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("update"), IMAGES),
        st.tuples(st.just("scale"), st.integers(1, 3)),
        st.tuples(st.just("rollback"), st.integers(0, 5)),
    ),
    max_size=12,
)


def _play(steps: list[tuple[str, Any]], orch: Orchestrator, marathon: StoredVersions) -> None:
    for verb, value in steps:
        if verb == "update":
            orch.apply(Deployment("web", image=value, replicas=orch.status("web").desired))
            marathon.update(value)
        elif verb == "scale":
            orch.scale("web", value)
            marathon.scale(value)
        else:
            kept = [revision.number for revision in orch.history("web")]
            older = [number for number in kept if number != orch.status("web").revision]
            if not older:
                continue
            target = older[value % len(older)]
            orch.rollback("web", to_revision=target)
            marathon.rollback(target)


@settings(max_examples=60, deadline=None)
@given(steps=STEPS)
def test_marathon_numbers_revisions_as_the_memory_backend_does(
    steps: list[tuple[str, Any]],
) -> None:
    orch = connect("memory://")
    orch.apply(Deployment("web", image="nginx:1.25", replicas=1))
    marathon = StoredVersions("nginx:1.25")

    _play(steps, orch, marathon)

    expected = [(r.number, r.image, r.cause, r.current) for r in orch.history("web")]
    history = marathon.numbered().history
    assert [(r.number, r.image, r.cause, r.current) for r in history] == expected


def test_a_scale_is_no_revision_and_a_rollback_puts_back_the_last_version_of_its_target() -> None:
    marathon = StoredVersions("nginx:1.25")
    marathon.scale(3)
    marathon.update("nginx:1.26")

    numbered = marathon.numbered()

    assert [revision.number for revision in numbered.history] == [1, 2]
    assert numbered.targets[1] == _at(1)
    assert marathon.documents[_at(1)]["instances"] == 3


def test_a_restart_is_a_revision_of_the_same_definition() -> None:
    marathon = StoredVersions("nginx:1.25")
    marathon.restart()
    marathon.scale(2)

    history = marathon.numbered().history

    assert [(r.number, r.image, r.cause, r.current) for r in history] == [
        (1, "nginx:1.25", "created", False),
        (2, "nginx:1.25", "restart", True),
    ]


def test_a_version_whose_config_version_was_dropped_still_counts_as_its_revision() -> None:
    marathon = StoredVersions("nginx:1.25")
    marathon.scale(2)
    marathon.update("nginx:1.26")
    del marathon.documents[_at(0)]  # Marathon dropped the oldest version past max_versions

    numbered = marathon.numbered()

    assert [(r.number, r.image, r.cause) for r in numbered.history] == [
        (1, "nginx:1.25", "created"),
        (2, "nginx:1.26", "updated"),
    ]
    assert numbered.number(_at(0)) == 1


@pytest.mark.parametrize("document", [[], "app", None])
def test_a_stored_version_that_is_not_an_object_is_an_unexpected_response(document: Any) -> None:
    with pytest.raises(UnexpectedResponse, match="at version v1"):
        facts_of("v1", document)
