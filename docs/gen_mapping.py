"""Writes docs/mapping.md: how each unified field becomes Kubernetes and Marathon documents.

The page is generated so that it cannot drift from the code. Each row below is a small
spec (Python source, shown on the page as written); the script evaluates it, runs it
through the real :class:`orchsdk.Orchestrator` (validation, capability checks) on a
render-only backend per orchestrator, whose documents come from the backends' pure
renderers (``orchsdk_kubernetes.render``, ``orchsdk_marathon.render``) and whose
capabilities and ``unsupported()`` are the backends' own. A row shows the parts of the
documents its paths name, or ``unsupported: <reason>`` where a backend refuses the spec.
A path that a renderer no longer produces is an error, not an empty cell; only a path
marked optional (``labels["orchsdk.rollout"]?``, a bookkeeping label the Marathon backend
writes only when it must) may be missing.

    python docs/gen_mapping.py          # rewrites docs/mapping.md
    python docs/gen_mapping.py --check  # exit 1 if docs/mapping.md is stale

``tests/docs/test_mapping_is_current.py`` runs the check in the test suite.
"""

# The rows' code is written as the page shows it, formatted for 100 columns (ruff format
# checks the page); indented here, some lines are longer.
# ruff: noqa: E501

from __future__ import annotations

import argparse
import ast
import builtins
import copy
import html
import json
import re
import sys
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

import orchsdk
from orchsdk import Backend, Capabilities, Deployment, Orchestrator, Resource, Service
from orchsdk.capabilities import Unsupported

PAGE = Path(__file__).with_name("mapping.md")
NAMESPACE = "shop"
CONTAINER = "spec.template.spec.containers[0]"
POD = "spec.template.spec"


def code(text: str) -> str:
    """A row's code as written in a triple-quoted string."""
    return textwrap.dedent(text).strip()


@dataclass(frozen=True)
class Row:
    """One concept: a spec, and the paths of the documents that show how it maps."""

    slug: str
    title: str
    unified: str
    code: str
    kubernetes: tuple[str, ...]
    marathon: tuple[str, ...]
    containerizers: tuple[str, ...] = ("docker",)
    """Marathon containerizers to render with; a second one is shown when it differs."""
    note: str = ""


