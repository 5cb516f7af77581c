"""Validation of every object the emulator stores, as the API server would reject it.

Two layers:

- **Schema**: the object against the strict JSON schema of its kind from
  ``kubernetes-validate`` (newest bundled Kubernetes version), i.e. exactly what
  ``kubernetes_validate.validate(obj, version, strict=True)`` checks. That function
  re-reads and re-parses the 1.8 MB definitions file on every call (~25 ms); here the
  same schema files are loaded once per process and a validator is kept per kind
  (well under a millisecond per object).
- **Rules** the schema cannot express, with the API server's wording: name formats per
  kind, label and annotation keys and values, the Deployment selector matching its
  template labels, replica and port ranges, enums, immutable fields, Secret and
  ConfigMap keys.

Both produce :class:`~.errors.FieldError` values, which become the causes of a 422
``Invalid`` Status. A few malformed values the real server fails to *decode* (bad base64
in a Secret, a malformed quantity) raise the server's 400 instead.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from orchsdk.quantity import parse_quantity
from orchsdk_kubernetes.testing.errors import FieldError, bad_request
from orchsdk_kubernetes.testing.resources import ResourceType
from orchsdk_kubernetes.testing.selectors import from_object

__all__ = ["SchemaValidator", "rule_errors", "schema_version"]

Obj = dict[str, Any]

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")

_MSG_LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_MSG_SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
    "regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_MSG_DNS1035 = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
    "an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
_MSG_QUALIFIED = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
    "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
    "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
_MSG_LABEL_VALUE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
_MSG_CONFIG_KEY = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
    "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
    "'[-._a-zA-Z0-9]+')"
)
_MSG_PERCENT = (
    "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  "
    "or '93%', regex used for validation is '[0-9]+%')"
)
_MSG_QUANTITY = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)


# -- schema ------------------------------------------------------------------------------


def schema_version() -> str:
    """The newest Kubernetes version whose schemas ``kubernetes-validate`` bundles."""
    import kubernetes_validate  # type: ignore[import-untyped]

    return str(kubernetes_validate.latest_version())


class SchemaValidator:
    """Strict ``kubernetes-validate`` schemas, loaded once per process and kept per kind."""

    _lock = threading.Lock()
    _registry: Any = None
    _validators: dict[tuple[str, str], Any] = {}
    _version: str | None = None

    @classmethod
    def _validator(cls, api_version: str, kind: str) -> Any:
        key = (api_version, kind)
        with cls._lock:
            if key in cls._validators:
                return cls._validators[key]
            import jsonschema  # type: ignore[import-untyped]
            from kubernetes_validate.utils import schema_contents  # type: ignore[import-untyped]
            from referencing import Registry, Resource

            version = cls._version = cls._version or schema_version()
            folder = f"kubernetes-json-schema/v{version}-local-strict"
            if cls._registry is None:
                definitions = schema_contents(f"{folder}/_definitions.json", version)
                cls._registry = Resource.from_contents(definitions) @ Registry()
            group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
            schema = schema_contents(f"{folder}/{kind.lower()}-{group_version}.json", version)
            registry = Resource.from_contents(schema) @ cls._registry
            validator = jsonschema.validators.Draft202012Validator(schema, registry=registry)
            cls._validators[key] = validator
            return validator

    def errors(self, obj: Mapping[str, Any]) -> list[FieldError]:
        """Schema violations of ``obj`` as field errors (empty when it conforms)."""
        validator = self._validator(str(obj.get("apiVersion")), str(obj.get("kind")))
        found: list[FieldError] = []
        for error in validator.iter_errors(obj):
            found.extend(_field_errors(error))
        found.sort(key=lambda e: e.field)
        return found


def _render(path: list[Any]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _field_errors(error: Any) -> Iterator[FieldError]:
    path = list(error.absolute_path)
    here = _render(path)
    kind = error.validator
    if kind == "required":
        match = re.match(r"^'(.+)' is a required property$", error.message)
        name = match[1] if match else str(error.validator_value)
        yield FieldError.required(_render([*path, name]))
    elif kind == "additionalProperties":
        extras = re.findall(r"'([^']+)'", error.message.split("(", 1)[-1])
        for name in extras or ["?"]:
            yield FieldError.invalid(
                _render([*path, name]), None, f'unknown field "{_render([*path, name])}"'
            )
    elif kind == "type":
        expected = error.validator_value
        if isinstance(expected, list):
            expected = " or ".join(t for t in expected if t != "null")
        yield FieldError(here, "type", f"must be of type {expected}", error.instance, True)
    elif kind == "enum":
        yield FieldError.unsupported(here, error.instance, [str(v) for v in error.validator_value])
    else:
        yield FieldError.invalid(here, error.instance, error.message)


# -- rules -------------------------------------------------------------------------------


def name_errors(field: str, name: Any, rule: str) -> list[FieldError]:
    """``metadata.name`` (or any name) against a DNS rule: label, subdomain or dns1035."""
    if not isinstance(name, str):
        return []
    errors = []
    limit = 253 if rule == "subdomain" else 63
    if len(name) > limit:
        errors.append(FieldError.invalid(field, name, f"must be no more than {limit} characters"))
    pattern, message = {
        "label": (_DNS1123_LABEL, _MSG_LABEL),
        "subdomain": (_DNS1123_SUBDOMAIN, _MSG_SUBDOMAIN),
        "dns1035": (_DNS1035_LABEL, _MSG_DNS1035),
    }[rule]
    if not pattern.match(name):
        errors.append(FieldError.invalid(field, name, message))
    return errors


def _qualified_name_errors(field: str, key: str) -> list[FieldError]:
    prefix, _, name = key.rpartition("/")
    errors = []
    if "/" in key and (not prefix or not _DNS1123_SUBDOMAIN.match(prefix)):
        errors.append(FieldError.invalid(field, key, "prefix part " + _MSG_SUBDOMAIN))
    if not name:
        errors.append(FieldError.invalid(field, key, "name part must be non-empty"))
    elif len(name) > 63:
        errors.append(
            FieldError.invalid(field, key, "name part must be no more than 63 characters")
        )
    elif not _QUALIFIED_NAME.match(name):
        errors.append(FieldError.invalid(field, key, _MSG_QUALIFIED))
    return errors


def label_errors(field: str, labels: Any) -> list[FieldError]:
    """Label keys (qualified names) and values, reported on the map's field like the server."""
    if not isinstance(labels, Mapping):
        return []
    errors = []
    for key, value in labels.items():
        errors.extend(_qualified_name_errors(field, str(key)))
        if not isinstance(value, str):
            continue
        if len(value) > 63:
            errors.append(FieldError.invalid(field, value, "must be no more than 63 characters"))
        elif not _LABEL_VALUE.match(value):
            errors.append(FieldError.invalid(field, value, _MSG_LABEL_VALUE))
    return errors


