"""Apps written by other tools: reading one and applying it back changes nothing.

Marathon users write apps by hand (raw JSON to the REST API), with fields the unified
spec cannot say. ``parse_app`` says what it can and keeps the rest in
``native["marathon"]`` (``orchsdk_marathon.fields``); the properties here draw such apps
(from Marathon's own RAML examples and variations: host and container networking, fixed
and default ports, port-mapping labels, fetch, user, backoff, health checks the spec
cannot say, deprecated fields...), let Marathon store them (the emulator's model of its
readers, defaults, normalization and checks) and check that

- the spec read is valid and portable (the core's validation and this backend accept it);
- the app it renders ``matches`` the stored one (apply sends no write), Marathon accepts
  it, and storing it is an empty plan: the same app, field for field;
- it reads back as the same spec, before and after Marathon stores it;
- reading never raises anything but ``UnexpectedResponse``.

Then one test per bug found (tests/examples/test_found_bugs.py) and per rule.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck as Health
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from marathon_helpers import (
    REPO,
    Refused,
    as_stored,
    config_differences,
    marathon_stores,
    same_config,
    schema_path,
)
from orchsdk_marathon import fields as F
from orchsdk_marathon import labels as L
from orchsdk_marathon.app_definition import render_app
from orchsdk_marathon.compare import matches
from orchsdk_marathon.parse import parse_app
from orchsdk_marathon.services import with_services
from orchsdk_marathon.support import unsupported_fields

import orchsdk
from orchsdk import (
    Action,
    Deployment,
    HealthCheck,
    Orchestrator,
    Port,
    Rollout,
    Secret,
    SecretRef,
    Service,
    UnexpectedResponse,
    ValidationError,
)

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[Health.too_slow])
EXAMPLES = REPO.parent / "shared" / "marathon-api" / "raml" / "v2" / "examples"
STATUS = {  # what GET adds to an app (AppInfo): never kept
    "tasksStaged": 0,
    "tasksRunning": 1,
    "tasksHealthy": 1,
    "tasksUnhealthy": 0,
    "deployments": [{"id": "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43"}],
    "tasks": [{"id": "shop_app.1", "host": "agent-1", "ports": [31000], "state": "TASK_RUNNING"}],
    "lastTaskFailure": {"appId": "/shop/app", "state": "TASK_FAILED", "message": "x"},
    "readinessCheckResults": [],
    "tasksStats": {"totalSummary": {"stats": {"counts": {"running": 1}}}},
}


def kept_of(spec: Deployment) -> Any:
    """``native["marathon"]`` as plain JSON (the spec holds it frozen)."""
    return L.plain(spec.native.get("marathon", {}))


def engine_of(app: dict[str, Any]) -> str:
    return "mesos" if (app.get("container") or {}).get("type") == "MESOS" else "docker"


def read_and_apply_back(app: dict[str, Any]) -> tuple[Deployment, dict[str, Any], dict[str, Any]]:
    """Marathon stores ``app``; its spec is read (as ``get`` does, from the AppInfo) and
    rendered (as ``apply`` does); the checks of the module docstring. Returns the spec,
    the stored app and the app as sent."""
    stored = marathon_stores(app)
    containerizer = engine_of(stored)
    spec = parse_app({**stored, **STATUS}, containerizer=containerizer)
    orchsdk.validate(spec)
    assert list(unsupported_fields(spec)) == []
    sent = render_app(spec, containerizer=containerizer)
    assert matches(sent, {**stored, **STATUS}), (sent, stored)
    again = marathon_stores(sent, previous=stored, version="2024-01-03T00:00:00.000Z")
    assert same_config(again, stored), config_differences(again, stored)
    assert parse_app(sent, containerizer=containerizer) == spec
    assert parse_app(again, containerizer=containerizer) == spec
    return spec, stored, sent


# -- hand-written apps ---------------------------------------------------------------------


def raml_example() -> dict[str, Any]:
    """Marathon's ``raml/v2/examples/app.json``: it mixes the old and the new API (``cmd``
    and ``args``, ``ipAddress``, ``docker.network`` and ``portDefinitions`` with port
    mappings), so it is made one app Marathon accepts, in the bridge-network form."""
    path = EXAMPLES / "app.json"
    if not path.is_file():
        pytest.skip("Marathon's RAML examples are not available (../shared)")
    app: dict[str, Any] = json.loads(path.read_text())
    app["id"] = "/shop/foo"
    del app["args"]  # cmd xor args
    del app["ipAddress"]  # not with networks, nor with Docker
    del app["portDefinitions"]  # host networking only
    docker = app["container"]["docker"]
    del docker["network"]
    app["container"]["portMappings"] = docker.pop("portMappings")
    app["networks"] = [{"mode": "container/bridge"}]
    app["env"]["PASSWORD"] = {"secret": "secret1"}  # a declared secret
    # Its image, mesosphere:marathon/latest, is no image reference (no registry would pull
    # it; orchsdk refuses it, see below): the one Marathon publishes is used instead.
    docker["image"] = "mesosphere/marathon:latest"
    return app


def test_an_app_whose_image_is_no_reference_is_read_but_not_applied_back() -> None:
    app = raml_example()
    app["container"]["docker"]["image"] = "mesosphere:marathon/latest"  # as the RAML has it

    spec = parse_app(app)

    assert spec.image == "mesosphere:marathon/latest"
    with pytest.raises(ValidationError) as raised:
        orchsdk.validate(spec)
    assert raised.value.fields == ("image",)


def raml_variants() -> list[dict[str, Any]]:
    """The RAML example as a bridge app, a host app and in the deprecated (1.4) form."""
    bridge = raml_example()
    host = copy.deepcopy(bridge)
    host["networks"] = [{"mode": "host"}]
    del host["container"]["portMappings"]
    host["portDefinitions"] = [
        {"port": 0, "protocol": "tcp", "name": "http", "labels": {"vip": "192.168.0.1:80"}}
    ]
    legacy = copy.deepcopy(bridge)
    del legacy["networks"]
    legacy["container"]["docker"]["network"] = "BRIDGE"
    legacy["container"]["docker"]["portMappings"] = legacy["container"].pop("portMappings")
    namespaced = copy.deepcopy(bridge)  # a secret the spec can name
    namespaced["secrets"] = {"db/password": {"source": "shop/db/password"}}
    namespaced["env"]["PASSWORD"] = {"secret": "db/password"}
    return [bridge, host, legacy, namespaced]


NAMES = st.sampled_from(["http", "admin", "metrics", "a-very-long-port-name", "default"])
LABELS = st.dictionaries(
    st.sampled_from(["team", "owner", "HAPROXY_GROUP", "HAPROXY_0_VHOST", "note", "a/b"]),
    st.sampled_from(["shop", "zeus", "external", "a.example.com,b.example.com", "Away from X"]),
    max_size=3,
)
ENV = st.dictionaries(
    st.sampled_from(["MODE", "LOG_LEVEL", "MY-VAR", "9LIVES", "_X"]),
    st.sampled_from(["prod", "", "a b", "x=y"]),
    max_size=3,
)
CONSTRAINTS = st.lists(
    st.sampled_from(
        [
            ["hostname", "UNIQUE"],
            ["zone", "IS", "eu-1a"],
            ["rack", "LIKE", "r1|r2"],
            ["rack", "LIKE", "r1"],
            ["rack", "UNLIKE", "r3"],
            ["gpu", "LIKE", ".*"],
            ["rack_id", "GROUP_BY", "2"],
            ["hostname", "LIKE", "srv2.*"],
            ["hostname", "MAX_PER", "2"],
        ]
    ),
    max_size=3,
    unique_by=repr,
)
TIMING = st.fixed_dictionaries(
    {},
    optional={
        "gracePeriodSeconds": st.sampled_from([0, 30, 300]),
        "intervalSeconds": st.sampled_from([0, 10, 60]),
        "timeoutSeconds": st.sampled_from([5, 20]),
        "maxConsecutiveFailures": st.sampled_from([0, 3, 5]),
        "delaySeconds": st.sampled_from([0, 15, 30]),
    },
)
EXTRAS = st.fixed_dictionaries(
    {},
    optional={
        "fetch": st.sampled_from(
            [
                [{"uri": "https://example.com/conf.tgz"}],
                [{"uri": "https://example.com/run.sh", "executable": True, "extract": False}],
            ]
        ),
        "user": st.sampled_from(["nobody", "root"]),
        "disk": st.sampled_from([0, 64, 1024.5]),
        "backoffSeconds": st.sampled_from([1, 5]),
        "backoffFactor": st.sampled_from([1.15, 2.0]),
        "maxLaunchDelaySeconds": st.sampled_from([300, 3600]),
        "acceptedResourceRoles": st.sampled_from([["*"], ["slave_public"]]),
        "dependencies": st.just(["/shop/db"]),
        "killSelection": st.sampled_from(["YOUNGEST_FIRST", "OLDEST_FIRST"]),
        "unreachableStrategy": st.sampled_from(
            [
                "disabled",
                {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0},
                {"inactiveAfterSeconds": 300, "expungeAfterSeconds": 600},
            ]
        ),
        "taskKillGracePeriodSeconds": st.sampled_from([5, 30]),
        "tty": st.booleans(),
        "role": st.sampled_from(["*", "shop"]),
        "executor": st.sampled_from(["", "//cmd"]),
        "residency": st.just({"taskLostBehavior": "WAIT_FOREVER"}),
        "upgradeStrategy": st.builds(
            lambda healthy, over: {"minimumHealthCapacity": healthy, "maximumOverCapacity": over},
            st.sampled_from([0.0, 0.5, 0.333, 1.0]),
            st.sampled_from([0.0, 0.2, 1.0]),
        ),
    },
)


@st.composite
def port_mappings(draw: st.DrawFn, mode: str) -> list[dict[str, Any]]:
    count = draw(st.integers(0, 3))
    names = draw(st.lists(NAMES, min_size=count, max_size=count, unique=True))
    mappings = []
    for name in names:
        mapping: dict[str, Any] = {"containerPort": draw(st.sampled_from([0, 80, 8080, 9090]))}
        optional = {
            "name": st.just(name),
            "hostPort": st.sampled_from([0, 31080]),
            "servicePort": st.sampled_from([0, 80, 10050, 30001]),
            "protocol": st.sampled_from(["tcp", "udp", "udp,tcp"]),
            "labels": st.sampled_from([{}, {"VIP_0": "/shop/app:80"}, {"zone": "a"}]),
        }
        if mode == "container":
            optional["networkNames"] = st.just(["dcos"])
        mapping.update(draw(st.fixed_dictionaries({}, optional=optional)))
        mappings.append(mapping)
    return mappings


@st.composite
def health_checks(draw: st.DrawFn, ports: int) -> list[dict[str, Any]]:
    kinds = ["COMMAND"] + (["MESOS_HTTP", "MESOS_TCP", "HTTP", "TCP"] if ports else [])
    chosen = draw(st.lists(st.sampled_from(kinds), max_size=2, unique=True))
    if sum(kind.startswith("MESOS") for kind in chosen) > 1:  # Marathon allows one
        chosen = chosen[:1]
    checks = []
    for kind in chosen:
        check: dict[str, Any] = {"protocol": kind, **draw(TIMING)}
        if kind == "COMMAND":
            value = draw(st.sampled_from(["pgrep -f worker", "exec curl -f http://localhost/"]))
            check["command"] = {"value": value}
        else:
            check["portIndex"] = draw(st.integers(0, ports - 1))
        if kind in ("MESOS_HTTP", "HTTP"):
            check["path"] = draw(st.sampled_from(["/", "/healthz"]))
        checks.append(check)
    return checks


@st.composite
def foreign_apps(draw: st.DrawFn) -> dict[str, Any]:
    """An app as a Marathon user writes it (mostly valid; Marathon's checks decide)."""
    if draw(st.integers(0, 4)) == 0:
        app = copy.deepcopy(draw(st.sampled_from(raml_variants())))
        if draw(st.booleans()):
            app.update(copy.deepcopy(draw(EXTRAS)))
        return app
    engine = draw(st.sampled_from(["DOCKER", "MESOS"]))
    mode = draw(st.sampled_from(["container/bridge", "host", "container"]))
    container: dict[str, Any] = {"type": engine, "docker": {"image": "python:3.12-slim"}}
    app: dict[str, Any] = {"id": "/shop/app", "container": container}
    if mode == "host":
        app["networks"] = [{"mode": "host"}]
        definitions = draw(
            st.lists(
                st.fixed_dictionaries(
                    {"port": st.sampled_from([0, 8080])},
                    optional={"name": NAMES, "protocol": st.sampled_from(["tcp", "udp"])},
                ),
                max_size=2,
                unique_by=lambda d: (d["port"] or object(), d.get("name") or object()),
            )
        )
        if draw(st.booleans()):
            app["portDefinitions"] = definitions
        port_count = len(definitions) if "portDefinitions" in app else 1
    else:
        app["networks"] = [{"mode": mode, **({"name": "dcos"} if mode == "container" else {})}]
        if draw(st.integers(0, 3)):  # else Marathon adds its default mapping
            container["portMappings"] = draw(port_mappings(mode))
        port_count = len(container.get("portMappings", [None]))
    command = draw(
        st.sampled_from(
            [
                None,
                "sleep 1000",
                "env && python3 -m http.server $PORT0",
                "exec nginx -g 'daemon off;'",
                "x",  # refused: too short
            ]
        )
    )
    if command is not None:
        app["cmd"] = command
    elif draw(st.booleans()):
        app["args"] = ["--port", "8080"]
    app["instances"] = draw(st.integers(0, 4))
    app["cpus"] = draw(st.sampled_from([0.1, 0.25, 1, 1.5, 0.333]))
    app["mem"] = draw(st.sampled_from([0, 16, 128, 256.5]))
    if engine == "MESOS":
        app["gpus"] = draw(st.sampled_from([0, 1]))
    app["labels"] = draw(LABELS)
    env: dict[str, Any] = draw(ENV)
    secrets: dict[str, Any] = {}
    for declared, source in draw(
        st.lists(
            st.sampled_from(
                [
                    ("dbpass", "shop/db/password"),
                    ("db/password", "shop/db/password"),
                    ("foreign", "/other/token"),
                ]
            ),
            max_size=2,
            unique=True,
        )
    ):
        secrets[declared] = {"source": source}
        env[f"SECRET_{len(secrets)}"] = {"secret": declared}
    volumes = []
    if draw(st.booleans()):
        volumes.append({"containerPath": "/data", "hostPath": "/var/data", "mode": "RW"})
    elif engine == "MESOS" and draw(st.booleans()):
        secrets["api/token"] = {"source": "shop/api/token"}
        volumes.append({"containerPath": "/etc/token", "secret": "api/token"})
    if volumes:
        container["volumes"] = volumes
    if env:
        app["env"] = env
    if secrets:
        app["secrets"] = secrets
    app["healthChecks"] = draw(health_checks(port_count))
    app["constraints"] = draw(CONSTRAINTS)
    app.update(draw(EXTRAS))
    docker = container["docker"]
    docker.update(
        draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "forcePullImage": st.booleans(),
                    "parameters": st.just([{"key": "log-driver", "value": "journald"}]),
                    **({"privileged": st.booleans()} if engine == "DOCKER" else {}),
                },
            )
        )
    )
    names = [
        m.get("name") for m in container.get("portMappings") or app.get("portDefinitions") or []
    ]
    if "http" in names and draw(st.booleans()):
        app["readinessChecks"] = [{"portName": "http", "path": "/ready", "timeoutSeconds": 5}]
    return copy.deepcopy(app)  # the drawn values are shared between examples