ROWS = (
    Row(
        "deployment",
        "A deployment",
        "`Deployment`",
        'Deployment("web", image="nginx:1.27")',
        ("",),
        ("",),
        note="The whole documents, for reference; the rows below show only the parts that change.",
    ),
    Row(
        "namespace",
        "Namespace",
        "`namespace`",
        'Deployment("web", namespace="staging", image="nginx:1.27")',
        ("metadata.namespace",),
        ("id",),
        note="On Marathon a namespace is an app group.",
    ),
    Row(
        "replicas",
        "Replicas",
        "`replicas`",
        'Deployment("web", image="nginx:1.27", replicas=3)',
        ("spec.replicas",),
        ("instances",),
    ),
    Row(
        "command",
        "Command and args",
        "`command`, `args`",
        'Deployment("web", image="nginx:1.27", command=["nginx", "-g"], args=["daemon off;"])',
        (f"{CONTAINER}.command", f"{CONTAINER}.args"),
        ("cmd", 'labels["orchsdk.command"]?'),
        note="Marathon runs `cmd` with `/bin/sh -c`: each word is quoted, and `exec` makes "
        "the program the task's process.",
    ),
    Row(
        "args",
        "Args alone",
        "`args`",
        'Deployment("web", image="nginx:1.27", args=["-g", "daemon off;"])',
        (f"{CONTAINER}.args",),
        ("args",),
        note="Appended to the image's entrypoint, on both.",
    ),
    Row(
        "ports",
        "Ports",
        "`ports`",
        code(
            """
            Deployment(
                "web",
                image="nginx:1.27",
                ports=[Port(8080, name="http"), Port(8125, name="statsd", protocol="UDP")],
            )
            """
        ),
        (f"{CONTAINER}.ports",),
        ("container.portMappings", "networks"),
        note="Marathon's host ports are dynamic (`hostPort: 0`).",
    ),
    Row(
        "resources",
        "CPU and memory",
        "`resources`",
        'Deployment("web", image="nginx:1.27", resources=Resources(cpu="250m", memory="256Mi"))',
        (f"{CONTAINER}.resources",),
        ("cpus", "mem", 'labels["orchsdk.resources"]?'),
        note="Memory is a hard limit on both.",
    ),
    Row(
        "gpus",
        "GPUs",
        "`resources.gpu`",
        'Deployment("web", image="nginx:1.27", resources=Resources(gpu=1))',
        (f"{CONTAINER}.resources",),
        ("gpus", "container.type"),
        containerizers=("docker", "mesos"),
    ),
    Row(
        "env",
        "Environment",
        "`env` value",
        'Deployment("web", image="nginx:1.27", env={"LOG_LEVEL": "info"})',
        (f"{CONTAINER}.env",),
        ("env",),
    ),
    Row(
        "env-from-secret",
        "Environment from a secret",
        "`env` `SecretRef`",
        'Deployment("web", image="nginx:1.27", env={"DB_PASSWORD": SecretRef("db", "password")})',
        (f"{CONTAINER}.env",),
        ("env", "secrets"),
        note="On Marathon the value comes from the DC/OS secret store, at the path "
        "`<namespace>/<secret>/<key>`.",
    ),
    Row(
        "env-from-config",
        "Environment from a config map",
        "`env` `ConfigRef`",
        'Deployment("web", image="nginx:1.27", env={"LOG_LEVEL": ConfigRef("web-config", "LOG_LEVEL")})',
        (f"{CONTAINER}.env",),
        ("env",),
    ),
    Row(
        "file-from-secret",
        "A file from a secret",
        "`files` `SecretRef`",
        code(
            """
            Deployment(
                "web", image="nginx:1.27", files=[FileMount("/etc/tls/key.pem", SecretRef("tls", "key.pem"))]
            )
            """
        ),
        (f"{CONTAINER}.volumeMounts", f"{POD}.volumes"),
        ("container.volumes", "secrets"),
        containerizers=("docker", "mesos"),
        note="Kubernetes mounts the key with `subPath`: the file does not change when the "
        "secret does (roll the deployment after rotating it).",
    ),
    Row(
        "file-from-config",
        "A file from a config map",
        "`files` `ConfigRef`",
        code(
            """
            Deployment(
                "web",
                image="nginx:1.27",
                files=[FileMount("/etc/nginx/nginx.conf", ConfigRef("web-config", "nginx.conf"))],
            )
            """
        ),
        (f"{CONTAINER}.volumeMounts", f"{POD}.volumes"),
        ("container.volumes",),
        containerizers=("docker", "mesos"),
    ),
    Row(
        "health-http",
        "HTTP health check",
        "`health` `http_path`",
        code(
            """
            Deployment(
                "web",
                image="nginx:1.27",
                ports=[Port(8080, name="http")],
                health=HealthCheck(http_path="/healthz", port="http"),
            )
            """
        ),
        (f"{CONTAINER}.readinessProbe", f"{CONTAINER}.livenessProbe"),
        ("healthChecks", 'labels["orchsdk.health-port"]?'),
        note="Kubernetes gets a readiness and a liveness probe; `grace` delays the liveness "
        "probe only. Marathon waits for new tasks to pass their health checks during a "
        "deployment, so one check does both jobs.",
    ),
    Row(
        "health-tcp",
        "TCP health check",
        "`health` `tcp`",
        'Deployment("web", image="nginx:1.27", ports=[Port(5432)], health=HealthCheck(tcp=True, port=5432))',
        (f"{CONTAINER}.readinessProbe",),
        ("healthChecks",),
        note="The liveness probe is the same, with `initialDelaySeconds` (see above).",
    ),
    Row(
        "health-command",
        "Command health check",
        "`health` `command`",
        'Deployment("web", image="nginx:1.27", health=HealthCheck(command=["pg_isready", "-q"]))',
        (f"{CONTAINER}.readinessProbe",),
        ("healthChecks",),
    ),
    Row(
        "rollout",
        "Rollout pace, in percentages",
        "`rollout`",
        code(
            """
            Deployment(
                "web", image="nginx:1.27", replicas=4, rollout=Rollout(max_surge="50%", max_unavailable="25%")
            )
            """
        ),
        ("spec.strategy",),
        ("upgradeStrategy",),
    ),
    Row(
        "rollout-counts",
        "Rollout pace, in counts",
        "`rollout`",
        'Deployment("web", image="nginx:1.27", replicas=4, rollout=Rollout(max_surge=1, max_unavailable=0))',
        ("spec.strategy",),
        ("upgradeStrategy", 'labels["orchsdk.rollout"]?'),
        note="Marathon's strategy is in fractions of the instances: a count is divided by "
        "`replicas`.",
    ),
    Row(
        "placement",
        "Placement by node label",
        "`placement` `in`, `not_in`, `exists`",
        code(
            """
            Deployment(
                "web",
                image="nginx:1.27",
                placement=[
                    Constraint("zone", "in", ["eu-west-1a", "eu-west-1b"]),
                    Constraint("hostname", "not_in", ["node-7"]),
                    Constraint("disktype", "exists"),
                ],
            )
            """
        ),
        (f"{POD}.affinity",),
        ("constraints",),
        note="`hostname`, `zone` and `region` stand for Kubernetes' well-known node labels. "
        "Marathon's `LIKE` and `UNLIKE` take regular expressions: values are escaped.",
    ),
    Row(
        "placement-unique",
        "One instance per host",
        "`placement` `unique`",
        'Deployment("web", image="nginx:1.27", placement=[Constraint("hostname", "unique")])',
        (f"{POD}.affinity",),
        ("constraints",),
    ),
    Row(
        "labels",
        "Labels",
        "`labels`",
        'Deployment("web", image="nginx:1.27", labels={"app": "web", "team": "shop"})',
        ("metadata.labels", "spec.template.metadata.labels"),
        ("labels",),
        note="Kubernetes selects a deployment's pods by `orchsdk.io/deployment` alone, so "
        "labels can change without touching the immutable selector.",
    ),
    Row(
        "reserved-labels",
        "Labels Marathon reserves",
        "`labels`",
        'Deployment("web", image="nginx:1.27", labels={"HAPROXY_GROUP": "internal"})',
        ("metadata.labels",),
        ("labels",),
    ),
    Row(
        "annotations",
        "Annotations",
        "`annotations`",
        'Deployment("web", image="nginx:1.27", annotations={"owner": "shop-team"})',
        ("metadata.annotations",),
        ('labels["orchsdk.annotation.owner"]',),
    ),
    Row(
        "native",
        "The native escape hatch",
        "`native`",
        code(
            """
            Deployment(
                "web",
                image="nginx:1.27",
                native={
                    "kubernetes": {"spec": {"template": {"spec": {"priorityClassName": "high"}}}},
                    "marathon": {"backoffSeconds": 5},
                },
            )
            """
        ),
        (f"{POD}.priorityClassName",),
        ("backoffSeconds", 'labels["orchsdk.native"]?'),
        note="A JSON merge patch per backend, applied to the rendered document last.",
    ),
    Row(
        "service",
        "Service",
        "`Service`",
        code(
            """
            web = Deployment("web", image="nginx:1.27", ports=[Port(8080, name="http")], labels={"app": "web"})
            Service("web", selector={"app": "web"}, ports=[Port(80, target_port="http")])
            """
        ),
        ("",),
        (
            "container.portMappings[0].labels",
            'labels["orchsdk.services"]',
            'labels["orchsdk.service.web"]',
        ),
        note="Marathon has no service object: its column is the app `web`, which the service "
        "selects, with the labels the service puts on it: a DC/OS named VIP on the port "
        "mapping it targets, the names of the app's services, and the service spec itself.",
    ),
    Row(
        "service-external",
        "External service",
        '`exposure="external"`, `hostname`',
        code(
            """
            web = Deployment("web", image="nginx:1.27", ports=[Port(8080, name="http")], labels={"app": "web"})
            Service(
                "web",
                selector={"app": "web"},
                ports=[Port(80, target_port="http")],
                exposure="external",
                hostname="shop.example.com",
            )
            """
        ),
        ("metadata.annotations", "spec.type"),
        ('labels["HAPROXY_GROUP"]', 'labels["HAPROXY_0_VHOST"]'),
        note="Kubernetes: a load balancer, and the hostname for ExternalDNS. Marathon: "
        "marathon-lb's labels on the app (the VIP of the row above is there too).",
    ),
    Row(
        "service-node",
        "Node port service",
        '`exposure="node"`',
        code(
            """
            web = Deployment("web", image="nginx:1.27", ports=[Port(8080, name="http")], labels={"app": "web"})
            Service("web", selector={"app": "web"}, ports=[Port(80, target_port="http")], exposure="node")
            """
        ),
        ("spec.type",),
        (),
    ),
    Row(
        "secret",
        "Secret",
        "`Secret`",
        'Secret("db", data={"password": "s3cr3t"})',
        ("",),
        ("",),
        note="On Marathon each key is one path in the DC/OS secret store.",
    ),
    Row(
        "secret-labels",
        "Secret labels",
        "`Secret` `labels`",
        'Secret("db", data={"password": "s3cr3t"}, labels={"team": "shop"})',
        ("metadata.labels",),
        (),
    ),
    Row(
        "config-map",
        "Config map",
        "`ConfigMap`",
        'ConfigMap("web-config", data={"LOG_LEVEL": "info"})',
        ("",),
        (),
    ),
    Row(
        "autoscaler",
        "Autoscaler",
        "`Autoscaler`",
        'Autoscaler("web", target="web", min_replicas=2, max_replicas=10, cpu_percent=70)',
        ("spec",),
        (),
        note="While an autoscaler targets a deployment, the Kubernetes backend leaves "
        "`spec.replicas` out of the deployment's manifest: the HPA owns it.",
    ),
)


