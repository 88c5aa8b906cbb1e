"""Axes narrower than float64 coordinates resolve, as a deep zoom's levels past float64
have (their values ``hi + lo`` in double-double, the residues beside each coordinate as
``NAME_lo``): drawn as offsets from a reference point, and written with the digits that
tell their cells apart (the axis ends: :func:`metaloss._src.precision.exact.ends`).

An image places its cells at the float64 coordinates of the drawn parametrization
(log10 lr, log10(1 - momentum), the value). Once the cells are narrower than
:data:`RESOLVE` of the coordinate those are a few ulps apart or equal, so
:func:`offset_param` draws such an axis as ``u - u_ref`` in units of ``10^e``: each
``u_i`` from the exact ``hi + lo`` in :data:`PREC`-digit decimal arithmetic, ``u_ref``
the middle of the axis's ends rounded to :data:`REF_DIGITS` significant digits (the axis
label states it), ``e`` a multiple of 3 that puts the offsets between 1 and 1000.
"""

from __future__ import annotations

import dataclasses
import decimal
import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import xarray as xr

from metaloss._src.errors import InputError
from metaloss._src.precision.arith import to_fraction
from metaloss._src.precision.exact import MAX_DIGITS, text
from metaloss._src.space import Linear, Log10, OneMinusLog10, Param

CANDIDATES: tuple[Param, ...] = (Linear(), Log10(), OneMinusLog10())
"""The parametrizations an axis may be drawn in, in the order they are tried."""
RESOLVE = 1e-10
"""Cells narrower than this, relative to the largest coordinate, are drawn as offsets."""
REF_DIGITS = 32
"""Significant digits of an offset axis's reference (about double-double's)."""
PREC = 50
"""Decimal digits of the arithmetic placing an offset axis's cells."""


def even(u: np.ndarray, rtol: float = 1e-3) -> bool:
    """Whether ``u`` is finite and evenly spaced (a step that is not 0, within ``rtol``)."""
    if len(u) < 3 or not np.all(np.isfinite(u)):
        return len(u) < 3 and bool(np.all(np.isfinite(u)))
    step = (u[-1] - u[0]) / (len(u) - 1)
    return step != 0 and bool(np.allclose(np.diff(u), step, rtol=rtol, atol=1e-9 * abs(step)))


@dataclasses.dataclass(frozen=True)
class Offset(Param):
    """An axis drawn as ``(param's coordinate - ref) / 10^exponent``.

    ``forward`` and ``inverse`` work in float64 (for paths drawn over the image,
    approximate at depth); the cells' own places come from :func:`offset_param`."""

    param: Param
    ref: Decimal
    exponent: int

    def forward(self, u):
        return self.param.forward(float(self.ref) + np.asarray(u, float) * 10.0**self.exponent)

    def inverse(self, value):
        u = np.asarray(self.param.inverse(value), float)
        return (u - float(self.ref)) / 10.0**self.exponent

    def axis_label(self, name: str) -> str:
        label = self.param.axis_label(name)
        if self.ref != 0:
            label += f" {'-' if self.ref > 0 else '+'} {self.ref.copy_abs()}"
        return label + (f"  (x 1e{self.exponent})" if self.exponent else "")


def exact_values(da: xr.DataArray, dim: str) -> list[Fraction]:
    """The axis ``dim`` of ``da`` as exact rationals ``hi + lo`` (``lo`` its ``NAME_lo``
    coordinate, zero where it has none)."""
    hi = np.asarray(da[dim].values, np.float64)
    name = f"{dim}_lo"
    lo = np.asarray(da[name].values, np.float64) if name in da.coords else np.zeros_like(hi)
    return [to_fraction(h, low) for h, low in zip(hi, lo, strict=True)]


def _coordinate(p: Param, q: Fraction) -> Decimal | None:
    """``p``'s coordinate of the value ``q`` in the current decimal context (``None``
    outside its domain or for a parametrization other than the three kinds)."""
    if type(p) is Linear:
        return Decimal(q.numerator) / q.denominator
    if type(p) is Log10 and q > 0:
        return (Decimal(q.numerator) / q.denominator).log10()
    if type(p) is OneMinusLog10 and q < 1:
        r = 1 - q
        return (Decimal(r.numerator) / r.denominator).log10()
    return None


def _too_close(hi: np.ndarray, drawn: Param) -> bool:
    try:
        u = np.asarray(drawn.inverse(hi), float)
    except InputError:
        return True
    if not np.all(np.isfinite(u)):
        return True
    return bool(np.min(np.abs(np.diff(u))) <= RESOLVE * np.max(np.abs(u)))


def offset_param(da: xr.DataArray, dim: str, given: Param | None,
                 drawn: Param) -> tuple[Offset, np.ndarray] | None:
    """``(Offset, the cells' places on it)`` for an axis whose cells are too close for
    the float64 coordinates of ``drawn`` (the parametrization the float64 values chose,
    see :func:`~metaloss._src.plot.heatmaps.drawn_param`), or ``None`` where those do
    (every shallow grid) or no parametrization spaces the exact values evenly.

    Too close: the cells narrower than :data:`RESOLVE` of the largest coordinate, or,
    where the axis carries residues ``NAME_lo``, of the largest value (its float64
    values, ``hi``, then lie a few ulps apart, however wide the coordinates' cells).
    ``given`` (else linear, log10, log10(1 - v)) is the first whose offsets are evenly
    spaced within 2% of a cell (a double-double value near the deepest zoom is a
    percent of a cell off its exact point)."""
    hi = np.asarray(da[dim].values, np.float64)
    name = f"{dim}_lo"
    exact_lo = name in da.coords and bool(np.any(np.asarray(da[name].values) != 0))
    if len(hi) < 2 or not np.all(np.isfinite(hi)) or not (
            _too_close(hi, drawn) or (exact_lo and _too_close(hi, Linear()))):
        return None
    exact = exact_values(da, dim)
    if len(set(exact)) < len(exact):
        return None
    tried = (given,) if given is not None else ()
    for p in tried + tuple(c for c in CANDIDATES if c != given):
        with decimal.localcontext() as ctx:
            ctx.prec = PREC
            coords = [_coordinate(p, q) for q in exact]
            if any(c is None for c in coords):
                continue
            ctx.prec = REF_DIGITS
            ref = +((coords[0] + coords[-1]) / 2)  # rounded to REF_DIGITS digits
            ctx.prec = PREC
            off = [c - ref for c in coords]
            width = max(abs(o) for o in off)
            exponent = 3 * math.floor(float(width.log10()) / 3)
            places = np.array([float(o.scaleb(-exponent)) for o in off])
        if even(places, rtol=0.02):
            return Offset(p, ref, exponent), places
    return None


def cell_text(da: xr.DataArray, dim: str, i: int) -> str:
    """The value of cell ``i`` of the axis ``dim`` with the digits that tell it from its
    neighbours (a hundredth of the narrowest cell)."""
    exact = exact_values(da, dim)
    hi = float(da[dim].values[i])
    lo = float(exact[i] - Fraction(hi))
    steps = [abs(b - a) for a, b in zip(exact, exact[1:], strict=False) if b != a]
    scale = max(abs(q) for q in exact)
    digits = 3 if not steps or scale == 0 else \
        min(MAX_DIGITS, max(3, math.ceil(math.log10(scale / min(steps))) + 2))
    return text(hi, lo, digits)
