"""Properties of the pure renderers and parsers, over every spec hypothesis can draw.

- every rendered app is valid against Marathon's own ``AppDefinition.json`` (Draft 4);
- ``parse(render(spec)) == spec`` for every field the backend supports, also after
  Marathon has filled in its defaults;
- an app Marathon stores "matches" what would be sent exactly when the spec is the same
  (so apply sends no write for an unchanged spec, and one for any change);
- services put on an app and taken off again leave it as it was.
"""

from __future__ import annotations

import contextlib
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck as Health
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from marathon_helpers import (
    as_stored,
    marathon_native,
    marathon_ready,
    schema_errors,
    schema_path,
    supported,
)
from orchsdk_marathon.app_definition import render_app
from orchsdk_marathon.compare import matches
from orchsdk_marathon.parse import parse_app
from orchsdk_marathon.services import read_record, record, with_services, without_services
from orchsdk_marathon.status import AppState, endpoints_of, instances_of, status_of
from strategies import deployments, services

from orchsdk import Deployment, Port, Resources, Rollout, Service, UnexpectedResponse

pytestmark = pytest.mark.skipif(
    schema_path() is None, reason="Marathon's AppDefinition.json is not available (../shared)"
)

CONTAINERIZERS = st.sampled_from(["docker", "mesos"])
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[Health.too_slow])


@st.composite
def marathon_deployments(draw: st.DrawFn, *, schema_valid_native: bool) -> tuple[Deployment, str]:
    """A generated deployment as the backend would accept it, and the containerizer."""
    containerizer = draw(CONTAINERIZERS)
    spec = marathon_ready(draw(deployments()), containerizer)
    native = dict(spec.native)
    native.pop("marathon", None)
    if schema_valid_native:
        native = {}
    patch = draw(marathon_native())
    if patch:
        native["marathon"] = patch
    return attrs.evolve(spec, native=native), containerizer


@PROPERTY
@given(marathon_deployments(schema_valid_native=True))
def test_every_rendered_app_is_valid_against_marathons_schema(
    drawn: tuple[Deployment, str],
) -> None:
    spec, containerizer = drawn
    app = render_app(spec, containerizer=containerizer)
    assert schema_errors(app) == []


@PROPERTY
@given(marathon_deployments(schema_valid_native=False))
def test_parse_gives_back_the_rendered_spec(drawn: tuple[Deployment, str]) -> None:
    spec, containerizer = drawn
    assert parse_app(render_app(spec, containerizer=containerizer)) == spec


@PROPERTY
@given(marathon_deployments(schema_valid_native=False))
def test_parse_gives_back_the_spec_from_the_app_as_marathon_stores_it(
    drawn: tuple[Deployment, str],
) -> None:
    spec, containerizer = drawn
    app = render_app(spec, containerizer=containerizer)
    assert parse_app(as_stored(app)) == spec
    assert matches(app, as_stored(app))


def _changes(spec: Deployment) -> st.SearchStrategy[Deployment]:
    """The spec with one field changed."""
    options: list[st.SearchStrategy[Deployment]] = [
        st.just(attrs.evolve(spec, image=spec.image + "x")),
        st.just(attrs.evolve(spec, replicas=spec.replicas + 1)),
        st.just(attrs.evolve(spec, labels={**spec.labels, "changed": "yes"})),
        st.just(attrs.evolve(spec, annotations={**spec.annotations, "changed": "yes"})),
        st.just(attrs.evolve(spec, env={**spec.env, "CHANGED": "yes"})),
        st.just(attrs.evolve(spec, args=[*spec.args, "--changed"])),
        st.just(attrs.evolve(spec, ports=[*spec.ports, Port(65535, protocol="UDP")])),
    ]
    if spec.env:
        options.append(st.just(attrs.evolve(spec, env=dict(list(spec.env.items())[1:]))))
    if spec.labels:
        options.append(st.just(attrs.evolve(spec, labels=dict(list(spec.labels.items())[1:]))))
    if spec.command:
        options.append(st.just(attrs.evolve(spec, command=spec.command[:-1] or ["other"])))
    if spec.health is not None:
        health = attrs.evolve(spec.health, interval=spec.health.interval + 1)
        options.append(st.just(attrs.evolve(spec, health=health)))
        options.append(st.just(attrs.evolve(spec, health=None)))
    if spec.rollout != Rollout(max_surge=1, max_unavailable=0):
        options.append(st.just(attrs.evolve(spec, rollout=Rollout(max_surge=1, max_unavailable=0))))
    if spec.placement:
        options.append(st.just(attrs.evolve(spec, placement=spec.placement[1:])))
    if spec.resources != Resources():
        options.append(st.just(attrs.evolve(spec, resources=Resources())))
    return st.one_of(options)


