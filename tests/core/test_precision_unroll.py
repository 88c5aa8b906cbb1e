"""The double-double unroll against the float64 one, and its refusals."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import metaloss as ml
from metaloss._src.errors import InputError
from metaloss._src.precision import dd, unroll_dd


@pytest.mark.parametrize("opt", [ml.optimizers.SGD(), ml.optimizers.SGDM()])
def test_agrees_with_the_float64_unroll(x64, opt):
    problem = ml.problems.CosineQuadratic(delta=0.05, lam=1.0, x0=3.0)
    meta = ml.MetaLoss(problem, opt, steps=40)
    lrs = np.linspace(0.05, 0.5, 7)
    hp = {"lr": jnp.asarray(lrs)}
    mom = None
    if isinstance(opt, ml.optimizers.SGDM):
        hp["momentum"] = jnp.full(7, 0.5)
        mom = dd.lift(hp["momentum"])
    loss, diverged = unroll_dd.run(problem, opt, 40, dd.lift(hp["lr"]), mom)
    want = np.array([float(meta({k: v[i] for k, v in hp.items()})) for i in range(7)])
    np.testing.assert_allclose(np.asarray(loss), want, rtol=1e-10)
    assert not np.asarray(diverged).any()


def test_refuses_other_problems_naming_the_supported(x64):
    with pytest.raises(InputError, match="CosineQuadratic"):
        unroll_dd.run(ml.problems.Wavy1D(), ml.optimizers.SGD(), 5, dd.lift(jnp.ones(2)))
    with pytest.raises(InputError, match="SGDM"):
        unroll_dd.check_supported(ml.problems.CosineQuadratic(), ml.optimizers.Adam())


def test_decimal_window_keeps_distinct_points(x64):
    lr = unroll_dd.linspace("1.01969556360106046394952700", "1.01969556360106046394952710", 5)
    values = {dd.to_fraction(h, lo) for h, lo in zip(np.asarray(lr.hi), np.asarray(lr.lo),
                                                      strict=True)}
    assert len(values) == 5 and len(set(np.asarray(lr.hi).tolist())) == 1
