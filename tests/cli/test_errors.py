"""Exit codes and error messages: 0 ok, 1 the operation failed, 2 bad usage or input.

Every error is one line on stderr, ``error: ...``; ``-v`` adds the traceback and details.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cli_manifests import CONFIG, SECRET_VALUE, WEB
from cli_runner import Invoke

Write = Callable[[str, str], Path]

BAD = """\
apiVersion: orchsdk/v1
kind: Deployment
name: web
image: nginx:1.27
ports:
- port: "8080"
---
apiVersion: orchsdk/v1
kind: Secret
name: db
data:
  password: 12345
  other: SECRET-IN-A-BAD-DOCUMENT
extra: SECRET-IN-AN-UNKNOWN-FIELD
"""


def test_an_invalid_manifest_is_exit_2_naming_file_document_and_path(
    invoke: Invoke, memory: str, write: Write
) -> None:
    path = write("web.yaml", BAD)

    result = invoke("apply", path, "--backend", memory)

    assert result.code == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {path}[0] (Deployment 'web') is invalid: ")
    assert "ports[0].port: must be an integer, got a string '8080' (line 6)" in line
    assert f"{path}[1] (Secret 'db') is invalid: " in line
    assert "data.password: must be a string, got an integer (line 12)" in line
    assert "extra: unknown field (line 14)" in line
    assert "SECRET" not in line
    assert invoke("get", "deployments", "--backend", memory).stdout == ""  # nothing applied


def test_verbose_shows_each_problem_on_its_own_line_and_the_traceback(
    invoke: Invoke, memory: str, write: Write
) -> None:
    path = write("web.yaml", BAD)

    result = invoke("-v", "apply", path, "--backend", memory)

    assert result.code == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert f"  {path}[0] (Deployment 'web'): ports[0].port: must be an integer" in result.stderr
    assert f"  {path}[1] (Secret 'db'): extra: unknown field (line 14)" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("error: ")
    assert "SECRET" not in result.stderr


def test_a_yaml_syntax_error_names_the_line_and_not_the_text(invoke: Invoke, write: Write) -> None:
    path = write("bad.yaml", "apiVersion: orchsdk/v1\nkind: Secret\nname: db\ndata: {a: 'hunter2\n")

    result = invoke("render", path, "--to", "kubernetes")

    assert result.code == 2
    assert result.error_lines[0].startswith(f"error: {path}[0] is invalid: invalid YAML: ")
    assert "line 5" in result.stderr
    assert "hunter2" not in result.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["get"], "error: Missing argument 'KIND'. (see 'orchsdk get --help')"),
        (["get", "pods"], "error: Invalid value for KIND: unknown kind 'pods'"),
        (["scale", "web", "-1"], "error: No such option '-1'"),
        (["scale", "web", "many"], "error: Invalid value for 'REPLICAS'"),
        (["frobnicate"], "error: No such command 'frobnicate'"),
        (["apply", "--timeout", "soon", "x.yaml"], "error: Invalid value for '--timeout'"),
        (["get", "deploy", "-o", "xml"], "error: Invalid value for '-o' / '--output'"),
        (["rollback", "web", "--to-revision", "0"], "error: Invalid value for '--to-revision'"),
    ],
)
def test_usage_errors_are_exit_2_in_one_line(
    invoke: Invoke, memory: str, argv: list[str], message: str
) -> None:
    result = invoke(*argv, "--backend", memory)

    assert result.code == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(message)


def test_a_missing_file_is_exit_2(invoke: Invoke, memory: str, tmp_path: Path) -> None:
    result = invoke("apply", tmp_path / "nope.yaml", "--backend", memory)

    assert result.code == 2
    assert result.stderr == f"error: {tmp_path / 'nope.yaml'}: no such file\n"


def test_a_manifest_without_resources_is_exit_2(invoke: Invoke, memory: str, write: Write) -> None:
    result = invoke("apply", write("empty.yaml", "---\n---\n"), "--backend", memory)

    assert result.code == 2
    assert "no resources in" in result.stderr


def test_no_backend_configured_is_exit_2_saying_how_to_choose_one(invoke: Invoke) -> None:
    result = invoke("get", "deployments")

    assert result.code == 2
    assert result.stderr.startswith("error: no backend: give --backend URL or set ORCHSDK_BACKEND")


def test_an_unknown_backend_scheme_is_exit_2(invoke: Invoke) -> None:
    result = invoke("get", "deployments", "--backend", "nomad://host?token=SECRET-TOKEN")

    assert result.code == 2
    assert "no backend is installed for nomad://" in result.stderr
    assert "SECRET-TOKEN" not in result.stderr


def test_a_bad_namespace_is_exit_2(invoke: Invoke, memory: str) -> None:
    result = invoke("get", "deployments", "-n", "Not_A_Namespace", "--backend", memory)

    assert result.code == 2
    assert "namespace" in result.stderr


def test_an_unsupported_feature_is_exit_2_and_lenient_leaves_it_out_with_a_warning(
    invoke: Invoke, write: Write
) -> None:
    path = write("config.yaml", CONFIG + "---\n" + WEB)

    strict = invoke("render", path, "--to", "marathon")
    lenient = invoke("render", path, "--to", "marathon", "--lenient")

    assert strict.code == 2
    assert strict.stderr.startswith(
        "error: marathon cannot apply ConfigMap 'web-config': Marathon has no config maps"
    )
    assert lenient.code == 0
    assert lenient.stderr.startswith("warning: marathon cannot apply ConfigMap")
    assert "web-config" not in lenient.stdout
    assert SECRET_VALUE not in lenient.stdout + lenient.stderr


def test_an_unexpected_error_is_exit_1_and_asks_for_v(
    invoke: Invoke, memory: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("orchsdk.Orchestrator.list", explode)

    result = invoke("get", "deployments", "--backend", memory)

    assert result.code == 1
    assert result.stderr == (
        "error: internal error: RuntimeError: a bug (run with -v for the traceback)\n"
    )
