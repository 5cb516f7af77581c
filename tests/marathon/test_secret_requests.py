"""What a secret apply sends to the DC/OS secret store, counted on the emulator's request log.

Each key is read on its own; the secret's keys are listed only when the store may hold
keys the spec has not (this backend does not know the secret's keys, or knew more).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from orchsdk_marathon import MarathonBackend

from orchsdk import Action, BackendUnavailable, Orchestrator, RetryPolicy, Secret
from orchsdk.testing.loopback import Fault

SECRET = "/secrets/v1/secret/default/shop/db"
LIST = ("GET", SECRET)


def connect(marathon: Any) -> Orchestrator:
    backend = MarathonBackend.from_url(marathon.url, namespace="shop")
    orchestrator = Orchestrator(backend, retry=RetryPolicy(attempts=1))
    _ = orchestrator.capabilities  # reads /v2/info once, as any first call does
    return orchestrator


@pytest.fixture
def orch(marathon_emulator: Any) -> Iterator[Orchestrator]:
    with connect(marathon_emulator) as orchestrator:
        yield orchestrator


def sent_by(marathon: Any, call: Callable[[], Any]) -> tuple[Any, list[tuple[str, str]]]:
    """What ``call`` returned, and the requests the emulator served meanwhile."""
    mark = len(marathon.server.requests)
    result = call()
    return result, marathon.server.requests[mark:]


def stored(marathon: Any) -> dict[str, str]:
    """The values of the secret ``shop/db`` in the emulator's store, by key."""
    prefix = "shop/db/"
    values = marathon.secret_store.values
    return {path[len(prefix) :]: value for path, value in values.items() if path.startswith(prefix)}


def test_an_unchanged_secret_applied_again_is_one_read(
    marathon_emulator: Any, orch: Orchestrator
) -> None:
    orch.apply(Secret("db", data={"password": "s3cr3t"}))

    [result], sent = sent_by(
        marathon_emulator, lambda: orch.apply(Secret("db", data={"password": "s3cr3t"}))
    )

    assert result.action is Action.UNCHANGED
    assert sent == [("GET", f"{SECRET}/password")]


def test_a_new_secret_unknown_to_the_backend_is_one_list_and_one_write_per_key(
    marathon_emulator: Any, orch: Orchestrator
) -> None:
    [result], sent = sent_by(
        marathon_emulator, lambda: orch.apply(Secret("db", data={"password": "s3cr3t"}))
    )

    assert result.action is Action.CREATED
    assert sent == [LIST, ("PUT", f"{SECRET}/password")]


def test_a_changed_value_is_written_after_one_read(
    marathon_emulator: Any, orch: Orchestrator
) -> None:
    orch.apply(Secret("db", data={"password": "one"}))

    [result], sent = sent_by(
        marathon_emulator, lambda: orch.apply(Secret("db", data={"password": "two"}))
    )

    assert result.action is Action.UPDATED
    assert LIST not in sent
    assert stored(marathon_emulator) == {"password": "two"}


def test_a_key_dropped_from_the_spec_is_removed(marathon_emulator: Any, orch: Orchestrator) -> None:
    orch.apply(Secret("db", data={"user": "app", "password": "s3cr3t"}))

    [result] = orch.apply(Secret("db", data={"password": "s3cr3t"}))

    assert result.action is Action.UPDATED
    assert stored(marathon_emulator) == {"password": "s3cr3t"}


def test_a_stale_key_a_new_backend_does_not_know_is_listed_and_removed(
    marathon_emulator: Any, orch: Orchestrator
) -> None:
    marathon_emulator.secret_store.values.update({"shop/db/password": "s3cr3t", "shop/db/old": "x"})

    [result], sent = sent_by(
        marathon_emulator, lambda: orch.apply(Secret("db", data={"password": "s3cr3t"}))
    )

    assert result.action is Action.UPDATED
    assert LIST in sent
    assert stored(marathon_emulator) == {"password": "s3cr3t"}


def test_a_secret_another_client_deleted_is_reported_created(
    marathon_emulator: Any, orch: Orchestrator
) -> None:
    orch.apply(Secret("db", data={"password": "s3cr3t"}))
    marathon_emulator.secret_store.values.clear()

    [result] = orch.apply(Secret("db", data={"password": "s3cr3t"}))

    assert result.action is Action.CREATED
    assert stored(marathon_emulator) == {"password": "s3cr3t"}


def test_an_apply_that_fails_part_way_makes_the_next_one_list_the_keys(
    marathon_emulator: Any, orch: Orchestrator
) -> None:
    orch.apply(Secret("db", data={"a": "1"}))
    marathon_emulator.server.faults.add(Fault(status=500), method="PUT", path=f"{SECRET}/c")
    with pytest.raises(BackendUnavailable):
        orch.apply(Secret("db", data={"a": "1", "b": "2", "c": "3"}))

    [result], sent = sent_by(marathon_emulator, lambda: orch.apply(Secret("db", data={"a": "1"})))

    assert LIST in sent
    assert result.action is Action.UPDATED  # b, written by the failed apply, is removed
    assert stored(marathon_emulator) == {"a": "1"}
