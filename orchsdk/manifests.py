"""YAML manifests for the specs: ``apiVersion: orchsdk/v1``, ``kind:``, then the spec's own fields.

>>> resources = load_manifests('''
... apiVersion: orchsdk/v1
... kind: Deployment
... name: web
... image: nginx:1.27
... ports: [{port: 80, name: http}]
... env: {DB_PASSWORD: {secret: db, key: password}}
... ''')
>>> resources
[Deployment(name='web', ...)]
>>> print(dump_manifests(resources), end="")
apiVersion: orchsdk/v1
kind: Deployment
name: web
image: nginx:1.27
ports:
- port: 80
  name: http
env:
  DB_PASSWORD:
    secret: db
    key: password

Loading is PyYAML *safe* loading only (no tags that build objects), refuses duplicate
keys and documents that expand past :data:`MAX_NODES` through aliases (YAML bombs), and
structures each document with cattrs, strictly: unknown fields and wrong types are
errors, never coerced. Then the core's :func:`orchsdk.validate` runs. Every problem is
reported in one :class:`ManifestError` (a :class:`~orchsdk.ValidationError`) that names
the file, the document index (from 0, as ``yq`` counts) and the field's path in the
manifest, with its line.

``yaml`` and ``cattrs`` are imported on first use, so ``import orchsdk`` stays light.
See ``docs/manifests.md`` for the format.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Union

import attrs

from orchsdk._manifest_fields import (
    FLAT_HINT,
    converter,
    errors_of,
    got,
    manifest_path,
    show,
    suggest,
    type_name,
)
from orchsdk._yaml import MAX_DEPTH, MAX_NODES, dumper_class, loader_class, node_lines, yaml_problem
from orchsdk.errors import FieldError, ValidationError
from orchsdk.specs import KINDS, REDACTED, Deployment, Resource, Secret
from orchsdk.validation import check, validate_all

__all__ = [
    "API_VERSION",
    "MAX_DEPTH",
    "MAX_NODES",
    "ManifestError",
    "ManifestSource",
    "dump_manifests",
    "load_manifests",
    "manifest_of",
]

API_VERSION = "orchsdk/v1"
"""The ``apiVersion`` of every manifest document."""

ManifestSource = Union[str, "os.PathLike[str]", IO[str]]
"""A file path (``Path``, or a ``str`` without a line break), YAML text, or an open file."""

_KIND_NAMES = {kind.kind: kind for kind in KINDS}


class ManifestError(ValidationError):
    """One or more manifest documents are invalid; nothing was applied.

    ``documents`` holds one :class:`~orchsdk.ValidationError` per bad document: its
    ``subject`` names the file, the document index and the resource
    (``web.yaml[1] (Deployment 'web')``), its field paths are paths in the manifest
    (``ports[0].port``), and each message ends with the line. With a single bad document,
    this error's ``subject`` and ``errors`` are that document's; with several, each path
    is prefixed with its document (``web.yaml[1].ports[0].port``).
    """

    def __init__(self, documents: Sequence[ValidationError]) -> None:
        self.documents: tuple[ValidationError, ...] = tuple(documents)
        if len(self.documents) == 1:
            only = self.documents[0]
            super().__init__(only.subject, only.errors)
            return
        locations = [_location(document.subject) for document in self.documents]
        errors = [
            FieldError(f"{location}.{error.path}" if error.path else location, error.message)
            for location, document in zip(locations, self.documents, strict=True)
            for error in document.errors
        ]
        super().__init__(", ".join(locations), errors)
        self.args = ("; ".join(str(document) for document in self.documents),)


def _location(subject: str) -> str:
    """``web.yaml[1]`` out of ``web.yaml[1] (Deployment 'web')``."""
    return subject.partition(" (")[0]


# -- loading -------------------------------------------------------------------------


def load_manifests(*sources: ManifestSource, name: str | None = None) -> list[Resource]:
    """The specs in one or more manifest files (or YAML texts), in the order they appear.

    A ``Path``, or a ``str`` without a line break, is a file path; a ``str`` with a line
    break is YAML text (named ``name``, default ``<string>``, in errors); an open file is
    read (named after its ``name``). Empty documents are skipped. Raises
    :class:`ManifestError` naming every problem of every document, and ``OSError`` for a
    file that cannot be read.
    """
    resources: list[Resource] = []
    problems: list[ValidationError] = []
    seen: dict[tuple[str, str | None, str], str] = {}
    for source in sources:
        label, text = _read(source, name)
        for document in _documents(text, label):
            if document.problem is not None:
                problems.append(document.problem)
                continue
            resource = document.resource
            if resource is None:
                continue
            key = (resource.kind, resource.namespace, resource.name)
            if key in seen:
                error = FieldError("name", f"{show(resource.name)} is also defined in {seen[key]}")
                problems.append(document.invalid([error]))
                continue
            seen[key] = _location(document.subject)
            resources.append(resource)
            dangling = document.check_references(resources)
            if dangling is not None:
                problems.append(dangling)
    if problems:
        raise ManifestError(problems)
    return resources


def _read(source: ManifestSource, name: str | None) -> tuple[str, str]:
    if isinstance(source, str) and ("\n" in source or "\r" in source or not source):
        return name or "<string>", source
    if isinstance(source, (str, os.PathLike)):
        label = name or str(source)
        return label, _decoded(Path(source).read_bytes(), label)
    label = name or str(getattr(source, "name", "<stream>"))
    offset = None
    try:
        text = source.read()
    except UnicodeDecodeError as error:
        offset = error.start
    if offset is not None:  # raised out here, so the decode error (which holds the whole
        raise _not_utf8(label, offset)  # file in its args) is not its __context__ either
    return label, text


_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


def _decoded(data: bytes, label: str) -> str:
    """The text of a manifest file, which must be UTF-8 (a UTF-8 byte order mark is
    allowed). The error names the file and the first byte that is not UTF-8, never the
    content: a manifest may hold secret values."""
    if data.startswith(_UTF16_MARKS):
        raise ManifestError(
            [
                ValidationError(
                    label,
                    [
                        FieldError(
                            "",
                            "is UTF-16 text (it starts with a UTF-16 "
                            "byte order mark); save it as UTF-8",
                        )
                    ],
                )
            ]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        offset = error.start
    raise _not_utf8(label, offset)  # out here: the decode error holds the file in its args


def _not_utf8(label: str, offset: int) -> ManifestError:
    message = f"is not UTF-8 text: byte {offset} is not valid UTF-8; save the file as UTF-8"
    return ManifestError([ValidationError(label, [FieldError("", message)])])


@attrs.define
class _Document:
    """One document of a manifest file, as it is loaded and checked."""

    label: str
    index: int
    lines: dict[str, int] = attrs.field(factory=dict)
    described: str | None = None
    """``Deployment 'web'`` once the kind and name are known."""
    resource: Resource | None = None
    problem: ValidationError | None = None

    @property
    def subject(self) -> str:
        where = f"{self.label}[{self.index}]"
        return f"{where} ({self.described})" if self.described else where

    def invalid(self, errors: Iterable[FieldError]) -> ValidationError:
        """The errors with their lines, in the order of the document's lines."""
        located = [self._locate(error) for error in errors]
        located.sort(key=lambda pair: pair[0])
        return ValidationError(self.subject, [error for _, error in located])

    def fail(self, errors: Iterable[FieldError]) -> None:
        self.problem = self.invalid(errors)

    def _locate(self, error: FieldError) -> tuple[int, FieldError]:
        path = error.path
        while path not in self.lines and path:
            path = _parent(path)
        line = self.lines.get(path)
        if line is None or "(line " in error.message:
            return (line or 0), error
        return line, FieldError(error.path, f"{error.message} (line {line})")

    def check_references(self, batch: list[Resource]) -> ValidationError | None:
        """Env values and files that name a key missing from a secret or config map loaded."""
        resource = self.resource
        if not isinstance(resource, Deployment):
            return None
        owners = [item for item in batch if item.kind in ("Secret", "ConfigMap")]
        try:
            validate_all([*owners, resource])
        except ValidationError as error:
            return self.invalid(FieldError(manifest_path(e.path), e.message) for e in error.errors)
        return None


