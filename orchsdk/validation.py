"""Checks every spec before anything is sent, and reports each bad field with its path.

The name and label rules are the Kubernetes API server's own (DNS-1123, DNS-1035,
qualified names), so a spec that passes here is portable to every backend.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import attrs

from orchsdk._frozen import MAX_DEPTH, FrozenDict, TooDeep
from orchsdk.errors import FieldError, ValidationError
from orchsdk.images import image_problem
from orchsdk.quantity import parse_quantity
from orchsdk.specs import (
    Autoscaler,
    ConfigMap,
    Deployment,
    Redacted,
    Resource,
    Secret,
    Service,
)
from orchsdk.values import (
    ConfigRef,
    Constraint,
    FileMount,
    HealthCheck,
    Port,
    Resources,
    Rollout,
    SecretRef,
)

__all__ = ["check", "validate", "validate_all", "validate_labels", "validate_namespace"]

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PORT_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_PERCENT = re.compile(r"(100|[1-9]?[0-9])%")
_WHITESPACE = re.compile(r"\s")
"""Any character ``str.isspace()`` accepts (the same set), found in one C call."""

MAX_INT32 = 2**31 - 1
MAX_DATA_BYTES = 1024 * 1024
MAX_ANNOTATION_BYTES = 256 * 1024


def _show(value: Any) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int past sys.get_int_max_str_digits() (or holding one)
        text = f"<{type(value).__name__} too long to show>"
    except RecursionError:  # a hostile value nested thousands of levels deep
        text = f"<{type(value).__name__} nested too deeply to show>"
    return text if len(text) <= 60 else text[:57] + "..."


def _key(key: Any) -> str:
    """A mapping key as it appears in a field path (``labels.app``)."""
    return key if isinstance(key, str) else _show(key)


class _Checker:
    """Collects the field errors of one resource, each under its path."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    def of_type(self, path: str, value: Any, kind: type | tuple[type, ...], what: str) -> bool:
        """Whether ``value`` is a ``kind`` (a bool is no integer here); reports it if not."""
        if type(value) is kind:  # the usual case, settled without the checks below
            return True
        if isinstance(value, bool) and kind in (int, (int, str)):
            self.fail(path, f"must be {what}, got {_show(value)}")
            return False
        if not isinstance(value, kind):
            self.fail(path, f"must be {what}, got {type(value).__name__} {_show(value)}")
            return False
        return True

    def pattern(self, path: str, value: Any, regex: re.Pattern[str], limit: int, rule: str) -> None:
        if not self.of_type(path, value, str, "a string"):
            return
        if len(value) > limit:
            self.fail(path, f"must be at most {limit} characters, got {len(value)}")
        elif regex.fullmatch(value) is None:
            self.fail(path, f"{_show(value)} is not valid: {rule}")

    def dns_label(self, path: str, value: Any) -> None:
        self.pattern(path, value, _DNS1123_LABEL, 63, _RULES["dns1123-label"])

    def dns_subdomain(self, path: str, value: Any) -> None:
        self.pattern(path, value, _DNS1123_SUBDOMAIN, 253, _RULES["dns1123-subdomain"])

    def integer(self, path: str, value: Any, low: int, high: int = MAX_INT32) -> bool:
        if not self.of_type(path, value, int, "an integer"):
            return False
        if not low <= value <= high:
            self.fail(path, f"must be between {low} and {high}, got {_show(value)}")
            return False
        return True

    def mapping(self, path: str, value: Any) -> bool:
        if type(value) is FrozenDict:  # what specs hold: no need for the slower ABC check
            return True
        return self.of_type(path, value, Mapping, "a mapping")

    def sequence(self, path: str, value: Any, item: type, what: str) -> bool:
        if not self.of_type(path, value, tuple, "a list"):
            return False
        ok = True
        for index, element in enumerate(value):
            ok = self.of_type(f"{path}[{index}]", element, item, what) and ok
        return ok

    def qualified_name(self, path: str, value: Any) -> None:
        if not self.of_type(path, value, str, "a string"):
            return
        prefix, slash, name = value.rpartition("/")
        if slash:
            if not prefix:
                self.fail(path, f"{_show(value)} has an empty prefix before '/'")
            else:
                self.dns_subdomain(path, prefix)
        self.pattern(path, name, _QUALIFIED_NAME, 63, _RULES["qualified-name"])

    def labels(self, path: str, value: Any) -> None:
        if not self.mapping(path, value):
            return
        for key, label in value.items():
            field = f"{path}.{_key(key)}"
            self.qualified_name(field, key)
            if self.of_type(field, label, str, "a string") and label:
                self.pattern(field, label, _QUALIFIED_NAME, 63, _RULES["label-value"])

    def data(self, path: str, value: Any, *, secret: bool) -> None:
        if secret and not isinstance(value, Mapping):  # say nothing of what it holds
            self.fail(path, f"must be a mapping, got {type(value).__name__}")
            return
        if not self.mapping(path, value):
            return
        size = 0
        for key, item in value.items():
            field = f"{path}.{_key(key)}"
            self.pattern(field, key, _CONFIG_KEY, 253, _RULES["config-key"])
            if key in (".", "..") or (isinstance(key, str) and key.startswith("..")):
                self.fail(field, "a key must not be '.', '..' or start with '..'")
            if isinstance(item, Redacted):
                self.fail(field, "was read without reveal=True; read the secret with reveal=True")
            elif secret and not isinstance(item, str):
                self.fail(field, f"must be a string, got {type(item).__name__}")
            elif not secret and self.of_type(field, item, str, "a string"):
                size += len(item.encode("utf-8", "surrogatepass"))
            if secret and isinstance(item, str):
                size += len(item.encode("utf-8", "surrogatepass"))
        if size > MAX_DATA_BYTES:
            self.fail(path, f"must hold at most {MAX_DATA_BYTES} bytes, holds {size}")


