"""Double-double arithmetic in JAX: a value is the unevaluated sum ``hi + lo`` of two
float64 arrays with ``|lo| <= ulp(hi)/2``, about 106 significant bits (32 digits).

When to use it: a landscape or zoom whose window is narrower than float64 resolves
(``~1e-16`` relative), or a check of which float64 labels depend on rounding.

Method: the error-free transformations of Knuth (two-sum) and Dekker (two-product with
Veltkamp's split), "A floating-point technique for extending the available precision",
Numer. Math. 18 (1971); the add/mul/div/sqrt sequences follow Hida, Li & Bailey,
"Library for double-double and quad-double arithmetic" (2000). Elementary functions use
exact range reduction and Taylor series with coefficients rounded to double-double from
exact rationals (no third-party constants at runtime).

Accuracy (``tests/core/test_precision_dd.py`` against 60-digit mpmath): relative error
below ``1e-30`` for add, mul, div, sqrt, exp on ``|x| <= 50``, sin and cos on
``|x| <= 100`` (error below ``1e-30 max(1, |f|)``), tanh on ``|x| <= 20``, and for
tiny arguments (``1e-25 <= |x| <= 0.1``) sin, tanh and exp keep it too; log has error
below ``1e-30 max(1, |log x|)`` on ``[1e-10, 1e10]``. Every op needs float64 inputs: run under
``jax.enable_x64``.
"""

from __future__ import annotations

from fractions import Fraction
from math import factorial
from typing import NamedTuple

import jax
import jax.numpy as jnp

_barrier = jax.lax.optimization_barrier


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


def from_string(text: str) -> tuple[float, float]:
    """A decimal string (e.g. ``"1.23456789012345678901234567890123"``) rounded to the
    nearest double-double, as a Python ``(hi, lo)`` pair: every digit up to ~32 is kept."""
    return _fraction_dd(Fraction(text))


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
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def quick_two_sum(a, b):
    """``a + b`` exactly as ``(s, e)`` when ``|a| >= |b|`` (or a == 0)."""
    s = a + b
    return s, b - (s - a)


_SPLITTER = 134217729.0  # 2**27 + 1


