"""Axis values that keep more digits than float64: each value is the float64 ``hi``
(what every float64 consumer sees) plus a residue ``lo``, so ``hi + lo`` is the exact
decimal rounded once to double-double (~32 significant digits).

:class:`ExactValues` is a float64 NumPy array (its values are the ``hi`` parts) that
carries the ``lo`` parts along; :func:`hilo` reads the pair from any array (``lo = 0``
for a plain one). The axis grammar makes them for every ``lin`` axis: the ``hi``
parts are the float64 values it always gave, so float64 consumers see no change.
"""

from __future__ import annotations

import functools
import math
from decimal import Decimal
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np

from metaloss._src.precision import dd
from metaloss._src.precision.arith import decimal_fraction, to_fraction


class ExactValues(np.ndarray):
    """A float64 array of the ``hi`` parts, with ``.lo`` (same shape) the residues.

    ``lo`` may be given as a function of no arguments instead, called the first time
    ``.lo`` is read: log axes compute their residues in double-double JAX code, which
    float32/float64 landscapes never need to pay for."""

    def __new__(cls, hi, lo):
        out = np.asarray(hi, np.float64).view(cls)
        out._lo, out._make = (None, lo) if callable(lo) else (
            np.asarray(lo, np.float64).reshape(out.shape), None)
        return out

    def __array_finalize__(self, obj):
        if not hasattr(self, "_lo"):
            # a view, slice or result of arithmetic: the residues do not follow
            self._lo, self._make = None, None

    @property
    def lo(self) -> np.ndarray | None:
        if self._lo is None and self._make is not None:
            self._lo = np.asarray(self._make(), np.float64).reshape(self.shape)
            self._make = None
        return self._lo

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
    a, b = decimal_fraction(start), decimal_fraction(stop)
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
    a, b = decimal_fraction(start), decimal_fraction(stop)
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


def log_residues(hi: np.ndarray, start: str, stop: str, one_minus: bool = False) -> ExactValues:
    """``hi`` (the float64 values of a ``log`` axis from decimal ``start`` to ``stop``,
    or of a ``1mlog`` axis with ``one_minus``) with the residues of the double-double
    points ``exp(log A + i (log B - log A) / (n - 1))`` (``1 -`` that for ``1mlog``),
    computed when ``.lo`` is first read.

    Evaluated as ``A * exp(t_i log(B/A))`` with ``t_i = i / (n - 1)``: ``log(B/A)`` is
    reduced exactly (``B/A = m 2^e`` with exact rationals, ``e ln 2`` rounded once
    from a 75-digit ``ln 2``), so a narrow window costs no digits to a large ``|log A|``;
    each ``t_i log(B/A) = j ln 2 + r`` is reduced with a three-part ``ln 2``, and
    ``exp(r)`` (``|r| <= 0.35``) and the products run in double-double
    (:mod:`metaloss._src.precision.dd`). ``tests/core/test_exact_axes.py`` holds every
    point within ``1e-30`` (relative) of 40-digit mpmath."""
    hi = np.asarray(hi, np.float64)
    a, b = decimal_fraction(start), decimal_fraction(stop)
    return ExactValues(hi, lambda: _log_lo(hi, a, b, one_minus))


def _log_dd(q: Fraction) -> tuple[float, float]:
    """``log q`` for a positive rational, to double-double precision: ``q = m 2^e``
    exactly, ``log m`` in double-double, ``e ln 2`` rounded once."""
    e = q.numerator.bit_length() - q.denominator.bit_length()
    m = q / Fraction(2) ** e  # exactly, in (1/2, 2)
    with jax.enable_x64(True):
        lm = dd.log(dd.const(m))
        total = dd.add(lm, dd.const(e * dd._LN2))
        return float(total.hi), float(total.lo)


