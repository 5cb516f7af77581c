"""Property tests of validation: valid specs pass, each corrupted field is reported with its
path, and no value of any type makes validation raise anything but ``ValidationError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import autoscalers, config_maps, deployments, garbage, secrets, services

from orchsdk import (
    REDACTED,
    Autoscaler,
    ConfigMap,
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
from orchsdk.validation import check, validate

PROPERTY = settings(max_examples=100, deadline=None)

KIND_STRATEGIES = [
    pytest.param(deployments(), id="Deployment"),
    pytest.param(services(), id="Service"),
    pytest.param(secrets(), id="Secret"),
    pytest.param(config_maps(), id="ConfigMap"),
    pytest.param(autoscalers(), id="Autoscaler"),
]

# -- (a) valid specs pass ------------------------------------------------------------


@pytest.mark.parametrize("strategy", KIND_STRATEGIES)
@PROPERTY
@given(data=st.data())
def test_a_valid_spec_has_no_errors(strategy: st.SearchStrategy[Any], data: st.DataObject) -> None:
    spec = data.draw(strategy)

    assert check(spec) == []


@pytest.mark.parametrize("strategy", KIND_STRATEGIES)
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_a_valid_spec_is_hashable_and_equal_to_its_copy(
    strategy: st.SearchStrategy[Any], data: st.DataObject
) -> None:
    spec = data.draw(strategy)
    copy = attrs.evolve(spec)

    assert copy == spec
    assert hash(copy) == hash(spec)


# -- (b) one corrupted field is reported with its path -------------------------------

Draw = Callable[[st.SearchStrategy[Any]], Any]
Corruption = Callable[[Any, Draw], tuple[Any, str]]

BAD_DNS1123_LABELS = st.sampled_from(["Web", "web_app", "web.app", "-web", "web-", "", "a" * 64])
BAD_DNS1035_LABELS = st.sampled_from(["1web", "Web", "web_app", "web.app", "-web", "", "a" * 64])
BAD_SUBDOMAINS = st.sampled_from(["DB", "db..x", ".db", "db.", "d_b", "", "a" * 254])
BAD_NAMES = {
    Deployment: BAD_DNS1123_LABELS | st.integers(),
    Service: BAD_DNS1035_LABELS | st.none(),
    Secret: BAD_SUBDOMAINS,
    ConfigMap: BAD_SUBDOMAINS,
    Autoscaler: BAD_SUBDOMAINS,
}
BAD_LABEL_KEYS = st.sampled_from(["/app", "app/", "-app", "a b", "Ex.com/app", "a" * 64, "é"])
BAD_LABEL_VALUES = st.sampled_from(["a b", "-x", "x-", "a" * 64, 1, None])
BAD_PORT_NUMBERS = (
    st.integers(max_value=0)
    | st.integers(min_value=65536)
    | st.sampled_from(["80", 80.0, True, None])
)
BAD_PORT_NAMES = st.sampled_from(["a" * 16, "8080", "HTTP", "-http", "http-", "ht--tp", "my_http"])
BAD_QUANTITIES = st.sampled_from(["abc", "0", "0Mi", "1Mii", "-1", "", "1 Gi", "1KB", 0.5, 250])
BAD_COUNTS = st.integers(max_value=-1) | st.sampled_from(["3", 1.0, True, None, 2**31])
BAD_ENV_NAMES = st.sampled_from(["1X", "MY-VAR", "", "A B", "É"])
BAD_PERCENTAGES = st.sampled_from(["150%", "25", "05%", "-1%", "%", 1.5, -1, None])


def bad_name(spec: Any, draw: Draw) -> tuple[Any, str]:
    return attrs.evolve(spec, name=draw(BAD_NAMES[type(spec)])), "name"


def bad_namespace(spec: Any, draw: Draw) -> tuple[Any, str]:
    return attrs.evolve(spec, namespace=draw(BAD_DNS1123_LABELS | st.integers())), "namespace"


def bad_label_key(spec: Any, draw: Draw) -> tuple[Any, str]:
    key = draw(BAD_LABEL_KEYS)
    return attrs.evolve(spec, labels={**spec.labels, key: "x"}), f"labels.{key}"


def bad_label_value(spec: Any, draw: Draw) -> tuple[Any, str]:
    key = "orchsdk.test/corrupt"
    labels = {**spec.labels, key: draw(BAD_LABEL_VALUES)}
    return attrs.evolve(spec, labels=labels), f"labels.{key}"


def bad_annotation_key(spec: Any, draw: Draw) -> tuple[Any, str]:
    key = draw(BAD_LABEL_KEYS)
    return attrs.evolve(spec, annotations={**spec.annotations, key: "x"}), f"annotations.{key}"


def bad_native_patch(spec: Any, draw: Draw) -> tuple[Any, str]:
    patch = draw(st.sampled_from(["patch", 1, ["a"], None]))
    return attrs.evolve(spec, native={**spec.native, "kubernetes": patch}), "native.kubernetes"


COMMON = [bad_name, bad_namespace, bad_label_key, bad_label_value, bad_annotation_key]


def bad_image(spec: Deployment, draw: Draw) -> tuple[Deployment, str]:
    return attrs.evolve(spec, image=draw(st.sampled_from(["", "a b", None, 5]))), "image"


def bad_replicas(spec: Deployment, draw: Draw) -> tuple[Deployment, str]:
    return attrs.evolve(spec, replicas=draw(BAD_COUNTS)), "replicas"


def bad_command_item(spec: Deployment, draw: Draw) -> tuple[Deployment, str]:
    command = [*spec.command, draw(st.sampled_from([1, None, b"x", ["x"]]))]
    return attrs.evolve(spec, command=command), f"command[{len(command) - 1}]"


def bad_port_number(spec: Deployment | Service, draw: Draw) -> tuple[Any, str]:
    ports = [*spec.ports, Port(draw(BAD_PORT_NUMBERS), name="corrupt")]
    return attrs.evolve(spec, ports=ports), f"ports[{len(ports) - 1}].port"


def bad_port_name(spec: Deployment | Service, draw: Draw) -> tuple[Any, str]:
    ports = [*spec.ports, Port(1, name=draw(BAD_PORT_NAMES))]
    return attrs.evolve(spec, ports=ports), f"ports[{len(ports) - 1}].name"


def bad_env_name(spec: Deployment, draw: Draw) -> tuple[Deployment, str]:
    name = draw(BAD_ENV_NAMES)
    return attrs.evolve(spec, env={**spec.env, name: "v"}), f"env.{name}"


def ref_without_key(spec: Deployment, draw: Draw) -> tuple[Deployment, str]:
    env = {**spec.env, "CORRUPT": SecretRef("db", draw(st.sampled_from(["", None, "a b"])))}
    return attrs.evolve(spec, env=env), "env.CORRUPT.key"


def bad_cpu(spec: Deployment, draw: Draw) -> tuple[Deployment, str]:
    resources = attrs.evolve(spec.resources or Resources(), cpu=draw(BAD_QUANTITIES))
    return attrs.evolve(spec, resources=resources), "resources.cpu"


def bad_memory(spec: Deployment, draw: Draw) -> tuple[Deployment, str]:
    resources = attrs.evolve(spec.resources or Resources(), memory=draw(BAD_QUANTITIES))
    return attrs.evolve(spec, resources=resources), "resources.memory"


def two_health_checks(spec: Deployment, draw: Draw) -> tuple[Deployment, str]:
    health = draw(
        st.sampled_from(
            [
                HealthCheck(http_path="/", tcp=True),
                HealthCheck(http_path="/", command=["true"]),
                HealthCheck(tcp=True, command=["true"]),
                HealthCheck(),
            ]
        )
    )
    return attrs.evolve(spec, health=health), "health"


def health_port_not_a_port(spec: Deployment, draw: Draw) -> tuple[Deployment, str]:
    port = draw(st.sampled_from([0, 65536, "no-such--port", 80.5]))
    health = HealthCheck(http_path="/", port=port)
    return attrs.evolve(spec, health=health), "health.port"


def bad_health_interval(spec: Deployment, draw: Draw) -> tuple[Deployment, str]:
    interval = draw(st.integers(max_value=0) | st.sampled_from(["10", 1.5, None]))
    return attrs.evolve(spec, health=HealthCheck(command=["true"], interval=interval)), (
        "health.interval"
    )


def rollout_both_zero(spec: Deployment, draw: Draw) -> tuple[Deployment, str]:
    rollout = Rollout(draw(st.sampled_from([0, "0%"])), draw(st.sampled_from([0, "0%"])))
    return attrs.evolve(spec, rollout=rollout), "rollout"


def bad_max_surge(spec: Deployment, draw: Draw) -> tuple[Deployment, str]:
    return attrs.evolve(spec, rollout=Rollout(max_surge=draw(BAD_PERCENTAGES))), (
        "rollout.max_surge"
    )


def constraint_without_values(spec: Deployment, draw: Draw) -> tuple[Deployment, str]:
    placement = [*spec.placement, Constraint("zone", draw(st.sampled_from(["in", "not_in"])))]
    return attrs.evolve(spec, placement=placement), f"placement[{len(placement) - 1}].values"


def relative_file_path(spec: Deployment, draw: Draw) -> tuple[Deployment, str]:
    path = draw(st.sampled_from(["etc/x", "/etc/", "/a/../b", "", "x"]))
    files = [*spec.files, FileMount(path, SecretRef("db", "k"))]
    return attrs.evolve(spec, files=files), f"files[{len(files) - 1}].path"


def file_mounted_twice(spec: Deployment, draw: Draw) -> tuple[Deployment, str]:
    mount = FileMount("/etc/corrupt", SecretRef("db", "k"))
    files = [*spec.files, mount, mount]
    return attrs.evolve(spec, files=files), f"files[{len(files) - 1}].path"


DEPLOYMENT_CORRUPTIONS = [
    *COMMON,
    bad_native_patch,
    bad_image,
    bad_replicas,
    bad_command_item,
    bad_port_number,
    bad_port_name,
    bad_env_name,
    ref_without_key,
    bad_cpu,
    bad_memory,
    two_health_checks,
    health_port_not_a_port,
    bad_health_interval,
    rollout_both_zero,
    bad_max_surge,
    constraint_without_values,
    relative_file_path,
    file_mounted_twice,
]


def empty_selector(spec: Service, draw: Draw) -> tuple[Service, str]:
    return attrs.evolve(spec, selector={}), "selector"


def bad_selector_key(spec: Service, draw: Draw) -> tuple[Service, str]:
    key = draw(BAD_LABEL_KEYS)
    return attrs.evolve(spec, selector={**spec.selector, key: "x"}), f"selector.{key}"


def no_ports(spec: Service, draw: Draw) -> tuple[Service, str]:
    return attrs.evolve(spec, ports=[]), "ports"


def unnamed_second_port(spec: Service, draw: Draw) -> tuple[Service, str]:
    return attrs.evolve(spec, ports=[*spec.ports, Port(1)]), "ports"


def bad_target_port(spec: Service, draw: Draw) -> tuple[Service, str]:
    target = draw(st.sampled_from([0, 65536, -1, "HTTP", "8080", ""]))
    first = attrs.evolve(spec.ports[0], target_port=target)
    return attrs.evolve(spec, ports=[first, *spec.ports[1:]]), "ports[0].target_port"


def bad_exposure(spec: Service, draw: Draw) -> tuple[Service, str]:
    exposure = draw(st.sampled_from(["public", "External", "", None]))
    return attrs.evolve(spec, exposure=exposure, hostname=None), "exposure"


def hostname_not_external(spec: Service, draw: Draw) -> tuple[Service, str]:
    exposure = draw(st.sampled_from(["internal", "node"]))
    return attrs.evolve(spec, exposure=exposure, hostname="shop.example.com"), "hostname"


SERVICE_CORRUPTIONS = [
    *COMMON,
    bad_native_patch,
    empty_selector,
    bad_selector_key,
    no_ports,
    unnamed_second_port,
    bad_port_number,
    bad_port_name,
    bad_target_port,
    bad_exposure,
    hostname_not_external,
]


def bad_data_key(spec: Secret | ConfigMap, draw: Draw) -> tuple[Any, str]:
    key = draw(st.sampled_from(["a b", "..", "..x", ".", "", "k/x", "é"]))
    return attrs.evolve(spec, data={**spec.data, key: "v"}), f"data.{key}"


def data_value_not_a_string(spec: Secret | ConfigMap, draw: Draw) -> tuple[Any, str]:
    value = draw(st.sampled_from([1, None, b"bytes", ["x"]]))
    return attrs.evolve(spec, data={**spec.data, "corrupt": value}), "data.corrupt"


def redacted_value(spec: Secret, draw: Draw) -> tuple[Secret, str]:
    return attrs.evolve(spec, data={**spec.data, "corrupt": REDACTED}), "data.corrupt"


DATA_CORRUPTIONS = [*COMMON, bad_native_patch, bad_data_key, data_value_not_a_string]


def bad_target(spec: Autoscaler, draw: Draw) -> tuple[Autoscaler, str]:
    return attrs.evolve(spec, target=draw(BAD_DNS1123_LABELS)), "target"


def bad_min_replicas(spec: Autoscaler, draw: Draw) -> tuple[Autoscaler, str]:
    low = draw(st.integers(max_value=0) | st.sampled_from(["1", 1.0, None]))
    return attrs.evolve(spec, min_replicas=low), "min_replicas"


def max_below_min(spec: Autoscaler, draw: Draw) -> tuple[Autoscaler, str]:
    return attrs.evolve(spec, max_replicas=spec.min_replicas - 1), "max_replicas"


def no_metric(spec: Autoscaler, draw: Draw) -> tuple[Autoscaler, str]:
    return attrs.evolve(spec, cpu_percent=None, memory_percent=None), "cpu_percent"


def bad_cpu_percent(spec: Autoscaler, draw: Draw) -> tuple[Autoscaler, str]:
    percent = draw(st.integers(max_value=0) | st.integers(min_value=1001) | st.just("70"))
    return attrs.evolve(spec, cpu_percent=percent), "cpu_percent"


AUTOSCALER_CORRUPTIONS = [
    *COMMON,
    bad_target,
    bad_min_replicas,
    max_below_min,
    no_metric,
    bad_cpu_percent,
]

CORRUPTIONS = [
    pytest.param(deployments(), DEPLOYMENT_CORRUPTIONS, id="Deployment"),
    pytest.param(services(), SERVICE_CORRUPTIONS, id="Service"),
    pytest.param(secrets(), [*DATA_CORRUPTIONS, redacted_value], id="Secret"),
    pytest.param(config_maps(), DATA_CORRUPTIONS, id="ConfigMap"),
    pytest.param(autoscalers(), AUTOSCALER_CORRUPTIONS, id="Autoscaler"),
]


@pytest.mark.parametrize(("strategy", "corruptions"), CORRUPTIONS)
@PROPERTY
@given(data=st.data())
def test_a_corrupted_field_is_reported_with_its_path(
    strategy: st.SearchStrategy[Any], corruptions: list[Corruption], data: st.DataObject
) -> None:
    spec = data.draw(strategy, label="valid spec")
    corrupt = data.draw(st.sampled_from(corruptions), label="corruption")
    bad, path = corrupt(spec, data.draw)

    with pytest.raises(ValidationError) as caught:
        validate(bad)

    assert path in caught.value.fields


# -- (c) garbage raises ValidationError or nothing -----------------------------------


@pytest.mark.parametrize("strategy", KIND_STRATEGIES)
@PROPERTY
@given(data=st.data())
def test_garbage_in_any_fields_raises_only_validation_error(
    strategy: st.SearchStrategy[Any], data: st.DataObject
) -> None:
    spec = data.draw(strategy, label="valid spec")
    names = [field.name for field in attrs.fields(type(spec))]
    chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
    bad = attrs.evolve(spec, **{name: data.draw(garbage(), label=name) for name in chosen})

    errors = check(bad)

    assert all(isinstance(error, FieldError) for error in errors)
    if errors:
        with pytest.raises(ValidationError) as caught:
            validate(bad)
        assert caught.value.fields == tuple(error.path for error in errors)
        assert str(caught.value)
    else:
        validate(bad)


@PROPERTY
@given(value=garbage())
def test_garbage_that_is_not_a_resource_is_reported_as_such(value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        validate(value)

    assert caught.value.fields == ("",)


@pytest.mark.parametrize("kind", [Deployment, Service, Secret, ConfigMap, Autoscaler])
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_building_a_spec_from_garbage_never_raises(kind: type, data: st.DataObject) -> None:
    values = {field.name: data.draw(garbage(), label=field.name) for field in attrs.fields(kind)}

    spec = kind(**values)

    assert isinstance(spec, kind)
