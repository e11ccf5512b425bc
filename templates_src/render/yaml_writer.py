"""CloudFormation short-form YAML, byte for byte what cfn-flip writes, four to five times faster.

``yaml.dump`` with cfn-flip's dumper turns the template into a node graph, then into events, then
feeds a general state machine one event at a time. Rendering spent most of a ``--no-lint`` build
there. This module walks the (JSON-typed) template once and drives the same ``Emitter`` methods
the state machine would: the decisions that give the bytes — the representers (cfn-flip's
quoting rules), the resolver (``'30'`` vs ``30``), scalar analysis, style choice, tag
prefixes, indentation and line wrapping — are PyYAML's and cfn-flip's own code, called directly.
Only the walk over mappings and sequences (the state machine's block and flow paths) and the
catalog's rule for which collections go on one line (catalog/text.py) are written here.

Anything that walk does not cover (a float, a document that is not a plain mapping, a key that
PyYAML would write with ``?``) raises ``Unsupported``, and the caller falls back to
``yaml.dump``. tests/test_yaml_writer.py compares the two on every kind of generated template
and on random trees of awkward scalars.
"""

from __future__ import annotations

import io
import re
from typing import Any

from cfn_flip import config
from cfn_flip.yaml_dumper import CONVERTED_SUFFIXES, FN_PREFIX, Dumper
from cfn_tools.literal import LiteralString
from yaml.nodes import ScalarNode

_BREAKS = "\n\r\x85\u2028\u2029"
# A single-quoted scalar without line breaks is runs of spaces, quotes and other text.
_SINGLE_QUOTED_PIECES = re.compile(r" +|'|[^ ']+")


class Unsupported(Exception):
    """The value has a shape this writer does not reproduce; use ``yaml.dump``."""


class _Scalar:
    """What the representer and resolver make of one scalar: a ScalarEvent without the event."""

    __slots__ = ("analysis", "implicit", "style", "tag")

    def __init__(self, tag: str, implicit: tuple[bool, bool], style: str | None, analysis: Any) -> None:
        self.tag, self.implicit, self.style, self.analysis = tag, implicit, style, analysis


