"""One grammar and one registry for every named object: problems, optimizers,
objectives, estimators, schedules and grid measures.

A spec is one of:

- ``name``: a registered name, e.g. ``wavy1d``, ``sgdm``, ``backprop``;
- ``name(key=value, ...)``: the same with keyword arguments; values are Python
  literals (numbers, strings, tuples, ``None``, ``True``/``False``; ``true``,
  ``false`` and bare words such as ``centered_ranks`` are accepted too) or
  nested specs of registered objects, e.g.
  ``es(std=geometric(start=0.1, end=0.01, steps=3000), pairs=8)``;
- ``module:attribute`` or ``path/file.py:attribute``: a user's own object (an
  instance, a class, or a function of no arguments returning one).

The older ``name:key=value:key=value`` spelling (``es:pairs=16:std=0.05``) is
read as ``name(key=value, ...)``. :func:`label` writes the canonical form, which
:func:`parse` reads back to an equal object.

Each class registers itself where it is defined, with :func:`register`; the
registry imports a kind's package the first time that kind is parsed.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
from collections.abc import Callable, Iterator
from typing import Any

from metaloss.errors import InputError, one_line

KINDS = {
    "problem": "metaloss.problems",
    "optimizer": "metaloss.optimizers",
    "objective": "metaloss.objectives",
    "estimator": "metaloss.estimators",
    "schedule": "metaloss.schedules",
    "measure": "metaloss.measures",
}
"""Every kind of named object, and the package whose import registers its names."""


@dataclasses.dataclass(frozen=True)
class Entry:
    kind: str
    name: str
    factory: Callable[..., Any]
    cls: type | None


class Registry:
    """Names -> factories, per kind. There is one: :data:`REGISTRY`."""

    def __init__(self):
        self._entries: dict[tuple[str, str], Entry] = {}
        self._by_class: dict[type, Entry] = {}
        self._bases: dict[str, type] = {}
        self._adapters: dict[str, Callable[[Any, str], Any]] = {}

    def define(self, kind: str, base: type,
               adapter: Callable[[Any, str], Any] | None = None) -> None:
        """Declares the abstract class of ``kind`` and, optionally, how an object that a
        ``module:attribute`` spec loaded is checked or wrapped (``adapter(obj, text)``)."""
        self._bases[kind] = base
        if adapter is not None:
            self._adapters[kind] = adapter

    def add(self, kind: str, name: str, factory: Callable[..., Any], *,
            canonical: bool = True) -> None:
        """Registers ``factory`` (a class, or a function) under ``kind`` and ``name``.

        A class registered as ``canonical`` is the one :func:`label` names it by.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        key = (kind, name.lower())
        if key in self._entries and self._entries[key].factory is not factory:
            raise ValueError(f"{kind} {name!r} is already registered")
        cls = factory if isinstance(factory, type) else None
        entry = Entry(kind, name.lower(), factory, cls)
        self._entries[key] = entry
        if cls is not None and canonical:
            self._by_class.setdefault(cls, entry)

    def load(self, kind: str) -> None:
        importlib.import_module(KINDS[kind])

    def names(self, kind: str) -> tuple[str, ...]:
        """The registered names of ``kind``, in registration order."""
        self.load(kind)
        return tuple(n for (k, n) in self._entries if k == kind)

    def entries(self, kind: str) -> Iterator[Entry]:
        self.load(kind)
        return (e for (k, _), e in self._entries.items() if k == kind)

    def get(self, kind: str, name: str) -> Entry:
        self.load(kind)
        entry = self._entries.get((kind, name.lower()))
        if entry is None:
            extra = " or module:attribute" if kind in USER_KINDS else ""
            raise InputError(f"unknown {kind} {name!r}; choose one of "
                             f"{', '.join(self.names(kind))}{extra}")
        return entry

    def entry_of(self, obj: Any) -> Entry | None:
        return self._by_class.get(type(obj))

    def entry_of_class(self, cls: type) -> Entry | None:
        """The canonical entry of a class (the name its labels use)."""
        return self._by_class.get(cls)


REGISTRY = Registry()

USER_KINDS = ("problem", "optimizer", "estimator")
"""Kinds that a ``module:attribute`` spec may name."""


def register(kind: str, name: str, *aliases: str):
    """Class decorator: registers the class under ``name`` (its label) and ``aliases``."""

    def deco(cls):
        REGISTRY.add(kind, name, cls)
        for alias in aliases:
            REGISTRY.add(kind, alias, cls, canonical=False)
        return cls

    return deco


def base_class(kind: str) -> type:
    """The abstract class every object of ``kind`` derives from (``object`` if none)."""
    REGISTRY.load(kind)
    return REGISTRY._bases.get(kind, object)


# -- parsing -------------------------------------------------------------------------------


def parse(kind: str, spec: Any) -> Any:
    """The object of ``kind`` that ``spec`` names (an object of that kind is returned as is).

    Raises:
      InputError: with a one-line message for anything that does not name one.
    """
    base = base_class(kind)
    if base is not object and isinstance(spec, base):
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise InputError(f"a {kind} spec must be a non-empty string, got {spec!r}")
    text = spec.strip()
    name, kwargs = split(kind, text) or (None, None)
    if name is None:
        if ":" in text and kind in USER_KINDS:
            return _user_object(kind, text)
        raise InputError(f"cannot read {kind} spec {text!r}; expected NAME or "
                         f"NAME(key=value, ...)")
    return build(kind, name, kwargs, text)