_RULES = {
    "dns1123-label": "lowercase letters, digits and '-', "
    "starting and ending with a letter or digit",
    "dns1123-subdomain": "lowercase letters, digits, '-' and '.', "
    "starting and ending with a letter or digit",
    "dns1035-label": "lowercase letters, digits and '-', starting with a letter "
    "and ending with a letter or digit",
    "qualified-name": "letters, digits, '-', '_' and '.', starting and ending with a letter "
    "or digit, with an optional DNS subdomain prefix and '/'",
    "label-value": "empty, or letters, digits, '-', '_' and '.', "
    "starting and ending with a letter or digit",
    "config-key": "letters, digits, '-', '_' and '.'",
    "env-name": "letters, digits and '_', not starting with a digit",
    "port-name": "at most 15 lowercase letters, digits and '-', with at least one letter, "
    "no leading, trailing or doubled '-'",
}


_NAME_RULES: dict[type[Resource], tuple[re.Pattern[str], int, str]] = {
    Deployment: (_DNS1123_LABEL, 63, "dns1123-label"),
    Service: (_DNS1035_LABEL, 63, "dns1035-label"),
}
"""The rule for a resource's name, by kind; other kinds' names are DNS-1123 subdomains."""
_SUBDOMAIN_NAME = (_DNS1123_SUBDOMAIN, 253, "dns1123-subdomain")


def _check_common(c: _Checker, resource: Resource) -> None:
    regex, limit, rule = _NAME_RULES.get(type(resource), _SUBDOMAIN_NAME)
    c.pattern("name", resource.name, regex, limit, _RULES[rule])
    if resource.namespace is not None:
        c.dns_label("namespace", resource.namespace)
    c.labels("labels", resource.labels)
    if c.mapping("annotations", resource.annotations):
        size = 0
        for key, value in resource.annotations.items():
            c.qualified_name(f"annotations.{_key(key)}", key)
            if c.of_type(f"annotations.{_key(key)}", value, str, "a string"):
                size += len(key) + len(value) if isinstance(key, str) else 0
        if size > MAX_ANNOTATION_BYTES:
            c.fail("annotations", f"must hold at most {MAX_ANNOTATION_BYTES} bytes, holds {size}")
    if c.mapping("native", resource.native):
        for backend, patch in resource.native.items():
            c.of_type("native", backend, str, "a backend name")
            if c.mapping(f"native.{_key(backend)}", patch):
                _check_json(c, f"native.{_key(backend)}", patch)


