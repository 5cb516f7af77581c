"""The commands of ``orchsdk`` (click): each parses its arguments and calls the library.

How results print lives in :mod:`~orchsdk.cli.output` and :mod:`~orchsdk.cli.tables`,
how errors become exit codes in :mod:`~orchsdk.cli.reporting` (0 ok, 1 failed, 2 bad
usage or input; ``diff`` follows ``kubectl diff``: 1 differences, 3 failed). Secret
values are printed only with ``--reveal``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl

import click

import orchsdk
from orchsdk import (
    KINDS,
    Autoscaler,
    BackendUnavailable,
    ConfigMap,
    Deployment,
    Orchestrator,
    OrchestratorError,
    Resource,
    Secret,
    Service,
    UnsupportedFeature,
    ValidationError,
)
from orchsdk.cli.output import dump_json, dump_yaml
from orchsdk.cli.progress import WaitDisplay, describe
from orchsdk.cli.reporting import (
    EXIT_DIFF_FAILED,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    BadInput,
    Failed,
    Options,
    one_line,
    reported,
)
from orchsdk.cli.tables import (
    TABLES,
    capabilities_table,
    capability_flags,
    endpoints_table,
    events_table,
    history_table,
    instances_table,
    latest_warning,
)
from orchsdk.cli.target import BadTarget, resolve, safe_url
from orchsdk.manifests import dump_manifests, load_manifests, manifest_of

__all__ = ["EXIT_DIFF_FAILED", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "cli", "run"]

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
log = logging.getLogger("orchsdk")


def _options(ctx: click.Context) -> Options:
    root = ctx.find_root()
    if not isinstance(root.obj, Options):
        root.obj = Options()
    return root.obj


def _store(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value not in (None, False, 0):
            options = _options(ctx)
            if name == "verbose":
                options.verbose += value
            else:
                setattr(options, name, value)
        return value

    return callback


def _global_option(*declarations: str, **attributes: Any) -> Callable[[F], F]:
    """An option every command takes, kept in :class:`Options` under its long name instead of
    passed to the command, so that it may stand before or after the command's name."""
    name = declarations[-1].lstrip("-")
    return click.option(*declarations, expose_value=False, callback=_store(name), **attributes)


_GLOBAL_OPTIONS = [
    _global_option(
        "--backend",
        metavar="URL",
        help="Backend URL: memory://NAME, kubernetes://[?context=...], marathon+https://HOST:PORT. "
        "Default: $ORCHSDK_BACKEND, then $MARATHON_URL or the kubeconfig.",
    ),
    _global_option(
        "-n",
        "--namespace",
        metavar="NAME",
        help="Namespace for resources and calls that name none.",
    ),
    _global_option("--context", metavar="NAME", help="Kubeconfig context (Kubernetes)."),
    _global_option(
        "--lenient",
        is_flag=True,
        help="Leave out fields the backend cannot carry out, with a warning, instead of failing.",
    ),
    _global_option(
        "-v",
        "--verbose",
        count=True,
        help="Log what is done; on errors, every detail and the traceback.",
    ),
    _global_option("--reveal", is_flag=True, help="Show secret values (hidden otherwise)."),
]


def global_options(command: F) -> F:
    for option in reversed(_GLOBAL_OPTIONS):
        command = option(command)
    return command


if TYPE_CHECKING:
    _ParamType = click.ParamType[float, Any]
else:
    _ParamType = click.ParamType  # generic only in newer clicks


class Duration(_ParamType):
    """Seconds: ``300``, ``90s``, ``5m``, ``1h``."""

    name = "duration"
    _UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, (int, float)):
            return float(value)
        text = str(value).strip().lower()
        scale = self._UNITS.get(text[-1:], None)
        number = text[:-1] if scale is not None else text
        try:
            seconds = float(number) * (scale or 1.0)
        except ValueError:
            self.fail(f"{value!r} is not a duration such as 300, 90s, 5m or 1h", param, ctx)
        if seconds <= 0:
            self.fail(f"{value!r} must be more than zero", param, ctx)
        return seconds


DURATION = Duration()
_TIMEOUT = click.option(
    "--timeout",
    type=DURATION,
    default="300s",
    show_default=True,
    help="How long to wait (300, 90s, 5m, 1h).",
)
_WAIT = click.option("--wait", is_flag=True, help="Wait until the rollout is complete.")

_KIND_ALIASES: dict[str, type[Resource]] = {}
for _cls, _aliases in (
    (Deployment, ("deploy",)),
    (Service, ("svc",)),
    (Secret, ()),
    (ConfigMap, ("cm",)),
    (Autoscaler, ("hpa",)),
):
    for _alias in (_cls.kind.lower(), _cls.kind.lower() + "s", *_aliases):
        _KIND_ALIASES[_alias] = _cls