def _annotation_errors(field: str, annotations: Any) -> list[FieldError]:
    if not isinstance(annotations, Mapping):
        return []
    errors = []
    size = 0
    for key, value in annotations.items():
        errors.extend(_qualified_name_errors(field, str(key).lower()))
        size += len(str(key)) + len(str(value))
    if size > 256 * 1024:
        errors.append(
            FieldError("metadata.annotations", "toolong", "may not be more than 262144 bytes")
        )
    return errors


def _selector_errors(field: str, selector: Any) -> list[FieldError]:
    if not isinstance(selector, Mapping):
        return []
    errors = label_errors(f"{field}.matchLabels", selector.get("matchLabels"))
    for i, expression in enumerate(selector.get("matchExpressions") or []):
        here = f"{field}.matchExpressions[{i}]"
        operator = expression.get("operator")
        values = expression.get("values") or []
        if operator in ("In", "NotIn") and not values:
            errors.append(
                FieldError.required(
                    f"{here}.values", "must be specified when `operator` is 'In' or 'NotIn'"
                )
            )
        elif operator in ("Exists", "DoesNotExist") and values:
            errors.append(
                FieldError.forbidden(
                    f"{here}.values",
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                )
            )
        elif operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            errors.append(
                FieldError.unsupported(
                    f"{here}.operator", operator, ["In", "NotIn", "Exists", "DoesNotExist"]
                )
            )
        errors.extend(_qualified_name_errors(f"{here}.key", str(expression.get("key", ""))))
    return errors


