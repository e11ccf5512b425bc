"""CloudFormation short-form YAML, byte for byte what cfn-flip writes, four to five times faster.

``yaml.dump`` with cfn-flip's dumper turns the template into a node graph, then into events, then
feeds a general state machine one event at a time. Rendering spent most of a ``--no-lint`` build
there. This module walks the (JSON-typed) template once and drives the same ``Emitter`` methods
the state machine would: the decisions that give the bytes — the representers (cfn-flip's
quoting rules), the resolver (``'30'`` vs ``30``), scalar analysis, style choice, tag
prefixes, indentation and line wrapping — are PyYAML's and cfn-flip's own code, called directly.
Only the walk over mappings and sequences (the state machine's block and flow paths) and the
catalog's rule for which collections go on one line (catalog/text.py) are written here; what a
scalar becomes and how its bytes are written, in ``yaml_scalars``.

Anything that walk does not cover (a float, a document that is not a plain mapping, a key that
PyYAML would write with ``?``) raises ``Unsupported``, and the caller falls back to
``yaml.dump``. tests/test_yaml_writer.py compares the two on every kind of generated template
and on random trees of awkward scalars.
"""

from __future__ import annotations

from typing import Any

from cfn_flip.yaml_dumper import CONVERTED_SUFFIXES, FN_PREFIX

# The scalars' side, and the exception callers catch, stay importable from here.
from .yaml_scalars import Scalars, ScalarWriter, Unsupported  # noqa: F401 - re-exported

_SIMPLE_KEY = (False, True)  # ScalarWriter._plan's context of a block mapping's key
_VALUE = (False, False)  # and of its value, in block style
_TEXT_TYPES = frozenset({str, int, bool})  # scalars (not a literal block, a function or a collection)


class _Writer(ScalarWriter):
    """The walk over mappings and sequences, as the Emitter's state machine would take it."""

    def __init__(self, scalars: Scalars, flow_width: int | None, block_levels: int) -> None:
        super().__init__(scalars)
        self.flow_width, self.block_levels = flow_width, block_levels

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
            if not self._plain_key(key):
                self._simple_key(key)
                self.write_indicator(":", False)
            if not self._short_value(value):
                self.node(value, depth + 1, mapping=True)
        self.indent = self.indents.pop()

    def _plain_key(self, key: Any) -> bool:
        """A block mapping's key seen before and written plain, with its ':' at once: what
        ``_simple_key`` and the ':' indicator write for it (False: nothing written)."""
        scalar = self._scalars.get((type(key), key, None))
        plan = None if scalar is None or self.flow_level else scalar.plans.get(_SIMPLE_KEY)
        if plan is None or plan[0] != "" or plan[1] is not None or not plan[2]:
            return False
        text = scalar.analysis.scalar
        if len(self.prepare_tag(scalar.tag)) + len(text) >= 128 or self.column + len(text) + 3 > self.best_width:
            return False
        self.root_context = self.sequence_context = False
        self.mapping_context = self.simple_key_context = True
        self.stream.write(text + ":" if self.whitespace else " " + text + ":")
        self.column += len(text) + (1 if self.whitespace else 2)
        self.whitespace = self.indention = self.open_ended = False
        return True

    def _short_value(self, value: Any) -> bool:
        """A block mapping's scalar value seen before, written at once plain or single-quoted:
        what ``node(value, mapping=True)`` writes for it (False: nothing written)."""
        if type(value) not in _TEXT_TYPES or self.flow_level:
            return False
        scalar = self._scalars.get((type(value), value, None))
        plan = None if scalar is None else scalar.plans.get(_VALUE)
        if plan is None or plan[1] is not None or not plan[2]:
            return False
        text = scalar.analysis.scalar
        if self.column + len(text) + 3 > self.best_width:
            return False
        self.root_context = self.sequence_context = self.simple_key_context = False
        self.mapping_context = True
        space = "" if self.whitespace else " "
        if plan[0] == "":
            self.stream.write(space + text)
            self.column += len(space) + len(text)
        else:  # single-quoted
            self.stream.write(f"{space}'{text}'")
            self.column += len(space) + len(text) + 2
            self.open_ended = False
        self.whitespace = self.indention = False
        return True

    def _simple_key(self, key: Any) -> None:
        scalar = self._scalar(key)
        # check_simple_key: the key's tag counts in its length even when it is not written.
        if len(self.prepare_tag(scalar.tag)) + len(scalar.analysis.scalar) >= 128 or \
                scalar.analysis.empty or scalar.analysis.multiline:
            raise Unsupported("a key written in '?' form")
        # ``node(key, mapping=True, simple_key=True)``, for a key is a scalar.
        self.root_context = self.sequence_context = False
        self.mapping_context = self.simple_key_context = True
        self._scalar_node(scalar)

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
_SCALARS: Scalars = {}
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
