"""Check a raw params tree against the schema in ``model`` and build the frozen dataclasses.

Generic: types, required keys, unknown keys (with "did you mean"), ranges, choices, patterns,
lengths and uniqueness all come from the field metadata. Rules that relate two keys live in
``rules/``. Every problem is collected; nothing stops at the first.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import re
import typing
from collections.abc import Callable
from typing import Any

from ..errors import KeyPath, ParamsError
from ..schema.keys import field_types, params_fields, unwrap_optional
from .text import text_problem
from ..reading.yaml_loader import REPORTED

Locate = Callable[[KeyPath], tuple[str, int, int]]


def suggest(word: str, candidates: list[str]) -> str:
    """' (did you mean X?)' for a near miss, else ''."""
    lowered = {c.lower(): c for c in candidates}
    if word.lower() in lowered:
        return f" (did you mean {lowered[word.lower()]!r}?)"
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def describe(value: Any) -> str:
    """How a wrong value is named in a message: its type and, when short, the value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        return f"text {value!r}" if len(value) <= 40 else "text"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


class Validator:
    """``partial``: a defaults layer, checked on its own terms (types, ranges, unknown keys) with
    no key required; what it builds stands in for a config, nothing reads it."""

    def __init__(self, locate: Locate, partial: bool = False) -> None:
        self.locate = locate
        self.partial = partial
        self.errors: list[ParamsError] = []

    def error(self, path: KeyPath, message: str) -> None:
        file, line, col = self.locate(path)
        self.errors.append(ParamsError(file, line, col, path, message))

    def build(self, cls: type, raw: Any, path: KeyPath) -> Any:
        """Return an instance of ``cls`` for ``raw``, or INVALID (and errors) when it is invalid."""
        if not isinstance(raw, dict):
            self.error(path, f"expected a mapping of keys, got {describe(raw)}")
            return _INVALID
        fields = params_fields(cls)
        names = [f.name for f in fields]
        ok = True
        for unknown in sorted(set(raw) - set(names)):
            hint = suggest(unknown, names) or f" (allowed: {', '.join(names)})"
            self.error(path + (unknown,), f"unknown key{hint}")
            ok = False
        values: dict[str, Any] = {}
        for f in fields:
            if f.name not in raw:
                if f.default is dataclasses.MISSING:
                    if self.partial:  # the env's own file gives it
                        values[f.name] = object()
                        continue
                    self.error(path + (f.name,), "missing required key")
                    ok = False
                continue
            value = self.value(field_types(cls)[f.name], raw[f.name], path + (f.name,), f.metadata)
            if value is _INVALID:
                ok = False
            else:
                values[f.name] = value
        return cls(**values) if ok else _INVALID

    def value(self, tp: Any, raw: Any, path: KeyPath, meta: typing.Mapping[str, Any]) -> Any:
        if raw is REPORTED:  # the loader said what is wrong with it
            return _INVALID
        tp, optional = unwrap_optional(tp)
        if raw is None:
            if optional:
                return None
            self.error(path, f"expected {_expected(tp)}, got null")
            return _INVALID
        origin = typing.get_origin(tp)
        if dataclasses.is_dataclass(tp):
            return self.build(tp, raw, path)
        if origin is tuple:
            return self._list(typing.get_args(tp)[0], raw, path, meta)
        if origin is dict:
            return self._mapping_of_text(raw, path)
        return self._scalar(tp, raw, path, meta)

    def _list(self, item_type: Any, raw: Any, path: KeyPath, meta: typing.Mapping[str, Any]) -> Any:
        if not isinstance(raw, list):
            self.error(path, f"expected a list, got {describe(raw)}")
            return _INVALID
        items = [self.value(item_type, item, path + (i,), meta) for i, item in enumerate(raw)]
        if _INVALID in items:
            return _INVALID
        ok = True
        if meta.get("min_items") is not None and len(items) < meta["min_items"]:
            self.error(path, f"has {len(items)} item(s); at least {meta['min_items']} required")
            ok = False
        if meta.get("max_items") is not None and len(items) > meta["max_items"]:
            self.error(path, f"has {len(items)} items; at most {meta['max_items']} allowed")
            ok = False
        if meta.get("unique"):
            seen: dict[Any, int] = {}
            for i, item in enumerate(items):
                if item in seen:
                    self.error(path + (i,), f"{_shown(item)} is listed twice (also item {seen[item]})")
                    ok = False
                seen.setdefault(item, i)
        return tuple(items) if ok else _INVALID

    def _mapping_of_text(self, raw: Any, path: KeyPath) -> Any:
        if not isinstance(raw, dict):
            self.error(path, f"expected a mapping of text to text, got {describe(raw)}")
            return _INVALID
        ok = True
        for name, value in raw.items():
            if value is REPORTED:
                ok = False
            elif not isinstance(value, str):
                self.error(path + (name,), f"expected text, got {describe(value)}{_quote_hint(value)}")
                ok = False
            elif problem := text_problem(name) or text_problem(value):
                self.error(path + (name,), f"the {'key' if text_problem(name) else 'value'} {problem}")
                ok = False
        return dict(sorted(raw.items())) if ok else _INVALID

    def _scalar(self, tp: Any, raw: Any, path: KeyPath, meta: typing.Mapping[str, Any]) -> Any:
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            allowed = [m.value for m in tp]
            if isinstance(raw, str) and raw in allowed:
                return tp(raw)
            hint = suggest(raw, allowed) if isinstance(raw, str) else ""
            self.error(path, f"{_shown(raw)} is not allowed{hint or ''} (allowed: {', '.join(allowed)})")
            return _INVALID
        if tp is bool:
            if isinstance(raw, bool):
                return raw
            self.error(path, f"expected true or false, got {describe(raw)}")
            return _INVALID
        if tp is int:
            if not isinstance(raw, int) or isinstance(raw, bool):
                unquote = " (remove the quotes)" if isinstance(raw, str) and re.fullmatch(r"-?[0-9]+", raw) else ""
                self.error(path, f"expected a whole number, got {describe(raw)}{unquote}")
                return _INVALID
            return raw if self._in_range(raw, path, meta) else _INVALID
        if tp is float:  # a number, whole or not (YAML reads 16 as an int)
            if not isinstance(raw, (int, float)) or isinstance(raw, bool):
                quoted = isinstance(raw, str) and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", raw)
                unquote = " (remove the quotes)" if quoted else ""
                self.error(path, f"expected a number, got {describe(raw)}{unquote}")
                return _INVALID
            return float(raw) if self._in_range(raw, path, meta) and self._in_steps(raw, path, meta) else _INVALID
        if tp is str:
            if not isinstance(raw, str):
                self.error(path, f"expected text, got {describe(raw)}{_quote_hint(raw)}")
                return _INVALID
            return raw if self._text_ok(raw, path, meta) else _INVALID
        raise TypeError(f"schema type {tp!r} has no validator")  # a bug in model.py, not in params

    def _in_range(self, raw: float, path: KeyPath, meta: typing.Mapping[str, Any]) -> bool:
        low, high, choices = meta.get("minimum"), meta.get("maximum"), meta.get("choices")
        if low is not None and raw < low or high is not None and raw > high:
            self.error(path, f"{_number(raw)} is out of range (allowed: {_number(low)}..{_number(high)})")
            return False
        if choices is not None and raw not in choices:
            nearest = min(choices, key=lambda c: (abs(c - raw), c))
            self.error(path, f"{raw} is not allowed (nearest allowed: {nearest}; allowed: "
                             f"{', '.join(str(c) for c in choices)})")
            return False
        return True

    def _in_steps(self, raw: float, path: KeyPath, meta: typing.Mapping[str, Any]) -> bool:
        step = meta.get("multiple_of")
        if step is not None and (raw / step) % 1:
            self.error(path, f"{_number(raw)} is not allowed (allowed: steps of {_number(step)})")
            return False
        return True

    def _text_ok(self, raw: str, path: KeyPath, meta: typing.Mapping[str, Any]) -> bool:
        max_length, pattern = meta.get("max_length"), meta.get("pattern")
        if max_length is not None and len(raw) > max_length:
            self.error(path, f"is {len(raw)} characters long (at most {max_length})")
            return False
        # fullmatch: a pattern's $ also matches before a final newline ("dev\n" would pass re.match).
        if pattern is not None and not re.fullmatch(pattern, raw):
            fixes = [fix for fix in (f(raw) for f in _NEAR_MISS_FIXES) if re.fullmatch(pattern, fix)]
            hint = f" (did you mean {fixes[0]!r}?)" if fixes else ""
            self.error(path, f"{_shown(raw)} is not allowed{hint} (allowed: {meta.get('pattern_doc') or pattern})")
            return False
        if pattern is None and (problem := text_problem(raw)):
            self.error(path, problem)
            return False
        return True