def _parent(path: str) -> str:
    """``ports[0]`` for ``ports[0].port``, ``ports`` for ``ports[0]``, ``""`` at the top."""
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


def _documents(text: str, label: str) -> Iterator[_Document]:
    """Each document of ``text``, structured and validated, or with the problems found."""
    import yaml  # type: ignore[import-untyped]

    try:
        loader = loader_class()(text)
    except yaml.YAMLError as error:  # a character YAML does not allow
        document = _Document(label, 0)
        document.fail([FieldError("", yaml_problem(error))])
        yield document
        return
    index = 0
    try:
        while True:
            document = _Document(label, index)
            try:
                if not loader.check_node():
                    return
                node = loader.get_node()
                data = loader.construct_document(node)
            except (yaml.YAMLError, ValueError, RecursionError) as error:
                document.fail([FieldError("", yaml_problem(error))])
                yield document
                return  # the rest of the stream cannot be trusted after a syntax error
            document.lines = node_lines(node)
            if data is not None:
                _structure(document, data)
                yield document
            index += 1
    finally:
        loader.dispose()


def _structure(document: _Document, data: Any) -> None:
    """Fills ``document.resource``, or ``document.problem`` with every problem found."""
    if not isinstance(data, Mapping):
        document.fail(
            [FieldError("", f"a manifest document must be a mapping, got {type_name(data)}")]
        )
        return
    fields = dict(data)
    errors: list[FieldError] = []
    api_version = fields.pop("apiVersion", None)
    kind_name = fields.pop("kind", None)
    if api_version != API_VERSION:
        if api_version is None:
            message = f"is required: {API_VERSION!r}"
        else:
            message = f"must be {API_VERSION!r}, {got(api_version)}"
            if isinstance(api_version, str) and ("metadata" in fields or "spec" in fields):
                message += f"; this looks like a Kubernetes manifest ({FLAT_HINT})"
        errors.append(FieldError("apiVersion", message))
    kind = _KIND_NAMES.get(kind_name) if isinstance(kind_name, str) else None
    if kind is None:
        known = ", ".join(_KIND_NAMES)
        if kind_name is None:
            errors.append(FieldError("kind", f"is required: one of {known}"))
        else:
            hint = suggest(kind_name, _KIND_NAMES) if isinstance(kind_name, str) else ""
            errors.append(FieldError("kind", f"must be one of {known}, {got(kind_name)}{hint}"))
    if errors or kind is None:
        document.fail(errors)
        return
    name = fields.get("name")
    if isinstance(name, str):
        document.described = f"{kind.kind} {show(name)}"
    try:
        resource = converter().structure(fields, kind)
    except Exception as error:  # cattrs' errors, and ours, all become field errors
        document.fail(FieldError(path, message) for path, message in errors_of(error, ""))
        return
    found = check(resource)
    if found:
        document.fail(FieldError(manifest_path(error.path), error.message) for error in found)
        return
    document.resource = resource