@PROPERTY
@given(foreign_apps())
def test_a_foreign_app_read_and_applied_back_is_unchanged(app: dict[str, Any]) -> None:
    try:
        marathon_stores(app)
    except Refused:
        reject()
    read_and_apply_back(app)


@PROPERTY
@given(foreign_apps(), st.data())
def test_reading_a_foreign_app_gives_a_spec_or_a_typed_error(
    app: dict[str, Any], data: st.DataObject
) -> None:
    """Whatever Marathon would say of it (valid or not, stored or as written)."""
    with contextlib.suppress(Refused):
        app = marathon_stores(app) if data.draw(st.booleans()) else app
    with contextlib.suppress(UnexpectedResponse):
        parse_app(app)


@pytest.mark.parametrize("index", range(4), ids=["bridge", "host", "deprecated", "namespaced"])
def test_marathons_own_example_app_is_read_and_applied_back_unchanged(index: int) -> None:
    spec, stored, _ = read_and_apply_back(raml_variants()[index])
    kept = kept_of(spec)
    for field in ("fetch", "user", "acceptedResourceRoles", "dependencies", "tty"):
        assert kept[field] == stored[field]
    assert kept["maxLaunchDelaySeconds"] == 3600
    assert kept["container"]["docker"]["parameters"] == [{"key": "name", "value": "kdc"}]
    assert kept["readinessChecks"][0]["name"] == "myReadyCheck"
    assert not {"version", "versionInfo", "tasksRunning", "tasks"} & set(kept)
    assert spec.labels == {"owner": "zeus"}  # "Away from olympus" is no label value
    assert spec.env["XPS1"] == "Test"


