"""Click parameter types for the command line's grammars: specs, axes and assignments.

Each converts at parse time and turns an :class:`~metaloss._src.errors.InputError` into
click's one-line ``Invalid value for '--option': ...``.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import click

from metaloss._src.errors import InputError
from metaloss._src.grid.axes import number, parse_axis, split_assignment
from metaloss._src.precision.arith import decimal_fraction
from metaloss._src.space import PARAM_KINDS
from metaloss._src.spec import REGISTRY, parse_one


class _Checked(click.ParamType):
    def convert(self, value: Any, param, ctx):
        if not isinstance(value, str):
            return value
        try:
            return self.parse(value)
        except InputError as e:
            self.fail(str(e), param, ctx)

    def parse(self, text: str) -> Any:
        raise NotImplementedError


class Spec(_Checked):
    """A problem, optimizer, objective or measure spec, built into the object."""

    def __init__(self, kind: str):
        self.kind = kind
        self.name = kind

    def parse(self, text):
        return parse_one(self.kind, text)

    def choices(self) -> str:
        return ", ".join(REGISTRY.names(self.kind))


class Axis(_Checked):
    """``NAME=KIND:START:STOP:N`` -> ``(NAME, values)``."""

    name = "axis"

    def parse(self, text):
        return parse_axis(text)


class Assignment(_Checked):
    """``NAME=VALUE`` -> ``(NAME, float)``."""

    name = "assignment"

    def parse(self, text):
        name, value = split_assignment(text, "value")
        return name, number(value, text)


class ExactValue(Assignment):
    """``NAME=VALUE`` -> ``(NAME, float)``, or ``(NAME, Fraction)`` when the decimal has
    digits float64 does not hold (every digit kept)."""

    def parse(self, text):
        name, raw = split_assignment(text, "value")
        value = number(raw, text)
        if not math.isfinite(value):
            return name, value
        try:
            exact = decimal_fraction(raw)
        except ValueError:
            return name, value
        return name, value if exact == Fraction(value) else exact


class FixedValue(ExactValue):
    """:class:`ExactValue` for a fixed hyperparameter: the meta-loss rounds a Fraction to
    float64 once and keeps the residue for double-double
    (:func:`metaloss._src.hyper.exact_fixed`)."""


class ParamKind(_Checked):
    """``NAME=KIND`` (KIND log, lin, 1mlog) -> ``(NAME, Param)``."""

    name = "parametrization"

    def parse(self, text):
        name, kind = split_assignment(text, "parametrization")
        if kind not in PARAM_KINDS:
            raise InputError(f"bad parametrization {text!r}: KIND must be one of "
                             f"{', '.join(PARAM_KINDS)}")
        return name, PARAM_KINDS[kind]()


def unique(pairs, what: str) -> dict[str, Any]:
    """``[(name, value), ...]`` -> dict; a name given twice is refused."""
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in out:
            raise InputError(f"{what} {name!r} is given twice")
        out[name] = value
    return out
