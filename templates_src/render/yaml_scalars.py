"""One scalar as cfn-flip writes it: what it becomes, and its bytes (``yaml_writer``'s base).

What a scalar becomes is PyYAML's and cfn-flip's own code, called directly: the representer
(cfn-flip's quoting rules), the resolver (``'30'`` vs ``30``: whether the tag can stay implicit),
the Emitter's scalar analysis (for printable ASCII text, its result found with substring tests:
``yaml_analysis``) and style choice; remembered per value, as most scalars recur.
Writing it is the Emitter's too, except that short plain and single-quoted scalars, which can
neither wrap nor need escaping, are written at once, and single-quoted text without line breaks
a run at a time: the same bytes, faster.
"""

from __future__ import annotations

import io
import re
from typing import Any

from cfn_flip import config
from cfn_flip.yaml_dumper import Dumper
from cfn_tools.literal import LiteralString
from yaml.nodes import ScalarNode

from .yaml_analysis import printable_analysis

_BREAKS = "\n\r\x85\u2028\u2029"
# A single-quoted scalar without line breaks is runs of spaces, quotes and other text.
_SINGLE_QUOTED_PIECES = re.compile(r" +|'|[^ ']+")


class Unsupported(Exception):
    """The value has a shape this writer does not reproduce; use ``yaml.dump``."""


class Scalar:
    """What the representer and resolver make of one scalar: a ScalarEvent without the event;
    and, by context (``ScalarWriter._plan``), how the Emitter writes it there."""

    __slots__ = ("analysis", "implicit", "plans", "style", "tag")

    def __init__(self, tag: str, implicit: tuple[bool, bool], style: str | None, analysis: Any) -> None:
        self.tag, self.implicit, self.style, self.analysis = tag, implicit, style, analysis
        self.plans: dict[tuple[bool, bool], tuple[str, str | None, bool]] = {}


# What each scalar becomes, by (type, value, tag it is written with).
Scalars = dict[tuple[type, Any, str | None], Scalar]


class ScalarWriter(Dumper):
    """cfn-flip's dumper class, used for its representers, resolver and Emitter write methods.

    ``Dumper.__init__`` is not called: only the Emitter's formatting state is set up, as
    ``yaml.dump(..., default_flow_style=False, allow_unicode=True, width=max_col_width)`` would.
    """

    def __init__(self, scalars: Scalars) -> None:
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
        self._tags: dict[str, str] = {}

    def prepare_tag(self, tag: str) -> str:
        prepared = self._tags.get(tag)
        if prepared is None:
            prepared = self._tags[tag] = super().prepare_tag(tag)
        return prepared

    def analyze_scalar(self, scalar: str) -> Any:
        """cfn-flip's analysis (PyYAML's but for literal blocks), for most text without
        looking at each character in Python (``yaml_analysis``)."""
        return printable_analysis(scalar) or super().analyze_scalar(scalar)

    # --- what a value becomes ---------------------------------------------------------------

    def _scalar(self, value: Any, tag: str | None = None) -> Scalar:
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
            known = Scalar(node.tag, implicit, node.style, self.analyze_scalar(node.value))
            self._scalars[key] = known
        return known

    def _plan(self, scalar: Scalar) -> tuple[str, str | None, bool]:
        """How the Emitter writes ``scalar`` in this context: its style (``choose_scalar_style``
        reads nothing else that changes: whether in flow or block, and whether a simple key), the
        tag it writes (None: implicit) and whether it may be written at once (``_scalar_node``);
        worked out once per context and kept with the scalar."""
        context = (bool(self.flow_level), bool(self.simple_key_context))
        plan = scalar.plans.get(context)
        if plan is None:
            self.analysis, self.style = scalar.analysis, None
            self.event = scalar  # choose_scalar_style reads event.style and event.implicit
            style = self.choose_scalar_style()
            self.analysis = self.event = None
            implicit = (style == "" and scalar.implicit[0]) or (style != "" and scalar.implicit[1])
            text = scalar.analysis.scalar
            at_once = bool(text) and (style == "" or (style == "'" and "'" not in text
                                                      and not any(ch in text for ch in _BREAKS)))
            plan = scalar.plans[context] = (style, None if implicit else self.prepare_tag(scalar.tag), at_once)
        return plan

    def _scalar_node(self, scalar: Scalar) -> None:
        style, tag, at_once = self._plan(scalar)
        if tag is not None:
            self.write_indicator(tag, True)
        text = scalar.analysis.scalar
        # Short plain and single-quoted scalars cannot wrap (the writers wrap only past best_width)
        # nor need escaping: write them at once instead of character by character (and without
        # the indentation level only wrapped lines use).
        if at_once and self.column + len(text) + 3 <= self.best_width:
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
            self.analysis, self.style, self.event = scalar.analysis, style, scalar
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

