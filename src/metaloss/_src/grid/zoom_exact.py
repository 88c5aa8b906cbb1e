"""A deep zoom's levels in exact arithmetic: the axes of a level narrower than float64
resolves, each value rounded once to double-double (:mod:`metaloss._src.grid.zoom`
switches to them), and the exact centre and view ends they are built from."""

from __future__ import annotations

import decimal
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from metaloss._src.errors import InputError
from metaloss._src.precision.arith import decimal_fraction
from metaloss._src.precision.exact import hilo, residues

if TYPE_CHECKING:
    from metaloss._src.grid.zoom import ViewAxis

DIGITS = 60
"""Significant decimal digits of the ``log10`` of a centre or of a view's end."""


def exact_value(value: Any, what: str = "value") -> Fraction | None:
    """The exact rational of a centre value: a decimal string, ``decimal.Decimal``,
    ``fractions.Fraction``, int or float (a float is exactly that float); ``None`` for a
    value that is not finite. :class:`InputError` (naming ``what``) for a string that is
    not a number."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, str | decimal.Decimal):
        try:
            return decimal_fraction(value)
        except ValueError:
            try:
                float(value)
            except ValueError:
                raise InputError(f"bad number {value!r} for {what}") from None
            return None  # inf, nan
    try:
        return Fraction(value) if isinstance(value, int) else Fraction(float(value))
    except (OverflowError, ValueError):  # inf, nan
        return None


def log10(q: Fraction, digits: int = DIGITS) -> Fraction:
    """``log10 q`` of a positive rational, to ``digits`` significant decimal digits."""
    with decimal.localcontext() as ctx:
        ctx.prec = digits
        return Fraction((decimal.Decimal(q.numerator) / q.denominator).log10())


def exact_coord(ax: ViewAxis, value: Any, digits: int = DIGITS) -> Fraction | None:
    """The axis coordinate of the exact ``value`` (:func:`exact_value`): the value itself
    for ``lin``, ``log10 value`` for ``log`` and ``log10(1 - value)`` for ``1mlog``
    (``1 - value`` exact), those to ``digits`` significant decimal digits (a float64
    ``log10`` would move a deep level's centre by up to an ulp of the coordinate, which
    is wider than the level); ``None`` outside the kind's domain."""
    q = value if value is None or isinstance(value, Fraction) else exact_value(value)
    if q is None or ax.kind == "lin":
        return q
    q = 1 - q if ax.kind == "1mlog" else q
    return log10(q, digits) if q > 0 else None


def inside_exactly(ax: ViewAxis, value: Any) -> bool:
    """Whether a centre value's exact coordinate lies between the view axis's exact ends."""
    q = exact_coord(ax, value)
    lo, hi = ax.ends
    return q is not None and lo <= q <= hi


def domain_text(ax: ViewAxis, q: Fraction | None, value: float) -> str:
    """``VALUE lies outside the axis' domain [LOW, HIGH]`` for a narrow view, with the
    digits that tell its ends apart (hyperparameter values; ``q`` from
    :func:`exact_value`, ``value`` its float64, shown where it is not finite)."""
    import math

    ends = list(ax.ends)
    if ax.kind != "lin":
        ends = power10(ends, one_minus=ax.kind == "1mlog")
    low, high = sorted(ends)
    scale = max(abs(low), abs(high))
    digits = 17 if scale == 0 or high == low else \
        min(40, max(17, math.ceil(math.log10(scale / (high - low))) + 3))

    def show(x: Fraction | None) -> str:
        if x is None:
            return f"{value:g}"
        with decimal.localcontext() as ctx:
            ctx.prec = 60
            return f"{decimal.Decimal(x.numerator) / x.denominator:.{digits}g}"

    return f"{show(q)} lies outside the axis' domain [{show(low)}, {show(high)}]"


def narrowest_exact(values) -> float:
    """:func:`~metaloss._src.grid.zoom.narrowest_cell` of ``hi + lo`` values (differences
    of nearby ``hi`` parts are exact, so the residues' differences add to them without
    loss)."""
    hi, lo = hilo(values)
    step = np.abs(np.diff(hi) + np.diff(lo))
    scale = np.maximum(np.abs(hi[1:]), np.abs(hi[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.where(scale > 0, step / scale, np.inf).min())


def exact_axes(view: Sequence[ViewAxis], center: Mapping[str, Any] | None, factor: float,
               k: int, size: int) -> dict[str, np.ndarray]:
    """Level ``k``'s axes in exact arithmetic, each value rounded once to double-double:
    for levels narrower than float64 resolves (level 0 included; ``center`` may be
    ``None`` there).

    The box is exact in axis coordinates: centred on the centre's coordinate
    (:func:`exact_coord` of its exact value, a decimal string's every digit),
    ``(hi - lo) / 2 / factor^k`` wide on either side of it, ``lo`` and ``hi`` the view's
    exact ends (:attr:`ViewAxis.ends`), shifted inside the starting view as
    :func:`level_box` does; its evenly spaced ``u_i`` are rationals. A ``lin`` axis's
    values are those, a ``log`` axis's ``10^u_i`` and a ``1mlog`` axis's ``1 - 10^u_i``,
    both in 50-digit decimal arithmetic (:func:`power10`), far below double-double's
    rounding."""
    out = {}
    for ax in view:
        pts = exact_points(ax, center, factor, k, size)
        out[ax.name] = residues(np.array([float(q) for q in pts]), pts)
    return out


def exact_points(ax: ViewAxis, center: Mapping[str, Any] | None, factor: float, k: int,
                 size: int) -> list[Fraction]:
    """One axis of :func:`exact_axes`, its exact values before rounding."""
    first, last = ax.ends
    half = (last - first) / 2 / Fraction(factor) ** k
    lo = first
    if k > 0:
        lo = min(max(exact_coord(ax, center[ax.name]) - half, first), last - 2 * half)
    pts = [lo + 2 * half * i / (size - 1) for i in range(size)]
    return power10(pts, one_minus=ax.kind == "1mlog") if ax.kind != "lin" else pts


def exact_cell(view: Sequence[ViewAxis], center: Mapping[str, Any] | None, factor: float,
               k: int, size: int) -> float:
    """The narrowest cell of level ``k``'s exact values (before their rounding to
    double-double, which makes a cell narrower than it resolves 0)."""
    rel = []
    for ax in view:
        p = exact_points(ax, center, factor, k, size)
        rel += [abs(b - a) / max(abs(a), abs(b)) for a, b in zip(p[:-1], p[1:], strict=True)
                if a or b]
    return float(min(rel))


def power10(exponents: Sequence[Fraction], one_minus: bool = False,
            digits: int = 50) -> list[Fraction]:
    """``10^u`` (``1 - 10^u`` with ``one_minus``) for exact rationals ``u``, to about
    ``digits`` significant decimal digits: the rational ``u`` is rounded to ``digits``
    digits, then ``10^u`` (a relative error of ``10^-digits (1 + |u| ln 10)``); for
    ``1 - 10^u``, whose cancellation near ``u = 0`` costs ``-log10 |u|`` digits, with
    that many more."""
    out = []
    for u in exponents:
        extra = 0
        if one_minus and u != 0:  # |1 - 10^u| ~ |u| ln 10 near 0
            extra = max(0, len(str(u.denominator)) - len(str(abs(u.numerator))) + 1)
        with decimal.localcontext() as ctx:
            ctx.prec = digits + extra
            v = decimal.Decimal(10) ** (decimal.Decimal(u.numerator) / u.denominator)
            out.append(Fraction(1 - v if one_minus else v))
    return out