def _check_json(c: _Checker, path: str, value: Any) -> None:
    """A native patch is sent as JSON: only JSON values, finite numbers, string keys, and
    no deeper than the limit. Walked with a stack, not recursion: the input may be hostile."""
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, TooDeep):
            c.fail(where, f"is nested more than {MAX_DEPTH} levels deep")
        elif isinstance(item, Mapping):
            for key, child in item.items():
                if not isinstance(key, str):
                    c.fail(where, f"keys must be strings, got {_show(key)}")
                    continue
                stack.append((f"{where}.{key}", child))
        elif isinstance(item, (list, tuple)):
            stack.extend((f"{where}[{index}]", child) for index, child in enumerate(item))
        elif isinstance(item, float) and not math.isfinite(item):
            c.fail(where, f"must be a finite number, got {_show(item)}")
        elif item is not None and not isinstance(item, (str, int, float, bool)):
            c.fail(where, f"must be a JSON value, got {type(item).__name__} {_show(item)}")


def _check_port(c: _Checker, path: str, port: Any, *, service: bool) -> None:
    if not c.of_type(path, port, Port, "a Port"):
        return
    c.integer(f"{path}.port", port.port, 1, 65535)
    if port.name is not None:
        _check_port_name(c, f"{path}.name", port.name)
    if port.protocol not in ("TCP", "UDP"):
        c.fail(f"{path}.protocol", f"must be 'TCP' or 'UDP', got {_show(port.protocol)}")
    if not service and port.target_port is not None:
        c.fail(f"{path}.target_port", "only a Service's ports have a target port")
    if service and port.target_port is not None:
        if isinstance(port.target_port, str):
            _check_port_name(c, f"{path}.target_port", port.target_port)
        else:
            c.integer(f"{path}.target_port", port.target_port, 1, 65535)


def _check_port_name(c: _Checker, path: str, name: Any) -> None:
    if not c.of_type(path, name, str, "a string"):
        return
    valid = (
        len(name) <= 15
        and _PORT_NAME.fullmatch(name) is not None
        and "--" not in name
        and any(char.isalpha() for char in name)
    )
    if not valid:
        c.fail(path, f"{_show(name)} is not a valid port name: {_RULES['port-name']}")


def _check_ports(c: _Checker, ports: Any, *, service: bool) -> tuple[Port, ...]:
    if not c.of_type("ports", ports, tuple, "a list"):
        return ()
    seen_numbers: set[tuple[Any, Any]] = set()
    seen_names: set[Any] = set()
    for index, port in enumerate(ports):
        path = f"ports[{index}]"
        _check_port(c, path, port, service=service)
        if not isinstance(port, Port):
            continue
        if isinstance(port.port, int) and isinstance(port.protocol, str):  # others: reported above
            key = (port.port, port.protocol)
            if key in seen_numbers:
                c.fail(f"{path}.port", f"{_show(port.port)}/{port.protocol} is listed twice")
            seen_numbers.add(key)
        if isinstance(port.name, str):
            if port.name in seen_names:
                c.fail(f"{path}.name", f"{_show(port.name)} is listed twice")
            seen_names.add(port.name)
    valid = tuple(port for port in ports if isinstance(port, Port))
    if service and len(valid) > 1 and any(port.name is None for port in valid):
        c.fail("ports", "every port must have a name when a service has more than one")
    return valid