# -- render-only backends ---------------------------------------------------------------


def _never(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the mapping page only renders")


class RenderOnly(Backend):
    """A backend that can only render: enough for :meth:`Orchestrator.render`."""

    apply = get = list = delete = scale = status = rollback = instances = endpoints = _never

    def __init__(
        self,
        name: str,
        capabilities: Capabilities,
        unsupported: Callable[[Resource], Iterable[Unsupported]],
        render: Callable[[Resource], builtins.list[dict[str, Any]]],
    ) -> None:
        self.name = name  # type: ignore[misc]
        self._capabilities = capabilities
        self._unsupported = unsupported
        self._render = render

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    def unsupported(self, resource: Resource) -> Iterable[Unsupported]:
        return self._unsupported(resource)

    def render(self, resource: Resource) -> builtins.list[dict[str, Any]]:
        return self._render(resource)


def kubernetes() -> RenderOnly:
    """Kubernetes: the backend's own capabilities, the pure renderer."""
    from orchsdk_kubernetes import KubernetesBackend
    from orchsdk_kubernetes.render import render

    backend = KubernetesBackend(host="https://kubernetes.invalid", token="unused")
    try:
        return RenderOnly(
            backend.name, backend.capabilities, backend.unsupported, lambda r: [render(r)]
        )
    finally:
        backend.close()  # it never connected: capabilities need no request on Kubernetes


def marathon(containerizer: str, context: Iterable[Resource]) -> RenderOnly:
    """Marathon with DC/OS's secret store, the ``secrets`` and ``gpu_resources`` features."""
    from orchsdk_marathon import MarathonBackend
    from orchsdk_marathon.app_definition import render_app
    from orchsdk_marathon.render import render_secret
    from orchsdk_marathon.support import capabilities_for, unsupported_fields

    deployments = [r for r in context if isinstance(r, Deployment)]

    def render(resource: Resource) -> builtins.list[dict[str, Any]]:
        if isinstance(resource, Deployment):
            return [render_app(resource, containerizer=containerizer)]
        if isinstance(resource, Service):  # the apps it selects, carrying its labels
            return [
                render_app(app, services=[resource], containerizer=containerizer)
                for app in deployments
                if all(app.labels.get(k) == v for k, v in resource.selector.items())
            ]
        if isinstance(resource, orchsdk.Secret):
            return render_secret(resource)
        raise AssertionError(f"Marathon has no {resource.kind}: capabilities should say so")

    capabilities = capabilities_for(
        secret_store=True, features=("secrets", "gpu_resources"), containerizer=containerizer
    )
    return RenderOnly(MarathonBackend.name, capabilities, unsupported_fields, render)


def render_row(backend: Backend, subject: Resource) -> Any:
    """The document (or list of them) the subject becomes, or the reason it is refused."""
    try:
        documents = Orchestrator(backend, namespace=NAMESPACE).render(subject, reveal=True)
    except orchsdk.UnsupportedFeature as error:
        return error
    return documents[0] if len(documents) == 1 else documents


# -- paths and fragments ----------------------------------------------------------------

STEP = re.compile(r'(?:^|\.)(?P<key>[A-Za-z_$][\w$-]*)|\[(?P<index>\d+)\]|\["(?P<quoted>[^"]+)"\]')


def steps(path: str) -> builtins.list[str | int]:
    """``a.b[0]["c.d"]`` -> ``["a", "b", 0, "c.d"]``."""
    found: builtins.list[str | int] = []
    position = 0
    while position < len(path):
        match = STEP.match(path, position)
        if match is None or match.end() == position:
            raise ValueError(f"bad path {path!r} at {position}")
        if match["index"] is not None:
            found.append(int(match["index"]))
        else:
            found.append(match["key"] or match["quoted"])
        position = match.end()
    return found


class _Items(dict):  # type: ignore[type-arg]
    """A list being pruned: index -> item."""


def _pick(document: Any, path: builtins.list[str | int], where: str) -> Any:
    if not path:
        return copy.deepcopy(document)
    step, rest = path[0], path[1:]
    if isinstance(step, int):
        if not isinstance(document, builtins.list) or step >= len(document):
            raise KeyError(f"{where}: no item {step}")
        item = document[step]
        picked = _pick(item, rest, where)
        if rest and isinstance(item, dict) and "name" in item:  # say which item it is
            picked = {"name": item["name"], **picked}
        return _Items({step: picked})
    if not isinstance(document, dict) or step not in document:
        raise KeyError(f"{where}: no key {step!r}")
    return {step: _pick(document[step], rest, where)}


def _merge(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict) and type(a) is type(b):
        merged = type(a)(a)
        for key, value in b.items():
            merged[key] = _merge(merged[key], value) if key in merged else value
        return merged
    return b


def _lists(value: Any) -> Any:
    if isinstance(value, _Items):
        return [_lists(value[index]) for index in sorted(value)]
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    return value


def present(document: Any, paths: Iterable[str]) -> tuple[str, ...]:
    """The paths to show: every plain path, and each optional one (``path?``) that exists.

    A bookkeeping label that a backend writes only when the fields alone would read back
    differently is optional; any other path that the document lacks is an error.
    """
    shown = []
    for path in paths:
        if path.endswith("?"):
            try:
                _pick(document, steps(path[:-1]), "")
            except KeyError:
                continue
            path = path[:-1]
        shown.append(path)
    return tuple(shown)


def fragment(document: Any, paths: Iterable[str], where: str) -> Any:
    """The parts of ``document`` that ``paths`` name, nested as in the document."""
    picked: Any = None
    for path in present(document, paths):
        part = _pick(document, steps(path), f"{where}: {path or '(whole)'}")
        picked = part if picked is None else _merge(picked, part)
    return _lists(picked)


# -- the page ---------------------------------------------------------------------------


def evaluate(code: str) -> tuple[Resource, builtins.list[Resource]]:
    """The row's resource (the last expression) and the ones before it (its context)."""
    names: dict[str, Any] = {name: getattr(orchsdk, name) for name in orchsdk.__all__}
    module = ast.parse(code)
    context: builtins.list[Resource] = []
    for statement in module.body[:-1]:
        if isinstance(statement, ast.Assign):
            value = eval(compile(ast.Expression(statement.value), "<row>", "eval"), names)
            for target in statement.targets:
                assert isinstance(target, ast.Name)
                names[target.id] = value
            context.append(value)
        elif isinstance(statement, ast.Expr):
            context.append(eval(compile(ast.Expression(statement.value), "<row>", "eval"), names))
    last = module.body[-1]
    assert isinstance(last, ast.Expr), "a row's code ends with the resource"
    subject = eval(compile(ast.Expression(last.value), "<row>", "eval"), names)
    namespaced = [r if r.namespace else _in_namespace(r) for r in context]
    return subject, namespaced


def _in_namespace(resource: Resource) -> Resource:
    import attrs

    return attrs.evolve(resource, namespace=NAMESPACE)


@dataclass(frozen=True)
class Cell:
    label: str
    result: Any
    paths: tuple[str, ...]
    language: str


def cells(row: Row, k8s: Backend) -> builtins.list[Cell]:
    """Kubernetes, then Marathon (once per containerizer when they differ)."""
    subject, context = evaluate(row.code)
    found = [Cell("Kubernetes", render_row(k8s, subject), row.kubernetes, "yaml")]
    results = [render_row(marathon(c, context), subject) for c in row.containerizers]
    if all(_same(results[0], result) for result in results):
        return [*found, Cell("Marathon", results[0], row.marathon, "json")]
    for containerizer, result in zip(row.containerizers, results, strict=True):
        label = f"Marathon, `containerizer={containerizer}`"
        found.append(Cell(label, result, row.marathon, "json"))
    return found


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Exception) or isinstance(b, Exception):
        return isinstance(a, Exception) and isinstance(b, Exception) and str(a) == str(b)
    return bool(a == b)