def _log_lo(hi: np.ndarray, a: Fraction, b: Fraction, one_minus: bool) -> np.ndarray:
    n = len(hi)
    # every operand a full array from the host: a scalar broadcast inside the program
    # lets XLA move the products of two_prod past their barriers (then contract them)
    full = lambda pair: tuple(np.full(n, v, np.float64) for v in pair)
    args = (full(dd.from_fraction(a)), full(_log_dd(b / a)),
            full(dd.from_fraction(Fraction(1, max(n - 1, 1)))), full(_LN2_3),
            np.arange(n, dtype=np.float64))
    with jax.enable_x64(True):
        v = _log_points(*args, one_minus)
        if not _agrees(v, a, b, n, one_minus):
            # a safety net: a compiler that contracts a product past dd's select
            # barriers (arith._barrier) would lose the residues; unfused, op by op
            with jax.disable_jit():
                v = _log_points(*args, one_minus)
        v_hi, v_lo = np.asarray(v[0], np.float64), np.asarray(v[1], np.float64)
    return (v_hi - hi) + v_lo


def _agrees(v, a: Fraction, b: Fraction, n: int, one_minus: bool, bound=1e-30) -> bool:
    """Whether the first, middle and last points are within ``bound`` (relative) of
    40-digit decimal arithmetic (a check on the compiled program, not on the method)."""
    import decimal

    with decimal.localcontext() as ctx:
        ctx.prec = 40
        la = (decimal.Decimal(a.numerator) / a.denominator).ln()
        lb = (decimal.Decimal(b.numerator) / b.denominator).ln()
        for i in sorted({0, n // 2, n - 1}):
            want = (la + (lb - la) * i / max(n - 1, 1)).exp()
            want = 1 - want if one_minus else want
            got = decimal.Decimal(float(v[0][i])) + decimal.Decimal(float(v[1][i]))
            if want != 0 and abs(got - want) > decimal.Decimal(bound) * abs(want):
                return False
    return True


_LN2_3 = (float(dd._LN2), float(dd._LN2 - Fraction(float(dd._LN2))),
          float(dd._LN2 - Fraction(float(dd._LN2))
                - Fraction(float(dd._LN2 - Fraction(float(dd._LN2))))))
"""``ln 2`` as three float64 parts (about 160 bits)."""


@functools.partial(jax.jit, static_argnums=5)
def _log_points(a, rho, inv, ln2, i, one_minus):
    """``A exp(i rho / (n - 1))`` (``1 -`` that) in double-double; ``a``, ``rho`` and
    ``inv = 1 / (n - 1)`` pairs of arrays, ``ln2`` three."""
    x = dd.mul(dd.mul_float(dd.DD(*rho), i), dd.DD(*inv))
    j = jnp.round(x.hi / ln2[0])
    r = dd.sub(dd.sub(x, dd.mul_float(dd.DD(ln2[0], ln2[1]), j)), dd.lift(ln2[2] * j))
    v = dd.mul(dd.DD(*a), dd.exp(r))  # |r| <= 0.35: exp's own reduction is exact
    k = j.astype(jnp.int32)
    v = dd.DD(jnp.ldexp(v.hi, k), jnp.ldexp(v.lo, k))
    return dd.sub(dd.lift(jnp.ones_like(v.hi)), v) if one_minus else v


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


MAX_DIGITS = 34
"""The most significant digits :func:`ends` writes (about double-double's and a margin)."""


def text(hi: float, lo: float, digits: int) -> str:
    """``hi + lo`` to ``digits`` significant digits (``hi`` as Python writes it with
    ``.{digits}g`` where ``lo`` is 0 and ``digits`` at most 17)."""
    if lo == 0 and digits <= 17:
        return f"{hi:.{digits}g}"
    return str(Decimal(decimal(hi, lo, digits)))


def ends(values, least: int = 8) -> str:
    """``FIRST..LAST`` of an axis, with the digits that tell them apart (at least
    ``least``; the double-double values ``hi + lo`` of a level past float64, up to 34)."""
    hi, lo = hilo(values)
    a, b = (to_fraction(hi[i], lo[i]) for i in (0, -1))
    scale = max(abs(a), abs(b))
    digits = least if a == b or scale == 0 else \
        min(MAX_DIGITS, max(least, math.ceil(math.log10(scale / abs(b - a))) + 3))
    return "..".join(text(float(hi[i]), float(lo[i]), digits) for i in (0, -1))