def _iana_port_name_errors(field: str, name: str) -> list[FieldError]:
    problems = []
    if len(name) > 15:
        problems.append("must be no more than 15 characters")
    if not re.match(r"^[-a-z0-9]+$", name):
        problems.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if "--" in name:
        problems.append("must not contain consecutive hyphens")
    if not re.search(r"[a-z]", name):
        problems.append("must contain at least one letter (a-z)")
    if name.startswith("-") or name.endswith("-"):
        problems.append("must not begin or end with a hyphen")
    return [FieldError.invalid(field, name, problem) for problem in problems]


def _port_number_errors(field: str, value: Any) -> list[FieldError]:
    if isinstance(value, int) and not 1 <= value <= 65535:
        return [FieldError.invalid(field, value, "must be between 1 and 65535, inclusive")]
    return []


_PROTOCOLS = ["SCTP", "TCP", "UDP"]


def _quantity(value: Any) -> Any:
    return parse_quantity(str(value)) if _QUANTITY.match(str(value)) else None


def _container_errors(field: str, container: Mapping[str, Any], seen: set[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    name = container.get("name")
    if not name:
        errors.append(FieldError.required(f"{field}.name"))
    else:
        errors.extend(name_errors(f"{field}.name", name, "label"))
        if name in seen:
            errors.append(FieldError.duplicate(f"{field}.name", name))
        seen.add(name)
    if not container.get("image"):
        errors.append(FieldError.required(f"{field}.image"))
    port_names: set[str] = set()
    for j, port in enumerate(container.get("ports") or []):
        here = f"{field}.ports[{j}]"
        errors.extend(_port_number_errors(f"{here}.containerPort", port.get("containerPort")))
        if port.get("name"):
            errors.extend(_iana_port_name_errors(f"{here}.name", port["name"]))
            if port["name"] in port_names:
                errors.append(FieldError.duplicate(f"{here}.name", port["name"]))
            port_names.add(port["name"])
        if port.get("protocol") not in (None, *_PROTOCOLS):
            errors.append(FieldError.unsupported(f"{here}.protocol", port["protocol"], _PROTOCOLS))
    resources = container.get("resources") or {}
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    for resource, request in requests.items():
        limit = limits.get(resource)
        if limit is None:
            continue
        low, high = _quantity(request), _quantity(limit)
        if low is not None and high is not None and low > high:
            errors.append(
                FieldError.invalid(
                    f"{field}.resources.requests",
                    str(request),
                    f"must be less than or equal to {resource} limit of {limit}",
                )
            )
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        handler = container.get(probe) or {}
        for action in ("httpGet", "tcpSocket"):
            port = (handler.get(action) or {}).get("port")
            if isinstance(port, str) and port not in port_names and not port.isdigit():
                errors.extend(_iana_port_name_errors(f"{field}.{probe}.{action}.port", port))
    return errors


def pod_spec_errors(field: str, spec: Any, *, restart_always: bool) -> list[FieldError]:
    """The pod spec rules that matter for workloads: containers, ports, volumes, restart."""
    if not isinstance(spec, Mapping):
        return []
    errors: list[FieldError] = []
    containers = spec.get("containers") or []
    if not containers:
        errors.append(FieldError.required(f"{field}.containers"))
    seen: set[str] = set()
    for i, container in enumerate(containers):
        errors.extend(_container_errors(f"{field}.containers[{i}]", container, seen))
    for i, container in enumerate(spec.get("initContainers") or []):
        errors.extend(_container_errors(f"{field}.initContainers[{i}]", container, seen))
    volume_names: set[str] = set()
    for i, volume in enumerate(spec.get("volumes") or []):
        name = volume.get("name")
        if name in volume_names:
            errors.append(FieldError.duplicate(f"{field}.volumes[{i}].name", name))
        volume_names.add(name)
        errors.extend(name_errors(f"{field}.volumes[{i}].name", name, "label"))
    for i, container in enumerate(containers):
        for j, mount in enumerate(container.get("volumeMounts") or []):
            if mount.get("name") not in volume_names:
                errors.append(
                    FieldError(
                        f"{field}.containers[{i}].volumeMounts[{j}].name",
                        "invalid",
                        "not found",
                        mount.get("name"),
                        True,
                    )
                )
    restart = spec.get("restartPolicy")
    if restart_always and restart not in (None, "Always"):
        errors.append(FieldError.unsupported(f"{field}.restartPolicy", restart, ["Always"]))
    elif restart not in (None, "Always", "OnFailure", "Never"):
        errors.append(
            FieldError.unsupported(
                f"{field}.restartPolicy", restart, ["Always", "Never", "OnFailure"]
            )
        )
    return errors


def _int_or_percent(value: Any) -> int | None:
    """An IntOrString count or percentage as a number (None when malformed)."""
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        return int(value[:-1])
    return None


def _workload_errors(rt: ResourceType, obj: Obj, old: Obj | None) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errors: list[FieldError] = []
    replicas = spec.get("replicas")
    if isinstance(replicas, int) and replicas < 0:
        errors.append(
            FieldError.invalid("spec.replicas", replicas, "must be greater than or equal to 0")
        )
    selector = spec.get("selector")
    template = spec.get("template") or {}
    template_labels = (template.get("metadata") or {}).get("labels") or {}
    if isinstance(selector, Mapping):
        errors.extend(_selector_errors("spec.selector", selector))
        if not selector.get("matchLabels") and not selector.get("matchExpressions"):
            errors.append(
                FieldError.invalid(
                    "spec.selector", selector, f"empty selector is invalid for {rt.singular}"
                )
            )
        elif not from_object(selector).matches(template_labels):
            errors.append(
                FieldError.invalid(
                    "spec.template.metadata.labels",
                    template_labels,
                    "`selector` does not match template `labels`",
                )
            )
        if old is not None and (old.get("spec") or {}).get("selector") != selector:
            errors.append(FieldError.invalid("spec.selector", selector, "field is immutable"))
    errors.extend(label_errors("spec.template.metadata.labels", template_labels))
    errors.extend(
        _annotation_errors(
            "spec.template.metadata.annotations",
            (template.get("metadata") or {}).get("annotations"),
        )
    )
    errors.extend(pod_spec_errors("spec.template.spec", template.get("spec"), restart_always=True))
    for field in ("minReadySeconds", "revisionHistoryLimit"):
        value = spec.get(field)
        if isinstance(value, int) and value < 0:
            errors.append(
                FieldError.invalid(f"spec.{field}", value, "must be greater than or equal to 0")
            )
    if rt.kind == "Deployment":
        errors.extend(_strategy_errors(spec))
        deadline = spec.get("progressDeadlineSeconds")
        if isinstance(deadline, int) and deadline <= (spec.get("minReadySeconds") or 0):
            errors.append(
                FieldError.invalid(
                    "spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"
                )
            )
    return errors


def _strategy_errors(spec: Mapping[str, Any]) -> list[FieldError]:
    strategy = spec.get("strategy") or {}
    kind = strategy.get("type")
    errors: list[FieldError] = []
    if kind not in ("Recreate", "RollingUpdate"):
        errors.append(
            FieldError.unsupported("spec.strategy.type", kind, ["Recreate", "RollingUpdate"])
        )
    rolling = strategy.get("rollingUpdate")
    if kind == "Recreate" and rolling is not None:
        errors.append(
            FieldError.forbidden(
                "spec.strategy.rollingUpdate",
                "may not be specified when strategy `type` is 'Recreate'",
            )
        )
    if kind == "RollingUpdate" and isinstance(rolling, Mapping):
        field = "spec.strategy.rollingUpdate"
        for key in ("maxSurge", "maxUnavailable"):
            value = rolling.get(key)
            amount = _int_or_percent(value)
            if value is not None and amount is None:
                errors.append(
                    FieldError.invalid(
                        f"{field}.{key}",
                        value,
                        _MSG_PERCENT,
                    )
                )
            elif amount is not None and amount < 0:
                errors.append(
                    FieldError.invalid(
                        f"{field}.{key}", value, "must be greater than or equal to 0"
                    )
                )
            elif (
                isinstance(value, str)
                and amount is not None
                and amount > 100
                and key == "maxUnavailable"
            ):
                errors.append(
                    FieldError.invalid(f"{field}.{key}", value, "must not be greater than 100%")
                )
        if (
            _int_or_percent(rolling.get("maxSurge")) == 0
            and _int_or_percent(rolling.get("maxUnavailable")) == 0
        ):
            errors.append(
                FieldError.invalid(
                    f"{field}.maxUnavailable",
                    rolling.get("maxUnavailable"),
                    "may not be 0 when `maxSurge` is 0",
                )
            )
    return errors


_SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]


def _service_errors(obj: Obj, old: Obj | None) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errors: list[FieldError] = []
    kind = spec.get("type")
    if kind not in _SERVICE_TYPES:
        errors.append(FieldError.unsupported("spec.type", kind, _SERVICE_TYPES))
    ports = spec.get("ports") or []
    if kind != "ExternalName" and not ports and spec.get("clusterIP") != "None":
        errors.append(FieldError.required("spec.ports"))
    names: set[str] = set()
    for i, port in enumerate(ports):
        here = f"spec.ports[{i}]"
        name = port.get("name")
        if len(ports) > 1 and not name:
            errors.append(FieldError.required(f"{here}.name"))
        if name:
            errors.extend(name_errors(f"{here}.name", name, "label"))
            if name in names:
                errors.append(FieldError.duplicate(f"{here}.name", name))
            names.add(name)
        errors.extend(_port_number_errors(f"{here}.port", port.get("port")))
        target = port.get("targetPort")
        if isinstance(target, int):
            errors.extend(_port_number_errors(f"{here}.targetPort", target))
        elif isinstance(target, str):
            errors.extend(_iana_port_name_errors(f"{here}.targetPort", target))
        if port.get("protocol") not in (None, *_PROTOCOLS):
            errors.append(FieldError.unsupported(f"{here}.protocol", port["protocol"], _PROTOCOLS))
        node_port = port.get("nodePort")
        if node_port is not None:
            if kind not in ("NodePort", "LoadBalancer"):
                errors.append(
                    FieldError.forbidden(
                        f"{here}.nodePort", "may not be used when `type` is 'ClusterIP'"
                    )
                )
            elif isinstance(node_port, int) and not 30000 <= node_port <= 32767:
                errors.append(
                    FieldError.invalid(
                        f"{here}.nodePort",
                        node_port,
                        "provided port is not in the valid range. The range of valid ports is "
                        "30000-32767",
                    )
                )
    errors.extend(label_errors("spec.selector", spec.get("selector")))
    if kind == "ExternalName" and not spec.get("externalName"):
        errors.append(FieldError.required("spec.externalName"))
    if old is not None:
        before = (old.get("spec") or {}).get("clusterIP")
        after = spec.get("clusterIP")
        if (
            before
            and after
            and before != after
            and kind != "ExternalName"
            and ((old.get("spec") or {}).get("type") != "ExternalName")
        ):
            errors.append(
                FieldError.invalid("spec.clusterIPs[0]", after, "may not change once set")
            )
    return errors


def _keys_errors(field: str, data: Any) -> list[FieldError]:
    if not isinstance(data, Mapping):
        return []
    errors = []
    for key in data:
        if len(key) > 253:
            errors.append(
                FieldError.invalid(f"{field}[{key}]", key, "must be no more than 253 characters")
            )
        elif not _CONFIG_KEY.match(key):
            errors.append(FieldError.invalid(f"{field}[{key}]", key, _MSG_CONFIG_KEY))
        elif key in (".", "..") or key.startswith(".."):
            errors.append(
                FieldError.invalid(
                    f"{field}[{key}]", key, "must not be '.' or '..' or start with '..'"
                )
            )
    return errors


def _config_errors(obj: Obj, old: Obj | None) -> list[FieldError]:
    errors = _keys_errors("data", obj.get("data"))
    errors.extend(_keys_errors("binaryData", obj.get("binaryData")))
    if obj["kind"] == "ConfigMap":
        overlap = set(obj.get("data") or {}) & set(obj.get("binaryData") or {})
        errors.extend(
            FieldError.invalid(f"data[{key}]", key, "duplicate of key present in binaryData")
            for key in sorted(overlap)
        )
    if old is not None and old.get("immutable"):
        for field in ("data", "binaryData", "stringData"):
            if old.get(field) != obj.get(field) and field != "stringData":
                errors.append(
                    FieldError.forbidden(field, "field is immutable when `immutable` is set")
                )
        if not obj.get("immutable"):
            errors.append(
                FieldError.forbidden("immutable", "field is immutable when `immutable` is set")
            )
    if obj["kind"] == "Secret" and old is not None and old.get("type") != obj.get("type"):
        errors.append(FieldError.invalid("type", obj.get("type"), "field is immutable"))
    return errors


def _hpa_errors(obj: Obj) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errors: list[FieldError] = []
    minimum, maximum = spec.get("minReplicas"), spec.get("maxReplicas")
    if isinstance(minimum, int) and minimum < 1:
        errors.append(
            FieldError.invalid("spec.minReplicas", minimum, "must be greater than or equal to 1")
        )
    if isinstance(maximum, int) and isinstance(minimum, int) and maximum < minimum:
        errors.append(
            FieldError.invalid(
                "spec.maxReplicas", maximum, "must be greater than or equal to `minReplicas`"
            )
        )
    target = spec.get("scaleTargetRef") or {}
    if not target.get("kind"):
        errors.append(FieldError.required("spec.scaleTargetRef.kind"))
    if not target.get("name"):
        errors.append(FieldError.required("spec.scaleTargetRef.name"))
    return errors


def rule_errors(rt: ResourceType, obj: Obj, old: Obj | None = None) -> list[FieldError]:
    """The API server's validation rules (beyond the schema) for one object."""
    metadata = obj.get("metadata") or {}
    errors: list[FieldError] = []
    name = metadata.get("name")
    if not name:
        errors.append(FieldError.required("metadata.name", "name or generateName is required"))
    else:
        errors.extend(name_errors("metadata.name", name, rt.name_rule))
    errors.extend(label_errors("metadata.labels", metadata.get("labels")))
    errors.extend(_annotation_errors("metadata.annotations", metadata.get("annotations")))
    if rt.kind in ("Deployment", "ReplicaSet"):
        errors.extend(_workload_errors(rt, obj, old))
    elif rt.kind == "Pod":
        errors.extend(pod_spec_errors("spec", obj.get("spec"), restart_always=False))
    elif rt.kind == "Service":
        errors.extend(_service_errors(obj, old))
    elif rt.kind in ("Secret", "ConfigMap"):
        errors.extend(_config_errors(obj, old))
    elif rt.kind == "HorizontalPodAutoscaler":
        errors.extend(_hpa_errors(obj))
    elif rt.kind == "EndpointSlice":
        kind = obj.get("addressType")
        if kind not in ("IPv4", "IPv6", "FQDN"):
            errors.append(FieldError.unsupported("addressType", kind, ["FQDN", "IPv4", "IPv6"]))
    return errors


# -- decode-level checks (400) -----------------------------------------------------------------


def _cannot_decode(rt: ResourceType, why: str) -> Exception:
    return bad_request(
        f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: {why}'
    )


def _resources_blocks(obj: Obj) -> Iterator[Mapping[str, Any]]:
    spec = obj.get("spec") or {}
    pod = (spec.get("template") or {}).get("spec") if "template" in spec else spec
    if not isinstance(pod, Mapping):
        return
    for key in ("containers", "initContainers"):
        for container in pod.get(key) or []:
            if isinstance(container, Mapping) and isinstance(container.get("resources"), Mapping):
                yield container["resources"]


def check_decodable(rt: ResourceType, obj: Obj) -> None:
    """Raises the server's 400 for values its JSON decoder rejects (base64, quantities)."""
    if rt.kind == "Secret":
        for value in (obj.get("data") or {}).values():
            if not isinstance(value, str):
                continue
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                position = next(
                    (i for i, c in enumerate(value) if not re.match(r"[A-Za-z0-9+/=]", c)),
                    len(value) - len(value) % 4,
                )
                raise _cannot_decode(rt, f"illegal base64 data at input byte {position}") from None
    if rt.kind in ("Deployment", "ReplicaSet", "Pod"):
        for resources in _resources_blocks(obj):
            for block in ("requests", "limits"):
                for value in (resources.get(block) or {}).values():
                    if isinstance(value, str) and not _QUANTITY.match(value):
                        raise _cannot_decode(rt, _MSG_QUANTITY)
