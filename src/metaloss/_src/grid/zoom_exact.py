"""A deep zoom's levels in exact arithmetic: the axes of a level narrower than float64
resolves, each value rounded once to double-double (:mod:`metaloss._src.grid.zoom`
switches to them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from metaloss._src.precision.exact import residues

if TYPE_CHECKING:
    from metaloss._src.grid.zoom import ViewAxis


def exact_axes(view: Sequence[ViewAxis], center: Mapping[str, float], factor: float,
               k: int, size: int) -> dict[str, np.ndarray]:
    """Level ``k``'s axes in exact arithmetic, each value rounded once to double-double:
    for levels narrower than float64 resolves.

    The box is exact in axis coordinates: centred on the centre's coordinate
    (:func:`exact_coord` of its float64 value), ``(hi - lo) / 2 / factor^k`` wide on
    either side, shifted inside the starting view as :func:`level_box` does; its evenly
    spaced ``u_i`` are rationals. A ``lin`` axis's values are those, a ``log`` axis's
    ``10^u_i`` and a ``1mlog`` axis's ``1 - 10^u_i``, both in 50-digit decimal
    arithmetic (:func:`power10`), far below double-double's rounding."""
    out = {}
    for ax in view:
        half = (Fraction(ax.hi) - Fraction(ax.lo)) / 2 / Fraction(factor) ** k
        lo = min(max(exact_coord(ax, center[ax.name]) - half, Fraction(ax.lo)),
                 Fraction(ax.hi) - 2 * half)
        pts = [lo + 2 * half * i / (size - 1) for i in range(size)]
        if ax.kind != "lin":
            pts = power10(pts, one_minus=ax.kind == "1mlog")
        out[ax.name] = residues(np.array([float(q) for q in pts]), pts)
    return out


def exact_coord(ax: ViewAxis, value: float, digits: int = 60) -> Fraction:
    """The axis coordinate of the float64 ``value``: the value itself for ``lin``,
    ``log10 value`` for ``log`` and ``log10(1 - value)`` for ``1mlog`` (``1 - value``
    exact), those to ``digits`` significant decimal digits (a float64 ``log10`` would
    move a deep level's centre by up to an ulp of the coordinate, which is wider than
    the level)."""
    import decimal

    q = Fraction(float(value))
    if ax.kind == "lin":
        return q
    q = 1 - q if ax.kind == "1mlog" else q
    with decimal.localcontext() as ctx:
        ctx.prec = digits
        return Fraction((decimal.Decimal(q.numerator) / q.denominator).log10())


def power10(exponents: Sequence[Fraction], one_minus: bool = False,
            digits: int = 50) -> list[Fraction]:
    """``10^u`` (``1 - 10^u`` with ``one_minus``) for exact rationals ``u``, to about
    ``digits`` significant decimal digits: the rational ``u`` is rounded to ``digits``
    digits, then ``10^u`` (a relative error of ``10^-digits (1 + |u| ln 10)``); for
    ``1 - 10^u``, whose cancellation near ``u = 0`` costs ``-log10 |u|`` digits, with
    that many more."""
    import decimal

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
