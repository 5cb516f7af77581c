"""PyYAML, safely: a loader that refuses object tags, duplicate keys and alias bombs.

Used by :mod:`orchsdk.manifests`; ``yaml`` is imported on first use. Error messages
name lines and columns but never quote the text, which could hold a secret.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml  # type: ignore[import-untyped]

__all__ = ["MAX_DEPTH", "MAX_NODES", "dumper_class", "loader_class", "node_lines", "yaml_problem"]

MAX_NODES = 100_000
"""The most YAML nodes one document may hold once its aliases are expanded."""

MAX_DEPTH = 100
"""The deepest nesting of lists and mappings a document may have."""


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def yaml_problem(error: BaseException) -> str:
    """A YAML error in one line, without the source snippet (it could hold a secret)."""
    import yaml

    if isinstance(error, RecursionError):
        return "the YAML is nested too deeply"
    if isinstance(error, yaml.MarkedYAMLError):
        words = [part for part in (error.context, error.problem) if part]
        mark = error.problem_mark or error.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        return f"invalid YAML: {', '.join(words) or type(error).__name__}{where}"
    return f"invalid YAML: {error}"


@functools.cache
def loader_class() -> type[yaml.SafeLoader]:
    """A ``SafeLoader`` that refuses duplicate keys, object tags and alias bombs."""
    import yaml
    from yaml.composer import ComposerError  # type: ignore[import-untyped]
    from yaml.constructor import ConstructorError  # type: ignore[import-untyped]
    from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode  # type: ignore[import-untyped]

    class ManifestLoader(yaml.SafeLoader):  # type: ignore[misc]
        depth = 0

        def compose_node(self, parent: Node | None, index: Any) -> Node | None:
            if self.depth >= MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
            self.depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

        def compose_document(self) -> Node:
            node: Node = super().compose_document()
            _check_expansion(node)
            return node

        def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag.endswith(":merge"):
                    continue
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise ConstructorError(
                        None,
                        None,
                        f"duplicate key {_show(key)} in a mapping",
                        key_node.start_mark,
                    )
                seen.add(key)
            mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
            return mapping

    def refuse_tag(loader: yaml.SafeLoader, node: Node) -> Any:
        raise ConstructorError(
            None,
            None,
            f"tag {node.tag!r} is not allowed: manifests are plain YAML (safe loading)",
            node.start_mark,
        )

    def _check_expansion(root: Node) -> None:
        sizes: dict[int, int] = {}
        open_nodes: set[int] = set()
        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:
            node, finished = stack.pop()
            key = id(node)
            children: list[Node] = []
            if isinstance(node, SequenceNode):
                children = list(node.value)
            elif isinstance(node, MappingNode):
                children = [item for pair in node.value for item in pair]
            if finished:
                open_nodes.discard(key)
                sizes[key] = 1 + sum(sizes[id(child)] for child in children)
                if sizes[key] > MAX_NODES:
                    raise ConstructorError(
                        None,
                        None,
                        f"the document expands to more than {MAX_NODES} nodes through "
                        "aliases (a YAML bomb?)",
                        root.start_mark,
                    )
                continue
            if key in sizes:
                continue
            if key in open_nodes:
                raise ConstructorError(
                    None, None, "an alias refers to a node that contains it", node.start_mark
                )
            open_nodes.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in children)

    ManifestLoader.add_constructor(None, refuse_tag)
    return ManifestLoader


def node_lines(root: Any) -> dict[str, int]:
    """The line (from 1) of each path in a document, as the structuring errors name paths."""
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    lines: dict[str, int] = {}
    stack = [("", root)]
    seen: set[int] = set()
    while stack:
        path, node = stack.pop()
        lines.setdefault(path, node.start_mark.line + 1)
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(node.value))
        elif isinstance(node, MappingNode):
            for key_node, value in node.value:
                if isinstance(key_node, ScalarNode) and not key_node.tag.endswith(":merge"):
                    child = f"{path}.{key_node.value}" if path else str(key_node.value)
                    lines.setdefault(child, key_node.start_mark.line + 1)
                    stack.append((child, value))
    return lines


_OTHER_LINE_BREAKS = "\r\x85\u2028\u2029"


@functools.cache
def dumper_class() -> type[yaml.SafeDumper]:
    """A ``SafeDumper`` that writes multi-line strings as literal blocks (``|``)."""
    import yaml

    class ManifestDumper(yaml.SafeDumper):  # type: ignore[misc]
        pass

    def represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style: str | None = None
        if any(char in value for char in _OTHER_LINE_BREAKS):
            style = '"'  # escaped: PyYAML would fold them raw in a plain or quoted scalar
        elif "\n" in value.rstrip("\n"):
            style = "|"
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    ManifestDumper.add_representer(str, represent_str)
    return ManifestDumper
