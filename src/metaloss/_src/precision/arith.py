"""Double-double arithmetic: the :class:`DD` pair, error-free transformations, the
four operations and square root, comparisons. Used through :mod:`.dd`, which adds
the elementary functions (:mod:`.elementary`)."""

from __future__ import annotations

import decimal
from fractions import Fraction
from typing import NamedTuple

import jax
import jax.numpy as jnp


def _round(x):
    # ``x`` itself (NaN stays NaN), behind a select: LLVM contracts a product into the
    # addition it feeds (an FMA) but not across a select, so the value that enters the
    # sums is the rounded product. XLA drops optimization barriers before it fuses
    # (scripts/dd_fusion_check.py: squares 1e-16 off under jit with barriers alone).
    return jnp.where(x == x, x, x * 0.0)


def _barrier(tree):
    """Each array of ``tree`` as a materialized rounding (see :func:`two_prod`)."""
    return jax.tree.map(_round, tree)


class DD(NamedTuple):
    """A double-double array: the value is ``hi + lo`` (a pytree of two float64 arrays)."""

    hi: jnp.ndarray
    lo: jnp.ndarray

    def __add__(self, other): return add(self, lift(other))
    def __radd__(self, other): return add(lift(other), self)
    def __sub__(self, other): return sub(self, lift(other))
    def __rsub__(self, other): return sub(lift(other), self)
    def __mul__(self, other): return mul(self, lift(other))
    def __rmul__(self, other): return mul(lift(other), self)
    def __truediv__(self, other): return div(self, lift(other))
    def __rtruediv__(self, other): return div(lift(other), self)
    def __neg__(self): return DD(-self.hi, -self.lo)


def _fraction_dd(q: Fraction) -> tuple[float, float]:
    hi = float(q)
    return hi, float(q - Fraction(hi))


EXPONENT_LIMIT = 400
"""Decimal exponents past which :func:`decimal_fraction` does not build the rational:
float64 holds nothing there but 0 and inf, and double-double no residue either."""


def decimal_fraction(text: str | decimal.Decimal) -> Fraction:
    """The exact rational of a finite decimal string (or ``decimal.Decimal``).
    :class:`ValueError` for a string that is not a finite number or whose exponent
    passes +:data:`EXPONENT_LIMIT`; a
    magnitude below ``10^-EXPONENT_LIMIT`` is 0 (its float64 and double-double
    rounding). ``Fraction(text)`` alone would build ``10^|exponent|`` in full: a
    string like ``1e-100000000`` would take minutes."""
    try:
        d = text if isinstance(text, decimal.Decimal) else decimal.Decimal(text.strip())
    except decimal.InvalidOperation:
        raise ValueError(f"not a decimal number: {text!r}") from None
    if not d.is_finite():
        raise ValueError(f"not a finite number: {text!r}")
    if d.is_zero() or d.adjusted() < -EXPONENT_LIMIT:
        return Fraction(0)
    if d.adjusted() > EXPONENT_LIMIT:
        raise ValueError(f"{text!r} is beyond float64's range")
    return Fraction(d)


def from_string(text: str) -> tuple[float, float]:
    """A decimal string (e.g. ``"1.23456789012345678901234567890123"``) rounded to the
    nearest double-double, as a Python ``(hi, lo)`` pair: every digit up to ~32 is kept."""
    return _fraction_dd(decimal_fraction(text))


def from_fraction(q: Fraction) -> tuple[float, float]:
    """An exact rational rounded to the nearest double-double ``(hi, lo)``."""
    return _fraction_dd(Fraction(q))


def to_fraction(hi: float, lo: float) -> Fraction:
    """The exact rational a Python ``(hi, lo)`` pair denotes."""
    return Fraction(float(hi)) + Fraction(float(lo))


