"""/v2/events: Marathon's server-sent events."""

from __future__ import annotations

import json

import pytest

SSE = {"Accept": "text/event-stream"}


class Events:
    """Reads an open SSE response line by line (one iterator for the whole stream)."""

    def __init__(self, response):
        self.lines = response.iter_lines(decode_unicode=True)

    def __call__(self, count):
        return read_events(self.lines, count)


def read_events(lines, count):
    """The next ``count`` events of an SSE line iterator, as (type, data) pairs."""
    events = []
    event_type = None
    for line in lines:
        if line.startswith("event: "):
            event_type = line[len("event: ") :]
        elif line.startswith("data: "):
            data = json.loads(line[len("data: ") :])
            assert data["eventType"] == event_type
            assert "timestamp" in data
            events.append((event_type, data))
            if len(events) == count:
                return events
    pytest.fail(f"the stream ended after {len(events)} events")


def test_events_need_the_event_stream_accept_header(api):
    response = api.get("/v2/events")
    assert response.status_code == 405
    assert "HTTP ERROR: 405" in response.text
    assert response.headers["Content-Type"] == "text/html"


def test_the_stream_starts_attached_and_carries_deployment_and_task_events(
    marathon, api, make_api, web
):
    stream = make_api(marathon.marathon_url).get("/v2/events", headers=SSE, stream=True)
    with stream:
        assert stream.status_code == 200
        assert stream.headers["Content-Type"] == "text/event-stream"
        events = Events(stream)
        ((kind, attached),) = events(1)
        assert kind == "event_stream_attached"
        assert attached["remoteAddress"]
        deployment_id = api.post("/v2/apps", json=web(instances=1)).headers[
            "Marathon-Deployment-Id"
        ]
        marathon.control.finish("/shop/web")
        kinds = [kind for kind, _ in events(8)]
        assert kinds == [
            "api_post_event",
            "deployment_info",
            "deployment_step_success",
            "deployment_info",
            "status_update_event",
            "status_update_event",
            "deployment_step_success",
            "deployment_success",
        ]
    success = marathon.events.of_type("deployment_success")[0]
    assert success["id"] == deployment_id


def test_event_type_filters_the_stream(marathon, api, make_api, web):
    stream = make_api(marathon.marathon_url).get(
        "/v2/events",
        headers=SSE,
        params=[("event_type", "deployment_success"), ("event_type", "deployment_failed")],
        stream=True,
    )
    with stream:
        api.post("/v2/apps", json=web())
        marathon.control.fail("/shop/web")
        api.post("/v2/apps", json=web(id="/other"))
        marathon.control.finish("/other")
        received = Events(stream)(2)
    assert [kind for kind, _ in received] == ["deployment_failed", "deployment_success"]


def test_status_updates_carry_task_details(marathon, api, web):
    api.post("/v2/apps", json=web(instances=1))
    marathon.control.finish("/shop/web")
    running = [
        event
        for event in marathon.events.of_type("status_update_event")
        if event["taskStatus"] == "TASK_RUNNING"
    ]
    (event,) = running
    (task,) = api.app("/shop/web")["tasks"]
    assert event["taskId"] == task["id"]
    assert event["appId"] == "/shop/web"
    assert event["host"] == task["host"]
    assert event["ports"] == task["ports"]
    assert event["version"] == task["version"]


def test_streams_end_when_the_emulator_stops(make_api, web):
    from orchsdk_marathon.testing import MarathonEmulator

    emulator = MarathonEmulator(auto=False).start()
    stream = make_api(emulator.marathon_url).get("/v2/events", headers=SSE, stream=True)
    with stream:
        events = Events(stream)
        events(1)
        emulator.stop()
        assert [line for line in events.lines if line] == []  # and then it ends
