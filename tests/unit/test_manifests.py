"""YAML manifests: round trips, every error named by file, document and path, and safe loading."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import resources

import orchsdk
from orchsdk import (
    REDACTED,
    ConfigRef,
    Deployment,
    FileMount,
    ManifestError,
    Port,
    Resource,
    Secret,
    SecretRef,
    ValidationError,
    dump_manifests,
    load_manifests,
)
from orchsdk.manifests import MAX_NODES, manifest_of
from orchsdk.validation import validate_all

ROOT = Path(__file__).resolve().parents[2]
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))

HEAD = "apiVersion: orchsdk/v1\nkind: Deployment\nname: web\nimage: nginx:1.27\n"


def _unique(specs: list[Resource]) -> list[Resource]:
    seen: dict[tuple[str, str | None, str], Resource] = {}
    for spec in specs:
        seen.setdefault((spec.kind, spec.namespace, spec.name), spec)
    return list(seen.values())


def _errors(text: str) -> ManifestError:
    with pytest.raises(ManifestError) as caught:
        load_manifests(text, name="web.yaml")
    return caught.value


def _messages(text: str) -> list[str]:
    return [str(error) for error in _errors(text).errors]


# -- round trips -----------------------------------------------------------------------


@PROPERTY
@given(st.lists(resources(), max_size=4))
def test_loading_a_dump_gives_the_specs_back(specs: list[Resource]) -> None:
    specs = _unique(specs)
    try:
        validate_all(specs)
    except ValidationError:
        assume(False)  # a reference to a key that a secret in the batch lacks

    assert load_manifests(dump_manifests(specs, reveal=True)) == specs


@PROPERTY
@given(resources())
def test_json_manifests_load_too(spec: Resource) -> None:
    text = json.dumps(manifest_of(spec, reveal=True))
    assume(re.search(r"\\u[dD][89abAB]", text) is None)  # PyYAML keeps \\uD83D\\uDE00 apart

    assert load_manifests(text + "\n") == [spec]


def test_dump_leaves_defaults_out_and_keeps_the_python_names() -> None:
    spec = Deployment(
        "web",
        image="nginx:1.27",
        ports=[Port(80, name="http")],
        env={"A": "1", "B": SecretRef("db", "password"), "C": ConfigRef("cfg", "c")},
        files=[FileMount("/etc/db", SecretRef("db", "password"))],
    )

    assert yaml.safe_load(dump_manifests([spec])) == {
        "apiVersion": "orchsdk/v1",
        "kind": "Deployment",
        "name": "web",
        "image": "nginx:1.27",
        "ports": [{"port": 80, "name": "http"}],
        "env": {
            "A": "1",
            "B": {"secret": "db", "key": "password"},
            "C": {"config": "cfg", "key": "c"},
        },
        "files": [{"path": "/etc/db", "secret": "db", "key": "password"}],
    }


def test_multi_line_values_are_written_as_literal_blocks() -> None:
    config = orchsdk.ConfigMap("cfg", data={"app.ini": "[main]\nmode = fast\n"})

    text = dump_manifests([config])

    assert "app.ini: |\n    [main]\n    mode = fast\n" in text
    assert load_manifests(text) == [config]


def test_secret_values_are_dumped_only_with_reveal() -> None:
    secret = Secret("db", data={"password": "hunter2"})

    hidden = dump_manifests([secret])
    shown = dump_manifests([secret], reveal=True)

    assert "hunter2" not in hidden
    assert "password: <redacted>" in hidden
    assert "password: hunter2" in shown


def test_a_redacted_secret_does_not_load() -> None:
    text = dump_manifests([Secret("db", data={"password": "hunter2"})])

    messages = _messages(text)

    assert messages == [
        "data.password: is the '<redacted>' placeholder of a value that was not revealed: "
        "write the value itself (dump or get with reveal) (line 5)"
    ]


def test_a_secret_read_without_reveal_dumps_as_redacted_even_with_reveal() -> None:
    read = Secret("db", data={"password": REDACTED})

    assert "password: <redacted>" in dump_manifests([read], reveal=True)


# -- sources ---------------------------------------------------------------------------


def test_sources_are_paths_texts_and_open_files(tmp_path: Path) -> None:
    path = tmp_path / "web.yaml"
    path.write_text(HEAD)
    expected = [Deployment("web", image="nginx:1.27")]

    assert load_manifests(path) == expected
    assert load_manifests(str(path)) == expected
    assert load_manifests(HEAD) == expected
    assert load_manifests(io.StringIO(HEAD)) == expected
    assert load_manifests(path, io.StringIO(HEAD.replace("web", "api"))) == [
        *expected,
        Deployment("api", image="nginx:1.27"),
    ]


def test_errors_name_the_file_they_come_from(tmp_path: Path) -> None:
    path = tmp_path / "web.yaml"
    path.write_text(HEAD + "replicas: many\n")

    with pytest.raises(ManifestError) as from_path:
        load_manifests(path)
    with pytest.raises(ManifestError) as from_stream:
        load_manifests(io.StringIO(HEAD + "replicas: many\n"))
    with pytest.raises(ManifestError) as from_text:
        load_manifests(HEAD + "replicas: many\n")

    assert from_path.value.subject == f"{path}[0] (Deployment 'web')"
    assert from_stream.value.subject == "<stream>[0] (Deployment 'web')"
    assert from_text.value.subject == "<string>[0] (Deployment 'web')"


def test_empty_documents_are_skipped_but_counted() -> None:
    error = _errors("---\n# nothing\n---\n" + HEAD + "replicas: many\n")

    assert error.subject == "web.yaml[1] (Deployment 'web')"
    assert load_manifests("---\n---\n" + HEAD) == [Deployment("web", image="nginx:1.27")]
    assert load_manifests("\n") == []


def test_a_missing_file_raises_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_manifests(tmp_path / "nope.yaml")


# -- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("replicas: '3'\n", "replicas: must be an integer, got a string '3' (line 5)"),
        ("replicas: true\n", "replicas: must be an integer, got a boolean True (line 5)"),
        ("imag: x\n", "imag: unknown field (did you mean 'image'?) (line 5)"),
        ("metadata: {}\n", "metadata: unknown field (orchsdk manifests are flat:"),
        ("ports: [{port: '80'}]\n", "ports[0].port: must be an integer, got a string '80'"),
        ("ports: [{port: 80, nam: http}]\n", "ports[0].nam: unknown field (did you mean 'name'?)"),
        ("ports: [{port: 80, protocol: tcp}]\n", "ports[0].protocol: must be one of 'TCP', 'UDP'"),
        ("ports: {port: 80}\n", "ports: must be a list, got a mapping (line 5)"),
        ("ports: [80]\n", "ports[0]: must be a mapping, got an integer 80 (line 5)"),
        ("ports: [{name: http}]\n", "ports[0].port: is required (line 5)"),
        ("ports: [{port: 70000}]\n", "ports[0].port: must be between 1 and 65535, got 70000"),
        ("env: {PORT: 8080}\n", "env.PORT: must be a string, {secret: NAME, key: KEY} or"),
        ("env: {A: {secret: db}}\n", "env.A.key: is required (line 5)"),
        ("env: {A: {secret: db, key: k, x: 1}}\n", "env.A.x: unknown field (line 5)"),
        ("env: {A: {vault: db, key: k}}\n", "env.A: must be a string, {secret: NAME, key: KEY}"),
        ("env: {1A: x}\n", "env.1A: '1A' is not valid: letters, digits and '_'"),
        ("labels: {app: 1.5}\n", "labels.app: must be a string, got a number 1.5 (quote it"),
        ("labels: {1: a}\n", "labels.1: keys must be strings, got an integer 1 (quote it"),
        ("command: run\n", "command: must be a list, got a string 'run' (line 5)"),
        ("health: {tcp: yes, port: 80}\n", "health.port: 80 is not one of the ports ()"),
        ("health: {http_path: /h}\n", "health.port: an HTTP or TCP check must name the port"),
        ("resources: {cpu: lots}\n", "resources.cpu:"),
        ("rollout: {max_surge: 0, max_unavailable: 0}\n", "rollout: max_surge and max_unavail"),
        ("placement: [{key: zone, operator: near}]\n", "placement[0].operator: must be one of"),
        ("files: [{path: /x, secret: db}]\n", "files[0].key: is required (line 5)"),
        (
            "files: [{path: /x, secret: db, config: c, key: k}]\n",
            "files[0]: must name exactly one of secret: NAME or config: NAME (line 5)",
        ),
        ("files: [{path: x, secret: db, key: k}]\n", "files[0].path: 'x' must be an absolute"),
        ("files: [{path: /x, secret: DB, key: k}]\n", "files[0].secret: 'DB' is not valid"),
        ("native: {kubernetes: {a: 2024-01-01}}\n", "native.kubernetes.a: must be JSON data"),
        ("native: {kubernetes: {a: .nan}}\n", "native.kubernetes.a: must be JSON data, got nan"),
        ("native: {kubernetes: 3}\n", "native.kubernetes: must be a mapping, got int 3"),
        ("namespace: Shop\n", "namespace: 'Shop' is not valid: lowercase letters"),
    ],
)
def test_each_error_names_its_manifest_path_and_line(fields: str, expected: str) -> None:
    messages = _messages(HEAD + fields)

    assert any(message.startswith(expected) for message in messages), messages


def test_every_error_of_every_document_is_reported_in_line_order() -> None:
    text = (
        HEAD
        + "replicas: x\nports: [{port: 80, nam: http}]\nimag: x\n"
        + "---\napiVersion: orchsdk/v1\nkind: Servce\n"
        + "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
        + "---\nkind: Secret\nname: ok\n"
    )

    error = _errors(text)

    assert [document.subject for document in error.documents] == [
        "web.yaml[0] (Deployment 'web')",
        "web.yaml[1]",
        "web.yaml[2]",
        "web.yaml[3]",
    ]
    assert [str(e) for e in error.documents[0].errors] == [
        "replicas: must be an integer, got a string 'x' (line 5)",
        "ports[0].nam: unknown field (did you mean 'name'?) (line 6)",
        "imag: unknown field (did you mean 'image'?) (line 7)",
    ]
    assert [str(e) for e in error.documents[1].errors] == [
        "kind: must be one of Secret, ConfigMap, Deployment, Service, Autoscaler, "
        "got a string 'Servce' (did you mean 'Service'?) (line 10)"
    ]
    assert "this looks like a Kubernetes manifest" in str(error.documents[2].errors[0])
    assert str(error.documents[3].errors[0]) == "apiVersion: is required: 'orchsdk/v1' (line 16)"
    assert error.fields[0] == "web.yaml[0].replicas"
    assert str(error).startswith("web.yaml[0] (Deployment 'web') is invalid: replicas: must be")
    assert "; web.yaml[1] is invalid: kind: must be one of" in str(error)


def test_a_manifest_error_is_a_validation_error() -> None:
    error = _errors(HEAD + "replicas: x\n")

    assert isinstance(error, ValidationError)
    assert isinstance(error, orchsdk.OrchestratorError)
    assert error.subject == "web.yaml[0] (Deployment 'web')"
    assert error.fields == ("replicas",)


def test_a_document_must_be_a_mapping() -> None:
    assert _messages("- a\n- b\n") == ["a manifest document must be a mapping, got a list (line 1)"]


def test_the_same_resource_twice_is_an_error_naming_both() -> None:
    messages = _messages(HEAD + "---\n" + HEAD)

    assert messages == ["name: 'web' is also defined in web.yaml[0] (line 8)"]


def test_a_reference_to_a_key_the_secret_lacks_is_an_error() -> None:
    text = (
        "apiVersion: orchsdk/v1\nkind: Secret\nname: db\ndata: {password: x}\n---\n"
        + HEAD
        + "env: {A: {secret: db, key: passwd}}\nfiles: [{path: /x, secret: db, key: pw}]\n"
    )

    error = _errors(text)

    assert error.subject == "web.yaml[1] (Deployment 'web')"
    assert [str(e) for e in error.errors] == [
        "env.A.key: Secret 'db' applied with it has no key 'passwd' (line 10)",
        "files[0].key: Secret 'db' applied with it has no key 'pw' (line 11)",
    ]


def test_secret_values_never_appear_in_errors() -> None:
    text = (
        "apiVersion: orchsdk/v1\nkind: Secret\nname: db\n"
        "data: {a: 12345, b: [hunter2], c: {x: hunter3}, d: hunter4, Bad Key: hunter5}\n"
        "---\napiVersion: orchsdk/v1\nkind: Secret\nname: db2\ndata: hunter6\n"
    )

    error = _errors(text)

    assert not re.search("hunter|12345", str(error))
    assert "data.a: must be a string, got an integer" in str(error)
    assert "data: must be a mapping, got a string" in str(error)


@PROPERTY
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
        ),
        max_leaves=10,
    ),
    st.sampled_from(["Deployment", "Service", "Secret", "ConfigMap", "Autoscaler"]),
    st.sampled_from(
        [
            "name",
            "image",
            "replicas",
            "ports",
            "env",
            "health",
            "files",
            "data",
            "selector",
            "labels",
            "native",
            "placement",
            "rollout",
            "resources",
            "target",
            "max_replicas",
            "unknown",
        ]
    ),
)
def test_any_yaml_value_in_any_field_loads_or_raises_a_manifest_error(
    value: Any, kind: str, field: str
) -> None:
    document = {"apiVersion": "orchsdk/v1", "kind": kind, "name": "web", field: value}

    try:
        loaded = load_manifests(yaml.safe_dump(document), name="fuzz.yaml")
    except ManifestError as error:
        subjects = [document.subject for document in error.documents]
    else:
        subjects = []
        assert [resource.kind for resource in loaded] == [kind]
    assert all(subject.startswith("fuzz.yaml[0]") for subject in subjects)


# -- safe loading ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "!!python/object/apply:os.system ['echo hacked']\n",
        HEAD + "command: !!python/object/apply:subprocess.check_output [[ls]]\n",
        HEAD + "args: !!python/name:os.system\n",
        HEAD + "args: !custom nginx\n",
    ],
)
def test_tags_that_build_objects_are_refused(text: str) -> None:
    [message] = _messages(text)

    assert re.fullmatch(
        r"invalid YAML: tag '.+' is not allowed: manifests are plain YAML \(safe loading\) "
        r"\(line \d+, column \d+\)",
        message,
    )


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (HEAD + "name: api\n", "'name'"),
        (HEAD + "env: {A: x, A: y}\n", "'A'"),
        (HEAD + "ports: [{port: 80, port: 81}]\n", "'port'"),
    ],
)
def test_duplicate_keys_are_refused_naming_the_key(text: str, key: str) -> None:
    [message] = _messages(text)

    assert message.startswith(f"invalid YAML: duplicate key {key} in a mapping (line ")


def test_merge_keys_are_not_duplicates() -> None:
    text = "apiVersion: orchsdk/v1\nkind: ConfigMap\nname: c\ndata:\n  <<: {A: a, B: b}\n  B: c\n"

    assert load_manifests(text) == [orchsdk.ConfigMap("c", data={"A": "a", "B": "c"})]


def test_a_yaml_bomb_is_refused_quickly() -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 10):
        previous = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    text = "\n".join(levels) + "\n"

    started = time.monotonic()
    [message] = _messages(text)

    assert time.monotonic() - started < 5
    assert message.startswith(
        f"invalid YAML: the document expands to more than {MAX_NODES} nodes through aliases"
    )


def test_aliases_within_the_limit_are_fine() -> None:
    text = (
        "apiVersion: orchsdk/v1\nkind: Deployment\nname: web\nimage: nginx\n"
        "labels: &labels {app: web}\nannotations: *labels\n"
    )

    assert load_manifests(text)[0].annotations == {"app": "web"}


def test_a_recursive_alias_is_refused() -> None:
    [message] = _messages(HEAD + "command: &a [*a]\n")

    assert message.startswith("invalid YAML: an alias refers to a node that contains it")


def test_deep_nesting_is_refused() -> None:
    [message] = _messages(HEAD + "native: " + "[" * 500 + "]" * 500 + "\n")

    assert message.startswith("invalid YAML: nested deeper than 100 levels")


def test_characters_yaml_does_not_allow_are_refused() -> None:
    [message] = _messages(HEAD + "args: ['\x7f']\n")

    assert message.startswith("invalid YAML: unacceptable character #x007f")


def test_an_integer_too_long_to_convert_is_refused() -> None:
    [message] = _messages(HEAD + "replicas: " + "9" * 5000 + "\n")

    assert message.startswith("invalid YAML: Exceeds the limit")


def test_a_syntax_error_stops_the_file_and_names_the_document_and_line() -> None:
    error = _errors(HEAD + "---\n" + HEAD + "ports: [\n")

    assert error.subject == "web.yaml[1]"
    assert re.fullmatch(r"invalid YAML: .+ \(line 11, column 1\)", str(error.errors[0]))


def test_importing_orchsdk_loads_no_yaml_cattrs_click_or_rich() -> None:
    code = (
        "import sys, orchsdk\n"
        "from orchsdk import *\n"
        "print([m for m in ('yaml', 'cattrs', 'click', 'rich') if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "[]"


# -- the shipped examples --------------------------------------------------------------


def _doc_example() -> str:
    text = (ROOT / "docs" / "manifests.md").read_text()
    match = re.search(r"<!-- complete example -->\n```yaml\n(.*?)```", text, re.S)
    assert match is not None, "docs/manifests.md has no complete example"
    return match.group(1)


def test_the_complete_example_of_the_docs_loads() -> None:
    loaded = load_manifests(_doc_example(), name="docs/manifests.md")

    assert [spec.kind for spec in loaded] == [
        "Secret",
        "ConfigMap",
        "Deployment",
        "Service",
        "Autoscaler",
    ]
    assert load_manifests(dump_manifests(loaded, reveal=True)) == loaded


@pytest.mark.parametrize(
    "module", ["orchsdk.manifests", "orchsdk.manifest_jsonschema", "orchsdk.offline"]
)
def test_the_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    results = doctest.testmod(
        importlib.import_module(module), optionflags=doctest.ELLIPSIS, report=False
    )

    assert results.attempted > 0
    assert results.failed == 0
