"""libyaml composes plain params text (fast); SafeLoader everything else: the same nodes, the same
problems, whichever composed them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yaml.nodes import MappingNode, Node, SequenceNode

from templates_src.config.reading import yaml_compose, yaml_loader
from templates_src.config.reading.yaml_compose import fast_compose
from templates_src.config.reading.yaml_loader import parse

from conftest import EXAMPLES, ROOT, needs_tool

pytestmark = needs_tool(yaml.__with_libyaml__, "libyaml", "a PyYAML built with it, as its wheels are: no fast path to compare")
BAD = sorted((ROOT / "tests" / "fixtures" / "params" / "bad").glob("*/*.yaml"))


def shape(node: Node, seen: dict[int, int] | None = None) -> object:
    """A node tree as plain data: tags, values and where each node starts; shared (aliased)
    nodes by first appearance."""
    seen = {} if seen is None else seen
    if id(node) in seen:
        return ("alias", seen[id(node)])
    seen[id(node)] = len(seen)
    where = (node.tag, node.start_mark.line, node.start_mark.column)
    if isinstance(node, MappingNode):
        return (*where, [(shape(k, seen), shape(v, seen)) for k, v in node.value])
    if isinstance(node, SequenceNode):
        return (*where, [shape(item, seen) for item in node.value])
    return (*where, node.value)


def slow_shape(text: str) -> object:
    return shape(yaml.compose(text, Loader=yaml.SafeLoader))


@pytest.mark.unit
def test_every_example_params_file_takes_the_fast_path():
    for path in sorted(EXAMPLES.glob("*.yaml")):
        text = path.read_text()
        root = fast_compose(text)
        assert root is not None, path.name
        assert shape(root) == slow_shape(text)


@pytest.mark.unit
@pytest.mark.parametrize("path", [*sorted(EXAMPLES.glob("*.yaml")), *BAD], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_parse_gives_the_same_document_and_problems_fast_or_not(path: Path):
    text = path.read_bytes().decode("utf-8", "replace").removeprefix("\ufeff")
    fast, slow = parse(text, "f.yaml"), parse(text, "f.yaml", fast=False)
    assert (fast[0].data, fast[0].marks, fast[1]) == (slow[0].data, slow[0].marks, slow[1])


@pytest.mark.unit
@pytest.mark.parametrize("text", ["a:\r\n  b: 1\n", "a: |\n  x\n", "a: !!str 1\n", "? a\n: 1\n", "%YAML 1.1\n---\na: 1\n",
                                  "a:\tb\n", "a: {b: }\n", "a: [b :  ]\n", "a: b\u2028c\n", "a: b\x85c\n", "- a\n",
                                  "a\n", "", "a: [b\n"])
def test_text_of_another_shape_is_left_to_safeloader(text: str):
    assert fast_compose(text) is None


@pytest.mark.unit
def test_deep_nesting_is_never_given_to_libyaml(monkeypatch):
    # libyaml's composer recurses in C with no depth guard: a hostile depth could overflow the stack.
    calls: list[str] = []
    monkeypatch.setattr(yaml_compose, "_C_COMPOSER", type("Spy", (yaml.CSafeLoader,), {
        "__init__": lambda self, stream: (calls.append("c"), yaml.CSafeLoader.__init__(self, stream))[1]}))
    text = "a: " + "[" * 5000 + "]" * 5000 + "\n"
    assert fast_compose(text) is None and calls == []
    document, problems = parse(text, "f.yaml")
    refused = f"refused: the file is nested deeper than {yaml_loader.MAX_DEPTH} levels"
    assert [p.message for p in problems] == [refused]
    assert fast_compose("a: [[1]]\n") is not None and calls == ["c"]


@pytest.mark.unit
def test_a_depth_libyaml_takes_gets_the_problem_safeloader_gives():
    # 400 levels: under the bound, libyaml composes it; SafeLoader's recursion may refuse it first.
    text = "a: " + "[" * 400 + "]" * 400 + "\n"
    assert parse(text, "f.yaml") == parse(text, "f.yaml", fast=False)
    assert parse(text, "f.yaml")[1]


PIECES = st.sampled_from(["a", "b", "key", "1", "0x1F", "1e3", "-1", "true", "null", "~", "'q'", '"d\\u00e9"',
                          '"\\x41"', "é", "日本", "\U0001f600", " ", "  ", "\n", "\n  ", "\n    ", ": ", ":", "- ", "-",
                          "[", "]", "{", "}", ", ", ",", "#c", " #c", "&x ", "*x", "<<: ", "---\n", "...\n", "'",
                          '"', "\\", "@", "`", "\u00a0", "\ufffd"])


@pytest.mark.properties
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECES, max_size=40).map("".join))
def test_libyaml_and_safeloader_compose_the_same_nodes(text: str):
    root = fast_compose(text)
    if root is None:  # SafeLoader composes it: nothing to compare
        return
    assert shape(root) == slow_shape(text)
