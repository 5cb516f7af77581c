"""The DC/OS secret store API, as Marathon-on-DC/OS clients see it under ``/secrets/v1``.

``/secrets/v1/secret/{store}/{path}`` with the store ``default``:

- ``PUT`` ``{"value": "..."}`` creates: **201**, or **409** if the path exists;
- ``GET`` reads: **200** ``{"value": "..."}``, **404** if missing; with ``?list=true``
  it lists the paths below instead: ``{"array": ["a/b", ...]}`` (relative to the path);
- ``PATCH`` ``{"value": "..."}`` updates: **204**, **404** if missing;
- ``DELETE`` deletes: **204**, **404** if missing.

The codes are those of the DC/OS integration tests and docs (see the project notes,
``marathon-api.md`` section 4); the error bodies are this emulator's own
``{"code": ..., "message": ...}``, since the real ones are not documented.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import unquote

from orchsdk.testing.loopback import Request, Response

__all__ = ["PREFIX", "SecretStore"]

PREFIX = "/secrets/v1"


def _error(status: int, code: str, message: str) -> Response:
    return Response.json({"code": code, "message": message}, status)


class SecretStore:
    """Secret values by ``(store, path)``; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.values: dict[str, str] = {}
        """``path`` -> value, in the ``default`` store (tests may read and seed it)."""

    def handle(self, request: Request) -> Response:
        """Answers one request whose path starts with :data:`PREFIX`."""
        rest = unquote(request.path[len(PREFIX) :])
        if not rest.startswith("/secret/"):
            return _error(404, "ER_NOT_FOUND", f"no such resource: {request.path}")
        store, _, path = rest[len("/secret/") :].partition("/")
        if store != "default":
            return _error(404, "ER_STORE_NOT_FOUND", f"Secret store {store!r} not found")
        if request.method == "GET" and (request.arg("list") or "").lower() == "true":
            return self._list(path)
        path = path.strip("/")
        if not path:
            return _error(400, "ER_INVALID_PATH", "a secret path is required")
        with self._lock:
            if request.method == "GET":
                if path not in self.values:
                    return _not_found(path)
                return Response.json({"value": self.values[path]})
            if request.method == "DELETE":
                if self.values.pop(path, None) is None:
                    return _not_found(path)
                return Response(204)
            if request.method in ("PUT", "PATCH"):
                value = _value_of(request)
                if value is None:
                    return _error(400, "ER_MALFORMED", 'the body must be {"value": "<string>"}')
                exists = path in self.values
                if request.method == "PUT" and exists:
                    return _error(409, "ER_SECRET_EXISTS", f"Secret {path} already exists")
                if request.method == "PATCH" and not exists:
                    return _not_found(path)
                self.values[path] = value
                return Response(201 if request.method == "PUT" else 204)
        return _error(405, "ER_METHOD", f"{request.method} is not allowed here")

    def _list(self, prefix: str) -> Response:
        prefix = prefix.strip("/")
        with self._lock:
            if not prefix:
                names = sorted(self.values)
            else:
                start = prefix + "/"
                names = sorted(path[len(start) :] for path in self.values if path.startswith(start))
        return Response.json({"array": names})


def _not_found(path: str) -> Response:
    return _error(404, "ER_SECRET_NOT_FOUND", f"Secret {path} not found")


def _value_of(request: Request) -> str | None:
    try:
        document: Any = request.json()
    except ValueError:
        return None
    if not isinstance(document, dict) or not isinstance(document.get("value"), str):
        return None
    return str(document["value"])
