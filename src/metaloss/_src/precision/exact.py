"""Axis values that keep more digits than float64: each value is the float64 ``hi``
(what every float64 consumer sees) plus a residue ``lo``, so ``hi + lo`` is the exact
decimal rounded once to double-double (~32 significant digits).

:class:`ExactValues` is a float64 NumPy array (its values are the ``hi`` parts) that
carries the ``lo`` parts along; :func:`hilo` reads the pair from any array (``lo = 0``
for a plain one). The axis grammar makes them for every ``lin`` axis: the ``hi``
parts are the float64 values it always gave, so float64 consumers see no change.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np


class ExactValues(np.ndarray):
    """A float64 array of the ``hi`` parts, with ``.lo`` (same shape) the residues."""

    lo: np.ndarray

    def __new__(cls, hi, lo):
        out = np.asarray(hi, np.float64).view(cls)
        out.lo = np.asarray(lo, np.float64).reshape(out.shape)
        return out

    def __array_finalize__(self, obj):
        if not hasattr(self, "lo"):
            # a view, slice or result of arithmetic: the residues do not follow
            self.lo = None

    def __reduce__(self):  # pickles as a plain array: the residues travel in .lo only
        return np.asarray(self).__reduce__()


def hilo(values) -> tuple[np.ndarray, np.ndarray]:
    """``(hi, lo)`` float64 arrays for an axis's values (``lo`` zeros for a plain array)."""
    hi = np.array(values, np.float64)
    lo = getattr(values, "lo", None)
    if lo is None or np.shape(lo) != hi.shape:
        lo = np.zeros_like(hi)
    return hi, np.array(lo, np.float64)


def points(start: str, stop: str, num: int) -> list[Fraction]:
    """The ``num`` exact rationals evenly spaced from decimal ``start`` to ``stop``."""
    a, b = Fraction(start.strip()), Fraction(stop.strip())
    step = (b - a) / max(num - 1, 1)
    return [a + step * i for i in range(num)]


def residues(hi: np.ndarray, exact: list[Fraction]) -> ExactValues:
    """``hi`` (float64 values near ``exact``) with ``lo = exact - hi`` rounded to float64,
    so ``hi + lo`` is ``exact`` to double-double precision while ``hi`` stays as given."""
    lo = [float(q - Fraction(float(h))) for h, q in zip(hi, exact, strict=True)]
    return ExactValues(hi, np.array(lo, np.float64))


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_prod(a, b):
    """Dekker's exact product in NumPy (which does not contract to FMA)."""
    p = a * b
    ta, tb = 134217729.0 * a, 134217729.0 * b
    ah, bh = ta - (ta - a), tb - (tb - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def lin_residues(hi: np.ndarray, start: str, stop: str) -> ExactValues:
    """:func:`residues` for evenly spaced values from decimal ``start`` to ``stop``,
    vectorized: ``start + i (stop - start) / (n - 1)`` in double-double (NumPy), so a
    million-point axis costs milliseconds, not a Fraction per point."""
    n = len(hi)
    a, b = Fraction(start.strip()), Fraction(stop.strip())
    step = (b - a) / max(n - 1, 1)
    a_hi, s_hi = float(a), float(step)
    a_lo, s_lo = float(a - Fraction(a_hi)), float(step - Fraction(s_hi))
    i = np.arange(n, dtype=np.float64)
    p, e = _two_prod(i, s_hi)
    e = e + i * s_lo
    v, w = _two_sum(a_hi, p)
    w = w + (e + a_lo)
    v, w = v + w, w - ((v + w) - v)
    lo = (v - np.asarray(hi, np.float64)) + w
    return ExactValues(hi, lo)


def linspace(start: str, stop: str, num: int) -> ExactValues:
    """``num`` evenly spaced values from ``start`` to ``stop`` (decimal strings, every
    digit kept): ``hi`` the nearest float64s, ``lo`` the residues."""
    exact = points(start, stop, num)
    return residues(np.array([float(q) for q in exact], np.float64), exact)


def decimal(hi: float, lo: float, digits: int = 34) -> str:
    """The decimal of ``hi + lo`` to ``digits`` significant digits."""
    q = Fraction(float(hi)) + Fraction(float(lo))
    if q == 0:
        return "0"
    sign = "-" if q < 0 else ""
    q = abs(q)
    exp10 = len(str(q.numerator)) - len(str(q.denominator))
    scaled = q * Fraction(10) ** (digits - 1 - exp10)
    while scaled >= 10**digits:
        scaled /= 10
        exp10 += 1
    while scaled < 10 ** (digits - 1):
        scaled *= 10
        exp10 -= 1
    m = str(round(scaled))
    return f"{sign}{m[0]}.{m[1:].rstrip('0') or '0'}e{exp10}"
