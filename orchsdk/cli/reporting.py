"""How the command reports: exit codes, one-line errors on stderr, warnings and ``-v`` logs.

Exit codes: 0 ok; 1 the operation failed (an :class:`~orchsdk.OrchestratorError`: not
found, conflict, unreachable, rollout failed, wait timed out); 2 bad usage or input
(click's usage errors, manifests that do not load, :class:`~orchsdk.ValidationError`,
:class:`~orchsdk.UnsupportedFeature`, :class:`~orchsdk.SettingsError`, no usable
backend). Errors go to stderr as one line; ``-v`` adds the traceback and every detail.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import click

import orchsdk
from orchsdk import (
    ManifestError,
    OrchestratorError,
    SettingsError,
    UnsupportedFeature,
    ValidationError,
)
from orchsdk.cli.target import BadTarget

__all__ = [
    "EXIT_DIFF_FAILED",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "BadInput",
    "Failed",
    "Options",
    "one_line",
    "reported",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_DIFF_FAILED = 3


class BadInput(Exception):
    """Input the command cannot use (an unreadable file, no resources): exit 2."""


class Failed(Exception):
    """An error that ends the command with a given exit code."""

    def __init__(self, error: BaseException, code: int) -> None:
        super().__init__(str(error))
        self.error = error
        self.code = code


@attrs.define
class Options:
    """The global options, given before or after the command name (the later one wins)."""

    backend: str | None = None
    namespace: str | None = None
    context: str | None = None
    lenient: bool = False
    verbose: int = 0
    reveal: bool = False


def one_line(error: BaseException) -> str:
    """An error's message on one line (its type's name when it has none)."""
    text = " ".join(str(error).split())
    return text or type(error).__name__


def _details(error: BaseException) -> list[str]:
    """Every detail of an error, one per line (shown with -v)."""
    if isinstance(error, ManifestError):
        return [
            f"{document.subject}: {field}"
            for document in error.documents
            for field in document.errors
        ]
    if isinstance(error, ValidationError):
        return [f"{error.subject}: {field}" for field in error.errors]
    return []


_BAD_INPUT = (ValidationError, UnsupportedFeature, SettingsError, BadTarget, BadInput)
_KNOWN = (OrchestratorError, BadTarget, BadInput)


def _exit_code(error: BaseException) -> int:
    return EXIT_USAGE if isinstance(error, _BAD_INPUT) else EXIT_FAILED


class _LogHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"{record.levelname.lower()}: {record.getMessage()}", err=True)


class _VerboseFilter(logging.Filter):
    def __init__(self, options: Options) -> None:
        super().__init__()
        self.options = options

    def filter(self, record: logging.LogRecord) -> bool:
        wanted = logging.DEBUG if self.options.verbose > 1 else logging.INFO
        return self.options.verbose > 0 and record.levelno >= wanted


@contextlib.contextmanager
def _reporting(options: Options) -> Iterator[None]:
    """Warnings as one ``warning:`` line each; with -v, orchsdk's log on stderr."""

    def show(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        click.echo(f"warning: {one_line(message)}", err=True)

    handler = _LogHandler()
    handler.addFilter(_VerboseFilter(options))
    logger = logging.getLogger("orchsdk")
    level = logger.level
    logger.setLevel(logging.DEBUG)
    with warnings.catch_warnings():
        warnings.simplefilter("always", orchsdk.UnsupportedFeatureWarning)
        warnings.showwarning = show
        logger.addHandler(handler)
        try:
            yield
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)


def _report(error: BaseException, verbose: int, *, internal: bool) -> None:
    if verbose:
        traceback.print_exception(error, file=sys.stderr)
        for line in _details(error):
            click.echo(f"  {line}", err=True)
    message = one_line(error)
    if internal:
        message = f"internal error: {type(error).__name__}: {message}"
        if not verbose:
            message += " (run with -v for the traceback)"
    click.echo(f"error: {message}", err=True)


def reported(command: Callable[[Options], Any]) -> int:
    """Runs ``command`` with fresh options and turns what it raises into an exit code,
    reported on stderr; an int it returns is the exit code."""
    options = Options()
    try:
        with _reporting(options):
            result = command(options)
        return result if isinstance(result, int) else EXIT_OK
    except click.exceptions.Abort:
        click.echo("error: aborted", err=True)
        return 130
    except click.ClickException as error:
        hint = ""
        if isinstance(error, click.UsageError) and error.ctx is not None:
            hint = f" (see '{error.ctx.command_path} --help')"
        click.echo(f"error: {one_line(Exception(error.format_message()))}{hint}", err=True)
        return error.exit_code
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        return 130
    except Failed as failed:
        _report(failed.error, options.verbose, internal=False)
        return failed.code
    except Exception as error:
        _report(error, options.verbose, internal=not isinstance(error, _KNOWN))
        return _exit_code(error)