def split(kind: str, text: str) -> tuple[str, dict[str, Any]] | None:
    """``(name, options)`` of a ``name`` or ``name(key=value, ...)`` spec (the older
    ``name:key=value`` form too), nothing built; ``None`` for any other text."""
    text = text.strip()
    return _legacy(text) or _call(kind, text)


def parse_list(kind: str, text: str) -> list[Any]:
    """Comma-separated specs (commas inside parentheses belong to their spec)."""
    items = split_top_level(text)
    if not items or any(not s.strip() for s in items):
        raise InputError(f"bad {kind} list {text!r}: an item is empty")
    return [parse(kind, s) for s in items]


def parse_one(kind: str, text: str) -> Any:
    """One spec; a comma-separated list is refused with a clear message."""
    items = split_top_level(text)
    if len(items) > 1:
        raise InputError(f"expected one {kind}, got {len(items)} in {text!r}")
    return parse(kind, text)


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


def build(kind: str, name: str, kwargs: dict[str, Any], text: str | None = None) -> Any:
    """``factory(**kwargs)`` for the registered ``name``, with one-line errors."""
    entry = REGISTRY.get(kind, name)
    options = accepted_options(entry.factory)
    unknown = [k for k in kwargs if options is not None and k not in options]
    if unknown:
        have = ", ".join(options) if options else "no options"
        raise InputError(f"{text or name!r}: unknown option {unknown[0]!r}; "
                         f"{entry.name} takes {have}")
    try:
        return entry.factory(**kwargs)
    except InputError:
        raise
    except (TypeError, ValueError) as e:
        raise InputError(f"{text or name!r}: {one_line(e)}") from None


def accepted_options(factory: Callable[..., Any]) -> tuple[str, ...] | None:
    """The keyword options a factory takes (``None`` when it cannot tell)."""
    if dataclasses.is_dataclass(factory):
        return tuple(f.name for f in dataclasses.fields(factory) if f.init)
    import inspect

    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return tuple(p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD))


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
        name = node.func.id
        for kind in KINDS:
            if (kind, name.lower()) in REGISTRY._entries or _loads(kind, name):
                sub = ast.unparse(node)
                return parse(kind, sub)
        raise InputError(f"{text!r}: unknown name {name!r} in an option value")
    if isinstance(node, ast.Name):
        if node.id in ("true", "false"):
            return node.id == "true"
        return node.id  # a bare word: a string option such as fitness=centered_ranks
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise InputError(f"{text!r}: option values must be literals (numbers, strings, "
                         f"tuples, None) or specs, got {ast.unparse(node)!r}") from None


def _loads(kind: str, name: str) -> bool:
    REGISTRY.load(kind)
    return (kind, name.lower()) in REGISTRY._entries


def _user_object(kind: str, text: str) -> Any:
    from metaloss.userload import load_attribute

    obj = load_attribute(text)
    base = base_class(kind)
    if isinstance(obj, type) and issubclass(obj, base):
        try:
            obj = obj()
        except TypeError as e:
            raise InputError(f"{text}: cannot construct {obj.__name__}(): {one_line(e)}") from e
    elif callable(obj) and not isinstance(obj, base) and kind != "optimizer":
        try:
            obj = obj()
        except TypeError as e:
            raise InputError(f"{text}: expected a function of no arguments: "
                             f"{one_line(e)}") from e
    return adapt_user_object(kind, obj, text)


def adapt_user_object(kind: str, obj: Any, text: str) -> Any:
    """Checks (or wraps, through the kind's adapter) what a ``module:attribute`` spec loaded."""
    adapter = REGISTRY._adapters.get(kind)
    if adapter is not None:
        obj = adapter(obj, text)
    base = base_class(kind)
    if not isinstance(obj, base):
        raise InputError(f"{text} is a {type(obj).__name__}, not a metaloss {kind}")
    return obj


# -- labels --------------------------------------------------------------------------------


def label(obj: Any) -> str:
    """The canonical spec of a registered object: ``parse(kind, label(obj)) == obj``.

    Fields equal to their defaults are left out, except those a class lists in
    ``label_fields`` (always shown, for readable tables). An unregistered object
    (a user's) gets its ``repr``.
    """
    entry = REGISTRY.entry_of(obj)
    if entry is None or not dataclasses.is_dataclass(obj):
        return getattr(obj, "name", None) if isinstance(getattr(obj, "name", None), str) \
            else repr(obj)
    shown = getattr(type(obj), "label_fields", ())
    parts = []
    for f in dataclasses.fields(obj):
        if not f.init:
            continue
        value = getattr(obj, f.name)
        default = _default(f)
        if f.name in shown or default is dataclasses.MISSING or not _same(value, default):
            parts.append(f"{f.name}={_format(value)}")
    return entry.name + (f"({', '.join(parts)})" if parts else "")


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    try:
        return bool(a == b)
    except Exception:  # arrays and other objects without a plain truth value
        return False


def _format(value: Any) -> str:
    return label(value) if REGISTRY.entry_of(value) is not None else repr(value)
