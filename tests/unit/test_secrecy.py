"""Secret values never appear in a repr, a log record or an error message."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from orchsdk import (
    BackendUnavailable,
    Capabilities,
    Deployment,
    Orchestrator,
    OrchestratorError,
    Port,
    Secret,
    SecretRef,
    UnsupportedFeatureWarning,
)

VALUE = "hunter2-s3cr3t-value"
SECRET = Secret("db", data={"password": VALUE})
WEB = Deployment(
    "web",
    image="nginx:1.27",
    ports=[Port(80, name="http")],
    env={"DB_PASSWORD": SecretRef("db", "password")},
)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        f"{record.getMessage()} {record.args!r} {record.exc_text or ''}"
        for record in caplog.records
    )


def test_applying_a_secret_logs_no_value(
    orch: Orchestrator, backend: Any, debug_logs: pytest.LogCaptureFixture
) -> None:
    backend.fail("apply", BackendUnavailable("503"))

    orch.apply(SECRET, WEB)
    orch.apply(Secret("db", data={"password": VALUE + "-rotated"}))

    assert debug_logs.records, "an apply that was retried logs something"
    assert VALUE not in everything_logged(debug_logs)


def test_diffing_a_secret_logs_and_shows_no_value(
    orch: Orchestrator, debug_logs: pytest.LogCaptureFixture
) -> None:
    orch.apply(SECRET)

    diffs = orch.diff(Secret("db", data={"password": "new-" + VALUE}))

    assert VALUE not in str(diffs)
    assert VALUE not in repr(diffs)
    assert VALUE not in everything_logged(debug_logs)


def test_a_validation_error_about_a_secret_shows_no_value(orch: Orchestrator) -> None:
    invalid = Secret("db", data={"bad key": VALUE, "ok": 5})

    with pytest.raises(OrchestratorError) as caught:
        orch.apply(invalid)

    assert VALUE not in str(caught.value)
    assert VALUE not in repr(caught.value)


@pytest.mark.parametrize(
    "data",
    [[("password", VALUE)], VALUE, (VALUE,), {VALUE}],
    ids=["list of pairs", "string", "tuple", "set"],
)
def test_secret_data_that_is_not_a_mapping_is_refused_without_showing_it(
    orch: Orchestrator, data: Any
) -> None:
    with pytest.raises(OrchestratorError) as caught:
        orch.apply(Secret("db", data=data))

    assert "data: must be a mapping" in str(caught.value)
    assert VALUE not in str(caught.value)


def test_an_unsupported_secret_error_and_warning_show_no_value(backend: Any) -> None:
    backend.caps = Capabilities(secrets=False)

    with pytest.raises(OrchestratorError) as caught:
        Orchestrator(backend).apply(SECRET)
    with pytest.warns(UnsupportedFeatureWarning) as warned:
        Orchestrator(backend, lenient=True).apply(SECRET)

    assert VALUE not in str(caught.value)
    assert all(VALUE not in str(warning.message) for warning in warned)


def test_a_dangling_reference_error_shows_no_value(orch: Orchestrator) -> None:
    with pytest.raises(OrchestratorError) as caught:
        orch.apply(SECRET, Deployment("web", image="x", env={"X": SecretRef("db", "other")}))

    assert VALUE not in str(caught.value)


def test_a_secret_read_back_shows_no_value(orch: Orchestrator) -> None:
    orch.apply(SECRET)

    revealed = orch.get(Secret, "db", reveal=True)

    assert revealed.data["password"] == VALUE
    assert VALUE not in repr(revealed)
    assert VALUE not in str(orch.list(Secret, reveal=True))
