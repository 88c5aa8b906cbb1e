"""The spec grammar as syntax only: text -> ``(name, options)``, nothing built.

Option values are literals, bare words (strings), ``true``/``false``, or nested
specs, which come back as :class:`Nested` for the builder to resolve.
"""

from __future__ import annotations

import ast
import dataclasses
from typing import Any

from metaloss._src.errors import InputError


@dataclasses.dataclass(frozen=True)
class Nested:
    """A spec inside an option value, e.g. ``geometric(start=0.1, end=0.01, steps=100)``."""

    name: str
    options: dict[str, Any]
    text: str


def split(kind: str, text: str) -> tuple[str, dict[str, Any]] | None:
    """``(name, options)`` of a ``name`` or ``name(key=value, ...)`` spec (the older
    ``name:key=value`` form too); ``None`` for any other text (``module:attribute``)."""
    text = text.strip()
    return _legacy(text) or _call(kind, text)


def split_top_level(text: str) -> list[str]:
    """Splits at commas outside parentheses and brackets."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur).strip())
    return parts


def _legacy(text: str) -> tuple[str, dict[str, Any]] | None:
    """``name:key=value:...`` -> (name, kwargs); ``None`` when ``text`` is not that form."""
    name, sep, rest = text.partition(":")
    if not sep or not name.strip().isidentifier() or "=" not in rest or "(" in text:
        return None
    kwargs = {}
    for opt in rest.split(":"):
        key, eq, value = opt.partition("=")
        if not eq or not key.strip().isidentifier():
            raise InputError(f"{text!r}: bad option {opt!r}; expected key=value")
        kwargs[key.strip()] = _word(value.strip())
    return name.strip(), kwargs


def _word(text: str) -> Any:
    """A legacy option value: a literal if it reads as one, a bool word, else the text."""
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _call(kind: str, text: str) -> tuple[str, dict[str, Any]] | None:
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.Name):
        return node.id, {}
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return None
    if node.args:
        raise InputError(f"{text!r}: give {kind} options by keyword, e.g. "
                         f"{node.func.id}(name=value)")
    kwargs = {}
    for kw in node.keywords:
        if kw.arg is None:
            raise InputError(f"{text!r}: ** arguments are not supported")
        kwargs[kw.arg] = _value(kw.value, text)
    return node.func.id, kwargs


def _value(node: ast.expr, text: str) -> Any:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        sub = ast.unparse(node)
        if node.args:
            raise InputError(f"{text!r}: give options of {sub!r} by keyword")
        options = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise InputError(f"{text!r}: ** arguments are not supported")
            options[kw.arg] = _value(kw.value, text)
        return Nested(node.func.id, options, sub)
    if isinstance(node, ast.Name):
        if node.id in ("true", "false"):
            return node.id == "true"
        return node.id  # a bare word: a string option such as fitness=centered_ranks
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise InputError(f"{text!r}: option values must be literals (numbers, strings, "
                         f"tuples, None) or specs, got {ast.unparse(node)!r}") from None
