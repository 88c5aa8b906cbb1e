"""Helpers of the table-driven double-double functions (:mod:`.elementary`,
:mod:`.trig`): constants rounded to double-double, Cody-Waite splits, sums with a
float64, constant tables and their rows."""

from __future__ import annotations

import math
from fractions import Fraction

import jax.numpy as jnp
import numpy as np

from metaloss._src.precision import arith as dd
from metaloss._src.precision.arith import DD, quick_two_sum, two_sum


def _dd_of(q) -> tuple[float, float]:
    return dd.from_fraction(Fraction(q))


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
    return _sub_float(x, -b)


def _table(rows) -> np.ndarray:
    return np.array(rows, np.float64)


def _take(table: np.ndarray, index):
    """Rows of a constant ``(n, 2m)`` table as ``m`` DDs (a NumPy table, made a
    float64 constant when traced: under x64, whenever this module was imported)."""
    rows = jnp.take(jnp.asarray(table, jnp.float64), index, axis=0, mode="clip")
    return [DD(rows[..., 2 * i], rows[..., 2 * i + 1]) for i in range(table.shape[1] // 2)]


def _plus_const(b, c: tuple[float, float]) -> DD:
    """``b + c`` for a float64 array ``b`` and a double-double constant ``c``: the same
    operations as ``_add_float(DD(*c), b)`` (:func:`.arith.two_sum` is exact under
    ``jit`` with a constant in either place: ``tests/core/test_precision_fold.py``)."""
    s, e = two_sum(b, jnp.float64(c[0]))
    return DD(*quick_two_sum(s, e + c[1]))
