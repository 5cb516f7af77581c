"""Hypothesis strategies for orchsdk specs: valid ones of every kind, and garbage to break them.

Shared by every test tier (unit, and the backends' render/parse property tests):
``from strategies import deployments`` (pytest's ``pythonpath`` setting in
``pyproject.toml`` puts ``tests/`` on ``sys.path``). Every spec that a ``*s()``
strategy below draws passes :func:`orchsdk.validation.check`; its namespace is
``None`` or a valid label.
"""

from __future__ import annotations

import operator
import string
from functools import cache
from typing import Any

from hypothesis import strategies as st

from orchsdk import (
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
)

__all__ = [
    "annotation_maps",
    "autoscalers",
    "config_keys",
    "config_maps",
    "cpu_quantities",
    "deployments",
    "dns1035_labels",
    "dns1123_labels",
    "dns1123_subdomains",
    "env_names",
    "garbage",
    "images",
    "label_keys",
    "label_maps",
    "label_values",
    "memory_quantities",
    "namespaces",
    "native_patches",
    "port_names",
    "resources",
    "secrets",
    "services",
]

# -- names ---------------------------------------------------------------------------
# Built from characters rather than with st.from_regex, which is ten times slower.

_LOWER = string.ascii_lowercase
_ALNUM_LOWER = string.ascii_lowercase + string.digits
_ALNUM = string.ascii_letters + string.digits


@cache
def _word(first: str, inner: str, last: str, max_inner: int) -> st.SearchStrategy[str]:
    """A character of ``first``, then maybe up to ``max_inner`` of ``inner`` and one of ``last``."""
    tail = st.builds(operator.add, st.text(inner, max_size=max_inner), st.sampled_from(last))
    return st.builds(operator.add, st.sampled_from(first), st.just("") | tail)


@cache
def dns1123_labels() -> st.SearchStrategy[str]:
    """Deployment names, namespaces, autoscaler targets: ``web``, ``0-api``."""
    return _word(_ALNUM_LOWER, _ALNUM_LOWER + "-", _ALNUM_LOWER, 18)


@cache
def dns1035_labels() -> st.SearchStrategy[str]:
    """Service names: like a DNS-1123 label, but starting with a letter."""
    return _word(_LOWER, _ALNUM_LOWER + "-", _ALNUM_LOWER, 18)


@cache
def dns1123_subdomains() -> st.SearchStrategy[str]:
    """Secret, config map and autoscaler names: dot-separated DNS-1123 labels."""
    label = _word(_ALNUM_LOWER, _ALNUM_LOWER + "-", _ALNUM_LOWER, 10)
    return st.lists(label, min_size=1, max_size=3).map(".".join)


@cache
def namespaces() -> st.SearchStrategy[str | None]:
    return st.none() | dns1123_labels()


@cache
def _qualified_names() -> st.SearchStrategy[str]:
    return _word(_ALNUM, _ALNUM + "-_.", _ALNUM, 14)


@cache
def label_keys() -> st.SearchStrategy[str]:
    """``app`` or ``example.com/app``."""
    prefixed = st.builds("{}/{}".format, dns1123_subdomains(), _qualified_names())
    return _qualified_names() | prefixed


@cache
def label_values() -> st.SearchStrategy[str]:
    return st.just("") | _qualified_names()


@cache
def label_maps(min_size: int = 0) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(label_keys(), label_values(), min_size=min_size, max_size=4)


def wire_text(*, min_size: int = 0, max_size: int) -> st.SearchStrategy[str]:
    """Any text an orchestrator API takes: everything but the NUL byte and lone surrogates."""
    characters = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
    return st.text(characters, min_size=min_size, max_size=max_size)


@cache
def annotation_maps() -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(label_keys(), wire_text(max_size=30), max_size=3)


@cache
def env_names() -> st.SearchStrategy[str]:
    return st.builds(
        operator.add,
        st.sampled_from(string.ascii_letters + "_"),
        st.text(_ALNUM + "_", max_size=15),
    )


@cache
def config_keys() -> st.SearchStrategy[str]:
    """Keys of secrets and config maps, including dotfiles such as ``.env``."""
    plain = st.builds(
        operator.add, st.sampled_from(_ALNUM + "-_"), st.text(_ALNUM + "-_.", max_size=19)
    )
    return plain | plain.map(lambda key: "." + key[:10])


