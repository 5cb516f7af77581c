"""A griffe extension for orchsdk's API reference (loaded by mkdocstrings, see mkdocs.yml).

orchsdk's docstrings are reST-flavoured plain text: ``double backticks``, Sphinx roles
such as :class:`~orchsdk.Orchestrator`, ``>>>`` examples and ``::`` literal blocks. The
reference renders docstrings as Markdown, so this extension rewrites, before parsing:

- a role into a cross-reference to the object it names (resolved like Python names,
  from the docstring's own scope), rendered as code. The reference is *optional*: an
  object that no page documents (a private helper) shows as code, without a warning;
- a run of ``>>>`` lines (and the output under them) into a ``pycon`` code block;
- a paragraph ending in ``::`` and the indented block under it into a code block.

A default that names a module constant shows the constant's value instead. It also
gives attrs classes (the specs, the value types, ``RetryPolicy``...) the
``__init__`` signature attrs generates, which static analysis cannot see: parameter
order, keyword-only fields and defaults come from ``attrs.fields()`` of the real class,
annotations from the class body (``tuple[X, ...]`` shown as ``Iterable[X]`` and
``FrozenDict[K, V]`` as ``Mapping[K, V]``: what the converters accept).
"""

from __future__ import annotations

import ast
import contextlib
import html
import importlib
import inspect
import re
from collections.abc import Mapping
from typing import Any

import attrs
import griffe

ROLE = re.compile(r":(?:py:)?(?P<role>[a-z]+):`(?P<body>[^`]+)`")
LITERAL_INTRO = re.compile(r"(?P<text>.*?)(?P<colons>\s*::)\s*$")
PACKAGES = ("orchsdk", "orchsdk_kubernetes", "orchsdk_marathon", "orchsdk_memory")
CALLABLE_ROLES = ("func", "meth")


class OrchsdkDocstrings(griffe.Extension):
    """Markdown-ready docstrings and attrs ``__init__`` signatures (see the module docstring)."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value, obj)

    def on_attribute(self, *, attr: griffe.Attribute, **kwargs: Any) -> None:
        """An attribute set in ``__init__`` shows its type, not the expression that made it."""
        if "instance-attribute" in attr.labels and "class-attribute" not in attr.labels:
            made_by = attr.value
            if attr.annotation is None and isinstance(made_by, griffe.ExprCall):
                attr.annotation = made_by.function  # `self.x = Thing(...)`: x is a Thing
            attr.value = None

    def on_function(self, *, func: griffe.Function, **kwargs: Any) -> None:
        """A default that names a module constant (``timeout=DEFAULT_TIMEOUT``) shows its value."""
        for parameter in func.parameters:
            default = parameter.default
            if not isinstance(default, griffe.ExprName):
                continue
            with contextlib.suppress(Exception):
                constant = func.modules_collection[func.resolve(default.name)]
                value = str(constant.value)
                ast.literal_eval(value)  # only literals: a number, a string, ...
                parameter.default = value

    def on_class(self, *, cls: griffe.Class, **kwargs: Any) -> None:
        if not any(str(d.value).startswith(("attrs.", "attr.")) for d in cls.decorators):
            return  # not an attrs class: nothing to import
        runtime = _runtime(cls)
        if runtime is None or not attrs.has(runtime) or "__init__" in cls.members:
            return
        parameters = [griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword)]
        fields = {field.alias: field for field in attrs.fields(runtime)}
        for parameter in inspect.signature(runtime).parameters.values():
            field = fields[parameter.name]
            keyword_only = parameter.kind is inspect.Parameter.KEYWORD_ONLY
            parameters.append(
                griffe.Parameter(
                    parameter.name,
                    annotation=_annotation(cls, field.name),
                    kind=griffe.ParameterKind.keyword_only
                    if keyword_only
                    else griffe.ParameterKind.positional_or_keyword,
                    default=_default(field),
                )
            )
        init = griffe.Function(
            "__init__",
            parameters=griffe.Parameters(*parameters),
            returns="None",
            lineno=cls.lineno,
            endlineno=cls.lineno,
        )
        init.labels.add("attrs-generated")
        cls.set_member("__init__", init)
        for field in fields.values():  # `x: T = attrs.field(...)` shows its default instead
            member = cls.members.get(field.name)
            if isinstance(member, griffe.Attribute) and "attrs" in str(member.value):
                member.value = _default(field)


def _runtime(cls: griffe.Class) -> type | None:
    """The class itself, imported (None for what cannot be imported)."""
    try:
        target: Any = importlib.import_module(cls.module.path)
        for name in cls.path[len(cls.module.path) + 1 :].split("."):
            target = getattr(target, name)
    except Exception:
        return None
    return target if isinstance(target, type) else None


def _annotation(cls: griffe.Class, name: str) -> str | griffe.Expr | None:
    """A field's annotation as written in the class body, in the form ``__init__`` accepts."""
    member = cls.all_members.get(name)
    annotation = getattr(member, "annotation", None)
    if annotation is None:
        return None
    text = str(annotation)
    text = re.sub(r"\btuple\[(.+), \.\.\.\]", r"Iterable[\1]", text)
    text = re.sub(r"\bFrozenDict\[", "Mapping[", text)
    with contextlib.suppress(SyntaxError):
        expression = griffe.safe_get_annotation(ast.parse(text, mode="eval").body, member.parent)
        if expression is not None:
            return expression
    return text


