"""Helpers for the Marathon backend's tests: Marathon's schema, stored apps, spec strategies.

Named so as not to collide with other test directories' helper modules on ``sys.path``.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from pathlib import Path
from typing import Any

import attrs
from hypothesis import strategies as st
from orchsdk_marathon.rules import RESERVED_NAMES, rule_errors
from orchsdk_marathon.support import capabilities_for, unsupported_fields

from orchsdk import Deployment, Resource
from orchsdk.capabilities import find_unsupported

SCHEMA_ENV = "ORCHSDK_MARATHON_SCHEMA"
REPO = Path(__file__).resolve().parents[2]
SCHEMA_BASE_URI = (
    "https://raw.githubusercontent.com/mesosphere/marathon/master/docs/docs/rest-api/"
    "public/api/v2/schema/AppDefinition.json"
)


def schema_path() -> Path | None:
    """Marathon's ``AppDefinition.json``: ``$ORCHSDK_MARATHON_SCHEMA``, else ``../shared``."""
    configured = os.environ.get(SCHEMA_ENV)
    if configured:
        return Path(configured)
    default = REPO.parent / "shared" / "marathon-api" / "schema" / "AppDefinition.json"
    return default if default.is_file() else None


@functools.cache
def app_validator() -> Any:
    """A Draft 4 validator for app definitions: Marathon's 2018 schema plus the one newer
    field this backend renders (a secret volume, ``container.volumes[].secret``, 1.9+).
    ``$ref``s resolve in a local registry: nothing is fetched from the network."""
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    path = schema_path()
    assert path is not None, "Marathon's AppDefinition.json is not available"
    schema = json.loads(path.read_text())
    volume = schema["properties"]["container"]["properties"]["volumes"]["items"]["properties"]
    volume["secret"] = {"type": "string", "minLength": 1}
    resource = Resource.from_contents(schema, default_specification=DRAFT4)
    registry: Registry[Any] = Registry().with_resource(SCHEMA_BASE_URI, resource)
    return jsonschema.Draft4Validator(schema, registry=registry)


def schema_errors(app: dict[str, Any]) -> list[str]:
    """Every violation of the schema, as ``path: message``."""
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in app_validator().iter_errors(app)
    ]


def marathon_caps(containerizer: str) -> Any:
    """The capabilities of a backend with a secret store on a Marathon with every feature."""
    return capabilities_for(
        secret_store=True, features=("secrets", "gpu_resources"), containerizer=containerizer
    )


def supported(spec: Resource, containerizer: str = "docker") -> Resource:
    """``spec`` less what the backend refuses (as lenient mode would leave it out)."""
    kept: Resource | None = attrs.evolve(spec, namespace=spec.namespace or "shop")
    caps = marathon_caps(containerizer)
    assert kept is not None
    for gap in [*find_unsupported(kept, caps), *unsupported_fields(kept)]:
        kept = gap.leave_out(kept) if kept is not None else None
    assert kept is not None
    return kept


def marathon_ready(spec: Deployment, containerizer: str = "docker") -> Deployment:
    """A generated deployment made acceptable to Marathon: supported fields only, no
    reserved name, no duplicate constraint (those are refused with ValidationError)."""
    kept = supported(spec, containerizer)
    assert isinstance(kept, Deployment)
    if kept.name in RESERVED_NAMES:
        kept = attrs.evolve(kept, name=kept.name + "-1")
    unique = []
    for constraint in kept.placement:
        if constraint not in unique:
            unique.append(constraint)
    kept = attrs.evolve(kept, placement=unique)
    if rule_errors(kept):  # e.g. two constraints that render the same
        kept = attrs.evolve(kept, placement=kept.placement[:1])
    assert not rule_errors(kept), rule_errors(kept)
    return kept


def marathon_native() -> st.SearchStrategy[dict[str, Any]]:
    """Valid ``native["marathon"]`` patches on fields the spec does not manage."""
    return st.fixed_dictionaries(
        {},
        optional={
            "user": st.sampled_from(["nobody", "root"]),
            "backoffSeconds": st.integers(0, 600),
            "maxLaunchDelaySeconds": st.integers(0, 3600),
            "taskKillGracePeriodSeconds": st.integers(0, 300),
            "killSelection": st.sampled_from(["YOUNGEST_FIRST", "OLDEST_FIRST"]),
            "disk": st.integers(0, 1024),
            "acceptedResourceRoles": st.just(["*"]),
            "fetch": st.lists(
                st.builds(lambda n: {"uri": f"https://example.com/{n}.tgz"}, st.integers(0, 99)),
                max_size=2,
            ),
            "container": st.builds(
                lambda pull: {"docker": {"forcePullImage": pull}}, st.booleans()
            ),
        },
    )


