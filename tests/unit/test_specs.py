"""Specs are tolerant to build, immutable, hashable, compared by value, and keep secrets secret."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from orchsdk import (
    KINDS,
    REDACTED,
    Autoscaler,
    ConfigMap,
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
    ValidationError,
)
from orchsdk._frozen import FrozenDict, deep_freeze, thaw
from orchsdk.specs import kind_named
from orchsdk.validation import validate

# -- construction is tolerant --------------------------------------------------------

WRONG_TYPES: list[tuple[type, dict[str, Any]]] = [
    (
        Deployment,
        {
            "name": 5,
            "image": None,
            "replicas": "three",
            "command": "run",
            "args": {"a": 1},
            "ports": "80",
            "env": ["A=1"],
            "resources": "1cpu",
            "health": "/healthz",
            "rollout": 25,
            "placement": "zone=a",
            "files": "/etc/x",
            "namespace": 7,
            "labels": "app=web",
            "annotations": 1.5,
            "native": "patch",
        },
    ),
    (Service, {"name": None, "selector": "app=web", "ports": 80, "exposure": 3, "hostname": 1}),
    (Secret, {"name": [], "data": "password"}),
    (ConfigMap, {"name": {}, "data": [("a", "b")]}),
    (
        Autoscaler,
        {"name": 1, "target": 2, "max_replicas": "ten", "min_replicas": None, "cpu_percent": "x"},
    ),
    (Port, {"port": "80", "name": 1, "target_port": [], "protocol": "tcp"}),
    (Resources, {"cpu": 1, "memory": 2.5, "gpu": "one"}),
    (HealthCheck, {"http_path": 1, "tcp": "yes", "command": "true", "port": [], "interval": "1"}),
    (Rollout, {"max_surge": None, "max_unavailable": []}),
    (SecretRef, {"secret": 1, "key": None}),
    (ConfigRef, {"config": 1, "key": None}),
    (FileMount, {"path": 1, "source": "db"}),
    (Constraint, {"key": 1, "operator": "near", "values": "a,b"}),
]


@pytest.mark.parametrize(
    ("cls", "kwargs"), WRONG_TYPES, ids=[cls.__name__ for cls, _ in WRONG_TYPES]
)
def test_construction_with_wrong_types_does_not_raise(cls: type, kwargs: dict[str, Any]) -> None:
    spec = cls(**kwargs)

    assert isinstance(spec, cls)


def test_a_string_given_for_a_list_field_is_kept_as_given_for_validation_to_report() -> None:
    deployment = Deployment("web", image="nginx", command="run")

    assert deployment.command == "run"
    with pytest.raises(ValidationError) as caught:
        validate(deployment)
    assert caught.value.fields == ("command",)


# -- immutable containers ------------------------------------------------------------


def test_lists_become_tuples() -> None:
    deployment = Deployment(
        "web",
        image="nginx",
        command=["nginx"],
        args=["-g", "daemon off;"],
        ports=[Port(80)],
        placement=[Constraint("zone", values=["a", "b"])],
        files=[FileMount("/etc/x", SecretRef("db", "x"))],
        health=HealthCheck(command=["true"]),
    )

    assert deployment.command == ("nginx",)
    assert deployment.args == ("-g", "daemon off;")
    assert deployment.ports == (Port(80),)
    assert deployment.placement[0].values == ("a", "b")
    assert isinstance(deployment.files, tuple)
    assert deployment.health == HealthCheck(command=("true",))


def test_dicts_become_frozen_dicts() -> None:
    deployment = Deployment("web", image="nginx", env={"A": "1"}, labels={"app": "web"})

    assert isinstance(deployment.env, FrozenDict)
    assert isinstance(deployment.labels, FrozenDict)
    assert isinstance(deployment.annotations, FrozenDict)
    assert isinstance(Secret("db", data={"k": "v"}).data, FrozenDict)


def test_a_frozen_dict_equals_the_dict_it_was_made_from() -> None:
    frozen = FrozenDict({"app": "web", "tier": "front"})

    assert frozen == {"app": "web", "tier": "front"}
    plain = {"tier": "front", "app": "web"}
    assert plain == frozen
    assert frozen != {"app": "web"}
    assert repr(frozen) == "{'app': 'web', 'tier': 'front'}"


def test_a_frozen_dict_cannot_be_changed() -> None:
    labels = Deployment("web", image="nginx", labels={"app": "web"}).labels

    with pytest.raises(TypeError):
        labels["app"] = "api"  # type: ignore[index]
    with pytest.raises(TypeError):
        del labels["app"]  # type: ignore[attr-defined]
    assert not hasattr(labels, "update")


def test_a_frozen_dicts_views_read_its_items_and_cannot_change_them() -> None:
    frozen = FrozenDict({"app": "web", "tier": "front"})

    assert list(frozen.keys()) == ["app", "tier"]
    assert list(frozen.items()) == [("app", "web"), ("tier", "front")]
    assert list(frozen.values()) == ["web", "front"]
    assert "app" in frozen
    assert "web" not in frozen
    with pytest.raises(TypeError):
        frozen.items().mapping["app"] = "api"  # type: ignore[attr-defined]
    assert frozen == {"app": "web", "tier": "front"}


def test_frozen_dicts_compare_by_their_items() -> None:
    assert FrozenDict({"a": "1", "b": "2"}) == FrozenDict({"b": "2", "a": "1"})
    assert FrozenDict({"a": "1"}) != FrozenDict({"a": "2"})
    assert FrozenDict({"a": "1"}) != FrozenDict({"a": "1", "b": "2"})


def test_equal_frozen_dicts_hash_equal() -> None:
    assert hash(FrozenDict({"a": "1", "b": "2"})) == hash(FrozenDict({"b": "2", "a": "1"}))


def test_later_edits_of_the_callers_dict_do_not_change_the_spec() -> None:
    labels = {"app": "web"}
    deployment = Deployment("web", image="nginx", labels=labels)

    labels["app"] = "changed"

    assert deployment.labels == {"app": "web"}


def test_native_patches_are_frozen_all_the_way_down() -> None:
    deployment = Deployment(
        "web", image="nginx", native={"kubernetes": {"spec": {"paused": True, "list": [{"a": 1}]}}}
    )

    patch = deployment.native["kubernetes"]
    assert isinstance(patch, FrozenDict)
    assert isinstance(patch["spec"]["list"], tuple)
    assert isinstance(patch["spec"]["list"][0], FrozenDict)
    assert hash(deployment) == hash(attrs.evolve(deployment))


def test_thaw_turns_frozen_values_back_into_plain_json() -> None:
    document = {"spec": {"ports": [{"port": 80}], "paused": None}}

    thawed = thaw(deep_freeze(document))

    assert thawed == document
    assert type(thawed["spec"]) is dict
    assert type(thawed["spec"]["ports"]) is list


# -- value semantics -----------------------------------------------------------------


def full_deployment() -> Deployment:
    return Deployment(
        "web",
        image="nginx:1.27",
        replicas=3,
        ports=[Port(80, name="http")],
        env={"DB_PASSWORD": SecretRef("db", "password"), "MODE": "prod"},
        resources=Resources(cpu="250m", memory="256Mi"),
        health=HealthCheck(http_path="/healthz", port="http"),
        rollout=Rollout(max_surge=1, max_unavailable=0),
        placement=[Constraint("zone", "in", ["a"])],
        files=[FileMount("/etc/app.conf", ConfigRef("web-config", "app.conf"))],
        labels={"app": "web"},
        native={"kubernetes": {"spec": {"paused": False}}},
    )


def test_specs_built_from_the_same_values_are_equal() -> None:
    assert full_deployment() == full_deployment()


def test_specs_that_differ_in_one_field_are_not_equal() -> None:
    assert full_deployment() != attrs.evolve(full_deployment(), replicas=4)


def test_specs_are_hashable_by_value() -> None:
    specs = {full_deployment(), full_deployment(), Secret("db", data={"password": "x"})}

    assert len(specs) == 2


def test_specs_cannot_be_changed_after_construction() -> None:
    deployment = full_deployment()

    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        deployment.replicas = 5  # type: ignore[misc]


def test_health_check_kind_names_the_one_check_set() -> None:
    assert HealthCheck(http_path="/").kind == "http"
    assert HealthCheck(tcp=True).kind == "tcp"
    assert HealthCheck(command=["true"]).kind == "command"
    assert HealthCheck().kind == "none"


def test_kinds_are_listed_in_apply_order() -> None:
    assert [kind.kind for kind in KINDS] == [
        "Secret",
        "ConfigMap",
        "Deployment",
        "Service",
        "Autoscaler",
    ]


@pytest.mark.parametrize("name", ["Deployment", "deployment", "DEPLOYMENT"])
def test_kind_named_ignores_case(name: str) -> None:
    assert kind_named(name) is Deployment


def test_kind_named_lists_the_known_kinds_for_an_unknown_one() -> None:
    with pytest.raises(ValueError, match="known kinds: Secret, ConfigMap, Deployment"):
        kind_named("Pod")


# -- secrets stay secret -------------------------------------------------------------


def test_secret_repr_shows_the_keys_but_not_the_values() -> None:
    secret = Secret("db", data={"password": "s3cr3t", "user": "admin"})

    assert "s3cr3t" not in repr(secret)
    assert "admin" not in repr(secret)
    assert "'password': '***'" in repr(secret)


def test_secret_str_does_not_contain_the_values() -> None:
    secret = Secret("db", data={"password": "s3cr3t"})

    assert "s3cr3t" not in str(secret)
    assert "s3cr3t" not in f"{secret}"


def test_secret_repr_with_data_that_is_not_a_mapping_shows_no_values() -> None:
    secret = Secret("db", data=[("password", "s3cr3t")])  # type: ignore[arg-type]

    assert "s3cr3t" not in repr(secret)


def test_secrets_with_different_values_are_not_equal() -> None:
    assert Secret("db", data={"password": "a"}) != Secret("db", data={"password": "b"})


def test_redacted_is_a_string_placeholder() -> None:
    assert isinstance(REDACTED, str)
    assert REDACTED == "<redacted>"


def test_a_secret_with_plain_values_is_revealed() -> None:
    assert Secret("db", data={"password": "s3cr3t"}).revealed


def test_a_secret_with_any_redacted_value_is_not_revealed() -> None:
    assert not Secret("db", data={"user": "admin", "password": REDACTED}).revealed


def test_a_value_that_merely_looks_like_the_placeholder_is_revealed() -> None:
    assert Secret("db", data={"password": "<redacted>"}).revealed


def test_applying_a_redacted_secret_fails_validation() -> None:
    with pytest.raises(ValidationError, match="reveal=True") as caught:
        validate(Secret("db", data={"password": REDACTED}))

    assert caught.value.fields == ("data.password",)
