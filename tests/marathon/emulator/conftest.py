"""Fixtures for the Marathon emulator's specification: emulators and a small HTTP client.

Most tests use ``marathon`` (no clock: deployments move only when the test steps them,
so nothing depends on timing); the few about the clock use ``clocked``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from orchsdk_marathon.testing import MarathonEmulator
from orchsdk_marathon.testing.fixtures import marathon_schema_path

RAML = Path(__file__).resolve().parents[4] / "shared" / "marathon-api" / "raml"


@pytest.fixture(scope="session")
def schema_path() -> Path:
    """Marathon's ``AppDefinition.json`` (tests that need it are skipped without it)."""
    path = marathon_schema_path()
    if path is None:
        pytest.skip("ORCHSDK_MARATHON_SCHEMA is unset (Marathon's AppDefinition.json)")
    return path


@pytest.fixture(scope="session")
def raml_examples(pytestconfig: pytest.Config) -> Path:
    """``raml/v2/examples`` of Marathon's API description."""
    for root in (Path(str(pytestconfig.rootpath)).parent / "shared", RAML.parent.parent):
        examples = root / "marathon-api" / "raml" / "v2" / "examples"
        if examples.is_dir():
            return examples
    pytest.skip("Marathon's RAML examples are not beside the clone (../shared)")


@pytest.fixture
def raml_error(raml_examples: Path) -> Callable[[str], Any]:
    """The JSON error example of a trait in ``raml/traits.raml`` (e.g. ``objectValidator``)."""
    return lambda trait: _raml_error_example(raml_examples, trait)


def _raml_error_example(raml_examples: Path, trait: str) -> Any:
    text = (raml_examples.parent.parent / "traits.raml").read_text()
    section = text.split(f"\n{trait}:", 1)[1]
    example = section.split("example: |", 1)[1]
    lines: list[str] = []
    for line in example.splitlines()[1:]:
        if line.strip() and not line.startswith("            "):
            break
        lines.append(line)
    return json.loads("\n".join(lines))


class Api:
    """``requests`` against one emulator, with JSON helpers; closes its session at the end."""

    def __init__(self, base: str, headers: dict[str, str] | None = None) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers.update(headers or {})

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 5)
        return self.session.request(method, self.base + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self("DELETE", path, **kwargs)

    def app(self, app_id: str) -> dict[str, Any]:
        response = self.get(f"/v2/apps{app_id}")
        assert response.status_code == 200, response.text
        app: dict[str, Any] = response.json()["app"]
        return app

    def deployments(self) -> list[dict[str, Any]]:
        deployments: list[dict[str, Any]] = self.get("/v2/deployments").json()
        return deployments

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def marathon(schema_path: Path) -> Iterator[MarathonEmulator]:
    """An emulator with the secret store, the schema, and no clock."""
    with MarathonEmulator(schema=schema_path, auto=False) as emulator:
        yield emulator


@pytest.fixture
def clocked() -> Iterator[MarathonEmulator]:
    """An emulator whose clock finishes a deployment in about 0.1 s."""
    with MarathonEmulator(deployment_seconds=0.1) as emulator:
        yield emulator


@pytest.fixture
def make_api() -> Iterator[Callable[..., Api]]:
    """Makes :class:`Api` clients (closed at the end)."""
    made: list[Api] = []

    def make(base: str, headers: dict[str, str] | None = None) -> Api:
        made.append(Api(base, headers))
        return made[-1]

    yield make
    for api in made:
        api.close()


@pytest.fixture
def api(marathon: MarathonEmulator, make_api: Callable[..., Api]) -> Api:
    """A client of ``marathon``."""
    return make_api(marathon.marathon_url)


WEB: dict[str, Any] = {
    "id": "/shop/web",
    "cmd": "python3 -m http.server $PORT0",
    "instances": 2,
    "cpus": 0.25,
    "mem": 64,
    "labels": {"app": "web", "tier": "front"},
}
"""A small app with host networking (one default port)."""


def _web(**changes: Any) -> dict[str, Any]:
    return {**json.loads(json.dumps(WEB)), **changes}


@pytest.fixture
def web() -> Callable[..., dict[str, Any]]:
    """Makes a copy of :data:`WEB` with some fields changed: ``web(instances=3)``."""
    return _web


def _wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition not reached in time")
        time.sleep(0.01)


@pytest.fixture
def wait_until() -> Callable[..., None]:
    """Polls a condition until it holds; fails the test after ``timeout`` seconds."""
    return _wait_until
