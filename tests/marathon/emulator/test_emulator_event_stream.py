"""/v2/events on the wire, as Marathon's Jetty serves it: CRLF lines, heartbeats while quiet,
streams that end with their client, and streams cut mid-way on demand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

SSE = {"Accept": "text/event-stream"}


def test_event_lines_end_with_crlf(marathon: Any, make_api: Callable[..., Any]) -> None:
    with make_api(marathon.marathon_url).get("/v2/events", headers=SSE, stream=True) as stream:
        first = next(stream.iter_content(chunk_size=None))

    assert first.startswith(b"event: event_stream_attached\r\ndata: {")
    assert first.endswith(b"}\r\n\r\n")


def test_a_quiet_stream_gets_a_heartbeat_of_a_cr_then_an_lf(
    marathon: Any, make_api: Callable[..., Any]
) -> None:
    marathon.events.heartbeat_seconds = 0.05
    with make_api(marathon.marathon_url).get("/v2/events", headers=SSE, stream=True) as stream:
        chunks = stream.iter_content(chunk_size=None)
        next(chunks)  # event_stream_attached
        heartbeat = [next(chunks), next(chunks)]

    assert heartbeat == [b"\r", b"\n"]


def test_a_stream_ends_when_its_client_goes_away(
    marathon: Any, make_api: Callable[..., Any], wait_until: Callable[..., None]
) -> None:
    stream = make_api(marathon.marathon_url).get("/v2/events", headers=SSE, stream=True)
    next(stream.iter_content(chunk_size=None))
    assert marathon.events.subscribers == 1

    stream.close()

    wait_until(lambda: marathon.events.subscribers == 0)


def test_drop_streams_cuts_every_open_stream_mid_way(
    marathon: Any, make_api: Callable[..., Any]
) -> None:
    with make_api(marathon.marathon_url).get("/v2/events", headers=SSE, stream=True) as stream:
        chunks = stream.iter_content(chunk_size=None)
        next(chunks)

        assert marathon.events.drop_streams() == 1

        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            next(chunks)