def lift(x) -> DD:
    """A float64 array (or a DD) as a DD; a plain float is exact, so ``lo = 0``."""
    if isinstance(x, DD):
        return x
    # a barrier: a float64 that is a product must enter the sums rounded (see two_prod)
    hi = _barrier(jnp.asarray(x, jnp.float64))
    return DD(hi, jnp.zeros_like(hi))


def const(q) -> DD:
    """A Python number or Fraction rounded to double-double, as 0-d arrays."""
    hi, lo = _fraction_dd(Fraction(q))
    return DD(jnp.float64(hi), jnp.float64(lo))


def _is_dd(x) -> bool:
    return isinstance(x, DD)


def materialize(x):
    """``x`` (a DD or a pytree of DDs and arrays) computed once, as a fusion boundary.

    XLA fuses chains of cheap elementwise operations into every consumer: the ``hi``
    and the ``lo`` of a result usually land in two fusions that each recompute the
    whole chain behind them, and a consumer that broadcasts its operand (an outer
    product) recomputes it per reuse. For double-double, whose every operation is a
    chain of a dozen additions, that multiplied the cost several times over.
    Optimization barriers do not prevent it (XLA removes them before fusion); a
    reduction does: all arrays of one shape go through one variadic sum with zeros,
    one fusion that computes them together and is not fused into its consumers.
    Exact (``x + 0 == x``; only ``-0`` becomes ``+0``).
    """
    leaves, tree = jax.tree.flatten(x)
    leaves = [jnp.asarray(a) for a in leaves]
    groups: dict = {}
    for i, a in enumerate(leaves):
        groups.setdefault((a.shape, a.dtype), []).append(i)
    out = list(leaves)
    for (_, dtype), idx in groups.items():
        if not jnp.issubdtype(dtype, jnp.floating):
            continue
        stacked = [jnp.stack([leaves[i], jnp.zeros_like(leaves[i])]) for i in idx]
        zeros = [jnp.zeros((), dtype) for _ in idx]
        summed = jax.lax.reduce(stacked, zeros,
                                lambda a, b: [u + v for u, v in zip(a, b, strict=True)], (0,))
        for i, r in zip(idx, summed, strict=True):
            out[i] = r
    return jax.tree.unflatten(tree, out)


# Error-free transformations ------------------------------------------------------------

def two_sum(a, b):
    """``a + b`` exactly as ``(s, e)`` (Knuth's two-sum, any order of magnitude).

    Written with ``-(a - s)`` for the textbook ``s - a`` (equal in IEEE arithmetic):
    XLA's algebraic simplifier rewrites ``(C + b) - C`` to ``b`` when ``C`` is a
    constant (float-unsafe), which under ``jit`` left ``two_sum(C, x)`` without its
    error term; ``tests/core/test_precision_fold.py`` checks every order of constants
    and arrays under ``jit`` against exact rationals."""
    s = a + b
    bb = -(a - s)
    return s, (a - (s - bb)) + (b - bb)


def quick_two_sum(a, b):
    """``a + b`` exactly as ``(s, e)`` when ``|a| >= |b|`` (or a == 0); ``b + (a - s)``
    for the textbook ``b - (s - a)``, for the reason given in :func:`two_sum`."""
    s = a + b
    return s, b + (a - s)


_SPLITTER = 134217729.0  # 2**27 + 1


