"""Bounded retries of transient failures (connection errors, 5xx, 429), with tenacity.

Only :class:`~orchsdk.BackendUnavailable` is retried, and only for operations that are
safe to repeat. A server's ``Retry-After`` is honoured; the total time never exceeds
the policy's deadline.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import attrs

from orchsdk.errors import BackendUnavailable

if TYPE_CHECKING:
    import tenacity

__all__ = ["NO_RETRY", "RetryPolicy"]

T = TypeVar("T")
log = logging.getLogger("orchsdk.retry")


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

    def call(self, operation: Callable[[], T], *, description: str = "operation") -> T:
        """Runs ``operation``, retrying :class:`~orchsdk.BackendUnavailable` within the policy."""
        if self.attempts == 1:
            return operation()
        return self._retrying(description)(operation)

    def _retrying(self, description: str) -> tenacity.Retrying:
        import tenacity

        def wait(state: tenacity.RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            retry_after = error.retry_after if isinstance(error, BackendUnavailable) else None
            return self.delay(state.attempt_number, retry_after)

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
            retry=tenacity.retry_if_exception_type(BackendUnavailable),
            stop=tenacity.stop_after_attempt(self.attempts)
            | tenacity.stop_before_delay(self.deadline),
            wait=wait,
            before_sleep=log_retry,
            reraise=True,
        )


NO_RETRY = RetryPolicy(attempts=1)
"""Try once; report the first failure."""
