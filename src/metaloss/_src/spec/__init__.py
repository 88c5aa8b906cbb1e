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

import dataclasses
from collections.abc import Callable
from typing import Any

from metaloss._src.errors import InputError, one_line
from metaloss._src.spec.grammar import Nested, split, split_top_level
from metaloss._src.spec.registry import KINDS, REGISTRY, USER_KINDS, Entry, Registry, register


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
    kwargs = None if kwargs is None else {k: _resolve(v) for k, v in kwargs.items()}
    if name is None:
        if ":" in text and kind in USER_KINDS:
            return _user_object(kind, text)
        raise InputError(f"cannot read {kind} spec {text!r}; expected NAME or "
                         f"NAME(key=value, ...)")
    return build(kind, name, kwargs, text)


def _resolve(value: Any) -> Any:
    """A nested spec in an option value, built (it may be of any kind)."""
    if not isinstance(value, Nested):
        return value
    for kind in KINDS:
        REGISTRY.load(kind)
        if REGISTRY.has(kind, value.name):
            return build(kind, value.name, {k: _resolve(v) for k, v in value.options.items()},
                         value.text)
    raise InputError(f"unknown name {value.name!r} in the option value {value.text!r}")


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


def _user_object(kind: str, text: str) -> Any:
    from metaloss._src.userload import load_attribute

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


def name_of(obj: Any) -> str:
    """The ``.name`` of every problem, system, optimizer, objective, estimator and
    measure: its :func:`label` (a spec that parses back to an equal object) when its
    class is registered, else its class name (a user's own class, which no registered
    name spells; a wrapper made from a ``module:attribute`` spec names that spec)."""
    if REGISTRY.entry_of(obj) is not None and dataclasses.is_dataclass(obj):
        return label(obj)
    return type(obj).__name__


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


__all__ = [
    "KINDS",
    "REGISTRY",
    "USER_KINDS",
    "Entry",
    "Registry",
    "accepted_options",
    "base_class",
    "build",
    "label",
    "parse",
    "parse_list",
    "parse_one",
    "register",
    "split",
    "split_top_level",
]