def test_apps_orchsdk_wrote_still_read_back_exactly_once_marathon_stores_them() -> None:
    """The emulator's model fills more defaults than ``as_stored`` (health checks...)."""
    spec = Deployment(
        "web",
        namespace="shop",
        image="nginx:1.27",
        ports=[Port(8080, name="http")],
        health=HealthCheck(http_path="/healthz", port="http"),
        native={"marathon": {"backoffSeconds": 1, "fetch": [{"uri": "https://x/a.tgz"}]}},
    )
    stored = marathon_stores(render_app(spec))
    assert parse_app(stored) == spec
    assert parse_app(as_stored(render_app(spec))) == spec


# -- the bugs found (tests/examples/test_found_bugs.py) ------------------------------------


def bridge_app(**fields: Any) -> dict[str, Any]:
    return {
        "id": "/shop/app",
        "cmd": "sleep 1000",
        "container": {"type": "DOCKER", "docker": {"image": "busybox:1.36"}, "portMappings": []},
        "networks": [{"mode": "container/bridge"}],
        **fields,
    }


def test_marathons_default_port_mapping_is_no_port_of_the_app_and_is_kept() -> None:
    app = bridge_app(container={"type": "DOCKER", "docker": {"image": "busybox:1.36"}})
    spec, stored, sent = read_and_apply_back(app)
    assert stored["container"]["portMappings"][0]["containerPort"] == 0  # Marathon's default
    assert spec.ports == ()
    default = {"containerPort": 0, "hostPort": 0, "name": "default", "protocol": "tcp"}
    assert kept_of(spec) == {"container": {"portMappings": [default]}}
    assert sent["container"]["portMappings"] == [default]  # its service port: Marathon's