def two_prod(a, b):
    """``a * b`` exactly as ``(p, e)`` by Dekker's product with Veltkamp's split.

    XLA (CPU and GPU) contracts a product feeding an addition into one fused
    multiply-add, which breaks error-free transformations that reuse the rounded
    product. :func:`_barrier` keeps the rounded values (the inputs, which may be products
    themselves, the split's ``C * a`` and ``p``) out of reach of that contraction (a
    select between product and sum; ``jax.lax.optimization_barrier`` alone does not
    survive XLA's passes); the partial products of the halves are exact, so their
    contraction is harmless.
    """
    a, b = _barrier((a, b))
    ta, tb, p = _barrier((_SPLITTER * a, _SPLITTER * b, a * b))
    ah = ta - (ta - a)
    bh = tb - (tb - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


# Arithmetic ------------------------------------------------------------------------------

def add(x: DD, y: DD) -> DD:
    s1, s2 = two_sum(x.hi, y.hi)
    t1, t2 = two_sum(x.lo, y.lo)
    s1, s2 = quick_two_sum(s1, s2 + t1)
    return DD(*quick_two_sum(s1, s2 + t2))


def sub(x: DD, y: DD) -> DD:
    return add(x, DD(-y.hi, -y.lo))


def mul(x: DD, y: DD) -> DD:
    p1, p2 = two_prod(x.hi, y.hi)
    p2 = p2 + (x.hi * y.lo + x.lo * y.hi)
    return DD(*quick_two_sum(p1, p2))


def mul_float(x: DD, b) -> DD:
    """``x * b`` for a float64 ``b``."""
    p1, p2 = two_prod(x.hi, b)
    return DD(*quick_two_sum(p1, p2 + x.lo * b))


def scale(x: DD, power_of_two) -> DD:
    """``x * b`` exactly, for ``b`` a power of two."""
    return DD(x.hi * power_of_two, x.lo * power_of_two)


def div(x: DD, y: DD) -> DD:
    """``x / y``: three float64 quotients, each the residual (exact in double-double)
    times ``1 / y.hi``. A reciprocal rather than three divisions: XLA does not fuse a
    division into several consumers, so each one split the chain into separate
    kernels (14 for ``tanh``'s quotient); the quotients are only approximations the
    residuals correct, so the rounding of ``1 / y.hi`` costs no accuracy."""
    inv = 1.0 / y.hi
    q1 = _round(x.hi * inv)
    r = sub(x, mul_float(y, q1))
    q2 = _round(r.hi * inv)
    r = sub(r, mul_float(y, q2))
    q3 = r.hi * inv
    return materialize(add(DD(*quick_two_sum(q1, q2)), lift(q3)))


def square(x: DD) -> DD:
    return mul(x, x)


def sqrt(x: DD) -> DD:
    """Karp's method: one Newton step on ``1/sqrt`` from the float64 root; ``sqrt(0) = 0``."""
    safe = jnp.where(x.hi > 0, x.hi, 1.0)
    r = 1.0 / jnp.sqrt(safe)
    ax = _barrier(safe * r)
    p, e = two_prod(ax, ax)
    resid = sub(DD(jnp.where(x.hi > 0, x.hi, 1.0), jnp.where(x.hi > 0, x.lo, 0.0)), DD(p, e))
    out = add(lift(ax), lift(resid.hi * (r * 0.5)))
    nan = jnp.where(x.hi < 0, jnp.nan, 0.0)
    return DD(jnp.where(x.hi > 0, out.hi, nan + x.hi * 0), jnp.where(x.hi > 0, out.lo, 0.0))


def abs(x: DD) -> DD:  # noqa: A001 - the module is used qualified, dd.abs
    neg = x.hi < 0
    return DD(jnp.where(neg, -x.hi, x.hi), jnp.where(neg, -x.lo, x.lo))


def where(cond, x: DD, y: DD) -> DD:
    return DD(jnp.where(cond, x.hi, y.hi), jnp.where(cond, x.lo, y.lo))


def lt(x: DD, y: DD):
    return (x.hi < y.hi) | ((x.hi == y.hi) & (x.lo < y.lo))


def to_float(x: DD):
    return x.hi + x.lo


def isfinite(x: DD):
    return jnp.isfinite(x.hi) & jnp.isfinite(x.lo)


# Constants of the elementary functions (:mod:`.elementary`) --------------------------------

_PI_2 = Fraction("1.57079632679489661923132169163975144209858469968755291048747229615390820314")
_LN2 = Fraction("0.693147180559945309417232121458176568075500134360255254120680009493393621970")