class _Writer(Dumper):
    """cfn-flip's dumper class, used for its representers, resolver and Emitter write methods.

    ``Dumper.__init__`` is not called: only the Emitter's formatting state is set up, as
    ``yaml.dump(..., default_flow_style=False, allow_unicode=True, width=max_col_width)`` would.
    """

    def __init__(self, scalars: dict[tuple[type, Any, str | None], _Scalar], flow_width: int | None,
                 block_levels: int) -> None:
        self.stream = io.StringIO()
        self.encoding = None
        self.canonical = None
        self.allow_unicode = True
        self.best_indent = 2
        self.best_width = config.max_col_width
        self.best_line_break = "\n"
        self.tag_prefixes = dict(self.DEFAULT_TAG_PREFIXES)
        self.indents: list[int | None] = []
        self.indent: int | None = None
        self.flow_level = 0
        self.root_context = self.sequence_context = self.mapping_context = self.simple_key_context = False
        self.line = self.column = 0
        self.whitespace = self.indention = True
        self.open_ended = False
        self.prepared_anchor = self.prepared_tag = None
        self.analysis = None
        self.style = None
        # The representer's settings (``represent_scalar`` reads default_style).
        self.default_style = None
        self.default_flow_style = False
        self.sort_keys = False
        self.represented_objects: dict[int, Any] = {}
        self.object_keeper: list[Any] = []
        self.alias_key = None
        self._scalars = scalars
        self.flow_width, self.block_levels = flow_width, block_levels
        self._tags: dict[str, str] = {}

    def prepare_tag(self, tag: str) -> str:
        prepared = self._tags.get(tag)
        if prepared is None:
            prepared = self._tags[tag] = super().prepare_tag(tag)
        return prepared

    # --- what a value becomes ---------------------------------------------------------------

    def _scalar(self, value: Any, tag: str | None = None) -> _Scalar:
        """The representer's node for a scalar (cfn-flip's quoting rules) and the resolver's verdict."""
        key = (type(value), value, tag)
        known = self._scalars.get(key)
        if known is None:
            allowed = (str, LiteralString, int, bool, type(None)) if tag is None else (str,)
            if type(value) not in allowed:  # floats: PyYAML's float representer is not reproduced
                raise Unsupported(f"scalar of type {type(value).__name__}" + (f" tagged {tag}" if tag else ""))
            node = self.represent_data(value) if tag is None else self.represent_scalar(tag, value)
            if not isinstance(node, ScalarNode):
                raise Unsupported("a scalar represented as a collection")
            implicit = (node.tag == self.resolve(ScalarNode, node.value, (True, False)),
                        node.tag == self.resolve(ScalarNode, node.value, (False, True)))
            known = _Scalar(node.tag, implicit, node.style, self.analyze_scalar(node.value))
            self._scalars[key] = known
        return known

    # --- Emitter's state machine as a walk, one method per kind of node -------------------------

    def document(self, body: dict[str, Any]) -> str:
        if not isinstance(body, dict) or not body or self._function(body):
            raise Unsupported("the document is not a plain mapping")
        self.node(body, root=True)
        self.write_indent()  # expect_document_end
        if self.open_ended:  # the stream's end after a block scalar that keeps its final line breaks
            self.write_indicator("...", True)
            self.write_indent()
        return self.stream.getvalue()

    @staticmethod
    def _function(value: dict[str, Any]) -> tuple[str, Any] | None:
        """``(tag, argument)`` for a one-key intrinsic function mapping, as cfn-flip's map_representer."""
        if len(value) != 1:
            return None
        key = next(iter(value))
        if key in CONVERTED_SUFFIXES:
            return f"!{key}", value[key]
        if key.startswith(FN_PREFIX):
            name = key[len(FN_PREFIX):]
            argument = value[key]
            if name == "GetAtt" and isinstance(argument, list):
                argument = ".".join(argument)
            return f"!{name}", argument
        return None

    def node(self, value: Any, depth: int = 0, root: bool = False, sequence: bool = False, mapping: bool = False,
             simple_key: bool = False) -> None:
        self.root_context, self.sequence_context = root, sequence
        self.mapping_context, self.simple_key_context = mapping, simple_key
        tag = None
        if type(value) is dict:
            function = self._function(value)
            if function:
                tag, value = function
        if type(value) is dict or type(value) is list:
            self._tag(tag, tag is None)
            flow = bool(self.flow_level) or not value or self._compact(value, tag, depth)
            if type(value) is dict:
                (self._flow_mapping if flow else self._block_mapping)(value, depth)
            else:
                (self._flow_sequence if flow else self._block_sequence)(value, depth)
        else:
            self._scalar_node(self._scalar(value, tag))

    # --- compact flow style (the Service Catalog product) --------------------------------------

    def _compact(self, value: dict[str, Any] | list[Any], tag: str | None, depth: int) -> bool:
        """Whether a collection below the block levels is short enough to write on one line: a
        sequence of scalars, or one whose one-line length is at most ``flow_width`` (catalog/text.py)."""
        if self.flow_width is None or depth < self.block_levels:
            return False
        if type(value) is list and all(self._is_scalar(item) for item in value):
            return True
        return self._inline_length(value, tag, self.flow_width) <= self.flow_width

    def _is_scalar(self, value: Any) -> bool:
        if type(value) is dict:
            function = self._function(value)
            return function is not None and type(function[1]) not in (dict, list)
        return type(value) is not list

    def _inline_length(self, value: Any, tag: str | None, budget: int) -> int:
        """The length of a node's one-line form as catalog/text.py counts it (tags, quotes,
        separators); stops counting once past ``budget``."""
        if tag is None and type(value) is dict:
            function = self._function(value)
            if function:
                tag, value = function
        length = len(tag) + 1 if tag else 0
        if type(value) is list:
            length += 2
            for item in value:
                if length > budget:
                    break
                length += self._inline_length(item, None, budget - length) + 2
        elif type(value) is dict:
            length += 2
            for key, item in value.items():
                if length > budget:
                    break
                length += self._inline_length(key, None, budget) + self._inline_length(item, None, budget - length) + 4
        else:
            scalar = self._scalar(value, tag)
            length += len(scalar.analysis.scalar) + (2 if scalar.style in ("'", '"') else 0)
        return length

    def _tag(self, tag: str | None, implicit: bool) -> None:
        if implicit:
            return
        assert tag is not None
        self.write_indicator(self.prepare_tag(tag), True)

    def _scalar_node(self, scalar: _Scalar) -> None:
        self.analysis, self.style = scalar.analysis, None
        self.event = scalar  # choose_scalar_style reads event.style and event.implicit
        self.style = self.choose_scalar_style()
        if not ((self.style == "" and scalar.implicit[0]) or (self.style != "" and scalar.implicit[1])):
            self.write_indicator(self.prepare_tag(scalar.tag), True)
        text, style = scalar.analysis.scalar, self.style
        # Short plain and single-quoted scalars cannot wrap (the writers wrap only past best_width)
        # nor need escaping: write them at once instead of character by character (and without
        # the indentation level only wrapped lines use).
        if text and self.column + len(text) + 3 <= self.best_width and (
                style == "" or (style == "'" and "'" not in text and not any(ch in text for ch in _BREAKS))):
            if style == "":
                if self.root_context:
                    self.open_ended = True
                self.stream.write(text if self.whitespace else " " + text)
                self.column += len(text) + (0 if self.whitespace else 1)
                self.whitespace = self.indention = False
            else:
                self.write_indicator("'", True)
                self.stream.write(text)
                self.column += len(text)
                self.write_indicator("'", False)
        else:
            self.increase_indent(flow=True)  # expect_scalar
            self._write_scalar(text, split=not self.simple_key_context)
            self.indent = self.indents.pop()
        self.analysis = self.style = self.event = None

    def write_single_quoted(self, text: str, split: bool = True) -> None:
        """PyYAML's Emitter.write_single_quoted, a run at a time instead of a character at a time,
        for text without line breaks (long Fn::Sub strings like a dashboard's body): the same
        output, byte for byte. A single space past best_width becomes a line break (not at the
        text's ends), longer runs of spaces stay, and a quote is doubled."""
        if any(ch in text for ch in _BREAKS):
            super().write_single_quoted(text, split)
            return
        if self.root_context:
            self.open_ended = True
        self.write_indicator("'", True)
        last = len(text)
        write = self.stream.write
        for match in _SINGLE_QUOTED_PIECES.finditer(text):
            piece = match.group()
            if piece == " " and split and self.column > self.best_width and match.start() != 0 and match.end() != last:
                self.write_indent()
                continue
            if piece == "'":
                piece = "''"
            self.column += len(piece)
            write(piece)
        self.write_indicator("'", False)

    def _write_scalar(self, text: str, split: bool) -> None:
        style = self.style
        if style == '"':
            self.write_double_quoted(text, split)
        elif style == "'":
            self.write_single_quoted(text, split)
        elif style == ">":
            self.write_folded(text)
        elif style == "|":
            self.write_literal(text)
        else:
            self.write_plain(text, split)

    def _block_sequence(self, items: list[Any], depth: int) -> None:
        self.increase_indent(flow=False, indentless=self.mapping_context and not self.indention)
        for item in items:
            self.write_indent()
            self.write_indicator("-", True, indention=True)
            self.node(item, depth + 1, sequence=True)
        self.indent = self.indents.pop()

    def _block_mapping(self, entries: dict[str, Any], depth: int) -> None:
        self.increase_indent(flow=False)
        for key, value in entries.items():
            self.write_indent()
            self._simple_key(key)
            self.write_indicator(":", False)
            self.node(value, depth + 1, mapping=True)
        self.indent = self.indents.pop()

    def _simple_key(self, key: Any) -> None:
        scalar = self._scalar(key)
        # check_simple_key: the key's tag counts in its length even when it is not written.
        if len(self.prepare_tag(scalar.tag)) + len(scalar.analysis.scalar) >= 128 or \
                scalar.analysis.empty or scalar.analysis.multiline:
            raise Unsupported("a key written in '?' form")
        self.node(key, mapping=True, simple_key=True)

    def _flow_sequence(self, items: list[Any], depth: int) -> None:
        self.write_indicator("[", True, whitespace=True)
        self.flow_level += 1
        self.increase_indent(flow=True)
        for index, item in enumerate(items):
            if index:
                self.write_indicator(",", False)
            if self.column > self.best_width:
                self.write_indent()
            self.node(item, depth + 1, sequence=True)
        self.indent = self.indents.pop()
        self.flow_level -= 1
        self.write_indicator("]", False)

    def _flow_mapping(self, entries: dict[str, Any], depth: int) -> None:
        self.write_indicator("{", True, whitespace=True)
        self.flow_level += 1
        self.increase_indent(flow=True)
        for index, (key, value) in enumerate(entries.items()):
            if index:
                self.write_indicator(",", False)
            if self.column > self.best_width:
                self.write_indent()
            self._simple_key(key)
            self.write_indicator(":", False)
            self.node(value, depth + 1, mapping=True)
        self.indent = self.indents.pop()
        self.flow_level -= 1
        self.write_indicator("}", False)


# What each scalar becomes depends on nothing but the scalar (and the tag it is written with):
# remembered across templates, as most recur (property names, "Ref", port numbers). Bounded so a
# long-lived process does not grow without end.
_SCALARS: dict[tuple[type, Any, str | None], _Scalar] = {}
_SCALARS_LIMIT = 50_000


def dump(body: dict[str, Any], flow_width: int | None = None, block_levels: int = 0) -> str:
    """``body`` (plain JSON types, LiteralString for cfn-flip's literal blocks) as cfn-flip's YAML.

    Block style throughout, except (with ``flow_width``) that collections at least
    ``block_levels`` deep that are sequences of scalars or whose one-line form is at most
    ``flow_width`` long are written in flow style, as catalog/text.py's compact dumper does.
    Raises ``Unsupported`` for shapes only ``yaml.dump`` writes.
    """
    if len(_SCALARS) > _SCALARS_LIMIT:
        _SCALARS.clear()
    return _Writer(_SCALARS, flow_width, block_levels).document(body)
