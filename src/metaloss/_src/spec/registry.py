"""The one registry: names -> factories, per kind of object."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterator
from typing import Any

from metaloss._src.errors import InputError

KINDS = {
    "problem": "metaloss._src.problems",
    "optimizer": "metaloss._src.optimizers",
    "objective": "metaloss._src.objectives",
    "estimator": "metaloss._src.estimators",
    "schedule": "metaloss._src.schedules",
    "measure": "metaloss._src.measures",
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

    def has(self, kind: str, name: str) -> bool:
        return (kind, name.lower()) in self._entries

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
