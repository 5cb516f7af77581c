"""``as_compared``: the stored app shown the way apply compares it, so diff and apply agree.

The property: the projected app differs from the sent one (some ``Change``) exactly when
``matches`` says apply would write.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from orchsdk_marathon.compare import as_compared, matches

from orchsdk.diffing import changes_between

KEYS = st.sampled_from(["id", "cmd", "args", "labels", "env", "constraints", "container", "x"])
SCALARS = st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2) | st.sampled_from("ab")
JSON: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=12,
)
APPS = st.dictionaries(KEYS, JSON, max_size=5)


def differs(sent: dict[str, Any], stored: dict[str, Any]) -> bool:
    return bool(list(changes_between(as_compared(sent, stored), sent)))


@settings(max_examples=500, deadline=None)
@given(APPS, APPS)
def test_the_projection_differs_from_the_sent_app_exactly_when_apply_would_write(
    sent: dict[str, Any], stored: dict[str, Any]
) -> None:
    assert differs(sent, stored) is not matches(sent, stored)


@given(APPS)
def test_an_app_stored_as_sent_projects_to_the_sent_app(sent: dict[str, Any]) -> None:
    assert as_compared(sent, sent) == sent


def test_fields_marathon_added_are_left_out() -> None:
    sent = {"id": "/shop/web", "instances": 2}
    stored = {"id": "/shop/web", "instances": 2, "backoffSeconds": 1, "version": "2026"}
    assert as_compared(sent, stored) == sent


def test_a_label_only_the_stored_app_has_is_shown_as_removed() -> None:
    sent = {"labels": {"app": "web"}}
    stored = {"labels": {"app": "web", "orchsdk.command": "2"}}
    projected = as_compared(sent, stored)
    assert [str(change) for change in changes_between(projected, sent)] == [
        "- labels.orchsdk.command: '2'"
    ]


def test_a_stored_cmd_that_args_replace_is_shown_as_removed() -> None:
    sent = {"args": ["serve"]}
    stored = {"args": ["serve"], "cmd": "sleep 1000"}
    assert as_compared(sent, stored) == {"args": ["serve"], "cmd": "sleep 1000"}


def test_numbers_equal_as_doubles_and_constraints_as_sets_are_not_changes() -> None:
    sent = {"cpus": 0.1, "constraints": [["a", "UNIQUE"], ["b", "LIKE", "x"]]}
    stored = {"cpus": 0.1000000000001, "constraints": [["b", "LIKE", "x"], ["a", "UNIQUE", ""]]}
    assert as_compared(sent, stored) == sent
