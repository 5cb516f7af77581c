"""Waits follow Marathon's event stream (``GET /v2/events``) instead of polling.

The emulator's request log shows what a wait sent; its event bus shows the open streams.
Rollouts are held (``control.hold``) and finished by the test, so that what the wait
sees does not depend on a clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
import responses
from marathon_helpers import as_stored
from orchsdk_marathon import MarathonBackend
from orchsdk_marathon.app_definition import render_app
from orchsdk_marathon.events import WATCHED, concerns, server_sent_events

from orchsdk import (
    BackendUnavailable,
    Deployment,
    Orchestrator,
    OrchestratorError,
    Phase,
    RetryPolicy,
    UnexpectedResponse,
    WaitTimeout,
)
from orchsdk.testing.loopback import Fault

APP = "/shop/web"
EVENTS = ("GET", "/v2/events")
READ_APP = ("GET", "/v2/apps/shop/web")


def web(image: str = "nginx:1.27", replicas: int = 2) -> Deployment:
    return Deployment("web", namespace="shop", image=image, replicas=replicas)


@pytest.fixture
def orch(marathon_emulator: Any) -> Iterator[Orchestrator]:
    backend = MarathonBackend.from_url(marathon_emulator.url, namespace="shop")
    with Orchestrator(backend, retry=RetryPolicy(attempts=3, initial_delay=0.01)) as orchestrator:
        _ = orchestrator.capabilities  # reads /v2/info once, as any first call does
        yield orchestrator


@pytest.fixture
def held(marathon_emulator: Any, orch: Orchestrator) -> Any:
    """The emulator, with a rollout of ``shop/web`` started and held where it is."""
    orch.apply(web())
    marathon_emulator.control.finish(APP)
    marathon_emulator.control.hold(APP)
    orch.apply(web(image="nginx:1.28"))
    return marathon_emulator


def sent_by(marathon: Any, call: Callable[[], Any]) -> tuple[Any, list[tuple[str, str]]]:
    """What ``call`` returned, and the requests the emulator served meanwhile."""
    mark = len(marathon.server.requests)
    result = call()
    return result, marathon.server.requests[mark:]


def eventually(condition: Callable[[], bool]) -> None:
    """Waits for ``condition`` (a test step's precondition, not an assertion on time)."""
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the emulator never got there"
        time.sleep(0.005)


def in_background(step: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=step, daemon=True)
    thread.start()
    return thread


def streams_opened(marathon: Any) -> int:
    return int(marathon.server.count("GET", "/v2/events"))


# -- waits on the emulator -------------------------------------------------------------


def test_a_wait_reads_the_app_only_when_an_event_says_it_changed(
    held: Any, orch: Orchestrator
) -> None:
    mark = len(held.server.requests)
    with pytest.raises(WaitTimeout) as raised:
        orch.wait("web", timeout=1.0)
    sent = held.server.requests[mark:]

    assert sent.count(EVENTS) == 1
    assert sent.count(READ_APP) == 2  # before the stream, and once it is attached: no polls
    assert raised.value.status is not None
    assert raised.value.status.phase is Phase.PROGRESSING


def test_heartbeats_do_not_make_a_wait_read_the_app(held: Any, orch: Orchestrator) -> None:
    held.events.heartbeat_seconds = 0.05
    mark = len(held.server.requests)
    with pytest.raises(WaitTimeout):
        orch.wait("web", timeout=0.6)
    sent = held.server.requests[mark:]

    assert sent.count(READ_APP) == 2


def test_a_wait_returns_once_the_deployment_ends(held: Any, orch: Orchestrator) -> None:
    def finish_once_attached() -> None:
        eventually(lambda: held.events.subscribers == 1)
        held.control.finish(APP)

    finisher = in_background(finish_once_attached)
    status, sent = sent_by(held, lambda: orch.wait("web", timeout=30))
    finisher.join()

    assert status.phase is Phase.COMPLETE
    assert sent.count(EVENTS) == 1
    assert sent.count(READ_APP) <= 3  # before the stream, once attached, after the end


def test_closing_a_status_watch_closes_its_stream(held: Any, orch: Orchestrator) -> None:
    watch = orch.backend.watch_status("web", "shop", 30)
    first = next(watch)
    assert first.phase is Phase.PROGRESSING
    assert held.events.subscribers == 1

    watch.close()

    eventually(lambda: held.events.subscribers == 0)


def test_a_dropped_event_stream_is_opened_again(held: Any, orch: Orchestrator) -> None:
    def drop_then_finish() -> None:
        eventually(lambda: held.events.subscribers == 1)
        held.events.drop_streams()
        eventually(lambda: streams_opened(held) == 2 and held.events.subscribers == 1)
        held.control.finish(APP)

    finisher = in_background(drop_then_finish)
    status, sent = sent_by(held, lambda: orch.wait("web", timeout=30))
    finisher.join()

    assert status.phase is Phase.COMPLETE
    assert sent.count(EVENTS) == 2


def test_a_rollout_that_ends_while_the_stream_is_down_is_seen_when_it_is_back(
    held: Any, orch: Orchestrator
) -> None:
    def finish_between_streams() -> None:
        eventually(lambda: held.events.subscribers == 1)
        held.server.faults.add(Fault(delay=0.5), method="GET", path="/v2/events")
        held.events.drop_streams()
        eventually(lambda: streams_opened(held) == 2)  # the new stream is not in yet
        held.control.finish(APP)  # its events reach no stream

    finisher = in_background(finish_between_streams)
    status = orch.wait("web", timeout=30)
    finisher.join()

    assert held.events.of_type("deployment_success")
    assert status.phase is Phase.COMPLETE


def test_a_wait_whose_stream_never_answers_ends_at_its_timeout(
    held: Any, orch: Orchestrator
) -> None:
    held.server.faults.add(Fault(delay=3.0), method="GET", path="/v2/events")

    started = time.monotonic()
    with pytest.raises(WaitTimeout):
        orch.wait("web", timeout=0.5)

    assert time.monotonic() - started < 3.0  # not held until the stream's late answer


def test_a_wait_polls_when_the_event_stream_is_refused(
    marathon_emulator: Any, orch: Orchestrator
) -> None:
    marathon_emulator.server.faults.add(Fault(status=403), method="GET", path="/v2/events")
    orch.apply(web())

    status, sent = sent_by(marathon_emulator, lambda: orch.wait("web", timeout=30))

    assert status.phase is Phase.COMPLETE
    assert sent.count(EVENTS) == 1


def test_a_wait_sees_the_rollout_end_through_random_faults(marathon_emulator: Any) -> None:
    backend = MarathonBackend.from_url(marathon_emulator.url, namespace="shop")
    patient = RetryPolicy(attempts=30, initial_delay=0.01, max_delay=0.05)
    with Orchestrator(backend, retry=patient) as orch:
        orch.apply(web())
        faults = [Fault(status=503), Fault(drop="before"), Fault(drop="after")]
        marathon_emulator.server.faults.chaos(0.3, faults, seed=7)

        status = orch.wait("web", timeout=30)

    assert status.phase is Phase.COMPLETE
    assert marathon_emulator.server.faults.injected > 0


# -- the stream on the wire --------------------------------------------------------------

M1, M2 = "http://m1:8080", "http://m2:8080"
TOKEN = "tok-SECRET-0123456789"
ATTACHED = b'event: event_stream_attached\r\ndata: {"eventType":"event_stream_attached"}\r\n\r\n'


@pytest.fixture
def wire() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def two() -> Iterator[MarathonBackend]:
    backend = MarathonBackend.from_url(
        "marathon+http://m1:8080,m2:8080/?namespace=shop", token=TOKEN
    )
    yield backend
    backend.close()


def open_events(backend: MarathonBackend) -> requests.Response:
    return backend._marathon.stream(
        "/v2/events", params={"event_type": list(WATCHED)}, accept="text/event-stream",
        timeout=(1.0, 1.0),
    )  # fmt: skip


def test_a_watch_asks_for_the_watched_event_types_with_the_token(
    wire: responses.RequestsMock, two: MarathonBackend
) -> None:
    version = "2024-01-02T03:04:05.678Z"
    app = {**as_stored(render_app(web(replicas=0)), version), "tasks": [], "deployments": []}
    wire.add("GET", f"{M1}/v2/events", body=ATTACHED, content_type="text/event-stream")
    wire.add("GET", f"{M1}/v2/apps/shop/web", json={"app": app})
    wire.add("GET", f"{M1}/v2/apps/shop/web/versions", json={"versions": [version]})
    stored = as_stored(render_app(web(replicas=0)), version)
    wire.add("GET", f"{M1}/v2/apps/shop/web/versions/{quote(version, safe='')}", json=stored)

    watch = two.watch_status("web", "shop", 5)
    assert next(watch).phase is Phase.COMPLETE
    watch.close()

    [stream] = [call for call in wire.calls if "/v2/events" in call.request.url]
    assert stream.request.headers["Accept"] == "text/event-stream"
    assert stream.request.headers["Authorization"] == f"token={TOKEN}"
    assert parse_qs(urlsplit(stream.request.url).query) == {
        "event_type": list(WATCHED),
        "plan-format": ["light"],
    }


def test_a_standby_that_redirects_the_stream_is_passed_over_for_the_next_server(
    wire: responses.RequestsMock, two: MarathonBackend
) -> None:
    leader = {"Location": "http://leader.internal:8080/v2/events"}
    wire.add("GET", f"{M1}/v2/events", status=302, headers=leader)
    wire.add("GET", f"{M2}/v2/events", body=ATTACHED, content_type="text/event-stream")
    with open_events(two):
        pass
    assert [call.request.url.split("/v2")[0] for call in wire.calls] == [M1, M2]


def test_an_event_stream_refused_for_good_is_an_error_not_a_retry(
    wire: responses.RequestsMock, two: MarathonBackend
) -> None:
    wire.add("GET", f"{M1}/v2/events", status=403, json={"message": "not allowed: events"})
    with pytest.raises(OrchestratorError) as raised:
        open_events(two)
    assert not isinstance(raised.value, BackendUnavailable)
    assert "not allowed" in str(raised.value)
    assert len(wire.calls) == 1


def test_an_answer_that_is_not_an_event_stream_is_refused(
    wire: responses.RequestsMock, two: MarathonBackend
) -> None:
    wire.add("GET", f"{M1}/v2/events", body="<html>Sign in</html>", content_type="text/html")
    with pytest.raises(UnexpectedResponse) as raised:
        open_events(two)
    assert "text/html" in str(raised.value)


# -- reading events --------------------------------------------------------------------


def test_server_sent_events_are_read_with_crlf_heartbeats_and_split_chunks() -> None:
    stream = [
        b'event: status_update_event\r\ndata: {"appId":',
        b' "/shop/web"}\r\n\r\n',
        b"\r",  # Jetty's heartbeat: a CR, then an LF, flushed apart
        b"\n",
        b': a comment\n\nevent: deployment_success\ndata: {"id": "d-1"}\n\n',
    ]
    read = list(server_sent_events(stream))
    assert read == [
        ("status_update_event", '{"appId": "/shop/web"}'),
        ("deployment_success", '{"id": "d-1"}'),
    ]


def test_an_event_concerns_an_app_by_its_id_or_its_deployment_plan() -> None:
    plan = {"steps": [{"actions": [{"action": "RestartApplication", "app": APP}]}]}
    assert concerns({"eventType": "status_update_event", "appId": APP}, APP)
    assert concerns({"eventType": "instance_health_changed_event", "runSpecId": APP}, APP)
    assert concerns({"eventType": "deployment_success", "id": "d-1", "plan": plan}, APP)
    assert not concerns({"eventType": "status_update_event", "appId": "/shop/other"}, APP)
    assert not concerns({"eventType": "deployment_success", "plan": plan}, "/shop/other")


def test_a_deployment_event_whose_plan_names_no_app_counts_for_every_app() -> None:
    event = {"eventType": "deployment_success", "id": "d-1", "plan": {"id": "d-1"}}
    assert concerns(event, APP)