def test_a_mapping_with_container_port_0_among_ports_keeps_the_others_as_ports() -> None:
    mappings = [{"containerPort": 0, "name": "p2p"}, {"containerPort": 8080, "name": "http"}]
    health = {"protocol": "MESOS_HTTP", "path": "/", "portIndex": 1}
    app = bridge_app(healthChecks=[health])
    app["container"]["portMappings"] = mappings
    spec, _, sent = read_and_apply_back(app)
    assert spec.ports == (Port(8080, name="http"),)
    assert spec.health == HealthCheck(
        http_path="/", port="http", interval=60, timeout=20, grace=300
    )
    assert sent["healthChecks"][0]["portIndex"] == 1  # the stored check, kept whole


def test_a_host_network_app_keeps_its_networks_and_port_definitions() -> None:
    app = bridge_app(
        networks=[{"mode": "host"}],
        portDefinitions=[{"port": 0, "name": "http"}, {"port": 8443, "protocol": "udp"}],
        requirePorts=False,
    )
    del app["container"]["portMappings"]
    spec, stored, sent = read_and_apply_back(app)
    assert spec.ports == ()
    kept = kept_of(spec)
    assert kept["networks"] == [{"mode": "host"}]
    assert stored["portDefinitions"][0]["port"] == 10000  # Marathon's pick: given back
    assert kept["portDefinitions"] == [
        {"name": "http", "protocol": "tcp"},
        {"port": 8443, "protocol": "udp"},
    ]
    assert kept["container"] == {"portMappings": None}  # deletes what the spec renders
    assert "portMappings" not in sent["container"]
    assert sent["networks"] == [{"mode": "host"}]


