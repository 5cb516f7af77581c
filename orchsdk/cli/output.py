"""How the command prints: plain aligned tables (as kubectl does), YAML and JSON.

Tables are plain text so that they can be read by ``awk`` and ``grep``; YAML and JSON are
for programs. Nothing here ever receives a secret value it is not allowed to show: the
commands redact before they print.
"""

from __future__ import annotations

import datetime
import enum
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import click

from orchsdk.values import Port

__all__ = ["dump_json", "dump_yaml", "echo_table", "plain", "ports_text"]


def plain(value: Any) -> Any:
    """attrs objects, enums, times, mappings and tuples as JSON-ready data."""
    if attrs.has(type(value)):
        return {
            field.name: plain(getattr(value, field.name)) for field in attrs.fields(type(value))
        }
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, str):
        return str.__str__(value)
    return value


def dump_json(data: Any) -> str:
    return json.dumps(plain(data), indent=2, ensure_ascii=False)


def dump_yaml(data: Any, *, documents: bool = False) -> str:
    """YAML of plain data; with ``documents``, each item of ``data`` is one document."""
    import yaml  # type: ignore[import-untyped]

    options: dict[str, Any] = {"sort_keys": False, "allow_unicode": True, "width": 4096}
    text: str
    if documents:
        text = yaml.safe_dump_all([plain(item) for item in data], **options)
    else:
        text = yaml.safe_dump(plain(data), **options)
    return text


def echo_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Columns padded to their widest cell, three spaces apart, like ``kubectl get``."""
    lines = [list(headers), *([_cell(value) for value in row] for row in rows)]
    widths = [max(len(line[index]) for line in lines) for index in range(len(headers))]
    for line in lines:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=True)]
        click.echo("   ".join(cells).rstrip())


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "<none>"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return ",".join(f"{key}={item}" for key, item in value.items()) or "<none>"
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value) or "<none>"
    return str(value)


def ports_text(ports: Iterable[Port]) -> str:
    """``80/TCP,443->https/TCP``: each port, its target when it differs, and its protocol."""
    texts = []
    for port in ports:
        target = f"->{port.target_port}" if port.target_port is not None else ""
        name = f"{port.name}:" if port.name else ""
        texts.append(f"{name}{port.port}{target}/{port.protocol}")
    return ",".join(texts)
