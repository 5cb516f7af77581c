"""Runs the ``orchsdk`` command in-process, as a user would, and captures what it prints.

``invoke_command("get", "deployments")`` runs :func:`orchsdk.cli.app.run` inside click's
``CliRunner`` isolation (stdin, stdout, stderr and environment swapped) and returns the
exit code with stdout and stderr apart. A module of its own (not ``conftest``) so that
test modules import it by a name no other test directory uses.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
from click.testing import CliRunner

from orchsdk.cli.app import run


@attrs.frozen
class Result:
    """What one run of the command did."""

    code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error: ")]


Invoke = Callable[..., Result]


def invoke_command(
    *args: str, input: str | None = None, env: dict[str, str] | None = None
) -> Result:
    runner = CliRunner()
    with runner.isolation(input=input, env=env) as (out, err, _):
        code = run([str(arg) for arg in args])
    return Result(code, out.getvalue().decode(), err.getvalue().decode())
