"""Helpers of the table-driven double-double functions (:mod:`.elementary`,
:mod:`.trig`, :mod:`.hyperbolic`): constants rounded to double-double, Cody-Waite
splits, sums with a float64, the sloppy add, powers of two, constant tables and their
rows."""

from __future__ import annotations

import math
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np

from metaloss._src.precision import arith as dd
from metaloss._src.precision.arith import DD, quick_two_sum, two_sum


def _dd_of(q) -> tuple[float, float]:
    return dd.from_fraction(Fraction(q))


def _dd_const(c: tuple[float, float]) -> DD:
    """A ``(hi, lo)`` pair as a DD of 0-d float64 arrays (call it when tracing, under
    x64: made at import, they would be float32 where x64 was off)."""
    return DD(jnp.float64(c[0]), jnp.float64(c[1]))


def _inv_fact(n: int) -> tuple[float, float]:
    return _dd_of(Fraction(1, math.factorial(n)))


def _cody_waite(q: Fraction, bits: int, parts: int = 3) -> tuple[float, ...]:
    """``q`` as ``c1 + ... + c_parts``, all but the last of at most ``bits`` significant
    bits (so ``c_i n`` is exact for integers ``|n| < 2^(53 - bits)``) and the last the
    float64 nearest the rest."""
    out, rest = [], Fraction(q)
    for _ in range(parts - 1):
        _, e = math.frexp(float(rest))
        unit = Fraction(2) ** (e - bits)
        c = round(rest / unit) * unit
        out.append(float(c))
        rest -= c
    return (*out, float(rest))


def _sub_float(x: DD, b) -> DD:
    """``x - b`` for a float64 ``b`` (Hida, Li & Bailey's dd - d)."""
    s, e = two_sum(x.hi, -b)
    return DD(*quick_two_sum(s, e + x.lo))


def _add_float(x: DD, b) -> DD:
    """``x + b`` for a float64 ``b``; ``x`` may be a constant (``_add_float(_dd_const(c),
    b)``): :func:`.arith.two_sum` is exact under ``jit`` with a constant in either
    place (``tests/core/test_precision_fold.py``)."""
    return _sub_float(x, -b)


def _sloppy_add(x: DD, y: DD) -> DD:
    """``x + y`` by one two-sum of the high parts (Hida, Li & Bailey's sloppy add): an
    absolute error of about ``2^-106 max(|x|, |y|)``, so relative ``2^-105`` where the
    two cancel by at most a factor two, and exact enough for a residual that is meant
    to cancel. Half the work of :func:`.arith.add`."""
    s, e = two_sum(x.hi, y.hi)
    return DD(*quick_two_sum(s, e + (x.lo + y.lo)))


def _power_of_two(k):
    """``2^k`` for integral float64 ``k``, clipped to ``[-1022, 1023]``, from its bits
    (the same values as ``jnp.ldexp(1.0, k)`` there, for fewer operations; a NaN ``k``
    gives 1)."""
    bits = (jnp.clip(k, -1022, 1023).astype(jnp.int64) + 1023) << 52
    return jax.lax.bitcast_convert_type(bits, jnp.float64)


def _table(rows) -> np.ndarray:
    return np.array(rows, np.float64)


def _take(table: np.ndarray, index):
    """Rows of a constant ``(n, 2m)`` table as ``m`` DDs (a NumPy table, made a
    float64 constant when traced: under x64, whenever this module was imported)."""
    rows = jnp.take(jnp.asarray(table, jnp.float64), index, axis=0, mode="clip")
    return [DD(rows[..., 2 * i], rows[..., 2 * i + 1]) for i in range(table.shape[1] // 2)]