@pytest.mark.parametrize(
    "fields",
    [
        {"fetch": [{"uri": "https://example.com/conf.tgz", "cache": True}]},
        {"user": "nobody"},
        {"disk": 512},
        {"backoffSeconds": 10, "backoffFactor": 2.5, "maxLaunchDelaySeconds": 60},
        {"acceptedResourceRoles": ["slave_public"]},
        {"dependencies": ["/shop/db"]},
        {"killSelection": "OLDEST_FIRST"},
        {"unreachableStrategy": "disabled"},
        {"unreachableStrategy": {"inactiveAfterSeconds": 60, "expungeAfterSeconds": 600}},
        {"taskKillGracePeriodSeconds": 30},
        {"tty": True},
        {"role": "shop"},
        {"executor": "//cmd"},
        {"residency": {"relaunchEscalationTimeoutSeconds": 60}},
        {"readinessChecks": [{"portName": "http", "path": "/ready"}]},
    ],
    ids=lambda fields: "+".join(fields),
)
def test_a_field_the_spec_cannot_say_is_kept_when_it_is_not_marathons_default(
    fields: dict[str, Any],
) -> None:
    app = bridge_app(**fields)
    app["container"]["portMappings"] = [{"containerPort": 8080, "name": "http"}]
    spec, stored, _ = read_and_apply_back(app)
    kept = kept_of(spec)
    for key, value in fields.items():
        assert F.same(kept[key], stored[key], key)
        assert F.same(kept[key], value, key)