@cache
def port_names() -> st.SearchStrategy[str]:
    """IANA service names: at most 15 characters, at least one letter, no doubled '-'."""
    suffix = st.text(_ALNUM_LOWER, min_size=1, max_size=6).map(lambda text: "-" + text)
    lettered = st.builds(
        "{}{}{}".format,
        st.sampled_from(_LOWER),
        st.text(_ALNUM_LOWER, max_size=6),
        st.just("") | suffix,
    )
    numbered = st.builds(
        "{}{}{}".format,
        st.text(string.digits, min_size=1, max_size=3),
        st.sampled_from(["", "-"]),
        st.text(_LOWER, min_size=1, max_size=5),
    )
    return lettered | numbered


@cache
def images() -> st.SearchStrategy[str]:
    """``nginx``, ``registry.example.com/team/app:1.2``."""
    part = st.text(_ALNUM_LOWER, min_size=1, max_size=8)
    path = st.lists(part, min_size=1, max_size=3).map("/".join)
    tag = st.builds(
        lambda first, rest: f":{first}{rest}",
        st.sampled_from(_ALNUM + "_"),
        st.text(_ALNUM + "_.-", max_size=11),
    )
    return st.builds(operator.add, path, st.just("") | tag)


# -- values --------------------------------------------------------------------------


@cache
def cpu_quantities() -> st.SearchStrategy[str]:
    """``"250m"``, ``"2"``, ``"0.5"``."""
    return (
        st.integers(1, 64_000).map(lambda n: f"{n}m")
        | st.integers(1, 64).map(str)
        | st.integers(1, 9).map(lambda n: f"0.{n}")
    )


@cache
def memory_quantities() -> st.SearchStrategy[str]:
    """``"256Mi"``, ``"1Gi"``, ``"500M"``, ``"134217728"``."""
    return st.builds(
        lambda number, suffix: f"{number}{suffix}",
        st.integers(1, 1 << 16),
        st.sampled_from(["Ki", "Mi", "Gi", "k", "M", "G", ""]),
    )


@cache
def _resources() -> st.SearchStrategy[Resources]:
    return st.builds(
        Resources,
        cpu=st.none() | cpu_quantities(),
        memory=st.none() | memory_quantities(),
        gpu=st.none() | st.integers(0, 8),
    )


@cache
def _refs() -> st.SearchStrategy[SecretRef | ConfigRef]:
    return st.builds(SecretRef, dns1123_subdomains(), config_keys()) | st.builds(
        ConfigRef, dns1123_subdomains(), config_keys()
    )


# Strategies used inside the composites below are built once: building a strategy in each
# draw makes hypothesis validate it again every time, which is most of the cost.
_PROTOCOLS = st.sampled_from(["TCP", "UDP"])
_INDEXES = st.integers(0, 2**16)
_BOOLEANS = st.booleans()
_TIMES = st.integers(1, 600)
_PORT_TUPLES = st.tuples(st.integers(1, 65535), port_names(), st.booleans(), _PROTOCOLS)


def _unique_ports(min_size: int) -> st.SearchStrategy[list[tuple[int, str, bool, str]]]:
    return st.lists(
        _PORT_TUPLES, unique_by=(lambda t: t[0], lambda t: t[1]), min_size=min_size, max_size=4
    )


_DEPLOYMENT_PORTS = _unique_ports(0).map(
    lambda ports: [Port(n, name=name if named else None, protocol=p) for n, name, named, p in ports]
)
_HEALTH_KINDS = st.sampled_from(["http", "tcp", "command"])
_COMMANDS = st.builds(
    lambda first, rest: [first, *rest],
    wire_text(min_size=1, max_size=10),
    st.lists(wire_text(max_size=10), max_size=3),
)
_HTTP_PATHS = st.text(_ALNUM + "._~/-", max_size=20).map(lambda path: "/" + path)


@st.composite
def _health_checks(draw: st.DrawFn, ports: list[Port]) -> HealthCheck:
    kind = draw(_HEALTH_KINDS) if ports else "command"
    timing = {
        "interval": draw(_TIMES),
        "timeout": draw(_TIMES),
        "grace": draw(_TIMES) - 1,
        "failures": draw(_TIMES) % 10 + 1,
    }
    if kind == "command":
        return HealthCheck(command=draw(_COMMANDS), **timing)
    references = [port.port for port in ports] + [port.name for port in ports if port.name]
    port = references[draw(_INDEXES) % len(references)]
    if kind == "tcp":
        return HealthCheck(tcp=True, port=port, **timing)
    return HealthCheck(http_path=draw(_HTTP_PATHS), port=port, **timing)


