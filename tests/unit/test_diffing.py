"""Diffs: the leaf fields that change between native documents; never a secret's value."""

from __future__ import annotations

import pytest

from orchsdk import REDACTED, Action, Change, Deployment, ResourceDiff, Secret
from orchsdk.diffing import changes_between, mask_secret_values


def test_identical_documents_have_no_changes() -> None:
    document = {"spec": {"replicas": 3, "ports": [{"port": 80}]}}

    assert list(changes_between(document, document)) == []


def test_a_changed_leaf_is_reported_by_dotted_path() -> None:
    old = {"spec": {"replicas": 1}}
    new = {"spec": {"replicas": 3}}

    assert list(changes_between(old, new)) == [Change("spec.replicas", 1, 3)]


def test_an_added_field_has_no_old_value() -> None:
    assert list(changes_between({"spec": {}}, {"spec": {"paused": True}})) == [
        Change("spec.paused", None, True)
    ]


def test_a_removed_field_has_no_new_value() -> None:
    assert list(changes_between({"spec": {"paused": True}}, {"spec": {}})) == [
        Change("spec.paused", True, None)
    ]


def test_list_items_are_compared_by_index_when_the_lengths_match() -> None:
    old = {"ports": [{"port": 80}, {"port": 443}]}
    new = {"ports": [{"port": 80}, {"port": 8443}]}

    assert list(changes_between(old, new)) == [Change("ports[1].port", 443, 8443)]


def test_a_list_that_changes_length_is_one_change() -> None:
    old = {"args": ["a"]}
    new = {"args": ["a", "b"]}

    assert list(changes_between(old, new)) == [Change("args", ["a"], ["a", "b"])]


def test_changes_are_listed_in_key_order() -> None:
    old = {"b": 1, "a": 1, "c": 1}
    new = {"b": 2, "a": 2, "c": 1}

    assert [change.path for change in changes_between(old, new)] == ["a", "b"]


@pytest.mark.parametrize(
    ("change", "text"),
    [
        (Change("spec.paused", None, True), "+ spec.paused: True"),
        (Change("spec.paused", True, None), "- spec.paused: True"),
        (Change("spec.replicas", 1, 3), "~ spec.replicas: 1 -> 3"),
    ],
)
def test_a_change_reads_like_a_diff_line(change: Change, text: str) -> None:
    assert str(change) == text


def test_a_resource_diff_lists_its_changes_under_the_resource() -> None:
    diff = ResourceDiff(
        "Deployment", "web", "shop", Action.UPDATED, [Change("spec.replicas", 1, 3)]
    )

    assert str(diff) == "deployment/web (shop): updated\n  ~ spec.replicas: 1 -> 3"


def test_masking_leaves_other_kinds_alone() -> None:
    current = Deployment("web", image="nginx:1")
    desired = Deployment("web", image="nginx:2")

    assert mask_secret_values(current, desired) == (current, desired)


def test_masking_replaces_every_secret_value_on_both_sides() -> None:
    current = Secret("db", data={"password": "old-pw", "user": "admin"})
    desired = Secret("db", data={"password": "new-pw", "user": "admin", "token": "t0k3n"})

    masked_current, masked_desired = mask_secret_values(current, desired)

    assert masked_current.data == {"password": "(hidden)", "user": "(hidden)"}
    assert masked_desired.data == {
        "password": "(hidden, changed)",
        "user": "(hidden)",
        "token": "(hidden, changed)",
    }


def test_masking_a_new_secret_marks_every_value_changed() -> None:
    masked_current, masked_desired = mask_secret_values(None, Secret("db", data={"k": "v"}))

    assert masked_current is None
    assert masked_desired.data == {"k": "(hidden, changed)"}


def test_masking_keeps_everything_but_the_values() -> None:
    current = Secret("db", namespace="shop", labels={"app": "web"}, data={"k": "old"})
    desired = Secret("db", namespace="shop", labels={"app": "api"}, data={"k": "new"})

    masked_current, masked_desired = mask_secret_values(current, desired)

    assert (masked_current.name, masked_current.namespace) == ("db", "shop")
    assert masked_current.labels == {"app": "web"}
    assert masked_desired.labels == {"app": "api"}


def test_masked_secrets_never_contain_a_value() -> None:
    values = ["old-pw", "new-pw", "t0k3n"]
    current = Secret("db", data={"password": "old-pw", "token": REDACTED})
    desired = Secret("db", data={"password": "new-pw", "token": "t0k3n"})

    masked = mask_secret_values(current, desired)

    for spec in masked:
        assert not any(value in spec.data.values() for value in values)
        assert not any(value in repr(dict(spec.data)) for value in values)
