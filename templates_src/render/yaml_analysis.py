"""PyYAML's scalar analysis for one-line printable ASCII text, without a loop over its characters.

``Emitter.analyze_scalar`` walks a scalar a character at a time in Python to learn which styles
may write it (plain in block or flow context, quoted, block): the slowest step the first time a
process writes a scalar (every scalar of the Service Catalog product, each env's own names and
descriptions). For text whose every character is printable ASCII (``' '`` to ``'~'``: no line
breaks, tabs, special or non-ASCII characters) what that walk finds comes down to a few
substring tests, done here in C: the same ``ScalarAnalysis``, field for field
(tests/test_yaml_writer.py compares the two on generated text). Any other text is left to PyYAML.
"""

from __future__ import annotations

from yaml.emitter import ScalarAnalysis

# Characters that, first in a scalar, make it an indicator in both block and flow context.
_LEADING_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")
# Characters that, anywhere after the first, are flow indicators.
_FLOW_INDICATORS = ",?[]{}:"


def printable_analysis(scalar: str) -> ScalarAnalysis | None:
    """``analyze_scalar(scalar)`` for non-empty one-line printable ASCII text; None for any other."""
    if not scalar or type(scalar) is not str or not (scalar.isascii() and scalar.isprintable()):
        return None
    first = scalar[0]
    # In printable ASCII the only whitespace PyYAML looks for around a character is a space.
    first_followed_by_space = len(scalar) == 1 or scalar[1] == " "
    document = scalar.startswith(("---", "..."))
    # '#' after a space (a comment) is an indicator wherever it is.
    comment = " #" in scalar
    rest = scalar[1:]
    flow_indicators = (document or comment or first in _LEADING_INDICATORS or first in "?:"
                       or (first == "-" and first_followed_by_space)
                       or any(ch in rest for ch in _FLOW_INDICATORS))
    block_indicators = (document or comment or first in _LEADING_INDICATORS
                        or (first in "?:-" and first_followed_by_space)
                        # ':' after the first character, followed by a space or last
                        or ": " in rest or (len(scalar) > 1 and scalar[-1] == ":"))
    leading_space, trailing_space = first == " ", scalar[-1] == " "
    plain = not (leading_space or trailing_space)
    return ScalarAnalysis(scalar=scalar, empty=False, multiline=False,
                          allow_flow_plain=plain and not flow_indicators,
                          allow_block_plain=plain and not block_indicators,
                          allow_single_quoted=True, allow_double_quoted=True,
                          allow_block=not trailing_space)
