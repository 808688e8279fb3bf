"""Safe YAML parsing that remembers the line and column of every key and value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from flightdeck.errors import ManifestError, ManifestIssue

DataPath = tuple[str | int, ...]

MAX_NODES = 100_000  # guards against alias bombs ("billion laughs")
_MERGE_TAG = "tag:yaml.org,2002:merge"


class PositionLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser is ~10x faster
    """PyYAML's SafeLoader, used only to compose nodes; the builder below turns them into data."""


@dataclass(frozen=True)
class Position:
    """A 1-based place in a file."""

    line: int
    column: int


@dataclass
class YamlSource:
    """A parsed YAML document: plain data (mappings → dict, sequences → tuple) plus where each node was.

    :param file: the file name used in issues.
    :param data: the document as ``yaml.safe_load`` would build it, with sequences as tuples.
    :param keys: position of the key of every mapping entry, by data path.
    :param values: position of every value node, by data path (``()`` is the document itself).
    :param plain_text: source text of each unquoted non-text scalar, by data path (``012`` for the int 10).
    :param issues: problems that did not stop parsing (duplicate keys, unknown tags); the data skips them.
    :param broken: data paths whose node could not be read; validation errors below them are noise.
    """

    file: str
    data: Any = None
    keys: dict[DataPath, Position] = field(default_factory=dict)
    values: dict[DataPath, Position] = field(default_factory=dict)
    plain_text: dict[DataPath, str] = field(default_factory=dict)
    issues: list[ManifestIssue] = field(default_factory=list)
    broken: set[DataPath] = field(default_factory=set)

    def is_broken(self, path: DataPath) -> bool:
        """Whether ``path`` is at or below a node that could not be read."""
        return any(path[: len(prefix)] == prefix for prefix in self.broken)

    def locate(self, path: DataPath, *, at_key: bool = False) -> Position:
        """The position of ``path``'s key (or value), else of its nearest ancestor that exists."""
        if at_key and path in self.keys:
            return self.keys[path]
        while path:
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get((), Position(0, 0))


def parse_yaml(text: str, file: str) -> YamlSource:
    """Parse one YAML document with safe-load semantics and record positions.

    Problems that leave the rest readable (a duplicate or non-text key, an unknown tag, a recursive alias) are
    collected in ``issues`` so that validation can report them together with its own.

    :raises ManifestError: on a syntax error.
    """
    try:
        loader = PositionLoader(text)
        node = loader.get_single_node()
    except yaml.reader.ReaderError as err:  # a character YAML does not allow
        line = text.count("\n", 0, err.position) + 1
        column = err.position - (text.rfind("\n", 0, err.position) + 1) + 1
        message = f"YAML does not allow the character U+{err.character:04X} here; remove it"
        raise ManifestError([ManifestIssue(file, line, column, "", message)]) from err
    except yaml.MarkedYAMLError as err:
        raise ManifestError([_syntax_issue(file, err)]) from err
    except yaml.YAMLError as err:
        raise ManifestError([ManifestIssue(file, 0, 0, "", f"not valid YAML: {err}")]) from err
    source = YamlSource(file)
    try:
        if node is not None:
            source.data = _Builder(loader, source).build(node, ())
    finally:
        loader.dispose()
    return source


def _syntax_issue(file: str, err: yaml.MarkedYAMLError) -> ManifestIssue:
    mark = err.problem_mark or err.context_mark
    problem = " ".join(part for part in (err.context, err.problem) if part)
    line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    return ManifestIssue(file, line, column, "", f"YAML syntax error: {problem}; check indentation and quoting")


def _position(node: Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Walks composed nodes, building data and positions; collects issues instead of stopping at the first."""

    def __init__(self, loader: PositionLoader, source: YamlSource) -> None:
        self.loader = loader
        self.source = source
        self._active: set[int] = set()
        self._count = 0

    def build(self, node: Node, path: DataPath) -> Any:
        self._count += 1
        if self._count > MAX_NODES:
            self._issue(node, path, f"document too large (more than {MAX_NODES} nodes after aliases)", broken=True)
            return None
        if id(node) in self._active:
            self._issue(node, path, "recursive alias: a node cannot contain itself", broken=True)
            return None
        self.source.values[path] = _position(node)
        self._active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            if isinstance(node, SequenceNode):
                return tuple(self.build(item, (*path, index)) for index, item in enumerate(node.value))
            return self._scalar(node, path)
        finally:
            self._active.discard(id(node))

    def _mapping(self, node: MappingNode, path: DataPath) -> dict[str, Any]:
        explicit = {id(key) for key, _ in node.value if key.tag != _MERGE_TAG}
        try:
            self.loader.flatten_mapping(node)  # applies `<<: *anchor` merge keys, explicit keys win
        except yaml.MarkedYAMLError as err:
            self.source.issues.append(_syntax_issue(self.source.file, err))
            self.source.broken.add(path)
            return {}
        result: dict[str, Any] = {}
        written_explicitly: set[str] = set()
        for key_node, value_node in node.value:
            key = self._construct(key_node, path, broken=False) if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                shown = key_node.value if isinstance(key_node, ScalarNode) else "..."
                self._issue(key_node, path, f'key {shown!r} is not text; quote it, e.g. "{shown}":')
                continue
            child = (*path, key)
            if key in written_explicitly and id(key_node) in explicit:
                self._issue(key_node, child, f"duplicate key {key!r}; YAML would silently keep only the last")
                continue
            if id(key_node) in explicit:
                written_explicitly.add(key)
            self.source.keys[child] = _position(key_node)
            self.source.plain_text.pop(child, None)
            result[key] = self.build(value_node, child)
        return result

    def _scalar(self, node: Node, path: DataPath) -> Any:
        value = self._construct(node, path)
        # Plain (unquoted) scalars: PyYAML gives style None, libyaml "".
        if isinstance(node, ScalarNode) and not node.style and not isinstance(value, str):
            self.source.plain_text[path] = node.value
        return value

    def _construct(self, node: Node, path: DataPath, *, broken: bool = True) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as err:
            tag = f" {node.tag}" if node.tag.startswith("!") else ""
            message = f"cannot read this value{tag}: {err.problem}; manifests use plain YAML"
        except ValueError as err:  # e.g. a date-like scalar that is no real date
            message = f"cannot read this value: {err}; quote it to keep it as text"
        self._issue(node, path, message, broken=broken)
        return None

    def _issue(self, node: Node, path: DataPath, message: str, *, broken: bool = False) -> None:
        position = _position(node)
        if broken:
            self.source.broken.add(path)
        self.source.issues.append(
            ManifestIssue(self.source.file, position.line, position.column, format_path(path), message)
        )


def format_path(path: DataPath) -> str:
    """``("environments", 2, "accounts", 0, "id")`` → ``environments[2].accounts[0].id``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