def _kind_or_none(text: str) -> type[Resource] | None:
    return _KIND_ALIASES.get(text.lower())


def _kind(text: str) -> type[Resource]:
    cls = _kind_or_none(text)
    if cls is None:
        known = ", ".join(kind.kind.lower() for kind in KINDS)
        raise click.BadParameter(f"unknown kind {text!r}; one of {known}", param_hint="KIND")
    return cls


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@global_options
@click.version_option(orchsdk.__version__, prog_name="orchsdk")
def cli() -> None:
    """Deploy, expose, keep secrets and scale on Kubernetes and Marathon, one command.

    \b
    orchsdk apply web.yaml --wait          create or update what the manifests describe
    orchsdk diff web.yaml                  what apply would change
    orchsdk render web.yaml --to marathon  the native documents, no cluster needed
    orchsdk get deployments                what runs
    orchsdk scale web 5 --wait

    Global options may come before or after the command. Exit codes: 0 ok, 1 the
    operation failed, 2 bad usage or input (diff: 1 means differences, 3 failure).
    """


# -- helpers -------------------------------------------------------------------------


@contextlib.contextmanager
def connected(ctx: click.Context) -> Iterator[Orchestrator]:
    """The orchestrator the options and the environment name, closed afterwards."""
    options = _options(ctx)
    target = resolve(options.backend, options.context)
    log.info("backend %s (from %s)", safe_url(target.url), target.source)
    try:
        orch = orchsdk.connect(target.url, namespace=options.namespace, lenient=options.lenient)
    except (BackendUnavailable, ValidationError):
        raise
    except Exception as error:
        raise BadTarget(
            f"cannot use the backend {safe_url(target.url)} (from {target.source}): {error}"
        ) from error
    with orch:
        yield orch


def _manifest_files(names: Sequence[str]) -> list[Any]:
    sources: list[Any] = []
    for name in names:
        if name == "-":
            sources.append(sys.stdin)
            continue
        path = Path(name)
        if path.is_dir():
            found = sorted(
                item
                for item in path.iterdir()
                if item.is_file() and item.suffix in (".yaml", ".yml", ".json")
            )
            if not found:
                raise BadInput(f"{name}: no .yaml, .yml or .json files in this folder")
            sources.extend(found)
        elif not path.is_file():
            raise BadInput(f"{name}: no such file")
        else:
            sources.append(path)
    return sources


def _load(names: Sequence[str]) -> list[Resource]:
    """The resources in the manifest files (``-`` is stdin; a folder, its YAML and JSON files)."""
    sources = _manifest_files(names)
    try:
        resources = load_manifests(*sources)
    except OSError as error:
        raise BadInput(f"cannot read {error.filename or 'a manifest'}: {error.strerror}") from error
    if not resources:
        raise BadInput(f"no resources in {', '.join(names)}")
    return resources


_PLACEHOLDER = str.__str__(orchsdk.REDACTED)
_ENCODED_PLACEHOLDER = base64.b64encode(_PLACEHOLDER.encode()).decode()


