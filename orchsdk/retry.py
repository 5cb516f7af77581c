"""Bounded retries of transient failures (connection errors, 5xx, 429), with tenacity.

Retried: :class:`~orchsdk.BackendUnavailable`, and :class:`~orchsdk.Conflict` with
``reason="changed"`` (an optimistic-concurrency check failed, so nothing was written;
each try reads afresh). An operation that is not safe to repeat (``idempotent=False``)
is retried only when the failure says it changed nothing (``BackendUnavailable.acted is
False``, or the conflict). A server's ``Retry-After`` is honoured. No try starts once
``deadline`` seconds have passed since the first (nor one whose wait would end later),
so a call takes at most ``deadline`` plus the duration of one try, which the backend's
request timeouts bound.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

import attrs

from orchsdk.errors import BackendUnavailable, Conflict, OrchestratorError

if TYPE_CHECKING:
    import tenacity

__all__ = ["NO_RETRY", "RetryPolicy", "before_any_write", "confirm_lost_write", "retryable"]

T = TypeVar("T")
U = TypeVar("U")
log = logging.getLogger("orchsdk.retry")
readback_log = logging.getLogger("orchsdk.readback")
"""Where :func:`confirm_lost_write` says a lost answer was resolved: not a retry."""


@attrs.frozen
class RetryPolicy:
    """How often and how long to retry a transient failure.

    Waits grow from ``initial_delay`` by ``multiplier`` up to ``max_delay``, with up to
    ``jitter`` of each added at random; a server's ``Retry-After`` is a floor. Retrying
    stops after ``attempts`` tries or when the next wait would pass ``deadline`` seconds.
    """

    attempts: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    deadline: float = attrs.field(default=30.0, validator=attrs.validators.gt(0))
    initial_delay: float = attrs.field(default=0.1, validator=attrs.validators.ge(0))
    max_delay: float = attrs.field(default=5.0, validator=attrs.validators.ge(0))
    multiplier: float = attrs.field(default=2.0, validator=attrs.validators.ge(1))
    jitter: float = attrs.field(default=0.1, validator=attrs.validators.ge(0))

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before try ``attempt + 1`` (``attempt`` counts from 1)."""
        try:
            backoff = min(self.max_delay, self.initial_delay * self.multiplier ** (attempt - 1))
        except OverflowError:  # the growth is past what a float holds, so past max_delay too
            backoff = self.max_delay if self.initial_delay else 0.0
        backoff += backoff * self.jitter * random.random()
        return max(backoff, retry_after or 0.0)

    def call(
        self,
        operation: Callable[[], T],
        *,
        description: str = "operation",
        idempotent: bool = True,
    ) -> T:
        """Runs ``operation``, retrying transient failures (see :func:`retryable`) within
        the policy. ``idempotent=False``: only failures that changed nothing are retried.

        The first try runs on its own, and the retry loop is built only once it has failed
        in a way worth retrying: most calls succeed at once, and building the loop costs
        more than many operations do. The loop counts that failure as its first try.
        """
        started = time.monotonic()
        try:
            return operation()
        except Exception as error:
            if self.attempts == 1 or not retryable(error, idempotent):
                raise
            first_failure = error
        retrying = self._retrying(description, idempotent, started + self.deadline)
        return retrying(_replay(first_failure, operation))

    def _retrying(
        self, description: str, idempotent: bool, deadline_at: float
    ) -> tenacity.Retrying:
        """The loop that retries after a first failed try; ``deadline_at`` is on the
        ``time.monotonic()`` clock, ``deadline`` seconds after that try started."""
        import tenacity

        def wait(state: tenacity.RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            retry_after = error.retry_after if isinstance(error, BackendUnavailable) else None
            return self.delay(state.attempt_number, retry_after)

        def stop(state: tenacity.RetryCallState) -> bool:
            out_of_time = time.monotonic() + state.upcoming_sleep >= deadline_at
            return state.attempt_number >= self.attempts or out_of_time

        def log_retry(state: tenacity.RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            sleep = state.next_action.sleep if state.next_action else 0.0
            log.info(
                "%s failed (%s); try %d in %.2fs",
                description,
                error,
                state.attempt_number + 1,
                sleep,
            )

        return tenacity.Retrying(
            retry=tenacity.retry_if_exception(lambda error: retryable(error, idempotent)),
            stop=stop,
            wait=wait,
            before_sleep=log_retry,
            reraise=True,
        )


def _replay(failure: Exception, operation: Callable[[], T]) -> Callable[[], T]:
    """``operation``, except that its first call raises ``failure`` instead of running.

    So the retry loop, built after the first try failed, sees that try as its own
    attempt 1: it counts it, waits ``delay(1, its Retry-After)`` and logs "try 2".
    """
    pending = [failure]

    def attempt() -> T:
        if pending:
            raise pending.pop()
        return operation()

    return attempt


def retryable(error: BaseException, idempotent: bool = True) -> bool:
    """Whether a failure is worth another try of the operation that raised it.

    A :class:`~orchsdk.BackendUnavailable` is, when the operation is safe to repeat or
    the error says the failed call changed nothing; a :class:`~orchsdk.Conflict` whose
    ``reason`` is ``"changed"`` always is (the write was refused, and the next try reads
    the new state). Nothing else is.
    """
    if isinstance(error, BackendUnavailable):
        return idempotent or error.acted is False
    return isinstance(error, Conflict) and error.reason == "changed"


NO_RETRY = RetryPolicy(attempts=1)
"""Try once; report the first failure."""


def confirm_lost_write(
    write: Callable[[], T], landed: Callable[[], U | None], *, what: str
) -> T | U:
    """Runs ``write``; when its answer is lost, reads back whether it happened anyway.

    A write that failed with :class:`~orchsdk.BackendUnavailable` whose ``acted`` is not
    ``False`` (the connection dropped after the request was sent, a 500) may have
    happened. Then ``landed`` is asked: it reads the orchestrator and returns what the
    write achieved (an :class:`~orchsdk.Action`, ``True``), or ``None``/``False`` when it
    cannot tell the write landed. A read-back that fails counts as "cannot tell". When the
    write did land, that is the result; otherwise the original error is raised, for the
    core's retry policy to decide about.

    This is how writes that are not safe to repeat blindly (a rollback, a create-only
    PUT) stay exact under lost answers, on every backend.
    """
    try:
        return write()
    except BackendUnavailable as error:
        if error.acted is False:
            raise
        try:
            outcome = landed()
        except OrchestratorError:
            outcome = None
        if outcome is None or outcome is False:
            raise
        readback_log.info("%s: the answer was lost, but it reads back as written", what)
        return outcome


@contextlib.contextmanager
def before_any_write() -> Iterator[None]:
    """Marks a :class:`~orchsdk.BackendUnavailable` raised inside as ``acted=False``.

    For the reads an operation makes before its first write: when one of them fails,
    nothing has changed, so even an operation that is not safe to repeat may be retried.
    """
    try:
        yield
    except BackendUnavailable as error:
        error.acted = False
        raise