def as_stored(app: dict[str, Any], version: str = "2024-01-02T03:04:05.678Z") -> dict[str, Any]:
    """What Marathon gives back for an app it stored: its defaults filled in, service ports
    assigned, constraints with three items, the version fields, no empty ``args``."""
    stored = copy.deepcopy(app)
    stored.setdefault("backoffSeconds", 1)
    stored.setdefault("backoffFactor", 1.15)
    stored.setdefault("maxLaunchDelaySeconds", 300)
    stored.setdefault("disk", 0)
    stored.setdefault("executor", "")
    stored.setdefault("killSelection", "YOUNGEST_FIRST")
    stored.setdefault("requirePorts", False)
    stored.setdefault("unreachableStrategy", {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0})
    stored.setdefault("dependencies", [])
    stored.setdefault("fetch", [])
    stored["version"] = version
    stored["versionInfo"] = {"lastScalingAt": version, "lastConfigChangeAt": version}
    container = stored["container"]
    docker = container["docker"]
    docker.setdefault("forcePullImage", False)
    docker.setdefault("privileged", False)
    docker.setdefault("parameters", [])
    for index, mapping in enumerate(container.get("portMappings", [])):
        mapping.setdefault("servicePort", 10000 + index)
    for check in stored.get("healthChecks", []):
        check.setdefault("ipProtocol", "IPv4")
    stored["constraints"] = [
        [*item, ""] if len(item) == 2 else item for item in stored.get("constraints", [])
    ]
    stored.update(cmd=stored.get("cmd"), args=stored.get("args") or None)
    return stored


class Refused(Exception):
    """Marathon (as the emulator models it) would refuse the app: its errors."""


def marathon_stores(
    body: dict[str, Any],
    previous: dict[str, Any] | None = None,
    version: str = "2024-01-02T03:04:05.678Z",
) -> dict[str, Any]:
    """What Marathon stores (and ``GET`` shows) for an app written as ``body``, as the
    emulator models it: its readers (known fields only), its defaults, the deprecated
    fields translated, its checks (:class:`Refused` when it would refuse the body), and
    service ports assigned, the ``previous`` app's kept. ``previous`` makes it a
    ``PUT ?partialUpdate=false`` over that app, with the update rules too."""
    from orchsdk_marathon.testing import model, validation

    errors = validation.type_errors(body, id_required=True)
    if errors:
        raise Refused(errors)
    app = model.clean(body)
    app.pop("version", None)
    app.pop("versionInfo", None)
    errors = validation.old_api_errors(app)
    if previous is not None:
        errors += validation.update_errors(app)
    try:
        full = model.migrate(model.apply_defaults(app), "dcos")
    except model.NormalizationError as error:
        raise Refused([("/", str(error))]) from error
    errors += validation.app_errors(full, secrets_feature=True)
    if errors:
        raise Refused(errors)
    used: set[int] = set()
    if previous is not None:
        for mapping in (previous.get("container") or {}).get("portMappings") or []:
            used.add(mapping.get("servicePort") or 0)
        for definition in previous.get("portDefinitions") or []:
            used.add(definition.get("port") or 0)
    free = (port for port in range(10000, 20001) if port not in used)

    def allocate(wanted: int = 0) -> int:
        if wanted:
            used.add(wanted)
            return wanted
        port = next(free)
        used.add(port)
        return port

    model.assign_service_ports(full, previous, allocate)
    full["version"] = version
    full["versionInfo"] = {"lastScalingAt": version, "lastConfigChangeAt": version}
    return full


def config_differences(one: dict[str, Any], other: dict[str, Any]) -> list[str]:
    """Where two stored apps' configurations differ (see :func:`same_config`), as text."""
    found: list[str] = []

    def walk(a: Any, b: Any, path: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in [*a, *(k for k in b if k not in a)]:
                walk(a.get(key), b.get(key), f"{path}.{key}")
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for index, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{path}[{index}]")
        elif a != b:
            found.append(f"{path}: {a!r} != {b!r}")

    walk(_config(one), _config(other), "")
    return found


def same_config(one: dict[str, Any], other: dict[str, Any]) -> bool:
    """Whether two stored apps have the same configuration: Marathon's plan to go from one
    to the other is empty (its ``constraints`` are a set, an empty list or map is a missing
    one, as Marathon shows them; the versions do not count)."""
    return _config(one) == _config(other)


def _shown(value: Any) -> Any:
    """An empty list or map shows as none at all."""
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value


def _config(app: dict[str, Any]) -> dict[str, Any]:
    from orchsdk_marathon.fields import constraint_set
    from orchsdk_marathon.testing import model

    result = model.config_of(app)
    result["constraints"] = constraint_set(result.get("constraints") or [])
    return dict(_shown(result))