def two_prod(a, b):
    """``a * b`` exactly as ``(p, e)`` by Dekker's product with Veltkamp's split.

    XLA (CPU and GPU) contracts a product feeding an addition into one fused
    multiply-add, which breaks error-free transformations that reuse the rounded
    product. The barriers keep the rounded values (the inputs, which may be products
    themselves, the split's ``C * a`` and ``p``) as materialized roundings; the partial
    products of the halves are exact, so their contraction is harmless.
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
    q1 = x.hi / y.hi
    r = sub(x, mul_float(y, q1))
    q2 = r.hi / y.hi
    r = sub(r, mul_float(y, q2))
    q3 = r.hi / y.hi
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


# Elementary functions --------------------------------------------------------------------

_PI_2 = Fraction("1.57079632679489661923132169163975144209858469968755291048747229615390820314")
_LN2 = Fraction("0.693147180559945309417232121458176568075500134360255254120680009493393621970")
_INV_FACT = [_fraction_dd(Fraction(1, factorial(n))) for n in range(32)]


def _horner(x: DD, coeffs) -> DD:
    """``sum_k coeffs[k] x^k`` with double-double coefficients ``(hi, lo)``."""
    acc = DD(jnp.full_like(x.hi, coeffs[-1][0]), jnp.full_like(x.hi, coeffs[-1][1]))
    for hi, lo in reversed(coeffs[:-1]):
        acc = add(mul(acc, x), DD(jnp.float64(hi), jnp.float64(lo)))
    return acc


def _expm1_small(r: DD) -> DD:
    """``exp(r) - 1`` for ``|r| <= 4e-4`` (terms to ``r^10/10!`` ~ 3e-41)."""
    return mul(r, _horner(r, _INV_FACT[1:11]))


def exp(x: DD) -> DD:
    """``exp`` with ``x = k ln2 + r``, ``r`` halved 10 times, a Taylor series, then 10
    squarings of ``1 + s`` carried as ``s`` (no cancellation) and an exact ``2^k``."""
    k = jnp.round(x.hi / float(_LN2))
    big = jnp.abs(k) > 1022
    k = jnp.where(big, 0.0, k)
    ln2 = const(_LN2)
    r = sub(x, add(mul_float(ln2, k), lift(0.0)))
    r = scale(r, 2.0 ** -10)
    s = _expm1_small(r)
    for _ in range(10):
        s = add(scale(s, 2.0), square(s))
    out = add(s, lift(1.0))
    factor = jnp.ldexp(jnp.float64(1.0), k.astype(jnp.int32))
    out = DD(out.hi * factor, out.lo * factor)
    overflow = jnp.where(x.hi > 0, jnp.inf, 0.0)
    return materialize(DD(jnp.where(big, overflow, out.hi), jnp.where(big, 0.0, out.lo)))


def log(x: DD) -> DD:
    """One Newton step on ``exp`` from the float64 log: ``y + x exp(-y) - 1``."""
    positive = x.hi > 0
    safe = where(positive, x, lift(1.0))
    y = jnp.log(safe.hi)
    out = add(lift(y), sub(mul(safe, exp(lift(-y))), lift(1.0)))
    bad = jnp.where(x.hi == 0, -jnp.inf, jnp.nan)
    return materialize(DD(jnp.where(positive, out.hi, bad), jnp.where(positive, out.lo, 0.0)))


def _sin_cos_reduced(r: DD):
    """sin and cos on ``|r| <= pi/4`` by Taylor series in ``r^2`` (to ``r^27/27!``)."""
    r2 = square(r)
    sin_c = [(_INV_FACT[2 * j + 1][0] * (-1) ** j, _INV_FACT[2 * j + 1][1] * (-1) ** j)
             for j in range(14)]
    cos_c = [(_INV_FACT[2 * j][0] * (-1) ** j, _INV_FACT[2 * j][1] * (-1) ** j)
             for j in range(14)]
    return mul(r, _horner(r2, sin_c)), _horner(r2, cos_c)


def _reduce_half_pi(x: DD):
    k = jnp.round(x.hi / float(_PI_2))
    hi, lo = _fraction_dd(_PI_2)
    # a third float64 part of pi/2 keeps x - k pi/2 to ~1e-48 relative for |k| < 2^20
    third = float(_PI_2 - Fraction(hi) - Fraction(lo))
    r = sub(x, mul_float(DD(jnp.float64(hi), jnp.float64(lo)), k))
    r = sub(r, lift(third * k))
    return r, k


def sincos(x: DD):
    """``(sin x, cos x)`` with ``x = k pi/2 + r``; accurate for ``|x| <= 1e5``."""
    r, k = _reduce_half_pi(x)
    s, c = _sin_cos_reduced(r)
    q = jnp.mod(k, 4.0)
    sin = where(q == 0, s, where(q == 1, c, where(q == 2, -s, -c)))
    cos = where(q == 0, c, where(q == 1, -s, where(q == 2, -c, s)))
    return materialize((sin, cos))


def sin(x: DD) -> DD:
    return sincos(x)[0]


def cos(x: DD) -> DD:
    return sincos(x)[1]


def tanh(x: DD) -> DD:
    """``tanh``: for ``|x| > 0.5`` as ``(1 - e)/(1 + e)`` with ``e = exp(-2|x|)`` (no
    cancellation); below, ``sinh / sqrt(1 + sinh^2)`` with the Taylor series of ``sinh``."""
    ax = abs(x)
    e = exp(scale(ax, -2.0))
    far = div(sub(lift(1.0), e), add(lift(1.0), e))
    far = where(x.hi < 0, -far, far)
    small = where(ax.hi <= 0.5, x, lift(0.0))
    sinh_c = [_INV_FACT[2 * j + 1] for j in range(14)]
    sh = mul(small, _horner(square(small), sinh_c))
    near = div(sh, sqrt(add(lift(1.0), square(sh))))
    big = jnp.abs(x.hi) > 40.0
    sign = jnp.sign(x.hi)
    out = where(ax.hi <= 0.5, near, far)
    return materialize(DD(jnp.where(big, sign, out.hi), jnp.where(big, 0.0, out.lo)))