def _check_ref(c: _Checker, path: str, ref: SecretRef | ConfigRef) -> None:
    owner = ref.secret if isinstance(ref, SecretRef) else ref.config
    owner_field = "secret" if isinstance(ref, SecretRef) else "config"
    c.dns_subdomain(f"{path}.{owner_field}", owner)
    if isinstance(ref.key, str) and not ref.key:
        c.fail(f"{path}.key", "must name a key")
    else:
        c.pattern(f"{path}.key", ref.key, _CONFIG_KEY, 253, _RULES["config-key"])


def _check_deployment(c: _Checker, d: Deployment) -> None:
    if c.of_type("image", d.image, str, "a string"):
        problem = image_problem(d.image)
        if problem is not None:
            c.fail("image", f"{_show(d.image)} is not an image reference: it {problem}")
    c.integer("replicas", d.replicas, 0)
    c.sequence("command", d.command, str, "a string")
    c.sequence("args", d.args, str, "a string")
    ports = _check_ports(c, d.ports, service=False)
    if c.mapping("env", d.env):
        for name, value in d.env.items():
            path = f"env.{_key(name)}"
            c.pattern(path, name, _ENV_NAME, 253, _RULES["env-name"])
            if isinstance(value, (SecretRef, ConfigRef)):
                _check_ref(c, path, value)
            else:
                c.of_type(path, value, str, "a string, a SecretRef or a ConfigRef")
    if c.of_type("resources", d.resources, Resources, "Resources"):
        _check_resources(c, d.resources)
    if d.health is not None and c.of_type("health", d.health, HealthCheck, "a HealthCheck"):
        _check_health(c, d.health, ports)
    if c.of_type("rollout", d.rollout, Rollout, "a Rollout"):
        _check_rollout(c, d.rollout)
    if c.sequence("placement", d.placement, Constraint, "a Constraint"):
        for index, constraint in enumerate(d.placement):
            _check_constraint(c, f"placement[{index}]", constraint)
    if c.sequence("files", d.files, FileMount, "a FileMount"):
        paths: set[str] = set()
        for index, mount in enumerate(d.files):
            _check_file(c, f"files[{index}]", mount, paths)


MAX_QUANTITY = Decimal(2**63 - 1)
"""The largest quantity the Kubernetes API holds; Marathon's doubles would lose it too."""

_UNIT = {"cpu": " cores", "memory": " bytes"}
_SMALLEST = {"cpu": Decimal("0.001"), "memory": Decimal(1)}
"""Kubernetes rounds a CPU amount up to whole millicores and memory to whole bytes, and
Marathon's scheduler cannot offer less: anything smaller would run with more than asked."""
_SMALLEST_TEXT = {"cpu": "1m (a thousandth of a core)", "memory": "1 byte"}


def _check_resources(c: _Checker, resources: Resources) -> None:
    for field in ("cpu", "memory"):
        value = getattr(resources, field)
        if value is None:
            continue
        path = f"resources.{field}"
        if not c.of_type(path, value, str, "a quantity string such as '250m' or '256Mi'"):
            continue
        try:
            amount = parse_quantity(value)
        except ValueError as error:
            c.fail(path, str(error))
            continue
        if amount <= 0:
            c.fail(path, f"must be more than zero, got {_show(value)}")
        elif amount > MAX_QUANTITY:
            c.fail(
                path, f"is more than the largest quantity Kubernetes holds (2^63-1{_UNIT[field]})"
            )
        elif amount < _SMALLEST[field]:
            c.fail(
                path,
                f"is less than {_SMALLEST_TEXT[field]}, the smallest amount orchestrators keep",
            )
    if resources.gpu is not None:
        c.integer("resources.gpu", resources.gpu, 0, 1024)