def _refusal(error: orchsdk.UnsupportedFeature, short: bool = False) -> str:
    """``unsupported: <reason> (`field`)``; ``short``: the reason's first clause."""
    reason = error.reason
    if short:
        reason = re.split(r": | \(|; ", reason, maxsplit=1)[0]
    reason = html.escape(reason, quote=False).replace("|", "\\|")
    return f"unsupported: {reason} (`{error.field}`)"


def _paths(cell: Cell, separator: str = ", ", short: bool = False) -> str:
    """The paths a cell shows (``short``: for the table), or why it shows none."""
    if isinstance(cell.result, orchsdk.UnsupportedFeature):
        return _refusal(cell.result, short)
    if cell.paths == ("",):
        return "the whole document"
    paths = present(cell.result, cell.paths)
    shown = [
        f"…{path.removeprefix(POD + '.')}" if short and path.startswith(POD + ".") else path
        for path in paths
    ]
    return separator.join(f"`{path}`" for path in shown)


def _dump(value: Any, language: str) -> str:
    if language == "yaml":
        return yaml.safe_dump(value, sort_keys=False, default_flow_style=False, width=88).rstrip()
    return json.dumps(value, indent=2, ensure_ascii=False)


def section(row: Row, row_cells: builtins.list[Cell]) -> builtins.list[str]:
    lines = [f"## {row.title} {{ #{row.slug} }}", ""]
    if row.note:
        lines += [row.note, ""]
    lines += ["```python", row.code, "```", ""]
    for cell in row_cells:
        if isinstance(cell.result, orchsdk.UnsupportedFeature):
            lines += [f"**{cell.label}**: {_refusal(cell.result)}.", ""]
            continue
        where = f"{row.slug}, {cell.label}"
        shown = fragment(cell.result, cell.paths, where)
        lines += [f"**{cell.label}**: {_paths(cell)}", ""]
        lines += [f"```{cell.language}", _dump(shown, cell.language), "```", ""]
    return lines


