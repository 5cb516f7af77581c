"""The manifest JSON Schema: generated from the specs, shipped equal, and right about manifests."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from strategies import resources

import orchsdk
from orchsdk import Resource
from orchsdk.manifest_jsonschema import SCHEMA_FILE, shipped_schema
from orchsdk.manifests import manifest_of

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = jsonschema.Draft202012Validator(orchsdk.manifest_schema())


def test_the_shipped_schema_is_the_generated_one() -> None:
    shipped = ROOT / "orchsdk" / "schema" / SCHEMA_FILE

    assert shipped_schema() == orchsdk.manifest_schema(), (
        f"regenerate it: .venv/bin/orchsdk schema > {shipped.relative_to(ROOT)}"
    )
    assert shipped.read_text() == json.dumps(orchsdk.manifest_schema(), indent=2) + "\n"


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(orchsdk.manifest_schema())


def test_each_kind_is_one_of_the_schema_keyed_on_kind() -> None:
    schema = orchsdk.manifest_schema()

    assert [ref["$ref"] for ref in schema["oneOf"]] == [
        f"#/$defs/{kind.kind}" for kind in orchsdk.KINDS
    ]
    deployment = schema["$defs"]["Deployment"]
    assert deployment["properties"]["kind"] == {"const": "Deployment"}
    assert deployment["required"] == ["apiVersion", "kind", "name", "image"]
    assert deployment["additionalProperties"] is False
    assert schema["$defs"]["Service"]["properties"]["exposure"] == {
        "type": "string",
        "enum": ["internal", "external", "node"],
    }


def _doc_example() -> list[Any]:
    text = (ROOT / "docs" / "manifests.md").read_text()
    match = re.search(r"<!-- complete example -->\n```yaml\n(.*?)```", text, re.S)
    assert match is not None
    return list(yaml.safe_load_all(match.group(1)))


def test_the_documented_example_validates() -> None:
    documents = _doc_example()

    for document in documents:
        VALIDATOR.validate(document)
    assert len(documents) == 5


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(resources())
def test_every_dumped_spec_validates(spec: Resource) -> None:
    VALIDATOR.validate(manifest_of(spec, reveal=True))


@pytest.mark.parametrize(
    "change",
    [
        {"imag": "x"},
        {"kind": "Pod"},
        {"apiVersion": "v1"},
        {"replicas": "3"},
        {"replicas": -1},
        {"ports": [{"port": 70000}]},
        {"ports": [{"port": 80, "protocol": "tcp"}]},
        {"name": "Web"},
        {"env": {"A": {"secret": "db"}}},
        {"env": {"A": 1}},
        {"files": [{"path": "/x", "secret": "db", "config": "c", "key": "k"}]},
    ],
)
def test_wrong_manifests_do_not_validate(change: dict[str, Any]) -> None:
    document = {"apiVersion": "orchsdk/v1", "kind": "Deployment", "name": "web", "image": "x"}

    assert VALIDATOR.is_valid(document)
    assert not VALIDATOR.is_valid({**document, **change})