def _check_health(c: _Checker, health: HealthCheck, ports: tuple[Port, ...]) -> None:
    chosen = [
        name
        for name, given in (
            ("http_path", health.http_path is not None),
            ("tcp", health.tcp is True),
            ("command", health.command != ()),
        )
        if given
    ]
    if len(chosen) != 1:
        c.fail(
            "health", f"must set exactly one of http_path, tcp or command, got {chosen or 'none'}"
        )
    http_path = health.http_path
    path_ok = http_path is not None and c.of_type("health.http_path", http_path, str, "a string")
    if path_ok and not _is_url_path(http_path):
        c.fail("health.http_path", f"{_show(http_path)} must be a path starting with '/'")
    c.of_type("health.tcp", health.tcp, bool, "True or False")
    command_ok = health.command != () and c.sequence(
        "health.command", health.command, str, "a string"
    )
    if command_ok and not any(health.command):
        c.fail("health.command", "must not be empty")
    c.integer("health.interval", health.interval, 1, 86400)
    c.integer("health.timeout", health.timeout, 1, 86400)
    c.integer("health.grace", health.grace, 0, 86400)
    c.integer("health.failures", health.failures, 1, 1000)
    if chosen in (["http_path"], ["tcp"]):
        if health.port is None:
            c.fail("health.port", "an HTTP or TCP check must name the port it probes")
        elif c.of_type("health.port", health.port, (int, str), "a port name or number") and not any(
            health.port in (port.name, port.port) for port in ports
        ):
            known = ", ".join(_key(port.name or port.port) for port in ports)
            c.fail("health.port", f"{_show(health.port)} is not one of the ports ({known})")
    elif health.port is not None:
        c.fail("health.port", "only an HTTP or TCP check has a port")


def _is_url_path(path: Any) -> bool:
    return isinstance(path, str) and path.startswith("/") and not _WHITESPACE.search(path)


def _check_rollout(c: _Checker, rollout: Rollout) -> None:
    zero = []
    for field in ("max_surge", "max_unavailable"):
        value = getattr(rollout, field)
        path = f"rollout.{field}"
        if isinstance(value, str):
            if _PERCENT.fullmatch(value) is None:
                c.fail(path, f"{_show(value)} must be a count or a percentage from '0%' to '100%'")
            elif value == "0%":
                zero.append(field)
        elif c.integer(path, value, 0) and value == 0:
            zero.append(field)
    if len(zero) == 2:
        c.fail("rollout", "max_surge and max_unavailable must not both be zero")


def _check_constraint(c: _Checker, path: str, constraint: Constraint) -> None:
    c.qualified_name(f"{path}.key", constraint.key)
    operators = ("in", "not_in", "exists", "unique")
    if constraint.operator not in operators:
        c.fail(f"{path}.operator", f"must be one of {', '.join(operators)}")
        return
    if not c.sequence(f"{path}.values", constraint.values, str, "a string"):
        return
    needs_values = constraint.operator in ("in", "not_in")
    if needs_values and not constraint.values:
        c.fail(f"{path}.values", f"operator {constraint.operator!r} needs at least one value")
    if not needs_values and constraint.values:
        c.fail(f"{path}.values", f"operator {constraint.operator!r} takes no values")
    for index, value in enumerate(constraint.values):
        if value:
            c.pattern(f"{path}.values[{index}]", value, _QUALIFIED_NAME, 63, _RULES["label-value"])
        else:
            c.fail(f"{path}.values[{index}]", "must not be empty")


def _check_file(c: _Checker, path: str, mount: FileMount, seen: set[str]) -> None:
    if c.of_type(f"{path}.path", mount.path, str, "a string"):
        parts = mount.path.split("/")
        if not mount.path.startswith("/") or mount.path.endswith("/") or ".." in parts:
            c.fail(f"{path}.path", f"{_show(mount.path)} must be an absolute file path")
        elif mount.path in seen:
            c.fail(f"{path}.path", f"{_show(mount.path)} is mounted twice")
        seen.add(mount.path)
    if c.of_type(
        f"{path}.source", mount.source, (SecretRef, ConfigRef), "a SecretRef or ConfigRef"
    ):
        _check_ref(c, f"{path}.source", mount.source)


