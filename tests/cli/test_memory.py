"""The command end to end on ``memory://NAME`` (one store shared by the invocations of a test)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from cli_manifests import CONFIG, SECRET_VALUE, WEB, web
from cli_runner import Invoke

import orchsdk
from orchsdk import Backend, Capabilities, NotFound, OrchestratorError
from orchsdk.testing.failures import eventually

Write = Callable[[str, str], Path]


@pytest.fixture
def applied(invoke: Invoke, memory: str, write: Write) -> Path:
    """The web manifests applied and rolled out on ``memory``."""
    path = write("web.yaml", WEB)
    assert invoke("apply", path, "--wait", "--backend", memory).code == 0
    return path


def test_apply_says_what_it_did_and_a_second_apply_changes_nothing(
    invoke: Invoke, memory: str, write: Write
) -> None:
    path = write("web.yaml", WEB)

    first = invoke("--backend", memory, "apply", path)
    second = invoke("--backend", memory, "apply", path)

    assert first.code == 0
    assert first.stdout.splitlines() == [
        "secret/db created",
        "deployment/web created",
        "service/web created",
    ]
    assert second.stdout.splitlines() == [
        "secret/db unchanged",
        "deployment/web unchanged",
        "service/web unchanged",
    ]


def test_apply_wait_reports_the_rollout_on_stderr_and_the_result_on_stdout(
    invoke: Invoke, memory: str, write: Write
) -> None:
    result = invoke("apply", write("web.yaml", WEB), "--wait", "--backend", memory)

    assert result.code == 0
    assert "deployment/web rolled out: 2/2 updated" in result.stdout
    progress = [line for line in result.stderr.splitlines() if line.startswith("deployment/web:")]
    assert progress, result.stderr
    assert "(complete" in progress[-1]


def test_apply_wait_that_times_out_fails_with_exit_1(invoke: Invoke, write: Write) -> None:
    held = "memory://cli-held?rollout=manual"

    result = invoke(
        "apply", write("web.yaml", WEB), "--wait", "--timeout", "0.3", "--backend", held
    )

    assert result.code == 1
    assert len(result.error_lines) == 1
    assert "did not finish within --timeout 0.3s: 0/2 updated" in result.error_lines[0]


def test_apply_reads_manifests_from_stdin_and_folders(
    invoke: Invoke, memory: str, write: Write, tmp_path: Path
) -> None:
    write("config.yaml", CONFIG)
    from_stdin = invoke("apply", "-", "--backend", memory, input=WEB)
    from_folder = invoke("apply", tmp_path, "--backend", memory)

    assert from_stdin.code == 0
    assert "deployment/web created" in from_stdin.stdout
    assert from_folder.code == 0
    assert "configmap/web-config created" in from_folder.stdout


def test_get_lists_in_a_table_and_wide_adds_columns(
    invoke: Invoke, memory: str, applied: Path
) -> None:
    table = invoke("get", "deployments", "--backend", memory)
    wide = invoke("get", "deploy", "-o", "wide", "--backend", memory)

    assert table.code == 0
    assert table.stdout.split() == [
        *("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "IMAGE"),
        *("web", "2/2", "2", "2", "nginx:1.27"),
    ]
    assert wide.stdout.splitlines()[0].split()[-4:] == ["PORTS", "REVISION", "PHASE", "LABELS"]
    assert "http:8080/TCP" in wide.stdout
    assert "app=web" in wide.stdout


@pytest.mark.parametrize("kind", ["service", "services", "svc", "SVC"])
def test_get_knows_kinds_by_their_names_and_short_names(
    invoke: Invoke, memory: str, applied: Path, kind: str
) -> None:
    result = invoke("get", kind, "--backend", memory)

    assert result.code == 0
    assert result.stdout.split()[4:] == ["web", "internal", "80->http/TCP", "app=web"]


def test_get_yaml_is_a_manifest_that_apply_reads_back(
    invoke: Invoke, memory: str, applied: Path
) -> None:
    dumped = invoke("get", "deployment", "web", "-o", "yaml", "--backend", memory)
    again = invoke("apply", "-", "--backend", memory, input=dumped.stdout)

    assert dumped.code == 0
    assert orchsdk.load_manifests(dumped.stdout)[0].image == "nginx:1.27"
    assert again.stdout.strip() == "deployment/web unchanged"


def test_get_json_of_one_resource_is_an_object_and_of_a_list_an_array(
    invoke: Invoke, memory: str, applied: Path
) -> None:
    one = json.loads(invoke("get", "svc", "web", "-o", "json", "--backend", memory).stdout)
    many = json.loads(invoke("get", "svc", "-o", "json", "--backend", memory).stdout)

    assert one["kind"] == "Service"
    assert one["selector"] == {"app": "web"}
    assert many == [one]


def test_get_selects_by_label(invoke: Invoke, memory: str, applied: Path) -> None:
    matching = invoke("get", "deployments", "-l", "app=web", "--backend", memory)
    other = invoke("get", "deployments", "-l", "app=api", "--backend", memory)

    assert "web" in matching.stdout
    assert other.code == 0
    assert other.stdout == ""
    assert "No deployments found" in other.stderr


def test_a_missing_resource_is_exit_1_with_one_error_line(invoke: Invoke, memory: str) -> None:
    result = invoke("get", "deployment", "nope", "--backend", memory)

    assert result.code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: Deployment 'nope' not found in namespace 'default'"
    ]


def test_secret_values_are_shown_only_with_reveal(
    invoke: Invoke, memory: str, applied: Path
) -> None:
    hidden = [
        invoke("get", "secrets", "--backend", memory),
        invoke("get", "secrets", "-o", "wide", "--backend", memory),
        invoke("get", "secret", "db", "-o", "yaml", "--backend", memory),
        invoke("get", "secret", "db", "-o", "json", "--backend", memory),
        invoke("diff", applied, "--backend", memory),
        invoke("apply", applied, "--backend", memory),
        invoke("render", applied, "--to", "kubernetes"),
        invoke("render", applied, "--to", "marathon", "-o", "json"),
    ]
    shown = invoke("get", "secret", "db", "-o", "yaml", "--reveal", "--backend", memory)

    encoded = base64.b64encode(SECRET_VALUE.encode()).decode()
    for result in hidden:
        assert result.code == 0, result
        assert SECRET_VALUE not in result.stdout + result.stderr
        assert encoded not in result.stdout + result.stderr
    assert "<redacted>" in hidden[2].stdout
    assert "password" in hidden[1].stdout
    assert SECRET_VALUE in shown.stdout


def test_a_redacted_secret_cannot_be_applied_back(
    invoke: Invoke, memory: str, applied: Path
) -> None:
    dumped = invoke("get", "secret", "db", "-o", "yaml", "--backend", memory).stdout

    result = invoke("apply", "-", "--backend", memory, input=dumped)

    assert result.code == 2
    assert "data.password: is the '<redacted>' placeholder" in result.stderr
    assert (
        invoke("get", "secret", "db", "-o", "yaml", "--reveal", "--backend", memory).stdout.count(
            SECRET_VALUE
        )
        == 1
    )


def test_diff_exits_0_without_differences_and_1_with_them(
    invoke: Invoke, memory: str, applied: Path, write: Write
) -> None:
    same = invoke("diff", applied, "--backend", memory)
    changed = invoke("diff", write("web2.yaml", web(image="nginx:1.28")), "--backend", memory)

    assert same.code == 0
    assert "deployment/web (default): unchanged" in same.stdout
    assert changed.code == 1
    assert "deployment/web (default): updated" in changed.stdout
    assert "'nginx:1.27' -> 'nginx:1.28'" in changed.stdout


def test_diff_of_new_resources_says_created(invoke: Invoke, memory: str, write: Write) -> None:
    result = invoke("diff", write("web.yaml", WEB), "--backend", memory)

    assert result.code == 1
    assert "service/web (default): created" in result.stdout


def test_diff_exits_3_when_the_operation_fails(
    invoke: Invoke, write: Write, isolated_renderers: None
) -> None:
    class Broken(Backend):
        name = "broken"
        capabilities = Capabilities()

        def get(self, *args: object, **kwargs: object) -> orchsdk.Resource:
            raise OrchestratorError("the cluster is on fire")

        def __getattr__(self, name: str) -> object:
            raise NotFound(name)

    Broken.__abstractmethods__ = frozenset()
    orchsdk.register_backend("broken", lambda url, **options: Broken())

    result = invoke("diff", write("web.yaml", WEB), "--backend", "broken://")

    assert result.code == 3
    assert result.stderr.splitlines() == ["error: the cluster is on fire"]


def test_status_scale_and_rollback(
    invoke: Invoke, memory: str, applied: Path, write: Write
) -> None:
    status = invoke("status", "web", "--backend", memory)
    scaled = invoke("scale", "web", "4", "--wait", "--backend", memory)
    invoke(
        "apply",
        write("v2.yaml", web(image="nginx:1.28", replicas=4)),
        "--wait",
        "--backend",
        memory,
    )
    rolled = invoke("rollback", "web", "--wait", "--backend", memory)
    image = invoke("get", "deployment", "web", "-o", "json", "--backend", memory)

    assert status.stdout.startswith("deployment/web (default): 2/2 updated")
    assert scaled.code == 0
    assert scaled.stdout.splitlines()[0] == "deployment/web scaled to 4"
    assert "4/4 updated, 4 available" in scaled.stdout
    assert rolled.code == 0
    assert rolled.stdout.splitlines()[0] == "deployment/web rolled back to the previous revision"
    assert json.loads(image.stdout)["image"] == "nginx:1.27"


def test_rollback_to_a_revision(invoke: Invoke, memory: str, applied: Path, write: Write) -> None:
    invoke("apply", write("v2.yaml", web(image="nginx:1.28")), "--wait", "--backend", memory)
    invoke("apply", write("v3.yaml", web(image="nginx:1.29")), "--wait", "--backend", memory)

    result = invoke("rollback", "web", "--to-revision", "1", "--wait", "--backend", memory)
    image = json.loads(invoke("get", "deploy", "web", "-o", "json", "--backend", memory).stdout)

    assert result.stdout.splitlines()[0] == "deployment/web rolled back to revision 1"
    assert image["image"] == "nginx:1.27"


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_status_as_data(invoke: Invoke, memory: str, applied: Path, output: str) -> None:
    text = invoke("status", "web", "-o", output, "--backend", memory).stdout

    data = json.loads(text) if output == "json" else yaml.safe_load(text)

    assert data["desired"] == 2
    assert data["phase"] == "complete"


def test_instances_and_endpoints(invoke: Invoke, memory: str, applied: Path) -> None:
    instances = invoke("instances", "web", "--backend", memory)
    endpoints = invoke("endpoints", "web", "-o", "json", "--backend", memory)

    assert instances.stdout.split()[:6] == ["ID", "HOST", "PORTS", "STATE", "READY", "REVISION"]
    assert len(instances.stdout.splitlines()) == 3
    assert [endpoint["port"] for endpoint in json.loads(endpoints.stdout)] == [8080, 8080]


def test_capabilities(invoke: Invoke, memory: str) -> None:
    table = invoke("capabilities", "--backend", memory)
    data = json.loads(invoke("capabilities", "-o", "json", "--backend", memory).stdout)

    assert table.stdout.split()[:3] == ["CAPABILITY", "SUPPORTED", "REASON"]
    assert ["secrets", "yes", "-"] in [line.split() for line in table.stdout.splitlines()]
    assert data["backend"] == "memory"
    assert data["capabilities"]["status_stream"] is True
    assert data["reasons"] == {}


def test_delete_by_kind_and_name_then_by_file(invoke: Invoke, memory: str, applied: Path) -> None:
    by_name = invoke("delete", "deployment", "web", "--backend", memory)
    again = invoke("delete", "deployment", "web", "--backend", memory)
    by_file = invoke("delete", applied, "--ignore-not-found", "--backend", memory)

    assert by_name.stdout == "deployment/web deleted\n"
    assert again.code == 1
    assert again.error_lines == ["error: Deployment 'web' not found in namespace 'default'"]
    assert by_file.code == 0
    assert by_file.stdout.splitlines() == [
        "service/web deleted",
        "deployment/web not found (ignored)",
        "secret/db deleted",
    ]


def test_global_options_go_before_or_after_the_command(
    invoke: Invoke, memory: str, write: Write
) -> None:
    path = write("web.yaml", WEB)
    before = invoke("--backend", memory, "-n", "shop", "apply", path)
    after = invoke("get", "deployments", "--namespace", "shop", "--backend", memory)

    assert before.code == 0
    assert "web" in after.stdout
    assert invoke("get", "deployments", "--backend", memory).stdout == ""


def test_the_backend_comes_from_orchsdk_backend(invoke: Invoke, memory: str, write: Write) -> None:
    path = write("web.yaml", WEB)

    result = invoke("apply", path, env={"ORCHSDK_BACKEND": memory})

    assert result.code == 0
    assert "deployment/web created" in result.stdout
    assert invoke("get", "deploy", "--backend", memory).stdout.split()[5] == "web"


def test_schema_prints_the_manifest_schema(invoke: Invoke) -> None:
    result = invoke("schema")

    assert result.code == 0
    assert json.loads(result.stdout) == orchsdk.manifest_schema()


def test_version(invoke: Invoke) -> None:
    result = invoke("--version")

    assert result.code == 0
    assert orchsdk.__version__ in result.stdout


@pytest.fixture
def isolated_renderers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("orchsdk.plugins._registered", {})


def test_a_failed_apply_says_what_was_applied_before_it(
    invoke: Invoke, memory: str, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchsdk_memory import MemoryBackend

    original = MemoryBackend.apply

    def apply(self: MemoryBackend, resource: orchsdk.Resource) -> orchsdk.Action:
        if resource.kind == "Service":
            raise orchsdk.Conflict("service/web is locked", reason="locked")
        return original(self, resource)

    monkeypatch.setattr(MemoryBackend, "apply", apply)

    result = invoke("apply", write("web.yaml", WEB), "--backend", memory)

    assert result.code == 1
    assert result.stdout.splitlines() == ["secret/db created", "deployment/web created"]
    assert result.stderr == "error: service/web is locked\n"


def test_events_lists_what_happened_to_a_deployment_oldest_first(
    invoke: Invoke, memory: str, applied: Path
) -> None:
    result = invoke("events", "web", "--backend", memory)

    assert result.code == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split()[:4] == ["TIME", "TYPE", "REASON", "OBJECT"]
    assert any(" Started " in row for row in rows)


def test_events_as_json_are_the_portable_event_fields(
    invoke: Invoke, memory: str, applied: Path
) -> None:
    events = json.loads(invoke("events", "web", "-o", "json", "--backend", memory).stdout)

    assert {"time", "type", "reason", "message", "object", "count"} <= set(events[0])


def test_wait_on_an_unpullable_image_fails_at_once_with_the_reason(
    invoke: Invoke, memory: str, write: Write
) -> None:
    bad = write("bad.yaml", web(image="registry.invalid/web:1"))

    result = invoke("apply", bad, "--wait", "--timeout", "60", "--backend", memory)

    assert result.code == 1
    assert "image-pull" in result.stderr
    assert 'cannot pull image "registry.invalid/web:1"' in result.stderr


def test_status_of_a_failing_rollout_shows_the_latest_warning(
    invoke: Invoke, memory: str, write: Write
) -> None:
    assert (
        invoke(
            "apply", write("bad.yaml", web(image="registry.invalid/web:1")), "--backend", memory
        ).code
        == 0
    )

    def warned() -> bool:
        return "latest warning: " in invoke("status", "web", "--backend", memory).stdout

    assert eventually(warned, 10.0)
    status = invoke("status", "web", "--backend", memory)
    assert status.code == 0
    assert status.stdout.splitlines()[-1].startswith("latest warning: ")
    assert "registry.invalid/web:1" in status.stdout


def test_events_of_a_missing_deployment_fail_with_not_found(invoke: Invoke, memory: str) -> None:
    result = invoke("events", "absent", "--backend", memory)

    assert result.code == 1
    assert "not found" in result.stderr


def test_delete_with_wait_returns_once_the_deployment_is_gone(
    invoke: Invoke, memory: str, applied: Path
) -> None:
    result = invoke("delete", "deployment", "web", "--wait", "--timeout", "30", "--backend", memory)

    assert (result.code, result.stdout) == (0, "deployment/web deleted\n")
    assert invoke("get", "deployment", "web", "--backend", memory).code == 1


def test_restart_waits_for_a_new_revision(invoke: Invoke, memory: str, applied: Path) -> None:
    restarted = invoke("restart", "web", "--wait", "--backend", memory)

    assert restarted.code == 0
    assert restarted.stdout.splitlines()[0] == "deployment/web restarted"
    assert "2/2 updated" in restarted.stdout
    assert "revision 2" in restarted.stdout


def test_history_marks_the_current_revision_and_says_why_each_was_made(
    invoke: Invoke, memory: str, applied: Path
) -> None:
    invoke("restart", "web", "--backend", memory)

    shown = invoke("history", "web", "--backend", memory)

    assert shown.code == 0
    rows = [line.split() for line in shown.stdout.splitlines()]
    assert rows[0] == ["REVISION", "CREATED", "IMAGE", "CAUSE"]
    assert [(row[0], row[3]) for row in rows[1:]] == [("1", "created"), ("2*", "restart")]


def test_history_as_json_lists_the_revisions_with_their_fields(
    invoke: Invoke, memory: str, applied: Path
) -> None:
    shown = invoke("history", "web", "-o", "json", "--backend", memory)

    [revision] = json.loads(shown.stdout)
    assert (revision["number"], revision["current"], revision["cause"]) == (1, True, "created")
