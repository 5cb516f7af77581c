"""The DC/OS secret store API: one path per key, ``<namespace>/<secret>/<key>``.

``PUT /secret/default/<path>`` creates (201; 409 if it exists, then ``PATCH`` updates,
204), ``GET`` reads ``{"value": ...}``, ``GET <dir>?list=true`` lists ``{"array": [...]}``
and ``DELETE`` removes (204). Marathon never calls this API: the backend creates a
secret's paths before the app that refers to them (the core applies secrets first).

Values travel only in request and response bodies: never in URLs, logs or errors.
"""

from __future__ import annotations

from collections.abc import Mapping

from orchsdk import NotFound, UnexpectedResponse
from orchsdk.retry import confirm_lost_write
from orchsdk_marathon.transport import Reply, Transport, quote_path

__all__ = ["SecretStore"]

_STORE = "/secret/default/"


class SecretStore:
    """Reads and writes secret values at paths of the ``default`` store."""

    def __init__(self, transport: Transport) -> None:
        self._http = transport

    def __repr__(self) -> str:
        return f"<SecretStore {self._http.servers[0]}>"

    def list(self, *segments: str) -> list[str]:
        """The paths below ``segments``, relative to it (``[]`` when there is nothing)."""
        where = quote_path(*segments)
        reply = self._http.request("GET", _STORE + where, params={"list": "true"}, accept=(404,))
        if reply.status == 404:
            return []
        document = reply.json()
        entries = document.get("array") if isinstance(document, Mapping) else None
        if entries is None:
            return []
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise UnexpectedResponse(f"{reply.what}: expected {{'array': [paths]}}")
        prefix = "/".join(segments) + "/"
        return [entry.removeprefix(prefix).strip("/") for entry in entries if entry.strip("/")]

    def read(self, *segments: str) -> str:
        """The value at a path; :class:`~orchsdk.NotFound` if there is none."""
        return _value(self._http.request("GET", _STORE + quote_path(*segments)))

    def find(self, *segments: str) -> str | None:
        """The value at a path, or None if there is none (a 404 is an answer here: one
        request tells a new key from an existing one)."""
        reply = self._http.request("GET", _STORE + quote_path(*segments), accept=(404,))
        return None if reply.status == 404 else _value(reply)

    def write(self, value: str, *segments: str) -> None:
        """Creates the path with ``value``, or updates it if it exists.

        The store's ``PUT`` creates only (409 if the path exists), so it is not repeated
        blindly: a write whose answer was lost is resolved by reading the value back,
        and raises the original error only when the value is not (yet) there.
        """
        path = _STORE + quote_path(*segments)

        def write() -> None:
            reply = self._http.request("PUT", path, json={"value": value}, accept=(409,))
            if reply.status == 409:
                self._http.request("PATCH", path, json={"value": value})

        confirm_lost_write(write, lambda: self.read(*segments) == value, what=path)

    def remove(self, *segments: str) -> bool:
        """Deletes a path; False if it was not there.

        A delete whose answer was lost is resolved by reading back: gone means deleted.
        """
        path = _STORE + quote_path(*segments)

        def delete() -> bool:
            self._http.request("DELETE", path)
            return True

        try:
            return confirm_lost_write(delete, lambda: self._gone(*segments), what=path)
        except NotFound:
            return False

    def _gone(self, *segments: str) -> bool:
        try:
            self.read(*segments)
        except NotFound:
            return True
        return False


def _value(reply: Reply) -> str:
    """The ``{"value": ...}`` of a read (the body is never quoted: it holds the secret)."""
    document = reply.json(quote=False)
    value = document.get("value") if isinstance(document, Mapping) else None
    if not isinstance(value, str):
        raise UnexpectedResponse(f"{reply.what}: expected {{'value': <string>}}")
    return value