@pytest.mark.parametrize(
    ("docker", "kept"),
    [
        ({"forcePullImage": True}, {"forcePullImage": True}),
        ({"privileged": True}, {"privileged": True}),
        ({"parameters": [{"key": "ulimit", "value": "nofile=4096"}]}, None),
        ({"forcePullImage": False, "privileged": False, "parameters": []}, {}),
    ],
)
def test_docker_options_are_kept_unless_at_their_defaults(
    docker: dict[str, Any], kept: dict[str, Any] | None
) -> None:
    app = bridge_app()
    app["container"]["docker"].update(docker)
    spec, _, _ = read_and_apply_back(app)
    patch = kept_of(spec).get("container", {}).get("docker", {})
    assert patch == (docker if kept is None else kept)


@pytest.mark.parametrize(
    ("mapping", "why"),
    [
        ({"labels": {"VIP_0": "/shop/app:80"}}, "a user's own VIP"),
        ({"labels": {"traefik.port": "80"}}, "another label"),
        ({"hostPort": 31080}, "a fixed host port"),
        ({"servicePort": 80}, "a service port outside Marathon's range, set by hand"),
        ({"protocol": "udp,tcp"}, "both protocols: no port the spec can say"),
    ],
)
def test_port_mappings_with_what_the_spec_cannot_say_are_kept_whole(
    mapping: dict[str, Any], why: str
) -> None:
    app = bridge_app()
    app["container"]["portMappings"] = [{"containerPort": 8080, "name": "http", **mapping}]
    spec, _, sent = read_and_apply_back(app)
    [kept] = kept_of(spec)["container"]["portMappings"]
    for key, value in mapping.items():
        assert kept[key] == value, why
    assert sent["container"]["portMappings"] == [kept]


def test_service_ports_marathon_assigned_are_not_kept() -> None:
    app = bridge_app()
    app["container"]["portMappings"] = [{"containerPort": 8080, "name": "http"}]
    spec, stored, _ = read_and_apply_back(app)
    assert stored["container"]["portMappings"][0]["servicePort"] == 10000
    assert "marathon" not in spec.native


@pytest.mark.parametrize("definitions", [[], None], ids=["none", "marathons-default"])
def test_a_host_app_keeps_no_port_definitions_apart_from_marathons_default_one(
    definitions: list[Any] | None,
) -> None:
    app = bridge_app(networks=[{"mode": "host"}])
    del app["container"]["portMappings"]
    if definitions is not None:
        app["portDefinitions"] = definitions
    spec, stored, sent = read_and_apply_back(app)
    if definitions is None:
        assert stored["portDefinitions"] == [{"port": 10000, "name": "default", "protocol": "tcp"}]
        assert "portDefinitions" not in kept_of(spec)  # Marathon adds it again
    else:
        assert sent["portDefinitions"] == []  # left out, Marathon would add its default


def test_a_container_network_app_keeps_mappings_without_host_ports() -> None:
    app = bridge_app(networks=[{"mode": "container", "name": "dcos"}])
    app["container"]["portMappings"] = [{"containerPort": 8080, "name": "http"}]
    spec, stored, sent = read_and_apply_back(app)
    assert "hostPort" not in stored["container"]["portMappings"][0]  # none allocated
    assert spec.ports == (Port(8080, name="http"),)
    assert "hostPort" not in sent["container"]["portMappings"][0]
    assert sent["networks"] == [{"mode": "container", "name": "dcos"}]


# -- what the spec says, and how the rest is kept -------------------------------------------


