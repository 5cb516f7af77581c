"""The unified spec <-> Marathon app mapping, field by field, on examples one can read.

Each test states one row of the mapping table in ``docs/backends/marathon.md``.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from marathon_helpers import as_stored
from orchsdk_marathon import labels as L
from orchsdk_marathon.app_definition import render_app
from orchsdk_marathon.compare import matches
from orchsdk_marathon.parse import parse_app
from orchsdk_marathon.render import render_secret, upgrade_strategy
from orchsdk_marathon.services import render_service, with_services, without_services
from orchsdk_marathon.support import capabilities_for, unsupported_fields

from orchsdk import (
    ConfigRef,
    Constraint,
    Deployment,
    FileMount,
    HealthCheck,
    Port,
    Resources,
    Rollout,
    Secret,
    SecretRef,
    Service,
    UnexpectedResponse,
    UnsupportedFeature,
    ValidationError,
)


def web(**changes: Any) -> Deployment:
    spec = Deployment(
        "web",
        namespace="shop",
        image="nginx:1.27",
        replicas=2,
        ports=[Port(8080, name="http")],
        labels={"app": "web"},
    )
    return attrs.evolve(spec, **changes)


def round_trips(spec: Deployment, containerizer: str = "docker") -> dict[str, Any]:
    app = render_app(spec, containerizer=containerizer)
    assert parse_app(app) == spec
    assert parse_app(as_stored(app)) == spec
    return app


# -- identity, container, ports ----------------------------------------------------------


def test_a_deployment_is_a_docker_app_in_its_namespace_group() -> None:
    app = round_trips(web())
    assert app["id"] == "/shop/web"
    assert app["instances"] == 2
    assert app["container"] == {
        "type": "DOCKER",
        "docker": {"image": "nginx:1.27"},
        "portMappings": [
            {"containerPort": 8080, "hostPort": 0, "protocol": "tcp", "name": "http", "labels": {}}
        ],
        "volumes": [],
    }
    assert app["networks"] == [{"mode": "container/bridge"}]
    assert app["labels"] == {"app": "web"}
    assert app["upgradeStrategy"] == {"maximumOverCapacity": 0.25, "minimumHealthCapacity": 0.75}


def test_no_ports_is_an_empty_list_so_marathon_adds_no_default_port() -> None:
    app = round_trips(web(ports=[]))
    assert app["container"]["portMappings"] == []


def test_udp_ports_and_unnamed_ports() -> None:
    app = round_trips(web(ports=[Port(53, protocol="UDP"), Port(8080, name="http")]))
    first, second = app["container"]["portMappings"]
    assert first == {"containerPort": 53, "hostPort": 0, "protocol": "udp", "labels": {}}
    assert second["name"] == "http"


def test_the_mesos_containerizer_runs_the_same_image_on_the_ucr() -> None:
    app = round_trips(web(), containerizer="mesos")
    assert app["container"]["type"] == "MESOS"
    assert app["container"]["docker"] == {"image": "nginx:1.27"}


# -- command and args ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "args", "fields"),
    [
        ((), (), {}),
        ((), ("--port", "80"), {"args": ["--port", "80"]}),
        (("nginx",), (), {"cmd": "exec nginx"}),
        (("nginx", "-g"), ("daemon off;",), {"cmd": "exec nginx -g 'daemon off;'"}),
        (("sh", "-c"), ("echo $HOME && sleep 1",), {"cmd": "exec sh -c 'echo $HOME && sleep 1'"}),
        (("",), ("a b",), {"cmd": "exec '' 'a b'"}),
    ],
)
def test_args_alone_are_args_and_a_command_is_one_quoted_cmd(
    command: tuple[str, ...], args: tuple[str, ...], fields: dict[str, Any]
) -> None:
    app = round_trips(web(command=command, args=args))
    assert {key: app[key] for key in ("cmd", "args") if key in app} == fields
    if command and args:  # which words of cmd are the command: only args need saying
        assert app["labels"][L.COMMAND] == str(len(command))
    else:
        assert L.COMMAND not in app["labels"]


def test_a_foreign_cmd_is_read_as_a_shell_command_and_written_back_as_it_was() -> None:
    app = render_app(web())
    app["cmd"] = "env && sleep 60"
    spec = parse_app(app)
    assert (spec.command, spec.args) == (("/bin/sh", "-c", "env && sleep 60"), ())
    rendered = render_app(spec)
    assert rendered["cmd"] == "env && sleep 60"  # Marathon runs it with /bin/sh -c
    assert L.COMMAND not in rendered["labels"]
    assert parse_app(rendered) == spec


@pytest.mark.parametrize(
    ("command", "cmd"),
    [
        (("/bin/sh", "-c", "x"), "exec /bin/sh -c x"),  # Marathon refuses a 1-character cmd
        (("/bin/sh", "-c", "exec nginx"), "exec /bin/sh -c 'exec nginx'"),  # reads as ["nginx"]
        (("/bin/sh", "-c", "a && b", "zero"), "exec /bin/sh -c 'a && b' zero"),
    ],
)
def test_a_shell_command_that_would_read_back_otherwise_is_quoted(
    command: tuple[str, ...], cmd: str
) -> None:
    app = round_trips(web(command=command))
    assert app["cmd"] == cmd


# -- resources -----------------------------------------------------------------------


def test_resources_become_cpus_mem_in_mib_and_gpus() -> None:
    spec = web(resources=Resources(cpu="250m", memory="1Gi", gpu=2))
    app = round_trips(spec, containerizer="mesos")
    assert (app["cpus"], app["mem"], app["gpus"]) == (0.25, 1024.0, 2)


def test_unset_resources_are_marathons_defaults_and_read_back_unset() -> None:
    app = round_trips(web(resources=Resources()))
    assert (app["cpus"], app["mem"], app["gpus"]) == (1.0, 128.0, 0)
    assert L.RESOURCES not in app["labels"]
    partly = round_trips(web(resources=Resources(memory="64Mi")))
    assert (partly["cpus"], partly["mem"]) == (1.0, 64.0)
    assert L.RESOURCES in partly["labels"]


def test_quantities_keep_how_they_were_written() -> None:
    for cpu, memory in (("0.5", "512M"), ("500m", "488281250m"), ("2", "2Gi")):
        round_trips(web(resources=Resources(cpu=cpu, memory=memory)))


def test_resources_changed_outside_orchsdk_are_read_from_marathons_fields() -> None:
    app = as_stored(render_app(web(resources=Resources(cpu="250m", memory="64Mi"))))
    app["cpus"], app["mem"] = 0.5, 100
    assert parse_app(app).resources == Resources(cpu="500m", memory="100Mi")


def test_gpus_need_the_mesos_containerizer() -> None:
    with pytest.raises(UnsupportedFeature, match="containerizer='mesos'"):
        render_app(web(resources=Resources(gpu=1)))


def test_less_than_a_millicpu_is_refused_before_marathon_sees_it() -> None:
    with pytest.raises(ValidationError) as raised:
        render_app(web(resources=Resources(cpu="500u")))
    assert raised.value.fields == ("resources.cpu",)


# -- env, secrets and files ------------------------------------------------------------


def test_secret_env_values_are_secret_declarations_in_the_namespace() -> None:
    app = round_trips(web(env={"MODE": "prod", "PASSWORD": SecretRef("db", "password")}))
    assert app["env"] == {"MODE": "prod", "PASSWORD": {"secret": "db/password"}}
    assert app["secrets"] == {"db/password": {"source": "shop/db/password"}}


def test_secret_files_are_ucr_secret_volumes() -> None:
    spec = web(files=[FileMount("/etc/app/token", SecretRef("api", "token"))])
    app = round_trips(spec, containerizer="mesos")
    assert app["container"]["volumes"] == [
        {"containerPath": "/etc/app/token", "secret": "api/token"}
    ]
    assert app["secrets"] == {"api/token": {"source": "shop/api/token"}}
    with pytest.raises(UnsupportedFeature, match="files\\[0\\]"):
        render_app(spec)


def test_config_refs_are_refused() -> None:
    with pytest.raises(UnsupportedFeature, match="config maps"):
        render_app(web(env={"LEVEL": ConfigRef("cfg", "level")}))


# -- health ----------------------------------------------------------------------------


def test_an_http_check_is_mesos_http_on_the_named_port() -> None:
    health = HealthCheck(http_path="/healthz", port="metrics", interval=15, timeout=3, grace=20)
    spec = web(ports=[Port(8080, name="http"), Port(9090, name="metrics")], health=health)
    app = round_trips(spec)
    assert app["healthChecks"] == [
        {
            "protocol": "MESOS_HTTP",
            "path": "/healthz",
            "portIndex": 1,
            "intervalSeconds": 15,
            "timeoutSeconds": 3,
            "gracePeriodSeconds": 20,
            "maxConsecutiveFailures": 3,
            "delaySeconds": 0,
        }
    ]
    assert L.HEALTH_PORT not in app["labels"]  # a named port reads back by name anyway
    by_number = round_trips(attrs.evolve(spec, health=attrs.evolve(health, port=9090)))
    assert by_number["labels"][L.HEALTH_PORT] == "number"


@pytest.mark.parametrize("port", [8080, "http"])
def test_a_tcp_check_keeps_how_its_port_was_named(port: int | str) -> None:
    app = round_trips(web(health=HealthCheck(tcp=True, port=port)))
    assert app["healthChecks"][0]["protocol"] == "MESOS_TCP"
    assert app["healthChecks"][0]["portIndex"] == 0


def test_a_command_check_is_a_quoted_shell_command() -> None:
    app = round_trips(web(health=HealthCheck(command=["curl", "-f", "http://localhost/a b"])))
    check = app["healthChecks"][0]
    assert check["protocol"] == "COMMAND"
    assert check["command"] == {"value": "exec curl -f 'http://localhost/a b'"}


def test_health_checks_the_spec_cannot_say_are_kept_in_native() -> None:
    app = as_stored(render_app(web()))
    checks = [{"protocol": "HTTP", "path": "/", "portIndex": 0}, {"protocol": "TCP"}]
    app["healthChecks"] = checks
    spec = parse_app(app)
    assert spec.health is None
    assert "healthChecks" in spec.native["marathon"]
    assert render_app(spec)["healthChecks"] == checks


# -- rollout ---------------------------------------------------------------------------


def _strategy(surge: float, healthy: float) -> dict[str, float]:
    return {"maximumOverCapacity": surge, "minimumHealthCapacity": healthy}


@pytest.mark.parametrize(
    ("rollout", "replicas", "strategy"),
    [
        (Rollout(), 4, _strategy(0.25, 0.75)),
        (Rollout(max_surge=1, max_unavailable=0), 4, _strategy(0.25, 1.0)),
        (Rollout(max_surge=0, max_unavailable=1), 2, _strategy(0.0, 0.5)),
        (Rollout(max_surge=5, max_unavailable="100%"), 2, _strategy(1.0, 0.0)),
        (Rollout(max_surge=1, max_unavailable=0), 0, _strategy(1.0, 1.0)),
    ],
)
def test_rollout_is_an_upgrade_strategy_of_fractions_of_the_replicas(
    rollout: Rollout, replicas: int, strategy: dict[str, float]
) -> None:
    app = round_trips(web(rollout=rollout, replicas=replicas))
    assert app["upgradeStrategy"] == pytest.approx(strategy)
    assert upgrade_strategy(rollout, replicas) == pytest.approx(strategy)


def test_a_rollout_in_counts_reads_back_after_a_scale() -> None:
    app = as_stored(render_app(web(rollout=Rollout(max_surge=1, max_unavailable=0), replicas=2)))
    app["instances"] = 6  # scaled: Marathon keeps the fractions
    assert parse_app(app).rollout == Rollout(max_surge=1, max_unavailable=0)


def test_an_upgrade_strategy_set_outside_orchsdk_reads_as_percentages() -> None:
    app = as_stored(render_app(web()))
    app["upgradeStrategy"] = {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0.2}
    assert parse_app(app).rollout == Rollout(max_surge="20%", max_unavailable="50%")


# -- placement -------------------------------------------------------------------------


def test_placement_becomes_constraints() -> None:
    placement = [
        Constraint("zone", "in", ["eu-1a"]),
        Constraint("zone", "in", ["eu-1a", "eu.1b"]),
        Constraint("rack", "not_in", ["r1", "r2"]),
        Constraint("gpu", "exists"),
        Constraint("hostname", "unique"),
    ]
    app = round_trips(web(placement=placement))
    assert app["constraints"] == [  # in the spec's (sorted) order
        ["gpu", "LIKE", ".*"],
        ["hostname", "UNIQUE"],
        ["rack", "UNLIKE", "r1|r2"],
        ["zone", "IS", "eu-1a"],
        ["zone", "LIKE", "eu-1a|eu\\.1b"],
    ]


def test_constraints_the_spec_cannot_say_are_kept_in_native() -> None:
    app = as_stored(render_app(web(placement=[Constraint("hostname", "unique")])))
    app["constraints"] = [["hostname", "UNIQUE", ""], ["rack", "GROUP_BY", "3"]]
    spec = parse_app(app)
    assert spec.placement == ()
    assert render_app(spec)["constraints"] == app["constraints"]


def test_the_same_constraint_twice_is_refused() -> None:
    twice = [Constraint("zone", "in", ["a"]), Constraint("zone", "in", ["a"])]
    with pytest.raises(ValidationError) as raised:
        render_app(web(placement=twice))
    assert raised.value.fields == ("placement[1]",)


# -- labels, annotations, native -------------------------------------------------------


def test_annotations_and_native_patches_are_kept_in_labels() -> None:
    native = {
        "marathon": {"user": "nobody", "fetch": [{"uri": "https://x/a.tgz"}]},
        "kubernetes": {"a": 1},
    }
    spec = web(annotations={"team": "platform", "example.com/note": "a b\nc"}, native=native)
    app = round_trips(spec)
    assert app["user"] == "nobody"
    assert app["fetch"] == [{"uri": "https://x/a.tgz"}]
    assert app["labels"]["orchsdk.annotation.example.com/note"] == "a b\nc"
    assert app["labels"][L.NATIVE].startswith("{")


def test_the_native_patch_is_applied_last() -> None:
    app = render_app(web(native={"marathon": {"instances": 7, "labels": {"extra": "1"}}}))
    assert app["instances"] == 7
    assert app["labels"]["extra"] == "1"
    assert app["labels"]["app"] == "web"


def test_labels_that_collide_with_the_backends_own_are_refused() -> None:
    spec = web(labels={"app": "web", "orchsdk.x": "1", "HAPROXY_GROUP": "internal"})
    refused = {gap.field: gap.capability for gap in unsupported_fields(spec)}
    assert refused == {
        "labels.orchsdk.x": "reserved_labels",
        "labels.HAPROXY_GROUP": "reserved_labels",
    }


def test_port_names_marathons_schema_refuses_are_left_out_keeping_the_health_check() -> None:
    spec = web(ports=[Port(8080, name="8080-http")], health=HealthCheck(tcp=True, port="8080-http"))
    [gap] = unsupported_fields(spec)
    assert (gap.field, gap.capability) == ("ports[0].name", "port_names")
    kept = gap.leave_out(spec)
    assert isinstance(kept, Deployment)
    assert kept.ports == (Port(8080),)
    assert kept.health == HealthCheck(tcp=True, port=8080)


# -- comparison (apply's "unchanged") -------------------------------------------------


def test_an_unchanged_app_matches_despite_marathons_defaults() -> None:
    app = render_app(web(placement=[Constraint("hostname", "unique")], args=["a"]))
    assert matches(app, as_stored(app))


def test_a_removed_env_var_or_label_is_a_change() -> None:
    before = as_stored(render_app(web(env={"A": "1", "B": "2"})))
    assert not matches(render_app(web(env={"A": "1"})), before)
    assert not matches(render_app(web(labels={})), as_stored(render_app(web())))


def test_args_replaced_by_a_command_is_a_change() -> None:
    stored = as_stored(render_app(web(args=["a"])))
    assert not matches(render_app(web()), stored)


# -- services --------------------------------------------------------------------------


def test_an_internal_service_is_a_vip_label_on_the_targeted_port_mapping() -> None:
    service = Service(
        "front", namespace="shop", selector={"app": "web"}, ports=[Port(80, target_port="http")]
    )
    app = render_app(web(), services=[service])
    assert app["container"]["portMappings"][0]["labels"] == {"VIP_0": "/shop/front:80"}
    assert app["labels"][L.SERVICE + "front"]
    assert app["labels"][L.SERVICES] == "front"
    assert "HAPROXY_GROUP" not in app["labels"]
    assert parse_app(app) == web()


def test_an_external_service_adds_marathon_lb_labels() -> None:
    service = Service(
        "front",
        namespace="shop",
        selector={"app": "web"},
        ports=[Port(443, target_port=8080)],
        exposure="external",
        hostname="shop.example.com",
    )
    app = render_app(web(), services=[service])
    assert app["labels"]["HAPROXY_GROUP"] == "external"
    assert app["labels"]["HAPROXY_0_VHOST"] == "shop.example.com"
    assert app["container"]["portMappings"][0]["labels"] == {"VIP_0": "/shop/front:443"}
    stripped, found = without_services(app, "shop")
    assert stripped == render_app(web())
    assert found == {"front": service}


def test_a_service_selects_only_matching_deployments() -> None:
    service = Service("front", namespace="shop", selector={"app": "other"}, ports=[Port(80)])
    assert render_app(web(), services=[service]) == render_app(web())


def test_two_services_on_one_port_get_their_own_vip_numbers() -> None:
    one = Service(
        "a", namespace="shop", selector={"app": "web"}, ports=[Port(80, target_port="http")]
    )
    two = Service(
        "b", namespace="shop", selector={"app": "web"}, ports=[Port(81, target_port=8080)]
    )
    app = render_app(web(), services=[two, one])
    assert app["container"]["portMappings"][0]["labels"] == {
        "VIP_0": "/shop/a:80",
        "VIP_1": "/shop/b:81",
    }
    assert with_services(without_services(app, "shop")[0], [one, two]) == app


def test_a_service_renders_as_the_labels_it_places() -> None:
    service = Service(
        "front", namespace="shop", selector={"app": "web"}, ports=[Port(80, target_port="http")]
    )
    document = render_service(service)
    assert document["service"] == "/shop/front"
    assert document["ports"][0]["portMappingLabels"] == {"VIP_<n>": "/shop/front:80"}


# -- secrets and capabilities ----------------------------------------------------------


def test_a_secret_is_one_store_path_per_key() -> None:
    secret = Secret("db", namespace="shop", data={"user": "app", "password": "pw"})
    assert render_secret(secret) == [
        {"store": "default", "path": "shop/db/user", "value": "app"},
        {"store": "default", "path": "shop/db/password", "value": "pw"},
    ]


def test_secret_metadata_and_empty_secrets_are_refused() -> None:
    secret = Secret(
        "db",
        namespace="shop",
        data={"k": "v"},
        labels={"a": "b"},
        annotations={"c": "d"},
        native={"k": {}},
    )
    assert [gap.field for gap in unsupported_fields(secret)] == ["labels", "annotations", "native"]
    assert [gap.capability for gap in unsupported_fields(Secret("db"))] == ["empty_secrets"]


def test_capabilities_say_why_each_one_is_off() -> None:
    caps = capabilities_for(secret_store=False, features=None, containerizer="docker")
    off = [name for name in caps.names() if not caps.supports(name)]
    assert off == [
        "secrets",
        "config_maps",
        "autoscalers",
        "standalone_services",
        "node_services",
        "file_mounts",
        "gpus",
    ]
    assert all(name in caps.reasons for name in off)
    assert "secret_store" in caps.reason("secrets")
    no_feature = capabilities_for(secret_store=True, features=[], containerizer="mesos")
    assert "enable_features secrets" in no_feature.reason("secrets")
    assert no_feature.file_mounts
    ucr = capabilities_for(
        secret_store=True, features=["secrets", "gpu_resources"], containerizer="mesos"
    )
    assert (ucr.secrets, ucr.file_mounts, ucr.gpus) == (True, True, True)


# -- malformed documents --------------------------------------------------------------


@pytest.mark.parametrize(
    "app",
    [
        "not an object",
        {"id": "/too/deep/web"},
        {"id": "/shop/web"},
        {"id": "/shop/web", "container": {"docker": {"image": "x"}}, "instances": "two"},
        {
            "id": "/shop/web",
            "container": {"docker": {"image": "x"}, "portMappings": [{"containerPort": "80"}]},
        },
        {"id": "/shop/web", "container": {"docker": {"image": "x"}}, "labels": {"a": 1}},
        {
            "id": "/shop/web",
            "container": {"docker": {"image": "x"}},
            "labels": {L.SERVICE + "s": "{"},
        },
    ],
)
def test_malformed_apps_raise_a_typed_error(app: Any) -> None:
    with pytest.raises(UnexpectedResponse):
        parse_app(app)
