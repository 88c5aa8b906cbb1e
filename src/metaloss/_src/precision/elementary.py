"""Double-double elementary functions: exp, expm1, log, sin, cos, sincos (tanh:
:mod:`.hyperbolic`).

Method: exact (Cody-Waite) range reduction to a short interval around a table point,
a short Taylor polynomial there (its small high-order terms in float64) and the
table value; tables and coefficients are rounded to double-double from exact
rationals or 60-digit ``decimal`` arithmetic when this module is imported (no
third-party constants). Every function evaluates one formula for all arguments
(no branches evaluated side by side under ``where``) and returns through
:func:`dd.materialize`, so XLA computes it once. Accuracy: see :mod:`.dd`.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from fractions import Fraction

import jax.numpy as jnp
import numpy as np

from metaloss._src.precision import arith as dd
from metaloss._src.precision.arith import DD, add, materialize, mul, quick_two_sum, two_sum

# -- helpers ----------------------------------------------------------------------------------


def _dd_of(q) -> tuple[float, float]:
    return dd.from_fraction(Fraction(q))


def _inv_fact(n: int) -> tuple[float, float]:
    return _dd_of(Fraction(1, math.factorial(n)))


def _cody_waite(q: Fraction, bits: int) -> tuple[float, float, float]:
    """``q`` as ``c1 + c2 + c3`` with ``c1`` and ``c2`` of at most ``bits`` significant
    bits (so ``c1 n`` and ``c2 n`` are exact for integers ``|n| < 2^(53 - bits)``)
    and ``c3`` the float64 nearest the rest."""
    parts, rest = [], Fraction(q)
    for _ in range(2):
        _, e = math.frexp(float(rest))
        unit = Fraction(2) ** (e - bits)
        c = round(rest / unit) * unit
        parts.append(float(c))
        rest -= c
    return parts[0], parts[1], float(rest)


def _sub_float(x: DD, b) -> DD:
    """``x - b`` for a float64 ``b`` (Hida, Li & Bailey's dd - d)."""
    s, e = two_sum(x.hi, -b)
    return DD(*quick_two_sum(s, e + x.lo))


def _add_float(x: DD, b) -> DD:
    return _sub_float(x, -b)


def _table(rows) -> np.ndarray:
    return np.array(rows, np.float64)


def _take(table: np.ndarray, index):
    """Rows of a constant ``(n, 2m)`` table as ``m`` DDs (a NumPy table, made a
    float64 constant when traced: under x64, whenever this module was imported)."""
    rows = jnp.take(jnp.asarray(table, jnp.float64), index, axis=0, mode="clip")
    return [DD(rows[..., 2 * i], rows[..., 2 * i + 1]) for i in range(table.shape[1] // 2)]


# -- exp, expm1 -------------------------------------------------------------------------------

_EXP_STEPS = 64                                  # table 2^(j/64), j = -32 .. 31
_LN2_STEP = dd._LN2 / _EXP_STEPS
_EXP_CW = _cody_waite(_LN2_STEP, 35)             # |n| < 2^18 covers |x| < 1.8e3


def _exp_table():
    rows = []
    with localcontext() as ctx:
        ctx.prec = 60
        for j in range(-_EXP_STEPS // 2, _EXP_STEPS // 2):
            t = (Decimal(j) / _EXP_STEPS * Decimal(2).ln()).exp()
            rows.append([*_dd_of(Fraction(t)), *_dd_of(Fraction(t) - 1)])
    return rows


_EXP_TABLE = _exp_table()
# expm1(t) = t + t^2/2 + ... + t^6/6! in double-double, the rest (below 3e-20) in float64
_EXP_DD = [_inv_fact(n) for n in range(7)]
_EXP_TAIL = [float(Fraction(1, math.factorial(n))) for n in range(7, 12)]


def _expm1_core(x: DD):
    """``(k, m)`` with ``exp(x) = 2^k (1 + m)``, ``m`` a DD with ``|m| < 0.42``."""
    y = DD(jnp.clip(x.hi, -2000.0, 2000.0), x.lo)
    n = jnp.round(y.hi * float(1 / _LN2_STEP))
    k = jnp.floor((n + _EXP_STEPS // 2) / _EXP_STEPS)
    j = n - _EXP_STEPS * k
    # the table rows fetched in a fusion of their own: a gather inside the polynomial's
    # fusion keeps LLVM from vectorizing it (3-4x the cost of the whole of expm1)
    table, table_m1 = materialize(_take(_EXP_TABLE_J, (j + _EXP_STEPS // 2).astype(jnp.int32)))
    c1, c2, c3 = _EXP_CW
    t = _sub_float(_sub_float(_sub_float(y, c1 * n), c2 * n), c3 * n)   # |t| <= ln2/128
    tail = jnp.zeros_like(t.hi)
    for c in reversed(_EXP_TAIL):
        tail = tail * t.hi + c
    acc = _add_float(DD(*_EXP_DD[6]), t.hi * tail)
    for hi, lo in reversed(_EXP_DD[2:6]):
        acc = add(mul(acc, t), DD(jnp.float64(hi), jnp.float64(lo)))
    q = mul(_add_float(mul(acc, t), 1.0), t)                           # expm1(t)
    return k, add(table_m1, mul(table, q))                             # 2^(j/64) e^t - 1


_EXP_TABLE_J = _table(_EXP_TABLE)


def _power_of_two(k):
    return jnp.ldexp(jnp.float64(1.0), jnp.clip(k, -1022, 1023).astype(jnp.int32))


def exp(x: DD) -> DD:
    """``exp``: ``x = (64 k + j) ln2/64 + t``, ``exp x = 2^k 2^(j/64) e^t``; 0 below
    ``-708``, ``inf`` above ``709``."""
    k, m = _expm1_core(x)
    out = _add_float(m, 1.0)
    big = jnp.abs(k) > 1022
    f = _power_of_two(k)
    overflow = jnp.where(x.hi > 0, jnp.inf, 0.0)
    return materialize(DD(jnp.where(big, overflow, out.hi * f), jnp.where(big, 0.0, out.lo * f)))


def expm1(x: DD) -> DD:
    """``exp(x) - 1``, with relative accuracy near 0: ``2^k m + (2^k - 1)``."""
    k, m = _expm1_core(x)
    f = _power_of_two(k)
    out = add(DD(m.hi * f, m.lo * f), DD(*two_sum(f, -1.0)))
    big = jnp.abs(k) > 1022
    overflow = jnp.where(x.hi > 0, jnp.inf, -1.0)
    return materialize(DD(jnp.where(big, overflow, out.hi), jnp.where(big, 0.0, out.lo)))


def log(x: DD) -> DD:
    """One Newton step on ``exp`` from the float64 log: ``y + x exp(-y) - 1``."""
    positive = x.hi > 0
    safe = dd.where(positive, x, dd.lift(1.0))
    y = jnp.log(safe.hi)
    out = add(dd.lift(y), _sub_float(mul(safe, exp(dd.lift(-y))), 1.0))
    bad = jnp.where(x.hi == 0, -jnp.inf, jnp.nan)
    return materialize(DD(jnp.where(positive, out.hi, bad), jnp.where(positive, out.lo, 0.0)))


# -- sin, cos -------------------------------------------------------------------------------

_INV_FACT = [_inv_fact(n) for n in range(32)]


def _horner(x: DD, coeffs) -> DD:
    """``sum_k coeffs[k] x^k`` with double-double coefficients ``(hi, lo)``."""
    acc = DD(jnp.full_like(x.hi, coeffs[-1][0]), jnp.full_like(x.hi, coeffs[-1][1]))
    for hi, lo in reversed(coeffs[:-1]):
        acc = add(mul(acc, x), DD(jnp.float64(hi), jnp.float64(lo)))
    return acc


def _sin_cos_reduced(r: DD):
    """sin and cos on ``|r| <= pi/4`` by Taylor series in ``r^2`` (to ``r^27/27!``)."""
    r2 = dd.square(r)
    sin_c = [(_INV_FACT[2 * j + 1][0] * (-1) ** j, _INV_FACT[2 * j + 1][1] * (-1) ** j)
             for j in range(14)]
    cos_c = [(_INV_FACT[2 * j][0] * (-1) ** j, _INV_FACT[2 * j][1] * (-1) ** j)
             for j in range(14)]
    return mul(r, _horner(r2, sin_c)), _horner(r2, cos_c)


def _reduce_half_pi(x: DD):
    k = jnp.round(x.hi / float(dd._PI_2))
    hi, lo = _dd_of(dd._PI_2)
    # a third float64 part of pi/2 keeps x - k pi/2 to ~1e-48 relative for |k| < 2^20
    third = float(dd._PI_2 - Fraction(hi) - Fraction(lo))
    r = dd.sub(x, dd.mul_float(DD(jnp.float64(hi), jnp.float64(lo)), k))
    r = dd.sub(r, dd.lift(third * k))
    return r, k


def sincos(x: DD):
    """``(sin x, cos x)`` with ``x = k pi/2 + r``; accurate for ``|x| <= 1e5``."""
    r, k = _reduce_half_pi(x)
    s, c = _sin_cos_reduced(r)
    q = jnp.mod(k, 4.0)
    where = dd.where
    sin = where(q == 0, s, where(q == 1, c, where(q == 2, -s, -c)))
    cos = where(q == 0, c, where(q == 1, -s, where(q == 2, -c, s)))
    return materialize((sin, cos))


def sin(x: DD) -> DD:
    return sincos(x)[0]


def cos(x: DD) -> DD:
    return sincos(x)[1]