@cache
def _rollout_amounts() -> st.SearchStrategy[int | str]:
    return st.integers(0, 10) | st.integers(0, 100).map(lambda n: f"{n}%")


@st.composite
def _rollouts(draw: st.DrawFn) -> Rollout:
    surge = draw(_rollout_amounts())
    unavailable = draw(_rollout_amounts())
    if surge in (0, "0%") and unavailable in (0, "0%"):
        surge = 1
    return Rollout(max_surge=surge, max_unavailable=unavailable)


@cache
def _constraints() -> st.SearchStrategy[Constraint]:
    with_values = st.builds(
        Constraint,
        key=label_keys(),
        operator=st.sampled_from(["in", "not_in"]),
        values=st.lists(_qualified_names(), min_size=1, max_size=3),
    )
    without_values = st.builds(
        Constraint, key=label_keys(), operator=st.sampled_from(["exists", "unique"])
    )
    return with_values | without_values


@cache
def _file_paths() -> st.SearchStrategy[str]:
    segment = st.builds(
        operator.add, st.sampled_from(_ALNUM + "_-"), st.text(_ALNUM + "_.-", max_size=9)
    )
    return st.lists(segment, min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts))


@cache
def _file_mounts() -> st.SearchStrategy[list[FileMount]]:
    mounts = st.lists(st.tuples(_file_paths(), _refs()), unique_by=lambda t: t[0], max_size=3)
    return mounts.map(lambda pairs: [FileMount(path, source) for path, source in pairs])


@cache
def _json_values() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=10)
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
        ),
        max_leaves=8,
    )


@cache
def native_patches() -> st.SearchStrategy[dict[str, dict[str, Any]]]:
    """``native`` overrides: a JSON merge patch per backend name."""
    patch = st.dictionaries(st.text(min_size=1, max_size=8), _json_values(), max_size=3)
    return st.dictionaries(st.sampled_from(["kubernetes", "marathon", "memory"]), patch, max_size=2)


@cache
def _env_values() -> st.SearchStrategy[str | SecretRef | ConfigRef]:
    return wire_text(max_size=20) | _refs()


# -- resources -----------------------------------------------------------------------


_REPLICAS = st.integers(0, 100)
_WORDS = st.lists(wire_text(max_size=10), max_size=3)
_ENVS = st.dictionaries(env_names(), _env_values(), max_size=4)
_MAYBE_RESOURCES = st.none() | _resources()
_MAYBE_ROLLOUTS = st.just(Rollout()) | _rollouts()
_PLACEMENTS = st.lists(_constraints(), max_size=3)


@st.composite
def _deployments(draw: st.DrawFn) -> Deployment:
    ports = draw(_DEPLOYMENT_PORTS)
    return Deployment(
        draw(dns1123_labels()),
        namespace=draw(namespaces()),
        labels=draw(label_maps()),
        annotations=draw(annotation_maps()),
        native=draw(native_patches()),
        image=draw(images()),
        replicas=draw(_REPLICAS),
        command=draw(_WORDS),
        args=draw(_WORDS),
        ports=ports,
        env=draw(_ENVS),
        resources=draw(_MAYBE_RESOURCES),
        health=draw(_health_checks(ports)) if draw(_BOOLEANS) else None,
        rollout=draw(_MAYBE_ROLLOUTS),
        placement=draw(_PLACEMENTS),
        files=draw(_file_mounts()),
    )


@cache
def deployments() -> st.SearchStrategy[Deployment]:
    """Valid deployments, from the bare minimum to every field set."""
    return _deployments()


_TARGET_PORTS = st.none() | st.integers(1, 65535) | port_names()
_SERVICE_PORT_TUPLES = st.tuples(_unique_ports(1), st.lists(_TARGET_PORTS, min_size=4, max_size=4))
_EXPOSURES = st.sampled_from(["internal", "external", "node"])
_MAYBE_HOSTNAMES = st.none() | dns1123_subdomains()


def _service_ports(
    drawn: tuple[list[tuple[int, str, bool, str]], list[int | str | None]],
) -> list[Port]:
    ports, targets = drawn
    named = len(ports) > 1 or ports[0][2]
    return [
        Port(number, name=name if named else None, target_port=target, protocol=protocol)
        for (number, name, _, protocol), target in zip(ports, targets[: len(ports)], strict=True)
    ]


_SERVICE_PORTS = _SERVICE_PORT_TUPLES.map(_service_ports)