# -- dumping -------------------------------------------------------------------------


def manifest_of(resource: Resource, *, reveal: bool = False) -> dict[str, Any]:
    """One resource as a manifest document of plain data (for YAML or JSON).

    Fields at their default are left out. A secret's values are written only with
    ``reveal=True``; otherwise each is the :data:`~orchsdk.REDACTED` placeholder, which
    :func:`load_manifests` refuses, so a redacted manifest can never be applied by mistake.
    """
    if not isinstance(resource, Resource) or type(resource) not in KINDS:
        raise TypeError(
            f"expected a Deployment, Service, Secret, ConfigMap or Autoscaler, got {resource!r}"
        )
    if isinstance(resource, Secret) and not reveal:
        resource = attrs.evolve(resource, data=dict.fromkeys(resource.data, REDACTED))
    fields = converter().unstructure(resource, type(resource))
    native = fields.pop("native", None)
    document = {"apiVersion": API_VERSION, "kind": resource.kind, **fields}
    if native is not None:
        document["native"] = native
    return document


def dump_manifests(resources: Iterable[Resource], *, reveal: bool = False) -> str:
    """The resources as a multi-document YAML manifest that :func:`load_manifests` reads back.

    ``load_manifests(dump_manifests(specs, reveal=True)) == specs``. Without
    ``reveal``, secret values are written as the :data:`~orchsdk.REDACTED` placeholder
    (and such a manifest does not load: it could only overwrite the real values).
    """
    import yaml

    documents = [manifest_of(resource, reveal=reveal) for resource in resources]
    text: str = yaml.dump_all(
        documents,
        Dumper=dumper_class(),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=4096,
    )
    return text
