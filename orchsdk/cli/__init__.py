"""The ``orchsdk`` command: apply, diff, render, get, scale, roll back, delete and inspect.

Installed as a console script with the ``cli`` extra (``pip install 'orchsdk[cli]'``);
see ``docs/cli.md``. :func:`main` is the entry point; :func:`orchsdk.cli.app.run` runs
the command in-process and returns its exit code.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Runs ``orchsdk`` with ``argv`` (default: the command line) and exits with its code."""
    try:
        import click  # noqa: F401
        import rich  # noqa: F401
    except ImportError as error:
        sys.stderr.write(
            f"error: the orchsdk command needs {error.name}: pip install 'orchsdk[cli]'\n"
        )
        raise SystemExit(2) from None
    from orchsdk.cli.app import run

    raise SystemExit(run(argv))
