"""Writes whose answer was lost are resolved by reading back (``orchsdk.retry``)."""

from __future__ import annotations

import logging

import pytest

from orchsdk import Action, BackendUnavailable, NotFound, OrchestratorError
from orchsdk.retry import before_any_write, confirm_lost_write

LOST = BackendUnavailable("PUT /v2/apps/web: the connection dropped", acted=None)
REFUSED = BackendUnavailable("PUT /v2/apps/web: 503", acted=False)


def lost_write() -> Action:
    raise LOST


def test_an_answered_write_is_its_own_result_and_nothing_is_read() -> None:
    reads: list[str] = []

    result = confirm_lost_write(lambda: Action.CREATED, lambda: reads.append("read"), what="w")

    assert (result, reads) == (Action.CREATED, [])


def test_a_lost_write_that_reads_back_as_done_is_what_the_read_back_says(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="orchsdk.readback"):
        result = confirm_lost_write(lost_write, lambda: Action.UPDATED, what="apply web")

    assert result is Action.UPDATED
    assert "apply web: the answer was lost" in caplog.text


@pytest.mark.parametrize("landed", [None, False])
def test_a_lost_write_that_cannot_be_seen_raises_the_original_error(landed: object) -> None:
    with pytest.raises(BackendUnavailable) as raised:
        confirm_lost_write(lost_write, lambda: landed, what="w")

    assert raised.value is LOST


def test_a_read_back_that_fails_counts_as_not_seen() -> None:
    def read_back() -> Action:
        raise OrchestratorError("the read failed too")

    with pytest.raises(BackendUnavailable) as raised:
        confirm_lost_write(lost_write, read_back, what="w")

    assert raised.value is LOST


def test_a_refused_write_is_not_read_back() -> None:
    reads: list[str] = []

    def refused() -> Action:
        raise REFUSED

    with pytest.raises(BackendUnavailable):
        confirm_lost_write(refused, lambda: reads.append("read"), what="w")

    assert reads == []


def test_other_errors_of_the_write_pass_through_unread() -> None:
    def missing() -> Action:
        raise NotFound("no app")

    with pytest.raises(NotFound):
        confirm_lost_write(missing, lambda: Action.CREATED, what="w")


def test_a_failed_read_before_the_first_write_says_nothing_was_done() -> None:
    error = BackendUnavailable("GET /v2/apps/web: dropped", acted=None)

    with pytest.raises(BackendUnavailable) as raised, before_any_write():
        raise error

    assert raised.value.acted is False


def test_other_errors_before_the_first_write_are_left_alone() -> None:
    with pytest.raises(NotFound), before_any_write():
        raise NotFound("no app")
