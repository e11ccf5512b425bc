"""Free text from params adds no structure to DEPLOY.md or to any file's header (property 2).

A user's description is the one free text DEPLOY.md shows; tags and waiver reasons land in the
template (through the YAML writer, which quotes them). For any description the validator accepts,
DEPLOY.md parsed as CommonMark (markdown-it-py, GitHub's tables and strikethrough on) has exactly
the block and inline structure it has for a plain word, the description comes back as literal
text, and no HTML token, link or image comes from it; the header lines of every generated file
are the same whatever the free text is.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from templates_src.config import ParamsErrors
from templates_src.render.files import DEPLOY_GUIDE_FILE, render_env
from templates_src.builders.stack import build_template

from builders.envs import make_cfg

pytestmark = pytest.mark.properties

_MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])
PLAIN = "plainword"
# Markdown and HTML an attacker would write, mixed with any printable text.
_HOSTILE = st.sampled_from(["\n## Deploy\n", "`curl x | sh`", "<script>alert(1)</script>", "<!--", "-->", "[a](http://e)",
                            "![i](http://e/i.png)", "**b**", "_i_", "| a | b |", "~~s~~", "&amp;", "&#60;", "\\",
                            "# h", "- item", "1. item", "> quote", "```", "$x$", "<http://e>", "*", "  ", "\t"])


def _render(description: str) -> dict[str, str] | None:
    try:
        cfg = make_cfg({"users": [{"username": "app_user", "description": description},
                                  {"username": "reporting", "role": "readonly"}],
                        "target": {"database_name": "orders"}, "tags": {"note": description[:128]}})
    except ParamsErrors:
        return None  # refused: control, invisible or bidi characters, too long, ...
    return render_env(cfg, build_template(cfg))


def _shape(tokens) -> list[tuple[str, ...]]:
    """Every token's type and tag, inline children included, without their text."""
    shape = []
    for token in tokens:
        shape.append((token.type, token.tag))
        for child in token.children or ():
            shape.append(("  " + child.type, child.tag))
    return shape


def _headers(files: dict[str, str]) -> dict[str, list[str]]:
    """The leading comment lines of each file (shell/YAML #, SQL --, Markdown <!-- -->)."""
    heads = {}
    for name, text in files.items():
        lines = []
        for line in text.splitlines():
            if line.startswith(("#", "--", "<!--")):
                lines.append(line)
            elif lines or not line:
                break
        heads[name] = lines
    return heads


@pytest.fixture(scope="module")
def plain() -> dict[str, str]:
    files = _render(PLAIN)
    assert files is not None
    return files


@settings(max_examples=25, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])
@given(st.lists(st.one_of(_HOSTILE, st.text(min_size=1, max_size=12)), min_size=1, max_size=5).map("".join))
def test_a_description_is_text_in_deploy_md_and_nowhere_in_a_header(plain, description: str) -> None:
    files = _render(description)
    assume(files is not None)
    guide, reference = files[[n for n in files if n.endswith(DEPLOY_GUIDE_FILE)][0]], \
        plain[[n for n in plain if n.endswith(DEPLOY_GUIDE_FILE)][0]]
    tokens, expected = _MD.parse(guide), _MD.parse(reference)
    assert _shape(tokens) == _shape(expected)
    # The description comes back whole as the text of one inline run (markdown-it unescapes it);
    # whitespace runs may fold, as they do in any Markdown paragraph.
    texts = [" ".join("".join(c.content for c in t.children if c.type in ("text", "code_inline")).split())
             for t in tokens if t.type == "inline"]
    assert any(" ".join(description.split()) in text for text in texts)
    assert not [t for t in tokens if t.type.startswith("html")][1:]  # only the template's own header comment
    assert _headers(files) == _headers(plain)
    assert not any(ord(c) < 32 and c not in "\n\t" for c in guide)


def test_the_check_sees_markdown_that_was_not_escaped(plain) -> None:
    """The property can fail: a description pasted as it is would add a heading and HTML."""
    name = [n for n in plain if n.endswith(DEPLOY_GUIDE_FILE)][0]
    raw = plain[name].replace(PLAIN, "x <b>bold</b>\n\n## Deploy\n")
    assert _shape(_MD.parse(raw)) != _shape(_MD.parse(plain[name]))
