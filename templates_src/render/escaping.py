"""Params-derived text written into generated files, escaped for where it lands.

Validation keeps identifiers to their patterns and control characters out of free text; this
module is the second wall, for the text that is neither (the params folder's path, which comes
from the command line) and for free text in Markdown. Shell values use ``shlex.quote`` (the
``shell`` filter); YAML and JSON values go through their writers, which quote what needs it.
"""

from __future__ import annotations

import string
import unicodedata

# Characters a path keeps in a header comment: none of them ends a comment (newline, or --> of
# an HTML comment), starts a shell expansion, a psql meta-command (backslash), a quote, or the
# < of a password placeholder (facts.sql.PASSWORD_PLACEHOLDER).
_COMMENT_SAFE = frozenset(string.ascii_letters + string.digits + " ._/+,=@~:-")
# CommonMark lets a backslash escape any ASCII punctuation character, which is then only text.
# These are the ones that can start inline structure in the middle of a line (code span,
# emphasis, link or image, HTML, entity, table cell, strikethrough, GitHub's $math$); free text
# never starts a line (it holds no newline and is written after a label), so # - + . and digits
# cannot make a heading or a list.
_MARKDOWN_PUNCTUATION = frozenset("\\`*_[]<>&|~$!#")


def comment_text(text: str) -> str:
    """``text`` for a comment line of any generated file (shell, SQL, YAML, an HTML comment in
    Markdown): kept when plain, otherwise each other character as %XX of its UTF-8 bytes, so a
    path holding a newline and $(...) reads as one inert line. Letters and digits of any script
    stay readable."""
    return "".join(c if c in _COMMENT_SAFE or (c.isalnum() and c.isprintable())
                   else "".join(f"%{byte:02X}" for byte in c.encode("utf-8", "surrogatepass"))
                   for c in text)


def markdown_text(text: str) -> str:
    """``text`` as literal Markdown text on one line: punctuation that Markdown reads backslash-escaped, a
    space other than the ASCII one (no-break, em...) as its character reference, any unprintable
    character (validation refuses them; this is the second wall) written as its code."""
    out = []
    for c in text:
        if c in _MARKDOWN_PUNCTUATION:
            out.append("\\" + c)
        elif unicodedata.category(c) == "Zs" and c != " ":  # a no-break or wide space: the same space
            out.append(f"&#{ord(c)};")
        elif not c.isprintable():
            out.append(f"U+{ord(c):04X}")
        else:
            out.append(c)
    return "".join(out)