def _check_service(c: _Checker, s: Service) -> None:
    c.labels("selector", s.selector)
    if isinstance(s.selector, Mapping) and not s.selector:
        c.fail("selector", "must select at least one label")
    if not _check_ports(c, s.ports, service=True) and isinstance(s.ports, tuple):
        c.fail("ports", "a service needs at least one port")
    if s.exposure not in ("internal", "external", "node"):
        c.fail("exposure", f"must be 'internal', 'external' or 'node', got {_show(s.exposure)}")
    if s.hostname is not None:
        c.dns_subdomain("hostname", s.hostname)
        if s.exposure != "external":
            c.fail("hostname", "only an external service has a hostname")


def _check_autoscaler(c: _Checker, a: Autoscaler) -> None:
    c.dns_label("target", a.target)
    low = c.integer("min_replicas", a.min_replicas, 1)
    high = c.integer("max_replicas", a.max_replicas, 1)
    if low and high and a.max_replicas < a.min_replicas:
        c.fail("max_replicas", f"must be at least min_replicas ({a.min_replicas})")
    for field in ("cpu_percent", "memory_percent"):
        value = getattr(a, field)
        if value is not None:
            c.integer(field, value, 1, 1000)
    if a.cpu_percent is None and a.memory_percent is None:
        c.fail("cpu_percent", "an autoscaler needs cpu_percent or memory_percent")


_KIND_CHECKS: dict[type[Resource], Callable[[_Checker, Any], None]] = {
    Deployment: _check_deployment,
    Service: _check_service,
    Secret: lambda c, secret: c.data("data", secret.data, secret=True),
    ConfigMap: lambda c, config: c.data("data", config.data, secret=False),
    Autoscaler: _check_autoscaler,
}


def subject(resource: Any) -> str:
    """How errors name a resource: ``Deployment 'web'``."""
    if not isinstance(resource, Resource):
        return f"{type(resource).__name__} (not a resource)"
    return f"{resource.kind} {_show(resource.name)}"


def check(resource: Any) -> list[FieldError]:
    """Every invalid field of one resource (an empty list when it is valid)."""
    c = _Checker()
    kind_check = _KIND_CHECKS.get(type(resource))
    if kind_check is None:
        kinds = ", ".join(kind.__name__ for kind in _KIND_CHECKS)
        c.fail("", f"{type(resource).__name__} is not a resource; expected one of {kinds}")
        return c.errors
    _check_common(c, resource)
    kind_check(c, resource)
    reported = {error.path for error in c.errors}
    c.errors.extend(error for error in _nul_bytes(resource) if error.path not in reported)
    return c.errors


def _nul_bytes(resource: Resource) -> Iterator[FieldError]:
    """A field error for each string of the spec that holds a NUL byte: no orchestrator
    API takes one (C strings end there), so it would be cut or refused on the wire; and
    for each that holds a lone surrogate, which UTF-8 cannot carry. A secret's values may
    hold NUL bytes (they are bytes to keep, not text), and the ``native`` patch is checked
    on the document it patches, by the backend."""
    for field in type(resource).__attrs_attrs__:
        if field.name == "native":
            continue
        value = getattr(resource, field.name)
        if isinstance(resource, Secret) and field.name == "data" and isinstance(value, Mapping):
            for key, item in value.items():
                if isinstance(item, str) and not _encodable(item):
                    yield FieldError(f"data.{_key(key)}", _SURROGATE)
            value = dict.fromkeys(value, "")  # the keys only
        yield from _nul_bytes_in(field.name, value, 0)


_SURROGATE = "holds a lone surrogate: it is not Unicode text, and cannot be sent as UTF-8"


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _nul_bytes_in(path: str, value: Any, depth: int) -> Iterator[FieldError]:
    if isinstance(value, str):
        if "\x00" in value:
            yield FieldError(path, "holds a NUL byte, which no orchestrator API takes")
        elif not _encodable(value):
            yield FieldError(path, _SURROGATE)
        return
    if depth > MAX_DEPTH:  # reported as too deep elsewhere
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                yield FieldError(f"{path}.{_key(key)}", "is a key with a NUL byte")
            else:
                yield from _nul_bytes_in(f"{path}.{_key(key)}", item, depth + 1)
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            yield from _nul_bytes_in(f"{path}[{index}]", item, depth + 1)
    elif attrs.has(type(value)):
        for field in type(value).__attrs_attrs__:
            yield from _nul_bytes_in(f"{path}.{field.name}", getattr(value, field.name), depth + 1)