# Typical slips in identifiers, tried in turn for a "did you mean" on a value that fails its pattern.
_NEAR_MISS_FIXES: tuple[Callable[[str], str], ...] = (
    str.strip,
    lambda s: s.strip().lower(),
    lambda s: s.strip().lower().replace("_", "-"),
    lambda s: s.strip().replace("-", "_"),
)


def _expected(tp: Any) -> str:
    """What a value of schema type ``tp`` looks like, for messages."""
    if dataclasses.is_dataclass(tp):
        return "a mapping of keys"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "one of " + ", ".join(m.value for m in tp)
    names = {tuple: "a list", dict: "a mapping of text to text", bool: "true or false", int: "a whole number"}
    return names.get(typing.get_origin(tp) or tp, "text")


def _number(value: Any) -> str:
    """A number as written: 16.0 as 16, 0.5 as 0.5, a whole number in full."""
    return f"{value:.12g}" if isinstance(value, float) else str(value)


def _quote_hint(value: Any) -> str:
    return " (quote it)" if isinstance(value, (bool, int, float)) else ""


def _shown(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return repr(value.value)
    return repr(value) if isinstance(value, str) else describe(value)


class _Invalid:
    def __repr__(self) -> str:
        return "<invalid>"


_INVALID: Any = _Invalid()
INVALID = _INVALID
