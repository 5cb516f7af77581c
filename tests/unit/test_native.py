"""The ``native`` escape hatch: JSON merge patches (RFC 7386) over rendered documents."""

from __future__ import annotations

from typing import Any

import pytest

from orchsdk import Deployment
from orchsdk._frozen import deep_freeze
from orchsdk.native import apply_native, merge_patch

# The examples of RFC 7386, appendix A.
RFC_7386_EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("document", "patch", "merged"), RFC_7386_EXAMPLES)
def test_merge_patch_follows_rfc_7386(document: Any, patch: Any, merged: Any) -> None:
    assert merge_patch(document, patch) == merged


def test_none_in_a_patch_deletes_the_key() -> None:
    assert merge_patch({"spec": {"paused": True, "replicas": 3}}, {"spec": {"paused": None}}) == {
        "spec": {"replicas": 3}
    }


def test_a_list_in_a_patch_replaces_the_whole_list() -> None:
    document = {"args": ["--a", "--b"]}

    assert merge_patch(document, {"args": ["--c"]}) == {"args": ["--c"]}


def test_nested_mappings_are_merged_key_by_key() -> None:
    document = {"spec": {"template": {"metadata": {"labels": {"app": "web"}}}, "replicas": 1}}
    patch = {"spec": {"template": {"metadata": {"labels": {"tier": "front"}}}}}

    assert merge_patch(document, patch) == {
        "spec": {
            "template": {"metadata": {"labels": {"app": "web", "tier": "front"}}},
            "replicas": 1,
        }
    }


def test_merge_patch_does_not_change_the_document() -> None:
    document = {"spec": {"replicas": 1, "paused": False}}

    merge_patch(document, {"spec": {"replicas": 3, "paused": None}})

    assert document == {"spec": {"replicas": 1, "paused": False}}


def test_a_frozen_patch_merges_into_plain_json() -> None:
    patch = deep_freeze({"spec": {"tolerations": [{"key": "gpu"}]}})

    merged = merge_patch({"spec": {}}, patch)

    assert merged == {"spec": {"tolerations": [{"key": "gpu"}]}}
    assert type(merged["spec"]) is dict
    assert type(merged["spec"]["tolerations"]) is list
    assert type(merged["spec"]["tolerations"][0]) is dict


def test_apply_native_applies_the_patch_for_this_backend() -> None:
    deployment = Deployment(
        "web", image="nginx", native={"kubernetes": {"spec": {"minReadySeconds": 10}}}
    )

    document = apply_native(
        {"kind": "Deployment", "spec": {"replicas": 1}}, deployment, "kubernetes"
    )

    assert document == {"kind": "Deployment", "spec": {"replicas": 1, "minReadySeconds": 10}}


def test_apply_native_ignores_the_patches_of_other_backends() -> None:
    deployment = Deployment("web", image="nginx", native={"marathon": {"backoffSeconds": 5}})
    document = {"kind": "Deployment"}

    assert apply_native(document, deployment, "kubernetes") == {"kind": "Deployment"}


def test_apply_native_without_patches_returns_the_document() -> None:
    document = {"kind": "Deployment"}

    assert apply_native(document, Deployment("web", image="nginx"), "kubernetes") is document