@PROPERTY
@given(marathon_deployments(schema_valid_native=False), st.data())
def test_a_stored_app_matches_only_the_same_spec(
    drawn: tuple[Deployment, str], data: st.DataObject
) -> None:
    spec, containerizer = drawn
    changed = data.draw(_changes(spec))
    assume(changed != spec)
    stored = as_stored(render_app(spec, containerizer=containerizer))
    assert matches(render_app(spec, containerizer=containerizer), stored)
    assert not matches(render_app(changed, containerizer=containerizer), stored)


def _marathon_services(namespace: str) -> st.SearchStrategy[Service]:
    def fit(service: Service) -> Service:
        kept = supported(attrs.evolve(service, namespace=namespace))
        assert isinstance(kept, Service)
        return kept

    return services().map(fit)


@PROPERTY
@given(_marathon_services("shop"))
def test_a_service_record_gives_the_service_back(service: Service) -> None:
    assert read_record(service.name, "shop", record(service)) == service


@PROPERTY
@given(
    marathon_deployments(schema_valid_native=True),
    st.lists(_marathon_services("shop"), max_size=3, unique_by=lambda s: s.name),
)
def test_services_on_an_app_come_off_again(
    drawn: tuple[Deployment, str], chosen: list[Service]
) -> None:
    spec, containerizer = drawn
    spec = attrs.evolve(spec, namespace="shop")
    selected = [
        attrs.evolve(service, selector=dict(spec.labels) or {"app": "x"}) for service in chosen
    ]
    spec = attrs.evolve(
        spec, labels={**spec.labels, "app": "x"} if not spec.labels else spec.labels
    )
    base = render_app(spec, containerizer=containerizer)
    app = render_app(spec, services=selected, containerizer=containerizer)
    assert schema_errors(app) == []
    stripped, found = without_services(app, "shop")
    assert stripped == base
    assert found == {service.name: service for service in selected}
    assert with_services(stripped, found.values()) == app
    assert parse_app(app) == spec


def test_schema_rejects_what_marathon_rejects() -> None:
    """The oracle is not vacuous: a wrong type and an unknown field are reported."""
    app: dict[str, Any] = render_app(Deployment("web", namespace="shop", image="nginx"))
    app["instances"] = "two"
    app["surprise"] = True
    errors = schema_errors(app)
    assert any(error.startswith("instances") for error in errors)
    assert any("surprise" in error for error in errors)


def _json() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=6,
    )


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(document, dict):
        for key, value in document.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += _paths(value, (*prefix, index))
    return found


@PROPERTY
@given(marathon_deployments(schema_valid_native=True), st.data())
def test_a_damaged_app_gives_a_spec_or_a_typed_error_never_a_crash(
    drawn: tuple[Deployment, str], data: st.DataObject
) -> None:
    """Whatever one field of a stored app holds, reading it gives a spec or an
    UnexpectedResponse (and status, instances and endpoints the same)."""
    spec, containerizer = drawn
    service = Service("front", namespace="shop", selector={"x": "y"}, ports=[Port(80)])
    app = as_stored(render_app(spec, services=[], containerizer=containerizer))
    app = with_services(app, [service])
    app["tasks"] = [{"id": "t1", "host": "h", "ports": [31000], "state": "TASK_RUNNING"}]
    path = data.draw(st.sampled_from(_paths(app)))
    target: Any = app
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = data.draw(_json())
    with contextlib.suppress(UnexpectedResponse):
        parse_app(app)
    with contextlib.suppress(UnexpectedResponse):
        state = AppState.of(app)
        status_of("web", "shop", state, 1, ours_ended=False)
        instances_of("web", "shop", state, lambda version: 1)
        endpoints_of(service, [app], {str(app.get("id")): state})
