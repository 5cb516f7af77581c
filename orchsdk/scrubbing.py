"""Secret values never leave through what a server sends back.

API servers, proxies and webhooks echo requests in their error answers, so the text of
an answer to a secret write may hold the value: as sent (Marathon's secret store takes it
in JSON), base64-encoded (a Kubernetes Secret's ``data``) or JSON-escaped. While the core
hands a :class:`~orchsdk.Secret` to a backend it holds its values here
(:func:`sensitive`); :func:`scrub` replaces every form of them with ``<redacted>``, and
:func:`~orchsdk.errors.error_for_status`, the one place server text becomes an error,
scrubs all of it. The set is process-wide, not per thread: a backend may answer from a
worker thread.

Values shorter than :data:`SHORTEST` are not scrubbed: replacing every ``a`` in a message
would hide the message, not the secret (such a value is no secret anyway).
"""

from __future__ import annotations

import base64
import collections
import contextlib
import json
import threading
import urllib.parse
from collections.abc import Iterable, Iterator

__all__ = ["SHORTEST", "forms", "scrub", "sensitive"]

SHORTEST = 4
"""The length from which a secret value is scrubbed."""
PLACEHOLDER = "<redacted>"

_lock = threading.Lock()
_held: collections.Counter[str] = collections.Counter()
_ordered: tuple[str, ...] = ()


def forms(value: str) -> set[str]:
    """The ways ``value`` may appear in an answer: as it is, base64 (with and without
    padding, and URL-safe), JSON-escaped (ASCII-only or not), and URL-encoded."""
    raw = value.encode("utf-8")
    encoded = base64.b64encode(raw).decode("ascii")
    found = {
        value,
        encoded,
        encoded.rstrip("="),
        base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value),
    }
    return {form for form in found if len(form) >= SHORTEST}


@contextlib.contextmanager
def sensitive(values: Iterable[str]) -> Iterator[None]:
    """Holds ``values`` (every form of each) as secrets to scrub until the block ends."""
    held = {form for value in values if len(value) >= SHORTEST for form in forms(value)}
    _change(held, +1)
    try:
        yield
    finally:
        _change(held, -1)


def scrub(text: str) -> str:
    """``text`` with every form of every value held by :func:`sensitive` replaced."""
    ordered = _ordered
    for form in ordered:
        if form in text:
            text = text.replace(form, PLACEHOLDER)
    return text


def _change(held: set[str], step: int) -> None:
    global _ordered
    if not held:
        return
    with _lock:
        for form in held:
            _held[form] += step
            if _held[form] <= 0:
                del _held[form]
        _ordered = tuple(sorted(_held, key=len, reverse=True))  # longest first