@st.composite
def _services(draw: st.DrawFn) -> Service:
    exposure = draw(_EXPOSURES)
    hostname = draw(_MAYBE_HOSTNAMES) if exposure == "external" else None
    return Service(
        draw(dns1035_labels()),
        namespace=draw(namespaces()),
        labels=draw(label_maps()),
        annotations=draw(annotation_maps()),
        native=draw(native_patches()),
        selector=draw(label_maps(min_size=1)),
        ports=draw(_SERVICE_PORTS),
        exposure=exposure,
        hostname=hostname,
    )


@cache
def services() -> st.SearchStrategy[Service]:
    """Valid services of every exposure; more than one port means every port is named."""
    return _services()


@cache
def _data() -> st.SearchStrategy[dict[str, str]]:
    """Values, but never the placeholder of one not revealed (a manifest refuses it)."""
    values = wire_text(max_size=40).filter(lambda value: value != REDACTED)
    return st.dictionaries(config_keys(), values, max_size=5)


@cache
def secrets() -> st.SearchStrategy[Secret]:
    return st.builds(
        Secret,
        dns1123_subdomains(),
        namespace=namespaces(),
        labels=label_maps(),
        annotations=annotation_maps(),
        native=native_patches(),
        data=_data(),
    )


@cache
def config_maps() -> st.SearchStrategy[ConfigMap]:
    return st.builds(
        ConfigMap,
        dns1123_subdomains(),
        namespace=namespaces(),
        labels=label_maps(),
        annotations=annotation_maps(),
        native=native_patches(),
        data=_data(),
    )


_MIN_REPLICAS = st.integers(1, 20)
_EXTRA_REPLICAS = st.integers(0, 80)
_METRICS = st.sampled_from(["cpu", "memory", "both"])
_PERCENTS = st.integers(1, 1000)


@st.composite
def _autoscalers(draw: st.DrawFn) -> Autoscaler:
    low = draw(_MIN_REPLICAS)
    metric = draw(_METRICS)
    return Autoscaler(
        draw(dns1123_subdomains()),
        namespace=draw(namespaces()),
        labels=draw(label_maps()),
        annotations=draw(annotation_maps()),
        target=draw(dns1123_labels()),
        min_replicas=low,
        max_replicas=low + draw(_EXTRA_REPLICAS),
        cpu_percent=draw(_PERCENTS) if metric in ("cpu", "both") else None,
        memory_percent=draw(_PERCENTS) if metric in ("memory", "both") else None,
    )


@cache
def autoscalers() -> st.SearchStrategy[Autoscaler]:
    return _autoscalers()


@cache
def resources() -> st.SearchStrategy[Deployment | Service | Secret | ConfigMap | Autoscaler]:
    """A valid spec of any kind."""
    return deployments() | services() | secrets() | config_maps() | autoscalers()


# -- garbage -------------------------------------------------------------------------


@cache
def garbage() -> st.SearchStrategy[Any]:
    """Any value of any type: what a careless caller, or a YAML file, might put in a field.

    Unicode, huge integers (past Python's 4300-digit ``str()`` limit), NaN, bytes,
    nested lists and dicts, value types holding garbage themselves, and near-valid
    strings (``"web"``, ``"80"``, ``"250m"``) so that deeper checks run too.
    """
    # built by a function: hypothesis cannot repr() an int past Python's 4300-digit limit
    huge = st.sampled_from([5000, -5000]).map(lambda digits: (10 ** abs(digits)) * (digits // 5000))
    near_valid = st.sampled_from(
        ["", "web", "Web", "80", "http", "/", "/healthz", "TCP", "in", "250m", "256Mi", "25%", ".."]
    )
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.sampled_from([2**31, -(2**63), 10**100])
        | huge
        | st.floats()
        | st.text(max_size=30)
        | st.binary(max_size=10)
        | st.just(REDACTED)
        | near_valid
    )
    keys = st.text(max_size=10) | st.integers() | huge | st.none() | st.booleans()

    def containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return (
            st.lists(inner, max_size=4)
            | st.lists(inner, max_size=4).map(tuple)
            | st.dictionaries(keys, inner, max_size=4)
            | st.builds(Port, inner, inner, inner, inner)
            | st.builds(Resources, inner, inner, inner)
            | st.builds(HealthCheck, inner, inner, inner, inner, inner, inner, inner, inner)
            | st.builds(Rollout, inner, inner)
            | st.builds(SecretRef, inner, inner)
            | st.builds(ConfigRef, inner, inner)
            | st.builds(FileMount, inner, inner)
            | st.builds(Constraint, inner, inner, inner)
        )

    return st.recursive(scalars, containers, max_leaves=8)
