"""Reading a server's answer within bounds: its size, the time it takes, its nesting.

A server (or whatever answers in its place) can trickle a reply a few bytes a second,
send gigabytes, or nest JSON a hundred thousand levels deep. The HTTP clients bound only
each read of the socket, so every backend reads answers through :func:`read_answer`:
the whole answer within one deadline, never more than its cap; and decodes them with
:func:`decode_json`, which turns a nesting Python cannot hold into
:class:`~orchsdk.UnexpectedResponse`.
"""

from __future__ import annotations

import json
import time
from typing import Any, Protocol

from orchsdk.errors import AnswerTooLarge, BackendUnavailable, UnexpectedResponse

__all__ = ["CHUNK", "MAX_ANSWER_BYTES", "Readable", "decode_json", "read_answer", "too_large"]

MAX_ANSWER_BYTES = 64 * 2**20
"""The default cap of one answer, and of one event of a stream: 64 MiB."""
CHUNK = 64 * 1024


class Readable(Protocol):
    """An HTTP answer being read (urllib3's ``HTTPResponse``, ``requests``' ``raw``)."""

    def read1(self, amt: int = ..., decode_content: bool | None = ...) -> bytes: ...


def read_answer(response: Readable, what: str, *, deadline: float, limit: int) -> bytes:
    """The body of ``response``, read chunk by chunk until it ends.

    Raises :class:`~orchsdk.BackendUnavailable` when ``deadline`` (a ``time.monotonic()``
    instant) passes first (a slow server: another try may be faster) and
    :class:`~orchsdk.AnswerTooLarge` once more than ``limit`` bytes came.
    """
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(CHUNK, decode_content=True):
        size += len(chunk)
        if size > limit:
            raise too_large(what, limit)
        if time.monotonic() > deadline:
            raise BackendUnavailable(
                f"{what}: the answer was still coming after its deadline ({size} bytes so far)"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def too_large(what: str, limit: int) -> AnswerTooLarge:
    """The error for an answer (or stream event) over ``limit`` bytes."""
    return AnswerTooLarge(
        f"{what}: the answer is larger than {limit} bytes (max_answer_bytes); not read further",
        limit=limit,
    )


def decode_json(body: bytes | str, what: str) -> Any:
    """``body`` as JSON; :class:`ValueError` when it is not JSON (the caller decides what
    that means), :class:`~orchsdk.UnexpectedResponse` when it nests too deep to decode."""
    try:
        return json.loads(body)
    except RecursionError:
        raise UnexpectedResponse(f"{what}: the answer nests deeper than can be read") from None
