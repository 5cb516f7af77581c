"""What the contract suite does not cover: the JSON codec, the file, and the entry point."""

import json
import threading
from pathlib import Path

import pytest
from orchsdk_jsonfile import JsonFileBackend
from orchsdk_jsonfile.codec import from_document, from_json, to_document, to_json

import orchsdk
from orchsdk import (
    Autoscaler,
    BackendUnavailable,
    ConfigMap,
    ConfigRef,
    Constraint,
    Deployment,
    FileMount,
    HealthCheck,
    OrchestratorError,
    Port,
    Resource,
    Resources,
    RetryPolicy,
    Rollout,
    Secret,
    SecretRef,
    Service,
    SettingsError,
    ValidationError,
)
from orchsdk.offline import render_offline

SPECS: list[Resource] = [
    Deployment(
        "rich",
        namespace="shop",
        image="registry.example.com/rich:2.1",
        replicas=3,
        command=["/bin/rich"],
        args=["serve", "--port", "8080"],
        ports=[Port(8080, name="http"), Port(9090, name="metrics", protocol="UDP")],
        env={"MODE": "prod", "PW": SecretRef("db", "password"), "LVL": ConfigRef("cfg", "level")},
        resources=Resources(cpu="250m", memory="256Mi", gpu=1),
        health=HealthCheck(command=["/bin/check", "-q"], interval=15, grace=20),
        rollout=Rollout(max_surge=1, max_unavailable="10%"),
        placement=[Constraint("zone", "in", ["eu-1a", "eu-1b"]), Constraint("host", "unique")],
        files=[
            FileMount("/etc/pw", SecretRef("db", "password")),
            FileMount("/etc/l", ConfigRef("cfg", "l")),
        ],
        labels={"app": "rich"},
        annotations={"team": "platform"},
        native={
            "jsonfile": {"spec": {"priority": "high"}},
            "kubernetes": {"spec": {"paused": True}},
        },
    ),
    Service(
        "web",
        selector={"app": "web"},
        ports=[Port(443, target_port="http")],
        exposure="external",
        hostname="web.example.com",
    ),
    Service("tcp", selector={"app": "web"}, ports=[Port(80, target_port=8080)], exposure="node"),
    Secret("db", data={"password": "s3cr3t"}),
    ConfigMap("cfg", data={"level": "info", "app.yaml": "a: 1\n"}),
    Autoscaler("web", target="web", min_replicas=2, max_replicas=5, memory_percent=80),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.kind)
def test_json_round_trip_gives_back_an_equal_spec(spec: Resource) -> None:
    data = json.loads(json.dumps(to_json(spec)))
    assert from_json(data) == spec
    assert from_document(json.loads(json.dumps(to_document(spec)))) == spec


def test_native_patch_is_stored_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "cluster.json"
    spec = SPECS[0]
    with orchsdk.connect(f"jsonfile://{path}", namespace="shop") as orch:
        assert isinstance(orch.backend, JsonFileBackend)
        orch.apply(
            Secret("db", data={"password": "pw"}), ConfigMap("cfg", data={"level": "x", "l": "y"})
        )
        orch.apply(spec)
        assert orch.get(Deployment, "rich", "shop") == spec
    stored = json.loads(path.read_text())["objects"]["Deployment/shop/rich"]
    assert stored["spec"]["priority"] == "high"


def test_the_cluster_outlives_the_connection(tmp_path: Path) -> None:
    url = f"jsonfile://{tmp_path}/cluster.json"
    with orchsdk.connect(url) as orch:
        orch.apply(Deployment("web", image="nginx:1.27", replicas=2), wait=True)
    with orchsdk.connect(url) as orch:
        assert orch.status("web").available == 2
        assert orch.delete(Deployment, "web")
    assert json.loads((tmp_path / "cluster.json").read_text())["objects"] == {}


def test_concurrent_applies_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "cluster.json"

    def deploy(index: int) -> None:
        with orchsdk.connect(f"jsonfile://{path}") as orch:
            orch.apply(Deployment(f"web-{index}", image="nginx:1.27"))

    threads = [threading.Thread(target=deploy, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with orchsdk.connect(f"jsonfile://{path}") as orch:
        assert len(orch.list(Deployment)) == 8


def test_an_unreadable_file_is_a_transient_failure(tmp_path: Path) -> None:
    no_retry = RetryPolicy(attempts=1)
    url = f"jsonfile://{tmp_path}"  # a directory
    with orchsdk.connect(url, retry=no_retry) as orch, pytest.raises(BackendUnavailable):
        orch.list(Deployment)


def test_a_file_that_is_not_a_cluster_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_text('{"hello": "world"}')
    with orchsdk.connect(f"jsonfile://{path}") as orch, pytest.raises(OrchestratorError):
        orch.list(Deployment)


def test_its_own_rule_refuses_the_whole_apply_before_the_file_is_written(tmp_path: Path) -> None:
    path = tmp_path / "cluster.json"
    refused = pytest.raises(ValidationError, match="replicas: a jsonfile cluster keeps at most 3")
    with orchsdk.connect(f"jsonfile://{path}?max_instances=3") as orch, refused:
        orch.apply(
            Deployment("ok", image="nginx", replicas=1),
            Deployment("big", image="nginx", replicas=4),
        )

    assert not path.exists()


def test_scaling_past_its_limit_is_refused(tmp_path: Path) -> None:
    with orchsdk.connect(f"jsonfile://{tmp_path / 'c.json'}?max_instances=3") as orch:
        orch.apply(Deployment("web", image="nginx", replicas=1))

        with pytest.raises(ValidationError, match="at most 3"):
            orch.scale("web", 4)

        assert orch.status("web").desired == 1


def test_a_misspelt_option_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="jsonfile has no option 'max_instance'"):
        orchsdk.connect(f"jsonfile://{tmp_path / 'c.json'}?max_instance=3")


def test_it_renders_without_a_cluster_file() -> None:
    [document] = render_offline("jsonfile", Deployment("web", image="nginx"))

    assert document["kind"] == "Deployment"


def test_the_offline_backend_has_no_file_to_write() -> None:
    with pytest.raises(OrchestratorError, match="no cluster file"):
        JsonFileBackend.offline().apply(Deployment("web", image="nginx", namespace="default"))