def _placeholders_shown(value: Any) -> Any:
    """A rendered document with the placeholder readable where a renderer base64-encoded it."""
    if isinstance(value, dict):
        return {key: _placeholders_shown(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_placeholders_shown(item) for item in value]
    return _PLACEHOLDER if value == _ENCODED_PLACEHOLDER else value


def _ref(kind: str, name: str) -> str:
    return f"{kind.lower()}/{name}"


def _parse_labels(selector: Sequence[str]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for item in selector:
        for term in item.split(","):
            key, equals, value = term.partition("=")
            if not equals or not key.strip():
                raise click.BadParameter(f"{term!r} is not key=value", param_hint="--selector")
            labels[key.strip()] = value.strip()
    return labels


def _wait_all(
    orch: Orchestrator, deployments: Sequence[tuple[str, str]], timeout: float
) -> list[orchsdk.DeploymentStatus]:
    deadline = time.monotonic() + timeout
    statuses = []
    with WaitDisplay() as display:
        for name, namespace in deployments:
            remaining = max(0.0, deadline - time.monotonic())
            try:
                statuses.append(orch.wait(name, namespace, timeout=remaining, progress=display))
            except orchsdk.WaitTimeout as error:  # say the timeout given, not what was left
                last = f": {describe(error.status)}" if error.status is not None else ""
                raise orchsdk.WaitTimeout(
                    f"rollout of {namespace}/{name} did not finish within --timeout "
                    f"{timeout:g}s{last}",
                    error.status,
                ) from error
    return statuses


# -- manifests -----------------------------------------------------------------------


@cli.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@_WAIT
@_TIMEOUT
@global_options
@click.pass_context
def apply(ctx: click.Context, files: tuple[str, ...], wait: bool, timeout: float) -> None:
    """Create or update the resources in the manifest FILEs ('-' for stdin, or folders).

    Everything is validated before the first request. With --wait, shows the rollouts
    until every deployment applied is complete (within --timeout in all).

    \b
    orchsdk apply web.yaml db.yaml --wait --timeout 5m
    """
    resources = _load(files)
    with connected(ctx) as orch:
        try:
            results = orch.apply(*resources)
        except OrchestratorError as error:  # say what was applied before the failure
            for result in getattr(error, "applied", None) or ():
                click.echo(str(result))
            raise
        for result in results:
            click.echo(str(result))
        if wait:
            deployments = [(r.name, r.namespace) for r in results if r.kind == Deployment.kind]
            for status in _wait_all(orch, deployments, timeout):
                click.echo(f"deployment/{status.name} rolled out: {describe(status)}")


@cli.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@global_options
@click.pass_context
def diff(ctx: click.Context, files: tuple[str, ...]) -> int:
    """Show what apply would change, field by field in the native documents.

    Secret values are never shown, only whether they change. Exit code (as kubectl diff):
    0 no differences, 1 differences, 2 bad usage or input, 3 the operation failed.

    \b
    orchsdk diff web.yaml
    """
    resources = _load(files)
    try:
        with connected(ctx) as orch:
            diffs = orch.diff(*resources)
    except (ValidationError, UnsupportedFeature, BadTarget):
        raise
    except OrchestratorError as error:
        raise Failed(error, EXIT_DIFF_FAILED) from error
    for item in diffs:
        click.echo(str(item))
    changed = any(item.action is not orchsdk.Action.UNCHANGED for item in diffs)
    return 1 if changed else EXIT_OK


@cli.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option(
    "--to",
    "target",
    metavar="TARGET",
    help="kubernetes, marathon (options: marathon?containerizer=mesos&secrets=false) or "
    "another renderer; default: the backend's kind.",
)
@click.option("-o", "--output", type=click.Choice(["yaml", "json"]), default="yaml")
@global_options
@click.pass_context
def render(ctx: click.Context, files: tuple[str, ...], target: str | None, output: str) -> None:
    """Print the native documents the manifests become, without touching a cluster.

    Validated and checked against the target's capabilities as apply would be.
    Secret values are shown only with --reveal.

    \b
    orchsdk render web.yaml --to kubernetes
    orchsdk render web.yaml --to marathon -o json
    """
    from orchsdk.offline import render_offline

    options = _options(ctx)
    resources = _load(files)
    if target is None:
        target = resolve(options.backend, options.context).scheme.partition("+")[0]
    name, _, query = target.partition("?")
    try:
        documents = render_offline(
            name,
            *resources,
            namespace=options.namespace,
            lenient=options.lenient,
            reveal=options.reveal,
            **dict(parse_qsl(query)),
        )
    except OrchestratorError as error:
        if type(error) is OrchestratorError:  # an unknown target or option: bad usage
            raise BadInput(str(error)) from error
        raise
    except (TypeError, ValueError) as error:  # an option the renderer does not take
        raise BadInput(f"--to {target}: {error}") from error
    if not options.reveal:
        documents = [_placeholders_shown(document) for document in documents]
    if output == "json":
        click.echo(json.dumps(documents, indent=2, ensure_ascii=False))
    else:
        click.echo(dump_yaml(documents, documents=True), nl=False)


@cli.command()
@click.argument("targets", nargs=-1, required=True, metavar="FILE... | KIND NAME")
@click.option("--ignore-not-found", is_flag=True, help="A missing resource is not an error.")
@click.option("--wait", is_flag=True, help="Wait until each one and its instances are gone.")
@_TIMEOUT
@global_options
@click.pass_context
def delete(
    ctx: click.Context,
    targets: tuple[str, ...],
    ignore_not_found: bool,
    wait: bool,
    timeout: float,
) -> int:
    """Delete the resources in manifest FILEs, or one resource by KIND and NAME.

    \b
    orchsdk delete web.yaml
    orchsdk delete deployment web --wait
    """
    cls = _kind_or_none(targets[0]) if len(targets) == 2 else None
    if cls is not None and not Path(targets[0]).exists():
        items: list[tuple[type[Resource], str, str | None]] = [(cls, targets[1], None)]
    else:
        resources = sorted(_load(targets), key=lambda item: -KINDS.index(type(item)))
        items = [(type(item), item.name, item.namespace) for item in resources]
    code = EXIT_OK
    with connected(ctx) as orch:
        for kind, name, namespace in items:
            try:
                existed = orch.delete(
                    kind, name, namespace, missing_ok=ignore_not_found, wait=wait, timeout=timeout
                )
            except orchsdk.NotFound as error:
                click.echo(f"error: {one_line(error)}", err=True)
                code = EXIT_FAILED
                continue
            word = "deleted" if existed else "not found (ignored)"
            click.echo(f"{_ref(kind.kind, name)} {word}")
    return code


@cli.command()
@global_options
def schema() -> None:
    """Print the JSON Schema of the manifest format (draft 2020-12), for editors.

    \b
    orchsdk schema > orchsdk-v1.schema.json
    """
    click.echo(json.dumps(orchsdk.manifest_schema(), indent=2))


# -- reading -------------------------------------------------------------------------


@cli.command()
@click.argument("kind")
@click.argument("name", required=False)
@click.option(
    "-o", "--output", type=click.Choice(["table", "wide", "yaml", "json"]), default="table"
)
@click.option("-l", "--selector", multiple=True, help="Only those with these labels (key=value).")
@global_options
@click.pass_context
def get(
    ctx: click.Context, kind: str, name: str | None, output: str, selector: tuple[str, ...]
) -> None:
    """Show resources of a KIND (deployments, services, secrets, configmaps, autoscalers).

    -o yaml prints manifests that apply reads back (secret values only with --reveal).

    \b
    orchsdk get deployments -o wide
    orchsdk get secret db -o yaml --reveal
    """
    cls = _kind(kind)
    labels = _parse_labels(selector)
    reveal = _options(ctx).reveal
    with connected(ctx) as orch:
        if name is not None:
            items: list[Resource] = [orch.get(cls, name, reveal=reveal)]
        else:
            items = orch.list(cls, labels=labels, reveal=reveal)
        if output == "yaml":
            click.echo(dump_manifests(items, reveal=reveal), nl=False)
        elif output == "json":
            documents = [manifest_of(item, reveal=reveal) for item in items]
            click.echo(dump_json(documents[0] if name is not None else documents))
        elif not items:
            click.echo(f"No {cls.kind.lower()}s found in namespace {orch.namespace!r}.", err=True)
        else:
            TABLES[cls](orch, items, output == "wide")


_OUTPUT = click.option(
    "-o", "--output", type=click.Choice(["table", "yaml", "json"]), default="table"
)


def _echo_data(output: str, data: Any) -> bool:
    """Prints ``data`` as YAML or JSON when asked; False for a table (the caller prints it)."""
    if output == "json":
        click.echo(dump_json(data))
    elif output == "yaml":
        click.echo(dump_yaml(data), nl=False)
    return output != "table"


def _show_found(
    ctx: click.Context,
    output: str,
    fetch: Callable[[Orchestrator], list[T]],
    table: Callable[[Sequence[T]], None],
) -> None:
    """Prints what ``fetch`` finds as ``output`` asks, ``table`` drawing the table: the body the
    listing commands share."""
    with connected(ctx) as orch:
        found = fetch(orch)
    if not _echo_data(output, found):
        table(found)


def _echo_status(output: str, status: orchsdk.DeploymentStatus) -> None:
    if not _echo_data(output, status):
        click.echo(f"deployment/{status.name} ({status.namespace}): {describe(status)}")


@cli.command()
@click.argument("name")
@_WAIT
@_TIMEOUT
@_OUTPUT
@global_options
@click.pass_context
def status(ctx: click.Context, name: str, wait: bool, timeout: float, output: str) -> None:
    """Show the rollout status of deployment NAME (with --wait, until it is complete).

    \b
    orchsdk status web
    orchsdk status web --wait --timeout 2m
    """
    with connected(ctx) as orch:
        if wait:
            result = _wait_all(orch, [(name, orch.namespace)], timeout)[0]
        else:
            result = orch.status(name)
        warning = None
        if output == "table" and not result.done and orch.capabilities.events:
            warning = latest_warning(orch.events(name))
    _echo_status(output, result)
    if warning:
        click.echo(warning)


@cli.command()
@click.argument("name")
@_OUTPUT
@global_options
@click.pass_context
def instances(ctx: click.Context, name: str, output: str) -> None:
    """List the running instances (pods, tasks) of deployment NAME.

    \b
    orchsdk instances web
    """
    _show_found(ctx, output, lambda orch: orch.instances(name), instances_table)


@cli.command()
@click.argument("name")
@click.option("--kind", "kind", default="deployment", show_default=True, help="The kind of NAME.")
@_OUTPUT
@global_options
@click.pass_context
def events(ctx: click.Context, name: str, kind: str, output: str) -> None:
    """List what the orchestrator reported about NAME, oldest first: for a deployment
    also its revisions and instances (pulls, starts, crashes, scheduling failures).

    \b
    orchsdk events web
    orchsdk events web --kind service -o json
    """
    _show_found(ctx, output, lambda orch: orch.events(name, kind=_kind(kind)), events_table)


@cli.command()
@click.argument("service")
@_OUTPUT
@global_options
@click.pass_context
def endpoints(ctx: click.Context, service: str, output: str) -> None:
    """List the addresses behind SERVICE.

    \b
    orchsdk endpoints web
    """
    _show_found(ctx, output, lambda orch: orch.endpoints(service), endpoints_table)


@cli.command()
@_OUTPUT
@global_options
@click.pass_context
def capabilities(ctx: click.Context, output: str) -> None:
    """Show what the backend can do here, and why not where it cannot.

    \b
    orchsdk capabilities --backend marathon+https://marathon.example:8080
    """
    with connected(ctx) as orch:
        caps = orch.capabilities
        backend = orch.backend.name
    flags = capability_flags(caps)
    data = {"backend": backend, "capabilities": flags}
    data["reasons"] = {name: caps.reason(name) for name, on in flags.items() if not on}
    if not _echo_data(output, data):
        capabilities_table(caps)


# -- deployments ---------------------------------------------------------------------


@cli.command()
@click.argument("name")
@click.argument("replicas", type=click.IntRange(min=0))
@_WAIT
@_TIMEOUT
@global_options
@click.pass_context
def scale(ctx: click.Context, name: str, replicas: int, wait: bool, timeout: float) -> None:
    """Set the replica count of deployment NAME to REPLICAS.

    \b
    orchsdk scale web 5 --wait
    """
    with connected(ctx) as orch:
        result = orch.scale(name, replicas)
        click.echo(f"deployment/{name} scaled to {replicas}")
        if wait:
            result = _wait_all(orch, [(name, result.namespace)], timeout)[0]
    _echo_status("table", result)


@cli.command()
@click.argument("name")
@click.option("--to-revision", type=click.IntRange(min=1), help="Default: the previous one.")
@_WAIT
@_TIMEOUT
@global_options
@click.pass_context
def rollback(
    ctx: click.Context, name: str, to_revision: int | None, wait: bool, timeout: float
) -> None:
    """Roll deployment NAME back to the previous revision, or to --to-revision.

    \b
    orchsdk rollback web --wait
    orchsdk rollback web --to-revision 2
    """
    with connected(ctx) as orch:
        result = orch.rollback(name, to_revision=to_revision)
        where = f"revision {to_revision}" if to_revision else "the previous revision"
        click.echo(f"deployment/{name} rolled back to {where}")
        if wait:
            result = _wait_all(orch, [(name, result.namespace)], timeout)[0]
    _echo_status("table", result)


@cli.command()
@click.argument("name")
@_OUTPUT
@global_options
@click.pass_context
def history(ctx: click.Context, name: str, output: str) -> None:
    """List the revisions of deployment NAME the orchestrator keeps, oldest first; the
    current one is marked ``*``. Its numbers are what ``rollback --to-revision`` takes.

    \b
    orchsdk history web
    orchsdk rollback web --to-revision 2
    """
    _show_found(ctx, output, lambda orch: orch.history(name), history_table)


@cli.command()
@click.argument("name")
@_WAIT
@_TIMEOUT
@global_options
@click.pass_context
def restart(ctx: click.Context, name: str, wait: bool, timeout: float) -> None:
    """Replace every instance of deployment NAME with a new one, as a new revision.

    \b
    orchsdk restart web --wait
    """
    with connected(ctx) as orch:
        result = orch.restart(name)
        click.echo(f"deployment/{name} restarted")
        if wait:
            result = _wait_all(orch, [(name, result.namespace)], timeout)[0]
    _echo_status("table", result)


# -- running -------------------------------------------------------------------------


def run(argv: Sequence[str] | None = None) -> int:
    """Runs the command with ``argv`` (default: ``sys.argv[1:]``) and returns its exit code."""
    return reported(
        lambda options: cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="orchsdk",
            standalone_mode=False,
            obj=options,
        )
    )
