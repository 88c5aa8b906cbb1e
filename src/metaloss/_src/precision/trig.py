"""Double-double sin, cos and sincos, table-driven.

``x = n pi/512 + t`` exactly (a five-part Cody-Waite reduction, ``|t| <= pi/1024``);
with ``j = n mod 1024``, ``S, C = sin, cos (j pi/512)`` from a table, ``sin t`` and
``cos t - 1`` from short series, and the addition theorems

    sin x = S + (S (cos t - 1) + C sin t),    cos x = C + (C (cos t - 1) - S sin t).

Where ``S`` or ``C`` is 0 (``j`` a multiple of 256) the result is ``+-sin t``, so sin
keeps its relative accuracy at tiny arguments and near multiples of ``pi``. The table
is rounded to double-double from 60-digit ``decimal`` series (sin of ``r pi/512``,
``r <= 256``, and the symmetries of the quadrants). Accurate (error below ``1e-30``,
:mod:`.dd`) for ``|x| < 2.6e7``, where the reduction is exact; beyond, the products
``c_i n`` round (an error up to ``|x| 2^-53``; the values stay within ``[-1, 1]``, up
to ``|x| ~ 1.1e306``: beyond, ``n`` overflows and the result is NaN).
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction

import jax.numpy as jnp

from metaloss._src.precision import arith as dd
from metaloss._src.precision.arith import DD, materialize, mul
from metaloss._src.precision.tables import (
    _add_float,
    _cody_waite,
    _dd_const,
    _dd_of,
    _sloppy_add,
    _sub_float,
    _table,
    _take,
)

_STEPS = 512                                    # table step pi/512, j = 0 .. 1023
_STEP = 2 * dd._PI_2 / _STEPS
_CW = _cody_waite(_STEP, 21, parts=5)           # |n| < 2^32 covers |x| < 2.6e7
_QUARTER = _STEPS // 2                          # j of pi/2


def _quarter_sines() -> list[Fraction]:
    """``sin(r pi/512)`` for ``r = 0 .. 256`` (Taylor series, 60 digits)."""
    out = []
    with localcontext() as ctx:
        ctx.prec = 60
        step = Decimal(_STEP.numerator) / Decimal(_STEP.denominator)
        for r in range(_QUARTER + 1):
            a = step * r
            term, total, k = a, a, 1
            while abs(term) > Decimal(10) ** -62:
                term = -term * a * a / ((k + 1) * (k + 2))
                total += term
                k += 2
            out.append(Fraction(total))
    out[0], out[-1] = Fraction(0), Fraction(1)                  # exact ends
    return out


def _trig_table():
    """Rows ``sin (j pi/512), cos (j pi/512)`` as double-doubles, ``j = 0 .. 1023``."""
    s = _quarter_sines()
    rows = []
    for j in range(2 * _STEPS):
        q, r = divmod(j, _QUARTER)
        sr, cr = s[r], s[_QUARTER - r]
        sin, cos = [(sr, cr), (cr, -sr), (-sr, -cr), (-cr, sr)][q]
        rows.append([*_dd_of(sin), *_dd_of(cos)])
    return _table(rows)


_TABLE = _trig_table()

# sin t = t + t t^2 (-1/6 + t^2 (1/120 + t^2 R_s)),  cos t - 1 = t^2 (-1/2 + t^2 (1/24 +
# t^2 R_c)): the inner R_s, R_c (t^7 .. t^11, t^6 .. t^10: below 2e-9 of the rest) in
# float64; the truncated terms are below 2e-40 of sin t and cos t.
_S3, _S5, _C4 = (_dd_of(Fraction(q)) for q in ("-1/6", "1/120", "1/24"))
_RS = [float(Fraction(1, 39916800)) * -1, float(Fraction(1, 362880)), -float(Fraction(1, 5040))]
_RC = [-float(Fraction(1, 3628800)), float(Fraction(1, 40320)), -float(Fraction(1, 720))]


def _poly(h, coeffs):
    acc = coeffs[0]
    for c in coeffs[1:]:
        acc = acc * h + c
    return acc


def _series(t: DD):
    """``(sin t, cos t - 1)`` for ``|t| <= pi/1024``."""
    t2 = dd.square(t)
    h = t2.hi
    p = _sloppy_add(mul(t2, _add_float(_dd_const(_S5), h * _poly(h, _RS))), _dd_const(_S3))
    sin_t = _sloppy_add(t, mul(mul(t, t2), p))
    a = _add_float(mul(t2, _add_float(_dd_const(_C4), h * _poly(h, _RC))), -0.5)
    return sin_t, mul(t2, a)


def _parts(x: DD):
    """``S, C, sin t, cos t - 1`` of ``x = j pi/512 + t`` (see the module)."""
    n = jnp.round(x.hi * float(1 / _STEP))
    t = x
    for c in _CW:
        t = _sub_float(t, c * n)
    # past the exact range, |t| only grows with the rounding of c_i n: keep it bounded
    inside = jnp.abs(t.hi) <= float(_STEP)
    t = DD(jnp.where(inside, t.hi, jnp.sign(t.hi) * float(_STEP)), jnp.where(inside, t.lo, 0.0))
    j = jnp.mod(n, 2 * _STEPS).astype(jnp.int32)
    s, c = _take(_TABLE, j)
    return (s, c, *_series(t))


# |S (cos t - 1) + C sin t| <= 3.1e-3 (an error below 2e-34 even where they cancel), and
# below |S| / 2 unless S = 0, where it is exact: the sums need no cancellation-proof add
def _sin(s, c, st, cm1):
    return _sloppy_add(s, _sloppy_add(mul(s, cm1), mul(c, st)))


def _cos(s, c, st, cm1):
    return _sloppy_add(c, _sloppy_add(mul(c, cm1), -mul(s, st)))


def sincos(x: DD):
    """``(sin x, cos x)``; accurate for ``|x| < 2.6e7`` (see the module)."""
    parts = _parts(x)
    return materialize((_sin(*parts), _cos(*parts)))


def sin(x: DD) -> DD:
    return materialize(_sin(*_parts(x)))


def cos(x: DD) -> DD:
    return materialize(_cos(*_parts(x)))