def test_a_hand_written_app_gets_no_bookkeeping_labels() -> None:
    app = bridge_app(
        cpus=0.25,
        mem=64,
        labels={"team": "shop"},
        healthChecks=[{"protocol": "COMMAND", "command": {"value": "pgrep x"}}],
        upgradeStrategy={"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0.333},
    )
    spec, _, sent = read_and_apply_back(app)
    assert sent["labels"] == {"team": "shop"}
    assert spec.command == ("/bin/sh", "-c", "sleep 1000")
    assert spec.health == HealthCheck(
        command=["/bin/sh", "-c", "pgrep x"], interval=60, timeout=20, grace=300
    )
    assert spec.rollout == Rollout(max_surge="33%", max_unavailable="50%")
    kept = kept_of(spec)
    assert kept["upgradeStrategy"] == {"maximumOverCapacity": 0.333}  # 33% is 0.33
    assert kept["healthChecks"][0]["delaySeconds"] == 15  # the renderer writes 0


def test_labels_and_env_the_spec_refuses_are_kept_and_the_rest_said() -> None:
    app = bridge_app(
        labels={"team": "shop", "HAPROXY_GROUP": "external", "note": "Away from olympus"},
        env={"MODE": "prod", "MY-VAR": "1"},
    )
    spec, _, sent = read_and_apply_back(app)
    assert spec.labels == {"team": "shop"}
    assert spec.env == {"MODE": "prod"}
    assert kept_of(spec) == {
        "labels": {"HAPROXY_GROUP": "external", "note": "Away from olympus"},
        "env": {"MY-VAR": "1"},
    }
    assert sent["labels"] == app["labels"]


def test_a_secret_under_another_declared_name_is_said_and_its_declaration_kept() -> None:
    app = bridge_app(
        env={"DB_PASSWORD": {"secret": "dbpass"}},
        secrets={"dbpass": {"source": "shop/db/password"}},
    )
    spec, _, sent = read_and_apply_back(app)
    assert spec.env == {"DB_PASSWORD": SecretRef("db", "password")}
    assert sent["secrets"] == app["secrets"]
    assert sent["env"] == app["env"]


def test_a_deprecated_field_echoing_the_current_one_is_not_kept() -> None:
    stored = marathon_stores(bridge_app(networks=[{"mode": "host"}], portDefinitions=[]))
    stored["ports"] = []  # as Marathon 1.4 showed both
    stored["uris"] = []
    spec = parse_app({**stored, "fetch": [{"uri": "https://x/y"}], "uris": ["https://x/y"]})
    assert "uris" not in kept_of(spec)
    assert "ports" not in kept_of(spec)


def test_the_containerizer_the_backend_renders_for_keeps_the_apps_own_type() -> None:
    app = bridge_app()
    app["container"]["type"] = "MESOS"
    stored = marathon_stores(app)
    assert "marathon" not in parse_app(stored).native  # the app's own: nothing to say
    spec = parse_app(stored, containerizer="docker")
    assert kept_of(spec) == {"container": {"type": "MESOS"}}
    assert render_app(spec, containerizer="docker")["container"]["type"] == "MESOS"


def test_a_rollout_in_counts_after_a_scale_is_the_specs_not_a_difference() -> None:
    spec = Deployment("web", namespace="shop", image="nginx", replicas=2, rollout=Rollout(1, 0))
    stored = as_stored(render_app(spec))
    stored["instances"] = 5  # scaled: Marathon keeps the fractions made for 2
    read = parse_app(stored)
    assert read == attrs.evolve(spec, replicas=5)
    assert "marathon" not in read.native


def test_services_on_a_hand_written_app_come_off_and_back_around_a_users_vip() -> None:
    app = bridge_app()
    app["container"]["portMappings"] = [
        {"containerPort": 8080, "name": "http", "labels": {"VIP_0": "/legacy/app:80"}}
    ]
    service = Service(
        "front", namespace="shop", selector={"app": "x"}, ports=[Port(80, target_port="http")]
    )
    app["labels"] = {"app": "x"}
    stored = with_services(marathon_stores(app), [service])
    assert stored["container"]["portMappings"][0]["labels"] == {
        "VIP_0": "/legacy/app:80",
        "VIP_1": "/shop/front:80",
    }
    spec = parse_app(stored)
    sent = render_app(spec, services=[service])
    assert sent["container"]["portMappings"][0]["labels"] == {
        "VIP_0": "/legacy/app:80",
        "VIP_1": "/shop/front:80",
    }
    assert matches(sent, stored)


def test_a_patch_that_contradicts_the_spec_is_refused() -> None:
    """After a read keeps the port mappings, changing the ports alone would be overridden."""
    app = bridge_app()
    app["container"]["portMappings"] = [{"containerPort": 8080, "hostPort": 31080}]
    spec, _, _ = read_and_apply_back(app)
    changed = attrs.evolve(spec, ports=[*spec.ports, Port(9090)])
    with pytest.raises(ValidationError) as raised:
        render_app(changed)
    assert raised.value.fields == ("native.marathon",)
    assert "overrides ports" in str(raised.value)
    untouched = attrs.evolve(spec, image="busybox:1.37")  # what the patch does not touch
    assert render_app(untouched)["container"]["docker"]["image"] == "busybox:1.37"


def test_the_patch_may_still_pin_what_the_spec_leaves_to_it() -> None:
    spec = Deployment("web", namespace="shop", image="nginx", native={"marathon": {"instances": 7}})
    assert render_app(spec)["instances"] == 7  # replicas is not checked: a pin is allowed


# -- the tables --------------------------------------------------------------------------


def _paths(document: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(document, dict):
        for key, value in document.items():
            path = f"{prefix}.{key}" if prefix else key
            if path in F.RENDERED:
                yield path
            else:
                yield from _paths(value, path) if isinstance(value, (dict, list)) else [path]
    elif isinstance(document, list):
        for item in document:
            yield from _paths(item, f"{prefix}[]")


def test_the_renderer_writes_only_the_fields_its_table_lists() -> None:
    spec = Deployment(
        "web",
        namespace="shop",
        image="nginx",
        command=["nginx"],
        args=["-g", "daemon off;"],
        ports=[Port(8080, name="http"), Port(53, protocol="UDP")],
        env={"A": "1", "B": SecretRef("db", "password")},
        health=HealthCheck(tcp=True, port=8080),
        labels={"app": "web"},
    )
    service = Service("front", namespace="shop", selector={"app": "web"}, ports=[Port(80)])
    for rendered in (
        render_app(spec, services=[service]),
        render_app(attrs.evolve(spec, command=[]), containerizer="mesos"),
    ):
        assert set(_paths(rendered)) <= set(F.RENDERED), set(_paths(rendered)) - set(F.RENDERED)


def test_defaults_are_marathons_as_the_emulator_fills_them() -> None:
    """Every field Marathon fills in for a bare app is at its default in the table, and the
    items it fills in compare equal to the items as written."""
    body = {
        "id": "/shop/a",
        "cmd": "sleep 1",
        "container": {"docker": {"image": "x"}, "portMappings": [{"containerPort": 80}]},
        "networks": [{"mode": "container/bridge"}],
    }
    for key, value in F.config(marathon_stores(body)).items():
        if not any(path == key or path.startswith(f"{key}.") for path in F.RENDERED):
            assert F.is_default(value, key), key
    checks = {
        "healthChecks": [{"protocol": "HTTP", "path": "/", "portIndex": 0}],
        "readinessChecks": [{"portName": "http-api"}],
        "fetch": [{"uri": "https://x/y.tgz"}],
    }
    body["container"]["portMappings"][0]["name"] = "http-api"  # type: ignore[index]
    stored = marathon_stores({**body, **checks})
    for key, written in checks.items():
        assert F.same(written, stored[key], key), key
    assert not F.is_default({"taskLostBehavior": "WAIT_FOREVER"}, "residency")  # given


def test_the_patch_deletes_what_the_spec_would_add_with_null() -> None:
    rendered = {"secrets": {"db/password": {"source": "shop/db/password"}}, "labels": {}}
    stored = {"secrets": {"dbpass": {"source": "shop/db/password"}}, "labels": {}}
    assert F.patch(rendered, stored) == {
        "secrets": {"dbpass": {"source": "shop/db/password"}, "db/password": None}
    }


def test_bookkeeping_labels_are_the_renderers() -> None:
    rendered = {"labels": {L.COMMAND: "1", "team": "a"}}
    stored = {"labels": {L.ROLLOUT: "{}", "team": "a", L.ANNOTATION + "x": "y"}}
    assert F.patch(rendered, stored) == {"labels": {L.ANNOTATION + "x": "y"}}


# -- through the backend, on the emulator ----------------------------------------------------


@pytest.fixture
def emulator() -> Iterator[Any]:
    testing = pytest.importorskip("orchsdk_marathon.testing")
    with testing.MarathonEmulator(schema=schema_path(), deployment_seconds=0.05) as running:
        yield running


def test_get_then_apply_of_marathons_example_sends_no_write_and_a_change_keeps_the_rest(
    emulator: Any,
) -> None:
    import requests

    app = raml_variants()[3]  # the RAML example with a secret the spec can name
    app["secrets"] = {"db/password": {"source": "shop/db/password"}}
    app["constraints"] = [["hostname", "LIKE", "agent-2.*"]]  # its srv2.* fits no agent here
    with orchsdk.connect(emulator.url, namespace="shop") as orch:  # the secret it refers to
        orch.apply(Secret("db", data={"password": "kerberos"}))
    response = requests.post(f"{emulator.marathon_url}/v2/apps", json=app, timeout=10)
    assert response.status_code == 201, response.text
    emulator.control.finish(app["id"])
    before = emulator.app(app["id"])
    with orchsdk.connect(emulator.url, namespace="shop") as orch:
        assert isinstance(orch, Orchestrator)
        spec = orch.get(Deployment, "foo")
        assert orch.apply(spec)[0].action is Action.UNCHANGED
        assert emulator.app(app["id"])["version"] == before["version"]
        orch.apply(attrs.evolve(spec, image="mesosphere/marathon:1.10"), wait=True, timeout=30)
    after = emulator.app(app["id"])
    assert after["container"]["docker"]["image"] == "mesosphere/marathon:1.10"
    after["container"]["docker"]["image"] = before["container"]["docker"]["image"]
    assert same_config(after, before)