def validate(resource: Any) -> None:
    """Raises :class:`~orchsdk.ValidationError` naming every invalid field of ``resource``."""
    errors = check(resource)
    if errors:
        raise ValidationError(subject(resource), errors)


def validate_all(resources: Iterable[Any]) -> None:
    """Validates each resource, then the references between them.

    A ``SecretRef``/``ConfigRef`` to a secret or config map applied in the same batch
    must name one of its keys, and a service's named target port must be declared by a
    deployment of the batch that it selects, when it selects any.
    """
    batch = list(resources)
    for resource in batch:
        validate(resource)
    for resource in batch:
        if isinstance(resource, Service):
            errors = list(_undeclared_target_ports(resource, batch))
            if errors:
                raise ValidationError(subject(resource), errors)
    keys = {
        (type(item), item.namespace, item.name): set(item.data)
        for item in batch
        if isinstance(item, (Secret, ConfigMap))
    }
    if not keys:  # no secret or config map in the batch: no reference to check
        return
    for resource in batch:
        if isinstance(resource, Deployment):
            errors = list(_dangling_refs(resource, keys))
            if errors:
                raise ValidationError(subject(resource), errors)


def _undeclared_target_ports(service: Service, batch: list[Any]) -> Iterator[FieldError]:
    """A named ``target_port`` that no deployment of the batch the service selects
    declares: traffic to it would reach nothing. Deployments outside the batch are not
    known here, so a service applied without the deployments it selects is not checked."""
    selected = [
        item
        for item in batch
        if isinstance(item, Deployment)
        and item.namespace == service.namespace
        and service.selector
        and all(item.labels.get(key) == value for key, value in service.selector.items())
    ]
    if not selected:
        return
    declared = {port.name for item in selected for port in item.ports if port.name}
    for index, port in enumerate(service.ports):
        if isinstance(port.target_port, str) and port.target_port not in declared:
            names = ", ".join(repr(item.name) for item in selected)
            yield FieldError(
                f"ports[{index}].target_port",
                f"names the port {port.target_port!r}, which no deployment it selects in this "
                f"apply declares ({names})",
            )


def _dangling_refs(
    deployment: Deployment, keys: Mapping[tuple[type, str | None, str], set[str]]
) -> Iterable[FieldError]:
    refs = [(f"env.{name}", value) for name, value in deployment.env.items()]
    refs += [
        (f"files[{index}].source", mount.source) for index, mount in enumerate(deployment.files)
    ]
    for path, ref in refs:
        owner: tuple[type, str | None, str]
        if isinstance(ref, SecretRef):
            owner = (Secret, deployment.namespace, ref.secret)
        elif isinstance(ref, ConfigRef):
            owner = (ConfigMap, deployment.namespace, ref.config)
        else:
            continue
        if owner in keys and ref.key not in keys[owner]:
            yield FieldError(
                f"{path}.key",
                f"{owner[0].kind} {owner[2]!r} applied with it has no key {ref.key!r}",
            )


def validate_labels(labels: Any) -> None:
    """Raises :class:`~orchsdk.ValidationError` unless ``labels`` is a valid label mapping."""
    c = _Checker()
    c.labels("labels", labels)
    if c.errors:
        raise ValidationError("label selector", c.errors)


def validate_namespace(namespace: Any) -> None:
    """Raises :class:`~orchsdk.ValidationError` unless ``namespace`` is a DNS-1123 label."""
    c = _Checker()
    c.dns_label("namespace", namespace)
    if c.errors:
        raise ValidationError(f"namespace {_show(namespace)}", c.errors)
