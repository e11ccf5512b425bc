"""PyYAML's scalar analysis for printable ASCII text, without a loop over its characters.

``Emitter.analyze_scalar`` walks a scalar a character at a time in Python to learn which styles
may write it (plain in block or flow context, quoted, block): the slowest step the first time a
process writes a scalar (every scalar of the Service Catalog product, each env's own names and
descriptions). For text whose every character is printable ASCII (``' '`` to ``'~'``) or a line
feed (no tabs, carriage returns, other special or non-ASCII characters) what that walk finds comes
down to a few substring tests, done here in C: the same ``ScalarAnalysis``, field for field
(tests/test_yaml_writer.py compares the two on generated text). Any other text is left to PyYAML.
"""

from __future__ import annotations

from yaml.emitter import ScalarAnalysis

# Characters that, first in a scalar, make it an indicator in both block and flow context.
_LEADING_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")
# Characters that, anywhere after the first, are flow indicators.
_FLOW_INDICATORS = ",?[]{}:"


def printable_analysis(scalar: str) -> ScalarAnalysis | None:
    """``analyze_scalar(scalar)`` for non-empty printable ASCII text, line feeds allowed; None for
    any other."""
    if not scalar or type(scalar) is not str or not scalar.isascii():
        return None
    breaks = "\n" in scalar
    if not (scalar.replace("\n", "") if breaks else scalar).isprintable():
        return None
    first, last, rest = scalar[0], scalar[-1], scalar[1:]
    # The only whitespace PyYAML looks for around a character is, in this text, a space or a
    # line feed.
    first_followed_by_space = len(scalar) == 1 or scalar[1] in " \n"
    document = scalar.startswith(("---", "..."))
    # '#' after whitespace (a comment) is an indicator wherever it is.
    comment = " #" in scalar or "\n#" in scalar
    flow_indicators = (document or comment or first in _LEADING_INDICATORS or first in "?:"
                       or (first == "-" and first_followed_by_space)
                       or any(ch in rest for ch in _FLOW_INDICATORS))
    block_indicators = (document or comment or first in _LEADING_INDICATORS
                        or (first in "?:-" and first_followed_by_space)
                        # ':' after the first character, followed by whitespace or last
                        or ": " in rest or ":\n" in rest or (len(scalar) > 1 and last == ":"))
    # Whitespace at either end; a space after a line break, or before one.
    ends = first in " \n" or last in " \n"
    break_space, space_break = breaks and "\n " in scalar, breaks and " \n" in scalar
    plain = not (ends or break_space or space_break or breaks)
    return ScalarAnalysis(scalar=scalar, empty=False, multiline=breaks,
                          allow_flow_plain=plain and not flow_indicators,
                          allow_block_plain=plain and not block_indicators,
                          allow_single_quoted=not (break_space or space_break), allow_double_quoted=True,
                          allow_block=not (last == " " or space_break))
