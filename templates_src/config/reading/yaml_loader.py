"""Read one params file into plain values plus the line and column of every key.

A params file can come from anyone who can open a pull request, so this reader constructs
nothing but strings, numbers, booleans, null, lists and mappings: object tags are refused
without being constructed, duplicate keys (which PyYAML silently collapses) are refused,
and alias expansion is bounded so an "alias bomb" fails in milliseconds.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .safe_files import NotRegular, read_regular
from ..errors import KeyPath, ParamsError
from .yaml_compose import fast_compose

MAX_FILE_BYTES = 1_000_000  # a real params file is a few kilobytes
MAX_NODES = 20_000  # after alias expansion; a real file has a few hundred
MAX_DEPTH = 32

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + t for t in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ = _TAG + "map", _TAG + "seq"
_SCALAR_CONSTRUCTOR = SafeConstructor()
# PyYAML's problems that beginners meet, with what usually fixes them.
_YAML_HINTS = {
    "mapping values are not allowed here": "quote a value that contains ': '",
    "expected <block end>": "check the indentation",
}
_DECIMAL_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)")  # YAML 1.1 also reads 0700, 0x1f, 0b11 and 1:30 as ints
_LEADING_ZERO = re.compile(r"[-+]?0[0-7_]+")  # YAML 1.1's octal form


@dataclass(frozen=True)
class Mark:
    file: str
    line: int
    col: int


@dataclass
class Document:
    """A parsed params file: its values and where each key path was written."""

    file: str
    data: Any
    marks: dict[KeyPath, Mark] = field(default_factory=dict)


class _Reported:
    """The value of a node whose problem the loader has reported already (a YAML 1.1 boolean, a
    tag): validation goes on around it, so every other problem of the file comes out in the same
    run, and treats it as invalid without a second message."""

    def __repr__(self) -> str:
        return "<reported>"


REPORTED: Any = _Reported()


class _Converter:
    def __init__(self, file: str) -> None:
        self.file = file
        self.nodes = 0
        self.marks: dict[KeyPath, Mark] = {}
        self.errors: list[ParamsError] = []

    def error(self, node: Node, path: KeyPath, message: str) -> None:
        mark = node.start_mark
        self.errors.append(ParamsError(self.file, mark.line + 1, mark.column + 1, path, message))

    def convert(self, node: Node, path: KeyPath, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooLarge(node)
        if depth > MAX_DEPTH:
            raise _TooDeep(node)
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ:
                self.error(node, path, f"the tag {node.tag} is not allowed (plain lists only)")
                return REPORTED
            items = []
            for index, item in enumerate(node.value):
                self.marks[path + (index,)] = self._mark(item)
                items.append(self.convert(item, path + (index,), depth + 1))
            return items
        return self._scalar(node, path)

    def _mapping(self, node: MappingNode, path: KeyPath, depth: int) -> Any:
        if node.tag != _MAP:
            self.error(node, path, f"the tag {node.tag} is not allowed (plain mappings only)")
            return REPORTED
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                self.error(key_node, path, "merge keys (<<) are not supported; use _defaults.yaml")
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag != _STR:
                shown = key_node.value if isinstance(key_node, ScalarNode) else "a collection"
                self.error(key_node, path, f"keys must be plain strings, got {shown!r}")
                continue
            key = key_node.value
            if key in result:
                first = self.marks[path + (key,)]
                self.error(key_node, path + (key,), f"duplicate key (first given at line {first.line})")
                continue
            self.marks[path + (key,)] = self._mark(key_node)
            result[key] = self.convert(value_node, path + (key,), depth + 1)
        return result

    def _scalar(self, node: ScalarNode, path: KeyPath) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            if node.value.lower() in ("true", "false"):
                return node.value.lower() == "true"
            self.error(node, path, f"{node.value!r} is a YAML 1.1 boolean; write true or false, or quote it")
            return REPORTED
        if tag == _INT:
            return self._int(node, path)
        if tag == _FLOAT:
            return _SCALAR_CONSTRUCTOR.construct_yaml_float(node)
        if tag == _TAG + "timestamp":
            self.error(node, path, f"{node.value!r} reads as a date; quote it if it is text")
            return REPORTED
        self.error(node, path, f"the tag {tag} is not allowed (plain values only)")
        return REPORTED

    def _int(self, node: ScalarNode, path: KeyPath) -> Any:
        if not _DECIMAL_INT.fullmatch(node.value):
            value = _SCALAR_CONSTRUCTOR.construct_yaml_int(node)
            if _LEADING_ZERO.fullmatch(node.value):  # 0700, an account id 012345670123: the zero is meant
                self.error(node, path, f"{node.value!r} has a leading zero, so YAML 1.1 reads it as the octal number "
                                       f"{value}, not as written; quote it ('{node.value}') to keep it as written "
                                       "(an id or account number is text and must be quoted), or write the number "
                                       "without the zero")
            else:
                self.error(node, path, f"{node.value!r} reads as the number {value} in YAML 1.1 (hex, binary or base "
                                       f"60); write {value}, or quote it if it is text")
            return REPORTED
        try:
            return int(node.value.replace("_", ""))
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            self.error(node, path, f"a number with {len(node.value)} digits is far too large")
            return REPORTED

    def _mark(self, node: Node) -> Mark:
        return Mark(self.file, node.start_mark.line + 1, node.start_mark.column + 1)


class _TooLarge(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


class _TooDeep(_TooLarge):
    pass


def _decode(raw: bytes, file: str) -> tuple[str, list[ParamsError]]:
    try:
        return raw.decode("utf-8").removeprefix("\ufeff"), []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return "", [ParamsError(file, line, col, (), "the file is not UTF-8 text (save it as UTF-8)")]


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's problem in one line, with where the construct it was reading began."""
    problem = exc.problem or exc.context or "not YAML"
    if "'\\t'" in problem:
        return "a tab character; YAML indents with spaces only"
    if exc.context and problem.startswith("but "):
        return f"{exc.context}, {problem}"
    hints = [hint for start, hint in _YAML_HINTS.items() if problem.startswith(start)]
    start = exc.context_mark
    if exc.problem and exc.context and start and exc.problem_mark and start.line != exc.problem_mark.line:
        hints.insert(0, f"{exc.context} at line {start.line + 1}")
    return f"{problem} ({'; '.join(hints)})" if hints else problem