def _default(field: attrs.Attribute) -> str | None:  # type: ignore[type-arg]
    default = field.default
    if default is attrs.NOTHING:
        return None
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        factory = default.factory
        if isinstance(factory, type) and issubclass(factory, Mapping):
            return "{}"
        name = getattr(factory, "__name__", "factory")
        return f"{name}()"
    return repr(default)


# -- docstrings ------------------------------------------------------------------------


def to_markdown(text: str, obj: griffe.Object) -> str:
    """A reST-flavoured docstring as Markdown (see the module docstring)."""
    text = ROLE.sub(lambda match: _reference(match["role"], match["body"], obj), text)
    lines = text.splitlines()
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if stripped.startswith(">>>"):
            block, index = _take_doctest(lines, index)
            out.extend(_fence(block, "pycon", _indent(line)))
            continue
        intro = LITERAL_INTRO.fullmatch(line)
        if intro and _indented_block_follows(lines, index):
            text_before = intro["text"]
            if text_before.strip():
                out.append(text_before.rstrip() + ":")
            block, index = _take_indented(lines, index + 1, _indent(line))
            out.extend(_fence(block, _guess_language(block), _indent(line)))
            continue
        out.append(line)
        index += 1
    return "\n".join(out)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _take_doctest(lines: list[str], index: int) -> tuple[list[str], int]:
    """A run of ``>>>`` / ``...`` lines and their output, up to a blank line."""
    block = []
    while index < len(lines) and lines[index].strip():
        block.append(lines[index])
        index += 1
    return block, index


def _indented_block_follows(lines: list[str], index: int) -> bool:
    base = len(_indent(lines[index]))
    for line in lines[index + 1 :]:
        if line.strip():
            return len(_indent(line)) > base
    return False


def _take_indented(lines: list[str], index: int, base: str) -> tuple[list[str], int]:
    """The lines indented deeper than ``base`` (blank lines inside included)."""
    while index < len(lines) and not lines[index].strip():
        index += 1
    block = []
    while index < len(lines):
        line = lines[index]
        if line.strip() and len(_indent(line)) <= len(base):
            break
        block.append(line)
        index += 1
    while block and not block[-1].strip():
        block.pop()
    return block, index


def _fence(block: list[str], language: str, indent: str) -> list[str]:
    depth = min(len(_indent(line)) for line in block if line.strip())
    body = [line[depth:] if line.strip() else "" for line in block]
    return ["", f"{indent}```{language}", *(indent + line for line in body), f"{indent}```", ""]


def _guess_language(block: list[str]) -> str:
    code = "\n".join(block)
    return "python" if re.search(r"^\s*(def|class|import|from|with)\b", code, re.M) else "text"


def _reference(role: str, body: str, obj: griffe.Object) -> str:
    """``:role:`target```, ``:role:`~a.b.c``` or ``:role:`title <target>``` as a cross-reference."""
    body = " ".join(body.split())
    explicit = re.fullmatch(r"(?P<title>.+?)\s*<(?P<target>[^>]+)>", body)
    if explicit:
        title, target = explicit["title"], explicit["target"]
    else:
        target = body.lstrip("~!")
        title = target.rsplit(".", 1)[-1] if body.startswith("~") else target.lstrip(".")
        if role in CALLABLE_ROLES:
            title += "()"
    identifier = _resolve(target.lstrip("~!"), obj)
    code = f"<code>{html.escape(title)}</code>"
    return f'<autoref identifier="{html.escape(identifier)}" optional>{code}</autoref>'


def _resolve(target: str, obj: griffe.Object) -> str:
    """The full path a role's target names, seen from the docstring's object."""
    module = obj if obj.is_module else obj.module
    if target.startswith("."):
        package = module if module.is_package else module.parent
        relative = target.lstrip(".")
        for _ in range(len(target) - len(relative) - 1):
            package = package.parent if package is not None else None
        return f"{package.path}.{relative}" if package is not None else relative
    first, _, rest = target.partition(".")
    if first in PACKAGES:
        return target
    try:
        resolved = obj.resolve(first)
    except Exception:
        return target
    return f"{resolved}.{rest}" if rest else resolved
