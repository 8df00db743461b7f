"""Split a case-study file into YAML front matter and Markdown body, keeping source positions.

Positions matter because contributors fix what the validator points at: every key and list
item in the front matter is mapped to its 1-based (line, column) in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


class FrontMatterError(ValueError):
    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass
class ParsedFile:
    data: dict[str, Any]
    body: str
    body_line: int  # 1-based line number where the body starts
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    duplicate_keys: list[tuple[Path_, int, int]] = field(default_factory=list)

    def position(self, path: Path_) -> tuple[int, int]:
        """Position of a key path, falling back to its nearest known parent, then line 1."""
        p = tuple(path)
        while p:
            if p in self.positions:
                return self.positions[p]
            p = p[:-1]
        return (1, 1)


def split(text: str) -> tuple[str, str, int]:
    """Return (yaml_text, body, body_line). Raises FrontMatterError if there is no front matter."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").rstrip() != "---":
        raise FrontMatterError("file must start with front matter: a line '---', YAML, then '---'")
    for i in range(1, len(lines)):
        if lines[i].rstrip("\r\n").rstrip() in ("---", "..."):
            return "".join(lines[1:i]), "".join(lines[i + 1 :]), i + 2
    raise FrontMatterError("front matter is not closed: add a line '---' after the YAML", 1, 1)


#: At most this many YAML nodes (scalars, lists, mappings) in one file's front matter: a real
#: case study has a few hundred, and a bound keeps the work per file small whatever the input.
MAX_NODES = 5_000
MAX_DEPTH = 20


def _refuse_anchors(yaml_text: str, offset: int, max_nodes: int = MAX_NODES) -> None:
    """Refuse every anchor and alias, wherever it sits, and bound the number of nodes.

    Checked on the parser's events, before anything is composed or constructed, so an alias
    bomb costs no more than reading its text once.
    """
    nodes = 0
    for event in yaml.parse(yaml_text, Loader=yaml.SafeLoader):
        mark = event.start_mark
        line = mark.line + 1 + offset if mark else 1
        anchor = getattr(event, "anchor", None)
        if isinstance(event, yaml.AliasEvent) or anchor is not None:
            raise FrontMatterError(
                "YAML anchors and aliases (& and *) are not allowed in front matter",
                line,
                mark.column + 1 if mark else 1,
            )
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > max_nodes:
                raise FrontMatterError(
                    f"the YAML has more than {max_nodes:,} values; it is far too large",
                    line,
                )


def _walk(node: yaml.Node, path: Path_, parsed: ParsedFile, offset: int) -> None:
    if len(path) > MAX_DEPTH:
        raise FrontMatterError(
            "front matter is nested too deeply", node.start_mark.line + 1 + offset
        )
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            pos = (key_node.start_mark.line + 1 + offset, key_node.start_mark.column + 1)
            if key in keys:
                parsed.duplicate_keys.append(((*path, key), *pos))
            keys.add(key)
            parsed.positions[(*path, key)] = pos
            _walk(value_node, (*path, key), parsed, offset)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            parsed.positions[(*path, i)] = (
                item.start_mark.line + 1 + offset,
                item.start_mark.column + 1,
            )
            _walk(item, (*path, i), parsed, offset)


def parse_yaml(yaml_text: str, offset: int = 0, max_nodes: int = MAX_NODES) -> ParsedFile:
    """Parse YAML with the positions of its keys; `offset` is the line the YAML starts after.

    Raises FrontMatterError with the position of any YAML error; anchors and aliases are refused.
    """
    probe = ParsedFile({}, "", 0)
    try:
        _refuse_anchors(yaml_text, offset, max_nodes)
        node = yaml.compose(yaml_text, Loader=yaml.SafeLoader)
        if node is not None:
            _walk(node, (), probe, offset)
        data = yaml.safe_load(yaml_text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + offset if mark else 1
        col = mark.column + 1 if mark else 1
        problem = exc.problem or "invalid YAML"
        context = ""
        if exc.context:
            where = exc.context_mark
            at = (
                f" started at line {where.line + 1 + offset}" if where and where is not mark else ""
            )
            context = f" ({exc.context}{at})"
        raise FrontMatterError(f"not valid YAML: {problem}{context}", line, col) from exc
    except FrontMatterError:
        raise
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as exc:
        raise FrontMatterError(f"not valid YAML: {exc}") from exc
    probe.data = data
    return probe


def parse(text: str) -> ParsedFile:
    """Parse a whole file. Raises FrontMatterError with the position of any YAML error."""
    yaml_text, body, body_line = split(text)
    try:
        probe = parse_yaml(yaml_text, offset=1)  # after the opening '---' line
    except FrontMatterError as exc:
        if exc.message.startswith("not valid YAML"):
            raise FrontMatterError(f"front matter is {exc.message}", exc.line, exc.column) from exc
        raise
    data = probe.data
    probe.body, probe.body_line = body, body_line
    if data is None:
        raise FrontMatterError("front matter is empty", 1, 1)
    if not isinstance(data, dict):
        raise FrontMatterError("front matter must be a mapping of 'field: value' lines", 2, 1)
    return probe
