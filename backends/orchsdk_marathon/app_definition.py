"""The app an apply sends for a deployment, made in one pass: render, check, trim, add services.

One walk of the spec (:func:`~orchsdk_marathon.render.render_plain`), Marathon's rules
once (:func:`~orchsdk_marathon.rules.rule_errors`), and at most one read back
(:func:`~orchsdk_marathon.parse.parse_app`, only for a ``native["marathon"]`` patch): a
patch may add what the spec cannot say but not contradict what it says, and a
bookkeeping label is written only when the fields alone would read back differently, so
that an app written by another tool and read back is applied unchanged. This module sits
above :mod:`~orchsdk_marathon.render` and :mod:`~orchsdk_marathon.parse`, which do not
import each other's way round.

:func:`definition` is pure and remembers its last answers, so that the backend's
``validate`` (called by the core before the first request) and the ``apply`` that
follows share the one pass.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from orchsdk import Deployment, FieldError, OrchestratorError, Service, ValidationError
from orchsdk.native import apply_native, merged_errors
from orchsdk_marathon import labels as L
from orchsdk_marathon.parse import hint_is_redundant, parse_app
from orchsdk_marathon.render import BACKEND, port_index, render_plain
from orchsdk_marathon.rules import rule_errors
from orchsdk_marathon.services import selects, with_services

__all__ = ["AppDefinition", "definition", "render_app"]

Json = dict[str, Any]

_OVERRIDABLE = {
    "command": "cmd",
    "args": "args, cmd",
    "ports": "container.portMappings",
    "env": "env, secrets",
    "resources": "cpus, mem, gpus",
    "health": "healthChecks",
    "rollout": "upgradeStrategy",
    "placement": "constraints",
    "files": "container.volumes, secrets",
}
"""Spec fields a ``native["marathon"]`` patch must not contradict, and their app fields.
(``replicas`` and ``image`` are not checked: a patch may pin ``instances``.)"""


@attrs.frozen
class AppDefinition:
    """A deployment's app before its services (never to be changed in place), or the
    rules it breaks (then ``app`` is empty)."""

    app: Json
    errors: tuple[FieldError, ...]


def definition(spec: Deployment, containerizer: str) -> AppDefinition:
    """The app of ``spec`` on a backend with ``containerizer``, or the rules it breaks.

    Raises :class:`~orchsdk.UnsupportedFeature` for what Marathon cannot carry.
    """
    try:
        hash(spec)
    except TypeError:  # a spec holding an unhashable value: not remembered
        return _definition(spec, containerizer)
    return _remembered(spec, containerizer)


@functools.lru_cache(maxsize=256)
def _remembered(spec: Deployment, containerizer: str) -> AppDefinition:
    return _definition(spec, containerizer)


def render_app(
    spec: Deployment, *, services: Iterable[Service] = (), containerizer: str = "docker"
) -> Json:
    """The Marathon app definition of a deployment (whose namespace is set).

    ``services`` are the namespace's services; those whose selector matches the
    deployment's labels put their labels on it (this is how a canary joins a service).
    Raises :class:`~orchsdk.ValidationError` for what Marathon would reject (or a
    ``native["marathon"]`` patch that contradicts the spec) and
    :class:`~orchsdk.UnsupportedFeature` for what it cannot carry.
    """
    made = definition(spec, containerizer)
    if made.errors:
        raise ValidationError(f"Deployment {spec.name!r}", made.errors)
    chosen = [service for service in services if selects(service, spec.labels)]
    return with_services(made.app, chosen) if chosen else copy.deepcopy(made.app)


def _definition(spec: Deployment, containerizer: str) -> AppDefinition:
    errors = rule_errors(spec)
    if errors:
        return AppDefinition({}, tuple(errors))
    plain = render_plain(spec, containerizer=containerizer)
    app = apply_native(plain, spec, BACKEND)
    labels = app.get("labels")
    if not isinstance(labels, dict):
        return AppDefinition(app, ())
    redundant = [key for key in (L.COMMAND, L.RESOURCES, L.ROLLOUT) if key in labels]
    redundant = [key for key in redundant if hint_is_redundant(app, key)]
    health = spec.health
    if L.HEALTH_PORT in labels and health is not None:
        target = spec.ports[port_index(health, spec.ports)] if spec.ports else None
        if target is not None and health.port == (target.name or target.port):
            redundant.append(L.HEALTH_PORT)
    patch = spec.native.get(BACKEND)
    if isinstance(patch, Mapping) and patch:
        alone = set(spec.native) == {BACKEND}
        trial = _without_labels(app, [L.NATIVE]) if alone else app
        unpatched = _without_labels(plain, [L.NATIVE])
        namespace = spec.namespace or "default"
        known = (attrs.evolve(spec, namespace=namespace, native={}), unpatched)
        try:  # read as get() reads it: with the app's own containerizer
            read = parse_app(trial, namespace, rendered=known if alone else None)
        except OrchestratorError:
            read = None
        if read is not None:
            merged = read
            overrides = _overrides(spec, read, unpatched, known)
            overrides += merged_errors(spec, BACKEND, lambda: merged)
            if overrides:
                return AppDefinition({}, tuple(overrides))
            if alone and read.native == spec.native:
                redundant.append(L.NATIVE)
    return AppDefinition(_without_labels(app, redundant) if redundant else app, ())


def _without_labels(app: Json, keys: Iterable[str]) -> Json:
    drop = set(keys)
    labels = {key: value for key, value in app["labels"].items() if key not in drop}
    return {**app, "labels": labels}


def _overrides(
    spec: Deployment,
    read: Deployment,
    unpatched: Json,
    known: tuple[Deployment, Json],
) -> list[FieldError]:
    """The fields a ``native["marathon"]`` patch contradicts: where the app reads back as
    another spec than the app without the patch, in a field the spec sets (:data:`_OVERRIDABLE`)."""
    unset = Deployment(spec.name, image=spec.image)
    suspects = [
        field
        for field in _OVERRIDABLE
        if getattr(spec, field) != getattr(unset, field)
        and getattr(read, field) != getattr(spec, field)
    ]
    if not suspects:
        return []
    try:  # a field the spec's own rendering reads back otherwise (invalid...) is no override
        plain = parse_app(unpatched, spec.namespace or "default", rendered=known)
    except OrchestratorError:
        return []
    return [
        FieldError(
            f"native.{BACKEND}",
            f"overrides {field} (it sets {_OVERRIDABLE[field]} so that the app would read back "
            f"with other {field}): change the patch with {field}, or leave it out of the patch",
        )
        for field in suspects
        if getattr(read, field) != getattr(plain, field)
    ]
