"""Double-double tanh, the activation of the double-double meanfield_mlp unroll.

Method: ``tanh |x| = -e / (2 + e)`` with ``e = expm1(-2|x|)`` (no cancellation at any
size). The exponential by an exact Cody-Waite reduction ``-2|x| = (2048 k + j) ln2/2048
+ r``, a table of ``2^(j/2048)`` and ``2^(j/2048) - 1`` (double-double, rounded from
60-digit ``decimal`` arithmetic, built on first use), and ``expm1 r`` on
``|r| <= ln2/4096`` by Horner's rule to ``r^4/4!`` in double-double (relative to ``r``
the higher terms are below ``7e-18``: float64). The quotient from two float64
quotients, the second from the exact residual (the third quotient of
:func:`.arith.div` is left out). About half the time of the general ``expm1`` and
``div`` it replaces (``benchmarks/RESULTS.md``, issue 24).

Accuracy (``tests/core/test_precision_dd.py`` against 60-digit mpmath): relative error
below ``1e-30`` on ``|x| <= 20`` and for tiny arguments; exactly ``+-1`` past ``|x| = 40``
(``1 - tanh 40 < 4e-35``).
"""

from __future__ import annotations

import functools
import math
from decimal import Decimal, localcontext
from fractions import Fraction

import jax.numpy as jnp
import numpy as np

from metaloss._src.precision import arith as dd
from metaloss._src.precision.arith import DD, materialize, mul_float, quick_two_sum, two_sum
from metaloss._src.precision.tables import (
    _add_float,
    _cody_waite,
    _dd_const,
    _power_of_two,
    _sloppy_add,
    _sub_float,
    _take,
)

_STEPS = 2048                                     # table 2^(j/2048), j = -1024 .. 1023
_LN2_STEP = dd._LN2 / _STEPS
_CW = _cody_waite(_LN2_STEP, 35)                  # |n| < 2^18 covers |x| <= 40
_C = [dd.from_fraction(Fraction(1, math.factorial(i))) for i in (4, 3, 2, 1)]  # (hi, lo)
_TAIL = [1 / 120, 1 / 720, 1 / 5040, 1 / 40320]   # 1/5! .. 1/8!, float64


@functools.cache
def _table() -> np.ndarray:
    """Rows ``(2^(j/N) hi, lo, 2^(j/N) - 1 hi, lo)``: 64 x 32 products of 60-digit
    powers ``2^(a/64) 2^(b/N)``, each rounded once to double-double."""
    rows = []
    with localcontext() as ctx:
        ctx.prec = 60
        ln2 = Decimal(2).ln()
        coarse = [(Decimal(a) / 64 * ln2).exp() for a in range(-32, 32)]
        fine = [(Decimal(b) / _STEPS * ln2).exp() for b in range(_STEPS // 64)]
        for c in coarse:
            for f in fine:
                t = c * f
                m = t - 1
                hi, mhi = float(t), float(m)
                rows.append((hi, float(t - Decimal(hi)), mhi, float(m - Decimal(mhi))))
    return np.array(rows, np.float64)


def _mul(x: DD, y: DD) -> DD:
    """:func:`.arith.mul` for operands whose high parts are sums (outputs of two-sums),
    not products: no FMA can absorb them, so only the split and the rounded product
    go behind barriers (4 of the 10 selects of a two-product saved; the jit tests of
    tanh, which catch a contracted product as a 1e-16 error, hold)."""
    ta, tb, p = dd._barrier((dd._SPLITTER * x.hi, dd._SPLITTER * y.hi, x.hi * y.hi))
    ah, bh = ta - (ta - x.hi), tb - (tb - y.hi)
    al, bl = x.hi - ah, y.hi - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return DD(*quick_two_sum(p, e + (x.hi * y.lo + x.lo * y.hi)))


def _expm1_neg(v: DD) -> DD:
    """``expm1 v`` for ``-81 < v <= 0``."""
    n = jnp.round(v.hi * float(1 / _LN2_STEP))
    k = jnp.floor((n + _STEPS // 2) * (1.0 / _STEPS))
    j = n - _STEPS * k
    table, table_m1 = materialize(_take(_table(), (j + _STEPS // 2).astype(jnp.int32)))
    c1, c2, c3 = _CW
    r = _sub_float(_sub_float(_sub_float(v, c1 * n), c2 * n), c3 * n)   # |r| <= ln2/4096
    # expm1 r = r (1 + r (1/2 + r (1/6 + r (1/24 + ...)))): relative to r the terms
    # from r^5/5! on are below 5e-19 and float64 carries them; the rest double-double
    s = r.hi
    tail = s * (_TAIL[0] + s * (_TAIL[1] + s * (_TAIL[2] + s * _TAIL[3])))
    c = [_dd_const(ci) for ci in _C]                                    # traced under x64
    acc = _sloppy_add(DD(tail, jnp.zeros_like(tail)), c[0])
    for ci in c[1:]:
        acc = _sloppy_add(_mul(acc, r), ci)
    q = _mul(acc, r)                                                    # expm1 r
    m = _sloppy_add(table_m1, _mul(table, q))                           # 2^(j/N) e^r - 1
    f = _power_of_two(k)
    return _sloppy_add(DD(m.hi * f, m.lo * f), DD(*two_sum(f, -1.0)))   # 2^k (1 + m) - 1


def tanh(x: DD) -> DD:
    """``tanh x``; see the module docstring."""
    ax = dd.abs(x)
    big = ax.hi > 40.0
    v = DD(-2.0 * jnp.minimum(ax.hi, 40.0), jnp.where(big, 0.0, -2.0 * ax.lo))
    e = _expm1_neg(v)                                                   # in (-1, 0]
    d = _add_float(e, 2.0)                                              # 2 + e in (1, 2]
    inv = 1.0 / d.hi
    q1 = dd._round(-e.hi * inv)
    # -e - d q1, exact
    rest = _sloppy_add(DD(-e.hi, -e.lo), DD(*(-w for w in mul_float(d, q1))))
    t = DD(*quick_two_sum(q1, rest.hi * inv))
    t = dd.where(x.hi < 0, DD(-t.hi, -t.lo), t)
    return materialize(DD(jnp.where(big, jnp.sign(x.hi), t.hi), jnp.where(big, 0.0, t.lo)))
