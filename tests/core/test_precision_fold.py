"""Error-free sums stay exact under ``jax.jit`` whatever operand is a constant.

XLA's algebraic simplifier rewrites ``(C + b) - C`` to ``b`` for a constant ``C``: with
the textbook two-sum (``bb = s - a``) a constant first operand lost its error term
under ``jit`` (``dd.add(dd.const(1/3), x)`` came out 1e-16 off). Each case here is
checked against exact rationals, jitted, with the constant given three ways (a 0-d
array, a broadcast array, a value computed from constants inside the function, which
XLA folds)."""

from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metaloss._src.precision import dd
from metaloss._src.precision.arith import quick_two_sum, two_sum

jax.config.update("jax_enable_x64", True)

N = 64
X = np.random.default_rng(0).uniform(-1e-3, 1e-3, N)
CONSTANTS = {
    "scalar": lambda: jnp.float64(1 / 3),
    "broadcast": lambda: jnp.full(N, 1 / 3),
    "folded": lambda: jnp.float64(1.0) / 3.0,
}


def exact(parts):
    return [sum(Fraction(float(v)) for v in vals)
            for vals in zip(*(np.broadcast_to(np.asarray(p), (N,)) for p in parts),
                            strict=True)]


@pytest.mark.parametrize("make", CONSTANTS.values(), ids=CONSTANTS.keys())
@pytest.mark.parametrize("order", ["constant first", "constant second"])
def test_two_sum_exact_under_jit(make, order):
    def f(x):
        c = make()
        return two_sum(c, x) if order == "constant first" else two_sum(x, c)

    s, e = jax.jit(f)(jnp.asarray(X))
    assert exact([s, e]) == exact([make(), X])
    assert np.any(np.asarray(e) != 0)  # the sums are inexact: an error term is needed


@pytest.mark.parametrize("make", CONSTANTS.values(), ids=CONSTANTS.keys())
def test_quick_two_sum_exact_under_jit(make):
    s, e = jax.jit(lambda x: quick_two_sum(make(), x))(jnp.asarray(X))
    assert exact([s, e]) == exact([make(), X])


def test_dd_add_with_a_constant_first_matches_op_by_op():
    third = dd.const(Fraction(1, 3))

    def f(x):
        return dd.add(third, dd.lift(x))

    plain, jitted = f(jnp.asarray(X)), jax.jit(f)(jnp.asarray(X))
    assert exact([jitted.hi, jitted.lo]) == exact([plain.hi, plain.lo])
    want = [Fraction(float(third.hi)) + Fraction(float(third.lo)) + Fraction(float(v))
            for v in X]
    err = max(abs(float((g - w) / w)) for g, w in zip(exact([jitted.hi, jitted.lo]), want,
                                                     strict=True))
    assert err < 1e-31
