"""One HTTP status, one error type, on every backend: ``orchsdk.errors.error_for_status``."""

from __future__ import annotations

import pytest

from orchsdk import (
    BackendUnavailable,
    Conflict,
    FieldError,
    NotFound,
    OrchestratorError,
    PermissionDenied,
    Redirected,
    UnexpectedResponse,
    ValidationError,
)
from orchsdk.errors import error_for_status, network_failure, reads_answers, tls_failure


def test_404_is_not_found_with_the_request_and_the_server_message() -> None:
    error = error_for_status(404, "get deployment/web", 'deployments "web" not found')

    assert isinstance(error, NotFound)
    assert str(error) == 'get deployment/web: deployments "web" not found'


@pytest.mark.parametrize("reason", ["exists", "changed", "locked", "other"])
def test_409_is_a_conflict_with_the_reason_the_backend_read(reason: str) -> None:
    error = error_for_status(409, "apply service/web", "busy", conflict=reason)

    assert isinstance(error, Conflict)
    assert error.reason == reason


@pytest.mark.parametrize("status", [400, 422])
def test_400_and_422_are_validation_errors_with_the_server_field_paths(status: int) -> None:
    errors = [FieldError("spec.replicas", "must be >= 0")]

    error = error_for_status(status, "apply deployment/web", "invalid", errors=errors)

    assert isinstance(error, ValidationError)
    assert error.fields == ("spec.replicas",)


def test_a_validation_error_without_field_errors_keeps_the_message() -> None:
    error = error_for_status(422, "apply deployment/web", "the app is invalid")

    assert isinstance(error, ValidationError)
    assert error.errors == (FieldError("", "the app is invalid"),)


@pytest.mark.parametrize(("status", "words"), [(401, "credentials were refused"), (403, "denied")])
def test_401_and_403_are_permission_denied_and_say_which(status: int, words: str) -> None:
    error = error_for_status(status, "list deployments", "Forbidden")

    assert isinstance(error, PermissionDenied)
    assert error.status == status
    assert words in str(error)


@pytest.mark.parametrize("status", [429, 503])
def test_throttled_and_unavailable_say_nothing_was_done(status: int) -> None:
    error = error_for_status(status, "apply deployment/web", "slow down", retry_after=2.0)

    assert isinstance(error, BackendUnavailable)
    assert (error.acted, error.retry_after) == (False, 2.0)


@pytest.mark.parametrize("status", [500, 502, 504, 507])
def test_other_server_errors_may_have_acted(status: int) -> None:
    error = error_for_status(status, "apply deployment/web", "oops")

    assert isinstance(error, BackendUnavailable)
    assert error.acted is None


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_redirected_naming_where_it_pointed(status: int) -> None:
    error = error_for_status(status, "get deployment/web", "", location="https://other:6443/")

    assert isinstance(error, Redirected)
    assert error.location == "https://other:6443/"
    assert "https://other:6443/" in str(error)


@pytest.mark.parametrize("status", [0, 418])
def test_anything_else_is_a_plain_orchestrator_error(status: int) -> None:
    error = error_for_status(status, "get deployment/web", "")

    assert type(error) is OrchestratorError
    assert str(error) == f"get deployment/web: HTTP {status}"


def test_a_tls_failure_names_both_ways_out() -> None:
    error = tls_failure("get deployment/web", "self-signed certificate")

    assert "verify=<CA bundle path>" in str(error)
    assert "verify=false" in str(error)
    assert not isinstance(error, BackendUnavailable)  # another try fails the same way


def test_a_malformed_answer_is_an_unexpected_response_naming_the_method() -> None:
    @reads_answers
    def status(answer: dict[str, object]) -> object:
        return answer["status"]

    with pytest.raises(UnexpectedResponse, match=r"status: .*KeyError") as raised:
        status({})
    assert isinstance(raised.value.__cause__, KeyError)


def test_deep_nesting_met_while_reading_is_an_unexpected_response() -> None:
    @reads_answers
    def depth(answer: object) -> int:
        return 1 + depth(answer)

    with pytest.raises(UnexpectedResponse, match="RecursionError"):
        depth({})


def test_orchsdk_errors_pass_through_reads_answers_unchanged() -> None:
    @reads_answers
    def missing() -> None:
        raise NotFound("get deployment/web: not found")

    with pytest.raises(NotFound, match="not found"):
        missing()


# -- requests that got no answer ---------------------------------------------------------


class _PoolError(Exception):
    """Like urllib3's MaxRetryError: the failure is its ``reason``."""

    def __init__(self, reason: BaseException) -> None:
        super().__init__(f"Max retries exceeded (Caused by {reason!r})")
        self.reason = reason


def _wrapped(inner: BaseException) -> BaseException:
    """``inner`` as an HTTP library hands it over: raised from, inside a pool error."""
    outer = OSError("Failed to establish a new connection")
    outer.__cause__ = inner
    return _PoolError(outer)


@pytest.mark.parametrize(
    ("inner", "reason"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "connection refused"),
        (ConnectionResetError(104, "Connection reset by peer"), "the connection was reset"),
        (TimeoutError("timed out"), "timed out"),
        (OSError(113, "No route to host"), "no route to host"),
    ],
)
def test_a_network_failure_names_the_innermost_reason_only(
    inner: BaseException, reason: str
) -> None:
    error = network_failure("GET /v2/apps", _wrapped(inner), connected=False)

    assert str(error) == f"GET /v2/apps: could not connect ({reason})"
    assert error.acted is False


def test_a_network_failure_after_connecting_may_have_acted() -> None:
    error = network_failure(
        "PUT /v2/apps/x", _wrapped(ConnectionResetError(104, "reset")), connected=True
    )

    assert str(error) == "PUT /v2/apps/x: the connection failed (the connection was reset)"
    assert error.acted is None


def test_not_found_missing_carries_its_facts() -> None:
    error = NotFound.missing("ConfigMap", "web", "shop", "Marathon has no config maps")

    assert (
        str(error) == "ConfigMap 'web' not found in namespace 'shop' (Marathon has no config maps)"
    )
    assert (error.kind, error.name, error.namespace) == ("ConfigMap", "web", "shop")
