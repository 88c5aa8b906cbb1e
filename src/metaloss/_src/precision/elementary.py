"""Double-double elementary functions: exp, expm1, log; sin, cos and sincos are
:mod:`.trig`'s, re-exported here (tanh: :mod:`.hyperbolic`).

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

from metaloss._src.precision import arith as dd
from metaloss._src.precision.arith import DD, add, materialize, mul, two_sum
from metaloss._src.precision.tables import (
    _add_float,
    _cody_waite,
    _dd_const,
    _dd_of,
    _inv_fact,
    _power_of_two,
    _sub_float,
    _table,
    _take,
)
from metaloss._src.precision.trig import cos, sin, sincos  # noqa: F401 - re-exported

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
    """``(k, m)`` with ``exp(x) = 2^k (1 + m)``, ``m`` a DD with ``|m| < 0.42`` (below
    ``1.82`` where ``k = 1023`` stands for ``1024``, ``x`` in ``(709.43, 709.79)``)."""
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
    acc = _add_float(_dd_const(_EXP_DD[6]), t.hi * tail)
    for c in reversed(_EXP_DD[2:6]):
        acc = add(mul(acc, t), _dd_const(c))
    q = mul(_add_float(mul(acc, t), 1.0), t)                           # expm1(t)
    m = add(table_m1, mul(table, q))                                   # 2^(j/64) e^t - 1
    # 2^1024 is no float64 but exp(x) is, up to x = 709.78: 2^1024 (1 + m) = 2^1023 (1 + m')
    top = k == 1024
    return jnp.where(top, 1023.0, k), dd.where(top, _add_float(dd.scale(m, 2.0), 1.0), m)


_EXP_TABLE_J = _table(_EXP_TABLE)


def exp(x: DD) -> DD:
    """``exp``: ``x = (64 k + j) ln2/64 + t``, ``exp x = 2^k 2^(j/64) e^t``; 0 below
    ``-708``, ``inf`` above ``709.78`` (where float64 overflows)."""
    k, m = _expm1_core(x)
    out = _add_float(m, 1.0)
    big = (k > 1023) | (k < -1022)
    f = _power_of_two(k)
    hi = jnp.where(big, jnp.where(x.hi > 0, jnp.inf, 0.0), out.hi * f)
    return materialize(DD(hi, jnp.where(big | jnp.isinf(hi), 0.0, out.lo * f)))


def expm1(x: DD) -> DD:
    """``exp(x) - 1``, with relative accuracy near 0: ``2^k m + (2^k - 1)``."""
    k, m = _expm1_core(x)
    f = _power_of_two(k)
    out = add(DD(m.hi * f, m.lo * f), DD(*two_sum(f, -1.0)))
    big = (k > 1023) | (k < -1022) | (~jnp.isfinite(out.hi) & (x.hi > 0))  # or overflow
    overflow = jnp.where(x.hi > 0, jnp.inf, -1.0)
    return materialize(DD(jnp.where(big, overflow, out.hi), jnp.where(big, 0.0, out.lo)))


def log(x: DD) -> DD:
    """From the float64 log ``y``: ``y + log(1 + w)``, ``w = x exp(-y) - 1`` (tiny), to
    ``w^2``; a Newton step on ``exp`` alone (``y + w``) is ``w^2/2`` off. Beyond
    ``2^+-500`` first ``x = 2^e m`` (``log x = e ln2 + log m``): there ``x exp(-y)`` is
    a tiny times a huge number, whose split underflows (XLA flushes subnormals)."""
    positive = x.hi > 0
    safe = dd.where(positive, x, dd.lift(1.0))
    e = jnp.frexp(safe.hi)[1].astype(jnp.float64)
    e = jnp.where(jnp.abs(e) > 500, e, 0.0)
    half = jnp.floor(e / 2)
    m = dd.scale(dd.scale(safe, _power_of_two(-half)), _power_of_two(half - e))  # exact
    y = jnp.log(m.hi)
    w = _sub_float(mul(m, exp(dd.lift(-y))), 1.0)       # e^r - 1 for r = log x - y
    # log x = y + log(1 + w) = y + w - w^2/2 + w^3/3 ...; |w| ~ |r| <= ~ulp(y) <= 2^-44
    # (|y| < 347): w^2/2 (up to ~1.6e-27, 4.6e-30 |log x|) in float64, w^3/3 (< 1e-41) left
    out = add(dd.lift(y), DD(w.hi, w.lo - 0.5 * w.hi * w.hi))
    out = add(dd.mul_float(dd.const(dd._LN2), e), out)                # + e ln2 (0 for e = 0)
    bad = jnp.where(x.hi == 0, -jnp.inf, jnp.nan)
    return materialize(DD(jnp.where(positive, out.hi, bad), jnp.where(positive, out.lo, 0.0)))
