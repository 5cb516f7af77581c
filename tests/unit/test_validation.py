"""Every validation rule, as a table: the spec, and the exact field paths reported for it."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from orchsdk import (
    REDACTED,
    Autoscaler,
    ConfigMap,
    ConfigRef,
    Constraint,
    Deployment,
    FieldError,
    FileMount,
    HealthCheck,
    Port,
    Resources,
    Rollout,
    Secret,
    SecretRef,
    Service,
    ValidationError,
)
from orchsdk.validation import check, validate, validate_all, validate_namespace

WEB = Deployment("web", image="nginx:1.27", ports=[Port(80, name="http")])
SVC = Service("web", selector={"app": "web"}, ports=[Port(80)])
SECRET = Secret("db", data={"password": "s3cr3t"})
CONFIG = ConfigMap("web-config", data={"LOG_LEVEL": "info"})
SCALER = Autoscaler("web", target="web", max_replicas=10, cpu_percent=70)


def web(**changes: Any) -> Deployment:
    return attrs.evolve(WEB, **changes)


def svc(**changes: Any) -> Service:
    return attrs.evolve(SVC, **changes)


def scaler(**changes: Any) -> Autoscaler:
    return attrs.evolve(SCALER, **changes)


def invalid_fields(spec: Any) -> tuple[str, ...]:
    """The field paths of the ValidationError that validating ``spec`` raises."""
    with pytest.raises(ValidationError) as caught:
        validate(spec)
    return caught.value.fields


VALID = [
    pytest.param(WEB, id="deployment"),
    pytest.param(SVC, id="service"),
    pytest.param(SECRET, id="secret"),
    pytest.param(CONFIG, id="config map"),
    pytest.param(SCALER, id="autoscaler"),
    # names
    pytest.param(web(name="a" * 63), id="deployment name of 63 characters"),
    pytest.param(web(name="1web"), id="deployment name starting with a digit"),
    pytest.param(svc(name="a" * 63), id="service name of 63 characters"),
    pytest.param(Secret("db.prod-1", data={}), id="secret name as a DNS subdomain"),
    pytest.param(Secret("a" * 253, data={}), id="secret name of 253 characters"),
    pytest.param(ConfigMap("web.config", data={}), id="config map name as a DNS subdomain"),
    pytest.param(web(namespace="shop-1"), id="namespace"),
    # labels and annotations
    pytest.param(web(labels={"example.com/app": "web"}), id="label key with a prefix"),
    pytest.param(web(labels={"App_1.x": "Web_1.x"}), id="label key and value with _ and ."),
    pytest.param(web(labels={"app": ""}), id="empty label value"),
    pytest.param(web(labels={"a" * 63: "b" * 63}), id="label key and value of 63 characters"),
    pytest.param(web(annotations={"example.com/note": "any text: ünïcode"}), id="annotation"),
    # ports
    pytest.param(web(ports=[Port(1), Port(65535)]), id="ports 1 and 65535"),
    pytest.param(web(ports=[Port(53), Port(53, protocol="UDP")]), id="one port, TCP and UDP"),
    pytest.param(web(ports=[Port(80, name="a" * 15)]), id="port name of 15 characters"),
    pytest.param(web(ports=[Port(80, name="8080-http")]), id="port name with digits and -"),
    pytest.param(svc(ports=[Port(80, target_port="http")]), id="service target port by name"),
    pytest.param(svc(ports=[Port(80, target_port=8080)]), id="service target port by number"),
    pytest.param(
        svc(ports=[Port(80, name="http"), Port(443, name="https")]), id="service, two named ports"
    ),
    # quantities and counts
    pytest.param(web(resources=Resources(cpu="250m", memory="256Mi")), id="250m and 256Mi"),
    pytest.param(web(resources=Resources(cpu="0.5", memory="1Gi", gpu=0)), id="0.5, 1Gi, gpu 0"),
    pytest.param(web(resources=Resources(cpu="2", memory="1e9")), id="2 and 1e9"),
    pytest.param(web(replicas=0), id="zero replicas"),
    # env
    pytest.param(web(env={"_X": "1", "DB_PASSWORD": SecretRef("db", "password")}), id="env"),
    pytest.param(web(env={"CONF": ConfigRef("web-config", "app.conf")}), id="env from config"),
    # health
    pytest.param(web(health=HealthCheck(http_path="/", port="http")), id="http check, by name"),
    pytest.param(web(health=HealthCheck(tcp=True, port=80)), id="tcp check, by number"),
    pytest.param(Deployment("w", image="x", health=HealthCheck(command=["true"])), id="command"),
    pytest.param(web(health=HealthCheck(command=["true"], grace=0)), id="grace of zero"),
    # rollout
    pytest.param(web(rollout=Rollout(max_surge=1, max_unavailable=0)), id="rollout counts"),
    pytest.param(web(rollout=Rollout("100%", "0%")), id="rollout percentages"),
    pytest.param(web(rollout=Rollout(0, "25%")), id="rollout without surge"),
    # placement and files
    pytest.param(web(placement=[Constraint("zone", "in", ["a", "b"])]), id="constraint in"),
    pytest.param(web(placement=[Constraint("zone", "not_in", ["c"])]), id="constraint not_in"),
    pytest.param(web(placement=[Constraint("gpu", "exists")]), id="constraint exists"),
    pytest.param(web(placement=[Constraint("hostname", "unique")]), id="constraint unique"),
    pytest.param(
        web(
            files=[
                FileMount("/etc/app/tls.key", SecretRef("tls", "tls.key")),
                FileMount("/etc/app/app.conf", ConfigRef("web-config", "app.conf")),
            ]
        ),
        id="file mounts",
    ),
    # services
    pytest.param(svc(exposure="external", hostname="shop.example.com"), id="external hostname"),
    pytest.param(svc(exposure="node"), id="node service"),
    # data
    pytest.param(Secret("db", data={".env": "A=1", "tls.key": ""}), id="secret keys with dots"),
    pytest.param(ConfigMap("c", data={"big": "x" * 1000}), id="config map value"),
    # autoscalers
    pytest.param(scaler(min_replicas=3, max_replicas=3), id="autoscaler min equals max"),
    pytest.param(scaler(cpu_percent=None, memory_percent=80), id="autoscaler on memory"),
    # native
    pytest.param(web(native={"kubernetes": {"spec": {"paused": True}}}), id="native patch"),
]


@pytest.mark.parametrize("spec", VALID)
def test_a_valid_spec_has_no_errors(spec: Any) -> None:
    assert check(spec) == []
    validate(spec)


INVALID = [
    # -- names per kind
    pytest.param(web(name="Web"), ("name",), id="deployment name with uppercase"),
    pytest.param(web(name="web_app"), ("name",), id="deployment name with _"),
    pytest.param(web(name="web.app"), ("name",), id="deployment name with a dot"),
    pytest.param(web(name="-web"), ("name",), id="deployment name starting with -"),
    pytest.param(web(name="web-"), ("name",), id="deployment name ending with -"),
    pytest.param(web(name=""), ("name",), id="empty deployment name"),
    pytest.param(web(name="a" * 64), ("name",), id="deployment name of 64 characters"),
    pytest.param(web(name=42), ("name",), id="deployment name that is not a string"),
    pytest.param(svc(name="1web"), ("name",), id="service name starting with a digit"),
    pytest.param(svc(name="web.app"), ("name",), id="service name with a dot"),
    pytest.param(svc(name="a" * 64), ("name",), id="service name of 64 characters"),
    pytest.param(Secret("db..prod", data={}), ("name",), id="secret name with an empty label"),
    pytest.param(Secret("DB", data={}), ("name",), id="secret name with uppercase"),
    pytest.param(Secret("a" * 254, data={}), ("name",), id="secret name of 254 characters"),
    pytest.param(ConfigMap("web_config", data={}), ("name",), id="config map name with _"),
    pytest.param(scaler(name="Web"), ("name",), id="autoscaler name with uppercase"),
    # -- namespaces
    pytest.param(web(namespace="Shop"), ("namespace",), id="namespace with uppercase"),
    pytest.param(web(namespace="shop.prod"), ("namespace",), id="namespace with a dot"),
    pytest.param(web(namespace="a" * 64), ("namespace",), id="namespace of 64 characters"),
    pytest.param(web(namespace=""), ("namespace",), id="empty namespace"),
    # -- label keys
    pytest.param(web(labels={"/app": "web"}), ("labels./app",), id="label key, empty prefix"),
    pytest.param(web(labels={"app/": "web"}), ("labels.app/",), id="label key, empty name"),
    pytest.param(web(labels={"Ex.com/app": "w"}), ("labels.Ex.com/app",), id="uppercase prefix"),
    pytest.param(web(labels={"-app": "web"}), ("labels.-app",), id="label key starting with -"),
    pytest.param(web(labels={"a b": "web"}), ("labels.a b",), id="label key with a space"),
    pytest.param(web(labels={"a" * 64: "w"}), ("labels." + "a" * 64,), id="label key too long"),
    pytest.param(web(labels={1: "web"}), ("labels.1",), id="label key that is not a string"),
    # -- label values
    pytest.param(web(labels={"app": "a b"}), ("labels.app",), id="label value with a space"),
    pytest.param(web(labels={"app": "web-"}), ("labels.app",), id="label value ending with -"),
    pytest.param(web(labels={"app": "a" * 64}), ("labels.app",), id="label value too long"),
    pytest.param(web(labels={"app": 1}), ("labels.app",), id="label value not a string"),
    pytest.param(web(labels="app=web"), ("labels",), id="labels not a mapping"),
    # -- annotations
    pytest.param(web(annotations={"a b": "x"}), ("annotations.a b",), id="annotation key"),
    pytest.param(web(annotations={"note": 1}), ("annotations.note",), id="annotation value"),
    pytest.param(
        web(annotations={"note": "x" * (256 * 1024)}), ("annotations",), id="annotations too big"
    ),
    # -- image, replicas, command
    pytest.param(web(image=""), ("image",), id="empty image"),
    pytest.param(web(image="nginx latest"), ("image",), id="image with a space"),
    pytest.param(web(image=None), ("image",), id="image that is not a string"),
    pytest.param(web(replicas=-1), ("replicas",), id="negative replicas"),
    pytest.param(web(replicas="3"), ("replicas",), id="replicas as a string"),
    pytest.param(web(replicas=True), ("replicas",), id="replicas as a bool"),
    pytest.param(web(replicas=3.0), ("replicas",), id="replicas as a float"),
    pytest.param(web(replicas=2**31), ("replicas",), id="replicas past int32"),
    pytest.param(web(command="nginx -g x"), ("command",), id="command as a string"),
    pytest.param(web(command=["nginx", 1]), ("command[1]",), id="command item not a string"),
    pytest.param(web(args=[None]), ("args[0]",), id="args item not a string"),
    # -- ports
    pytest.param(web(ports=[Port(0)]), ("ports[0].port",), id="port 0"),
    pytest.param(web(ports=[Port(65536)]), ("ports[0].port",), id="port 65536"),
    pytest.param(web(ports=[Port(-80)]), ("ports[0].port",), id="negative port"),
    pytest.param(web(ports=[Port("80")]), ("ports[0].port",), id="port as a string"),
    pytest.param(web(ports=[Port(True)]), ("ports[0].port",), id="port as a bool"),
    pytest.param(web(ports=[Port(80.0)]), ("ports[0].port",), id="port as a float"),
    pytest.param(web(ports=[Port(80, protocol="SCTP")]), ("ports[0].protocol",), id="protocol"),
    pytest.param(web(ports=[80]), ("ports[0]",), id="port not a Port"),
    pytest.param(web(ports=Port(80)), ("ports",), id="ports not a list"),
    pytest.param(
        web(ports=[Port(80, target_port=8080)]), ("ports[0].target_port",), id="deployment target"
    ),
    # -- port names
    pytest.param(web(ports=[Port(80, name="a" * 16)]), ("ports[0].name",), id="port name of 16"),
    pytest.param(web(ports=[Port(80, name="8080")]), ("ports[0].name",), id="port name no letter"),
    pytest.param(web(ports=[Port(80, name="HTTP")]), ("ports[0].name",), id="port name uppercase"),
    pytest.param(web(ports=[Port(80, name="-http")]), ("ports[0].name",), id="port name -start"),
    pytest.param(web(ports=[Port(80, name="http-")]), ("ports[0].name",), id="port name -end"),
    pytest.param(web(ports=[Port(80, name="ht--tp")]), ("ports[0].name",), id="port name --"),
    pytest.param(web(ports=[Port(80, name="my_http")]), ("ports[0].name",), id="port name _"),
    pytest.param(web(ports=[Port(80, name="")]), ("ports[0].name",), id="empty port name"),
    pytest.param(web(ports=[Port(80, name=80)]), ("ports[0].name",), id="port name not a string"),
    # -- duplicate ports
    pytest.param(web(ports=[Port(80), Port(80)]), ("ports[1].port",), id="same port twice"),
    pytest.param(
        web(ports=[Port(80, name="http"), Port(81, name="http")]),
        ("ports[1].name",),
        id="same port name twice",
    ),
    # -- quantities
    pytest.param(web(resources=Resources(cpu="abc")), ("resources.cpu",), id="cpu abc"),
    pytest.param(web(resources=Resources(cpu="0")), ("resources.cpu",), id="cpu 0"),
    pytest.param(web(resources=Resources(cpu="-1")), ("resources.cpu",), id="negative cpu"),
    pytest.param(web(resources=Resources(cpu="")), ("resources.cpu",), id="empty cpu"),
    pytest.param(web(resources=Resources(cpu=0.5)), ("resources.cpu",), id="cpu as a float"),
    pytest.param(web(resources=Resources(memory="1Mii")), ("resources.memory",), id="mem 1Mii"),
    pytest.param(web(resources=Resources(memory="1 Gi")), ("resources.memory",), id="mem 1 Gi"),
    pytest.param(web(resources=Resources(memory="1KB")), ("resources.memory",), id="mem 1KB"),
    pytest.param(web(resources=Resources(memory="0Mi")), ("resources.memory",), id="mem 0Mi"),
    pytest.param(web(resources=Resources(gpu=-1)), ("resources.gpu",), id="negative gpu"),
    pytest.param(web(resources=Resources(gpu="1")), ("resources.gpu",), id="gpu as a string"),
    pytest.param(web(resources="250m"), ("resources",), id="resources not Resources"),
    # -- env
    pytest.param(web(env={"1X": "v"}), ("env.1X",), id="env name starting with a digit"),
    pytest.param(web(env={"MY-VAR": "v"}), ("env.MY-VAR",), id="env name with -"),
    pytest.param(web(env={"": "v"}), ("env.",), id="empty env name"),
    pytest.param(web(env={"X": 1}), ("env.X",), id="env value that is a number"),
    pytest.param(web(env={"X": None}), ("env.X",), id="env value that is None"),
    pytest.param(web(env=["X=1"]), ("env",), id="env not a mapping"),
    # -- references
    pytest.param(web(env={"X": SecretRef("db", "")}), ("env.X.key",), id="SecretRef without key"),
    pytest.param(web(env={"X": ConfigRef("c", "")}), ("env.X.key",), id="ConfigRef without key"),
    pytest.param(web(env={"X": SecretRef("db", "a b")}), ("env.X.key",), id="SecretRef bad key"),
    pytest.param(web(env={"X": SecretRef("DB", "k")}), ("env.X.secret",), id="SecretRef name"),
    pytest.param(web(env={"X": ConfigRef("c_1", "k")}), ("env.X.config",), id="ConfigRef name"),
    pytest.param(web(env={"X": SecretRef("db", None)}), ("env.X.key",), id="SecretRef key None"),
    # -- health checks
    pytest.param(web(health=HealthCheck()), ("health",), id="health check of no kind"),
    pytest.param(
        web(health=HealthCheck(http_path="/", tcp=True)), ("health",), id="http and tcp checks"
    ),
    pytest.param(
        web(health=HealthCheck(tcp=True, command=["true"])), ("health",), id="tcp and command"
    ),
    pytest.param(
        web(health=HealthCheck(http_path="healthz", port=80)),
        ("health.http_path",),
        id="relative path",
    ),
    pytest.param(
        web(health=HealthCheck(http_path=1, port=80)), ("health.http_path",), id="path not str"
    ),
    pytest.param(web(health=HealthCheck(tcp=1)), ("health", "health.tcp"), id="tcp not a bool"),
    pytest.param(
        web(health=HealthCheck(command=["", ""])), ("health.command",), id="empty command"
    ),
    pytest.param(
        web(health=HealthCheck(http_path="/", port="admin")),
        ("health.port",),
        id="health port name that is not a port",
    ),
    pytest.param(
        web(health=HealthCheck(tcp=True, port=8080)),
        ("health.port",),
        id="health port number that is not a port",
    ),
    pytest.param(
        web(health=HealthCheck(http_path="/")), ("health.port",), id="http check naming no port"
    ),
    pytest.param(web(health=HealthCheck(tcp=True)), ("health.port",), id="tcp check, no port"),
    pytest.param(
        web(ports=[], health=HealthCheck(http_path="/", port=80)),
        ("health.port",),
        id="http check without any port",
    ),
    pytest.param(
        web(health=HealthCheck(command=["true"], port=80)),
        ("health.port",),
        id="port on a command check",
    ),
    pytest.param(
        web(health=HealthCheck(http_path="/", port=80.0)),
        ("health.port",),
        id="health port that is a float",
    ),
    pytest.param(
        web(health=HealthCheck(tcp=True, port=80, interval=0)), ("health.interval",), id="iv 0"
    ),
    pytest.param(
        web(health=HealthCheck(tcp=True, port=80, timeout=0)), ("health.timeout",), id="to 0"
    ),
    pytest.param(
        web(health=HealthCheck(tcp=True, port=80, grace=-1)), ("health.grace",), id="grace -1"
    ),
    pytest.param(
        web(health=HealthCheck(tcp=True, port=80, failures=0)),
        ("health.failures",),
        id="failures 0",
    ),
    pytest.param(web(health="/healthz"), ("health",), id="health not a HealthCheck"),
    # -- rollout
    pytest.param(web(rollout=Rollout(0, 0)), ("rollout",), id="rollout counts both zero"),
    pytest.param(web(rollout=Rollout("0%", 0)), ("rollout",), id="rollout both zero, mixed"),
    pytest.param(web(rollout=Rollout("0%", "0%")), ("rollout",), id="rollout both zero percent"),
    pytest.param(web(rollout=Rollout("150%")), ("rollout.max_surge",), id="surge of 150%"),
    pytest.param(web(rollout=Rollout("25")), ("rollout.max_surge",), id="surge without %"),
    pytest.param(web(rollout=Rollout("05%")), ("rollout.max_surge",), id="surge of 05%"),
    pytest.param(
        web(rollout=Rollout(max_unavailable=-1)), ("rollout.max_unavailable",), id="unavail -1"
    ),
    pytest.param(
        web(rollout=Rollout(max_unavailable=1.5)), ("rollout.max_unavailable",), id="unavail 1.5"
    ),
    pytest.param(web(rollout={"max_surge": 1}), ("rollout",), id="rollout not a Rollout"),
    pytest.param(web(rollout=None), ("rollout",), id="rollout None"),
    # -- placement constraints
    pytest.param(
        web(placement=[Constraint("zone", "in")]), ("placement[0].values",), id="in, no values"
    ),
    pytest.param(
        web(placement=[Constraint("zone", "not_in")]),
        ("placement[0].values",),
        id="not_in, no values",
    ),
    pytest.param(
        web(placement=[Constraint("zone", "exists", ["a"])]),
        ("placement[0].values",),
        id="exists with values",
    ),
    pytest.param(
        web(placement=[Constraint("host", "unique", ["a"])]),
        ("placement[0].values",),
        id="unique with values",
    ),
    pytest.param(
        web(placement=[Constraint("zone", "near", ["a"])]),
        ("placement[0].operator",),
        id="unknown operator",
    ),
    pytest.param(
        web(placement=[Constraint("bad key!", "exists")]), ("placement[0].key",), id="bad key"
    ),
    pytest.param(
        web(placement=[Constraint("zone", "in", [""])]),
        ("placement[0].values[0]",),
        id="empty value",
    ),
    pytest.param(
        web(placement=[Constraint("zone", "in", ["a", "b c"])]),
        ("placement[0].values[1]",),
        id="value with a space",
    ),
    pytest.param(
        web(placement=[Constraint("zone", "in", "a")]),
        ("placement[0].values",),
        id="values not a list",
    ),
    pytest.param(web(placement=["zone=a"]), ("placement[0]",), id="not a Constraint"),
    # -- file mounts
    pytest.param(
        web(files=[FileMount("etc/x", SecretRef("db", "k"))]), ("files[0].path",), id="relative"
    ),
    pytest.param(
        web(files=[FileMount("/etc/", SecretRef("db", "k"))]), ("files[0].path",), id="a dir"
    ),
    pytest.param(
        web(files=[FileMount("/etc/../x", SecretRef("db", "k"))]), ("files[0].path",), id="'..'"
    ),
    pytest.param(
        web(files=[FileMount(1, SecretRef("db", "k"))]), ("files[0].path",), id="path not str"
    ),
    pytest.param(
        web(
            files=[
                FileMount("/etc/x", SecretRef("db", "k")),
                FileMount("/etc/x", ConfigRef("c", "k")),
            ]
        ),
        ("files[1].path",),
        id="same path twice",
    ),
    pytest.param(
        web(files=[FileMount("/etc/x", "db")]), ("files[0].source",), id="source not a ref"
    ),
    pytest.param(
        web(files=[FileMount("/etc/x", SecretRef("db", ""))]),
        ("files[0].source.key",),
        id="source without key",
    ),
    pytest.param(web(files=["/etc/x"]), ("files[0]",), id="not a FileMount"),
    # -- services
    pytest.param(svc(selector={}), ("selector",), id="empty selector"),
    pytest.param(svc(selector={"App!": "web"}), ("selector.App!",), id="bad selector key"),
    pytest.param(svc(selector={"app": "a b"}), ("selector.app",), id="bad selector value"),
    pytest.param(svc(selector="app=web"), ("selector",), id="selector not a mapping"),
    pytest.param(svc(ports=[]), ("ports",), id="service without ports"),
    pytest.param(
        svc(ports=[Port(80, name="http"), Port(443)]), ("ports",), id="two ports, one unnamed"
    ),
    pytest.param(
        svc(ports=[Port(80, target_port=0)]), ("ports[0].target_port",), id="target port 0"
    ),
    pytest.param(
        svc(ports=[Port(80, target_port="HTTP")]),
        ("ports[0].target_port",),
        id="target port name uppercase",
    ),
    pytest.param(svc(exposure="public"), ("exposure",), id="unknown exposure"),
    pytest.param(svc(hostname="shop.example.com"), ("hostname",), id="hostname on internal"),
    pytest.param(
        svc(exposure="external", hostname="Shop_Example"), ("hostname",), id="bad hostname"
    ),
    # -- secrets and config maps
    pytest.param(Secret("db", data={"a b": "x"}), ("data.a b",), id="secret key with a space"),
    pytest.param(Secret("db", data={"..": "x"}), ("data...",), id="secret key '..'"),
    pytest.param(Secret("db", data={"..x": "x"}), ("data...x",), id="secret key starting '..'"),
    pytest.param(Secret("db", data={".": "x"}), ("data..",), id="secret key '.'"),
    pytest.param(Secret("db", data={"k": 5}), ("data.k",), id="secret value not a string"),
    pytest.param(Secret("db", data={"k": REDACTED}), ("data.k",), id="redacted value"),
    pytest.param(Secret("db", data="k=v"), ("data",), id="secret data not a mapping"),
    pytest.param(
        Secret("db", data={"k": "x" * (1024 * 1024 + 1)}), ("data",), id="secret data too big"
    ),
    pytest.param(ConfigMap("c", data={"k": 5}), ("data.k",), id="config value not a string"),
    pytest.param(ConfigMap("c", data={"k/x": "v"}), ("data.k/x",), id="config key with /"),
    pytest.param(ConfigMap("c", data={"k": "x" * (1024 * 1024 + 1)}), ("data",), id="too big"),
    # -- autoscalers
    pytest.param(scaler(min_replicas=0), ("min_replicas",), id="min replicas 0"),
    pytest.param(scaler(max_replicas=0), ("max_replicas",), id="max replicas 0"),
    pytest.param(scaler(min_replicas=5, max_replicas=4), ("max_replicas",), id="max below min"),
    pytest.param(scaler(max_replicas="10"), ("max_replicas",), id="max replicas as a string"),
    pytest.param(scaler(cpu_percent=None), ("cpu_percent",), id="no metric"),
    pytest.param(scaler(cpu_percent=0), ("cpu_percent",), id="cpu percent 0"),
    pytest.param(scaler(memory_percent=1001), ("memory_percent",), id="memory percent above 1000"),
    pytest.param(scaler(target="Web"), ("target",), id="target not a DNS label"),
    # -- native
    pytest.param(web(native={"kubernetes": "x"}), ("native.kubernetes",), id="patch not a dict"),
    pytest.param(web(native={1: {}}), ("native",), id="backend name not a string"),
    pytest.param(web(native=["x"]), ("native",), id="native not a mapping"),
]


@pytest.mark.parametrize(("spec", "fields"), INVALID)
def test_an_invalid_field_is_reported_with_its_path(spec: Any, fields: tuple[str, ...]) -> None:
    assert invalid_fields(spec) == fields


def test_every_invalid_field_is_reported_not_only_the_first() -> None:
    spec = web(name="Web", replicas=-1, ports=[Port(0, name="HTTP")])

    assert invalid_fields(spec) == ("name", "replicas", "ports[0].port", "ports[0].name")


def test_an_error_names_the_resource_and_each_field() -> None:
    with pytest.raises(ValidationError) as caught:
        validate(web(replicas=-1))

    assert caught.value.subject == "Deployment 'web'"
    assert caught.value.errors == (
        FieldError("replicas", "must be between 0 and 2147483647, got -1"),
    )
    assert str(caught.value) == (
        "Deployment 'web' is invalid: replicas: must be between 0 and 2147483647, got -1"
    )


def test_something_that_is_not_a_resource_is_reported_without_a_path() -> None:
    errors = check("web")

    assert [error.path for error in errors] == [""]
    assert "str is not a resource" in errors[0].message


def test_a_subclass_of_a_kind_is_not_a_resource() -> None:
    class MyDeployment(Deployment):
        pass

    assert invalid_fields(MyDeployment("web", image="nginx")) == ("",)


@pytest.mark.parametrize("namespace", ["shop", "a" * 63, "0-1"])
def test_validate_namespace_accepts_a_dns_label(namespace: str) -> None:
    validate_namespace(namespace)


@pytest.mark.parametrize("namespace", ["Shop", "shop.prod", "a" * 64, "", None, 1])
def test_validate_namespace_rejects_anything_else(namespace: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_namespace(namespace)

    assert caught.value.fields == ("namespace",)


# -- references between the resources of one batch ----------------------------------


def test_a_secret_ref_to_a_secret_in_the_batch_must_name_one_of_its_keys() -> None:
    deployment = web(env={"DB_PASSWORD": SecretRef("db", "pasword")})

    with pytest.raises(ValidationError, match="no key 'pasword'") as caught:
        validate_all([SECRET, deployment])

    assert caught.value.fields == ("env.DB_PASSWORD.key",)
    assert caught.value.subject == "Deployment 'web'"


def test_a_config_ref_of_a_file_to_a_config_map_in_the_batch_must_name_one_of_its_keys() -> None:
    deployment = web(files=[FileMount("/etc/app.conf", ConfigRef("web-config", "app.conf"))])

    with pytest.raises(ValidationError) as caught:
        validate_all([deployment, CONFIG])

    assert caught.value.fields == ("files[0].source.key",)


def test_a_ref_naming_an_existing_key_in_the_batch_is_valid() -> None:
    deployment = web(
        env={
            "DB_PASSWORD": SecretRef("db", "password"),
            "LOG_LEVEL": ConfigRef("web-config", "LOG_LEVEL"),
        }
    )

    validate_all([SECRET, CONFIG, deployment])


def test_a_ref_to_a_secret_outside_the_batch_is_not_checked() -> None:
    validate_all([web(env={"X": SecretRef("elsewhere", "any")})])


def test_a_ref_to_a_secret_of_the_same_name_in_another_namespace_is_not_checked() -> None:
    deployment = web(namespace="shop", env={"X": SecretRef("db", "other")})

    validate_all([attrs.evolve(SECRET, namespace="staging"), deployment])


def test_a_secret_ref_is_not_matched_against_a_config_map_of_the_same_name() -> None:
    deployment = web(env={"X": SecretRef("web-config", "other")})

    validate_all([CONFIG, deployment])


def test_validate_all_reports_an_invalid_resource_before_checking_references() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_all([SECRET, web(replicas=-1, env={"X": SecretRef("db", "nope")})])

    assert caught.value.fields == ("replicas",)
