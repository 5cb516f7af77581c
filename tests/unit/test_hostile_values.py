"""Specs built from hostile values: nested too deep, not JSON, impossible to print.

Each must be refused by validation with the field named, and the spec itself must stay
usable (hashable, printable, comparable): a RecursionError from a converter or a repr
would escape every ``except ValidationError``.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from orchsdk import Deployment, Orchestrator, Secret, ValidationError
from orchsdk._frozen import MAX_DEPTH, TOO_DEEP, deep_freeze


def nested(depth: int, leaf: Any = 1) -> Any:
    for level in range(depth):
        leaf = {"a": leaf} if level % 2 else [leaf]
    return leaf


def test_freezing_stops_at_the_depth_limit() -> None:
    frozen = deep_freeze(nested(10_000))

    depth, node = 0, frozen
    while isinstance(node, (tuple, dict)) or hasattr(node, "keys"):
        node = node[0] if isinstance(node, tuple) else node["a"]
        depth += 1
    assert node is TOO_DEEP
    assert depth == MAX_DEPTH


def test_a_spec_with_a_native_patch_nested_too_deep_is_usable_and_refused(
    orch: Orchestrator, backend: Any
) -> None:
    spec = Deployment("web", image="nginx", native={"kubernetes": {"spec": nested(50_000)}})

    assert "<nested too deeply>" in repr(spec)
    assert hash(spec) == hash(spec)
    assert spec == spec
    with pytest.raises(ValidationError) as raised:
        orch.apply(spec)

    assert any(path.startswith("native.kubernetes.spec") for path in raised.value.fields)
    assert "nested more than" in str(raised.value)
    assert backend.calls == []


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"spec": object()}, "native.kubernetes.spec"),
        ({"spec": {"replicas": math.nan}}, "native.kubernetes.spec.replicas"),
        ({"spec": [1, math.inf]}, "native.kubernetes.spec[1]"),
        ({"spec": {1: "x"}}, "native.kubernetes.spec"),
        ({"spec": b"bytes"}, "native.kubernetes.spec"),
    ],
    ids=["object", "nan", "infinity", "int-key", "bytes"],
)
def test_a_native_patch_must_be_json(
    orch: Orchestrator, backend: Any, patch: dict[str, Any], path: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        orch.apply(Deployment("web", image="nginx", native={"kubernetes": patch}))

    assert path in raised.value.fields
    assert backend.calls == []


def test_a_json_native_patch_is_accepted(orch: Orchestrator) -> None:
    patch = {"spec": {"minReadySeconds": 5, "paused": False, "x": [None, 1.5, "s", {"k": []}]}}

    orch.apply(Deployment("web", image="nginx", native={"kubernetes": patch}))


def test_a_label_map_nested_too_deep_to_print_is_refused_not_crashed(orch: Orchestrator) -> None:
    with pytest.raises(ValidationError) as raised:
        orch.apply(Deployment("web", image="nginx", labels={"app": nested(50_000)}))

    assert "labels.app" in raised.value.fields
    assert "nested too deeply to show" in str(raised.value)


def test_secret_values_nested_too_deep_are_refused_without_showing_them(
    orch: Orchestrator,
) -> None:
    with pytest.raises(ValidationError) as raised:
        orch.apply(Secret("db", data={"password": nested(50_000, "s3cr3t-deep")}))

    assert "data.password" in raised.value.fields
    assert "s3cr3t-deep" not in str(raised.value)