def parse(text: str, file: str, fast: bool = True) -> tuple[Document, list[ParamsError]]:
    """Parse YAML text; return the document and every problem found in it."""
    root = fast_compose(text) if fast else None
    fast = root is not None  # whether libyaml composed it
    try:
        if root is None:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        return Document(file, None), [ParamsError(file, line, col, (), f"invalid YAML: {_yaml_problem(exc)}")]
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        return Document(file, None), [
            ParamsError(file, line, col, (), f"invalid YAML: the character #x{exc.character:04x} is not allowed in "
                                             "YAML (remove it)")
        ]
    except yaml.YAMLError as exc:
        return Document(file, None), [ParamsError(file, 0, 0, (), f"invalid YAML: {str(exc).splitlines()[0]}")]
    except RecursionError:
        return Document(file, None), [
            ParamsError(file, 0, 0, (), f"refused: the file is nested deeper than {MAX_DEPTH} levels")
        ]
    if root is None:
        return Document(file, None), [ParamsError(file, 1, 1, (), "the file is empty (expected a mapping of keys)")]
    if not isinstance(root, MappingNode) or root.tag != _MAP:
        kind = "a list" if isinstance(root, SequenceNode) else "a single value"
        return Document(file, None), [
            ParamsError(file, root.start_mark.line + 1, root.start_mark.column + 1, (),
                        f"the top level is {kind}; expected a mapping of keys")
        ]
    converter = _Converter(file)
    try:
        data = converter.convert(root, ())
    except _TooLarge as exc:
        if fast:  # SafeLoader may refuse the depth first (a RecursionError): its answer, as always
            return parse(text, file, fast=False)
        what = f"is nested deeper than {MAX_DEPTH} levels" if isinstance(exc, _TooDeep) else (
            f"expands to more than {MAX_NODES} values (an alias bomb?)")
        mark = exc.node.start_mark
        return Document(file, None), [ParamsError(file, mark.line + 1, mark.column + 1, (), f"refused: the file {what}")]
    return Document(file, data, converter.marks), converter.errors


def load(path: Path, shown_as: str, root: Path | None = None) -> tuple[Document, list[ParamsError]]:
    """Read and parse one params file; ``shown_as`` is the name used in error messages.

    A params file may be a link to a plain file inside ``root`` (the params folder: one env's
    file shared by another name); a link out of it is refused before anything is read, so no
    value of a file outside the params folder reaches a message or a template."""
    try:
        if root is not None and path.is_symlink():
            target, folder = Path(os.path.realpath(path)), Path(os.path.realpath(root))
            if folder not in target.parents:
                return Document(shown_as, None), [ParamsError(shown_as, 0, 0, (), (
                    "refused: a link to outside the params folder (a params file may link only to a file in it)"))]
            path = target
        raw = read_regular(path, follow=root is None, limit=MAX_FILE_BYTES + 1)
    except NotRegular as exc:
        return Document(shown_as, None), [ParamsError(shown_as, 0, 0, (), f"refused: the file is {exc.kind} "
                                                                          "(params are plain files)")]
    except OSError as exc:
        return Document(shown_as, None), [ParamsError(shown_as, 0, 0, (), f"cannot read the file: {exc.strerror}")]
    if len(raw) > MAX_FILE_BYTES:
        return Document(shown_as, None), [
            ParamsError(shown_as, 0, 0, (), f"refused: the file is larger than {MAX_FILE_BYTES} bytes")
        ]
    text, errors = _decode(raw, shown_as)
    if errors:
        return Document(shown_as, None), errors
    return parse(text, shown_as)
