"""The fast path of reading a params file: libyaml composes the plain shape every params file has."""

from __future__ import annotations

import re

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

# Composing with libyaml (CSafeLoader) is ~15x faster than the pure-Python SafeLoader (3 ms
# against 50 ms for 30 params files), but the two differ at the edges: line breaks (CR, NEL,
# LS, PS), a BOM, tabs, tags, complex keys, block scalars and directives; the marks of a root
# that is not a mapping and of an empty value in a flow mapping ("{a: }", "[a: ]"); the error
# texts; and libyaml's composer recurses in C, with no guard against a hostile nesting depth.
# So libyaml composes only text of the plain shape every params file has, with a bound on how
# deep it can nest (each level needs a "-", "[", "{" or ":"), and its nodes are kept only if
# they hold no flow mapping; anything else, or anything libyaml refuses, is composed by
# SafeLoader, whose problems yaml_loader's messages are written for. tests/test_yaml_loader.py
# checks that both give the same nodes.
_C_COMPOSER = getattr(yaml, "CSafeLoader", None) if yaml.__with_libyaml__ else None
# A "!" inside a word (the secret RDS manages is named rds!db-...) is no tag: a tag starts a node,
# after a line start, a space or a flow indicator.
_NOT_PLAIN = re.compile("[^\n -~\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
                        "|[\t?|>%]|(?:^|[\\s\\[\\]{},])!", re.MULTILINE)
_C_MAX_LEVELS = 2000


def fast_compose(text: str) -> Node | None:
    """The text's root mapping composed by libyaml, or None where SafeLoader must compose it."""
    if _C_COMPOSER is None or _NOT_PLAIN.search(text):
        return None
    if sum(text.count(c) for c in "-[{:") > _C_MAX_LEVELS:
        return None
    try:
        root = yaml.compose(text, Loader=_C_COMPOSER)
    except yaml.YAMLError:
        return None
    if not isinstance(root, MappingNode) or (("{" in text or "[" in text) and _has_flow_mapping(root)):
        return None
    return root


def _has_flow_mapping(root: Node) -> bool:
    pending, seen = [root], set()
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            if node.flow_style:
                return True
            pending.extend(part for pair in node.value for part in pair)
        elif isinstance(node, SequenceNode):
            pending.extend(node.value)
    return False