HEADER = """\
# Mapping

How each field of the unified specs becomes Kubernetes objects and Marathon apps. Every
fragment on this page is rendered by the backends' own renderers, through the same
validation and capability checks as `orch.render()`, from the spec shown above it
(`docs/gen_mapping.py` writes this page; a test fails when it is out of date).

- Specs name no namespace, so they are in the orchestrator's default, `shop`.
- **Kubernetes** is any cluster: the Kubernetes backend has every capability.
- **Marathon** is a DC/OS Marathon whose secret store is configured (`secret_store=`) and
  whose `/v2/info` lists the `secrets` and `gpu_resources` features, with the Docker
  containerizer; rows that differ on the UCR show `containerizer=mesos` too. Where
  Marathon cannot carry a field out, the row gives the reason: `apply` raises
  `UnsupportedFeature` with it, before any request (see [Capabilities](capabilities.md)).
- Labels `orchsdk.*` on a Marathon app are the backend's bookkeeping: what the spec says
  and Marathon has no field for, so that reading the app gives the spec back.

In the table, `…` stands for `spec.template.spec.` (the pod template's spec). The
backends' pages tell the rest: [Kubernetes](backends/kubernetes.md),
[Marathon](backends/marathon.md).

"""


def generate() -> str:
    k8s = kubernetes()
    table = [
        "| unified | Kubernetes | Marathon |",
        "|---|---|---|",
    ]
    body: builtins.list[str] = []
    for row in ROWS:
        row_cells = cells(row, k8s)
        marathon_cells = [cell for cell in row_cells if cell.label.startswith("Marathon")]
        if len(marathon_cells) == 1:
            marathon_text = _paths(marathon_cells[0], "<br>", short=True)
        else:
            marathon_text = "<br>".join(
                f"{cell.label.removeprefix('Marathon, ')}: {_paths(cell, '<br>', short=True)}"
                for cell in marathon_cells
            )
        table.append(
            f"| [{row.title}](#{row.slug}): {row.unified} "
            f"| {_paths(row_cells[0], '<br>', short=True)} "
            f"| {marathon_text} |"
        )
        body += section(row, row_cells)
    text = HEADER + "\n".join(table) + "\n\n" + "\n".join(body)
    return text.rstrip() + "\n"


def main(argv: builtins.list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is stale")
    options = parser.parse_args(argv)
    text = generate()
    if options.check:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != text:
            print(f"{PAGE} is out of date: run python docs/gen_mapping.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
