"""What free text from params may hold: printable characters a reviewer sees as they are.

Descriptions, waiver reasons, ``init_query``, tag keys and values end up in templates, in
DEPLOY.md, in AWS consoles and in terminals. A control character (newline, ESC, NUL, NEL
U+0085), an invisible one (zero-width space U+200B, word joiner, byte order mark) or a bidi
override (U+202A..U+202E, U+2066..U+2069) would make text read differently from what it is, or
start a line of Markdown or a terminal escape. Such characters are refused in every text value
(identifiers are held to their patterns anyway), and so is ``${``, which CloudFormation's tools
read as a substitution. Unicode categories: Cc control, Cf format
(every invisible and bidi character above), Cs surrogate (a lone half of a pair, which no file
can be written with), Co private use, Cn unassigned, Zl/Zp line and paragraph separators.
"""

from __future__ import annotations

import re
import unicodedata

_REFUSED_CATEGORIES = {"Cc": "a control character", "Cf": "an invisible or bidi-control character",
                       "Cs": "a lone surrogate", "Co": "a private-use character", "Cn": "an unassigned character",
                       "Zl": "a line separator", "Zp": "a paragraph separator"}

# A waiver reason is read by a reviewer: it must say something in words (two words of letters
# at least), not only punctuation, digits or spaces.
SUBSTITUTION = "${"
_WORD = re.compile(r"[^\W\d_]{2,}")
MIN_REASON_WORDS = 2


def text_problem(text: str) -> str:
    """What is wrong with ``text`` as free text ("" when nothing is)."""
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if category in _REFUSED_CATEGORIES:
            return (f"holds {_REFUSED_CATEGORIES[category]} ({_codepoint(char)}) at character {index + 1}; "
                    "free text may hold printable characters and spaces only")
    if SUBSTITUTION in text:
        # Outside Fn::Sub CloudFormation keeps ${...} as it is, but cfn-lint reads ${AWS::...} or a
        # resource's name there as a substitution written in the wrong place (E1029), at the
        # template's line: refused here, at the params line, whatever follows the $.
        return (f"holds {SUBSTITUTION!r} at character {text.index(SUBSTITUTION) + 1}, which CloudFormation's "
                "tools read as a substitution; write it without the braces")
    return ""


def is_reason(text: str) -> bool:
    """A waiver reason with visible words in it."""
    return len(_WORD.findall(text)) >= MIN_REASON_WORDS


def _codepoint(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}" if name else f"U+{ord(char):04X}"


def printable(text: str) -> str:
    """``text`` for one line of a terminal: every character that is not printable escaped (``\\n``,
    ``\\x1b``, ``\\u202e``), so a file or key name can neither forge a line nor send an escape."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
