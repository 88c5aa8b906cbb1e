"""The fast paths agree with the reference paths; grid changes never recompile.

Also checks the benchmark's own reference formulations (benchmarks/baselines.py),
so the ratios in benchmarks/RESULTS.md compare like with like. No timing here.
"""

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import metaloss as ml
from metaloss._src.problems.wavy import wavy_loss, wavy_loss_fast
from metaloss.estimators import ES, Backprop

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import baselines  # noqa: E402


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


def meta(fast=True, steps=50, **kw):
    return ml.MetaLoss(ml.problems.Wavy1D(fast=fast), ml.optimizers.SGDM(), steps=steps, **kw)


def axes(n_lr=24, n_mom=20):
    return {"lr": ml.logspace(-3, 2, n_lr), "momentum": 1 - ml.logspace(-3, 0, n_mom)}


def test_fast_loss_value_and_derivatives_match_plain():
    x = jnp.linspace(-12, 12, 2001, dtype=jnp.float32)
    for f in (lambda g: g, jax.grad, lambda g: jax.grad(jax.grad(g))):
        fast, plain = jax.vmap(f(wavy_loss_fast))(x), jax.vmap(f(wavy_loss))(x)
        np.testing.assert_allclose(fast, plain, rtol=2e-6, atol=2e-6)


@pytest.mark.slow  # against the benchmark's baselines: runs in make test
def test_fast_path_is_the_plain_formula_in_float64(x64):
    hp = {"lr": jnp.float64(0.05), "momentum": jnp.float64(0.8)}
    fast, plain = meta(True).evaluate(hp), meta(False).evaluate(hp)
    np.testing.assert_allclose(fast.losses, plain.losses, rtol=1e-11)
    g_fast = jax.grad(lambda h: meta(True)(h))(hp)
    g_plain = jax.grad(lambda h: meta(False)(h))(hp)
    for k in hp:
        np.testing.assert_allclose(g_fast[k], g_plain[k], rtol=1e-11)


@pytest.mark.slow  # against the benchmark's baselines: runs in make test
def test_landscape_matches_float64_reference_at_non_chaotic_points():
    ax = axes()
    ref, mask = baselines.smooth_mask(ax["lr"], ax["momentum"])
    assert mask.mean() > 0.2  # enough smooth points for the check to mean something
    fast = ml.landscape(meta(True), ax, progress=False).values
    plain = ml.landscape(meta(False), ax, progress=False).values
    err_fast = baselines.max_error(fast, ref, mask)
    err_plain = baselines.max_error(plain, ref, mask)
    assert err_fast < 1e-4 and err_plain < 1e-4
    assert err_fast < 3 * err_plain + 1e-5  # no worse than float32 with XLA's sin/cos


@pytest.mark.slow  # against the benchmark's baselines: runs in make test
def test_numpy_reference_is_metaloss_in_float64(x64):
    ax = axes(16, 12)
    for factor in (1e3, 0.9):  # 0.9 makes about half the runs diverge: same rule?
        ref, div = baselines.numpy_landscape(ax["lr"], ax["momentum"], dtype=np.float64,
                                             factor=factor)
        mask = baselines.smooth_mask(ax["lr"], ax["momentum"], factor=factor)[1]
        da = ml.landscape(meta(divergence=ml.Divergence(factor)), ax, progress=False)
        np.testing.assert_allclose(da.values[mask], ref[mask], rtol=1e-9)
        assert np.mean(da["diverged"].values == div) > 0.95  # flips only where chaotic
    assert 0.2 < div.mean() < 0.8


@pytest.mark.slow
def test_benchmark_baselines_agree_in_float32():
    ax = axes(12, 10)
    ref, mask = baselines.smooth_mask(ax["lr"], ax["momentum"])
    study = baselines.study_landscape(ax["lr"], ax["momentum"])
    numpy32, _ = baselines.numpy_landscape(ax["lr"], ax["momentum"])
    assert study.shape == numpy32.shape == (12, 10)
    assert baselines.max_error(study, ref, mask) < 1e-4
    assert baselines.max_error(numpy32, ref, mask) < 1e-4
    sweep = baselines.study_sweep_fn()(jnp.asarray(ax["lr"], jnp.float32), 0.9)
    one = baselines.study_outer_loss(jnp.float32(ax["lr"][3]), 0.9)
    np.testing.assert_allclose(sweep[3], one, rtol=1e-6)


def test_changing_grid_values_does_not_recompile(compiles):
    m = meta(steps=10)
    ml.landscape(m, axes(30, 20), progress=False)
    other = {"lr": ml.logspace(-2, 1, 30), "momentum": 1 - ml.logspace(-2, -1, 20)}
    swapped = {"lr": ml.logspace(-1, 0, 20), "momentum": ml.linspace(0, 0.9, 30)}
    assert compiles.during(lambda: ml.landscape(m, other, progress=False)) == 0
    assert compiles.during(lambda: ml.landscape(m, swapped, progress=False)) == 0
    assert compiles.during(lambda: ml.landscape(meta(steps=11), other, progress=False)) > 0


def test_changing_grid_sizes_with_a_fixed_chunk_reuses_the_program(compiles):
    m = meta(steps=10)
    assert compiles.during(lambda: ml.landscape(m, axes(30, 20), progress=False, chunk=64)) > 0
    for n_lr, n_mom in ((17, 13), (5, 40), (64, 1)):
        run = lambda n_lr=n_lr, n_mom=n_mom: ml.landscape(m, axes(n_lr, n_mom), progress=False,
                                                           chunk=64)
        assert compiles.during(run) == 0


@pytest.mark.slow  # against the benchmark's baselines: runs in make test
@pytest.mark.parametrize("estimator, steps", [(ES(std=0.1, pairs=2), 25), (Backprop(), 8)])
def test_compiled_outer_loop_matches_python_loop(estimator, steps):
    m = meta(steps=20)
    space = ml.Space({"lr": ml.Log10(), "momentum": ml.OneMinusLog10()})
    init = {"lr": -2.0, "momentum": -0.5}
    opt = optax.chain(optax.clip(10.0), optax.sgd(0.01))
    run = ml.outer_train(m, space, estimator, init, steps, opt, jax.random.key(3))
    final, losses = baselines.python_loop_driver(m, space, estimator, opt)(
        init, steps, jax.random.key(3))
    np.testing.assert_allclose(run.losses, losses, rtol=1e-5)
    for n in space.names:
        np.testing.assert_allclose(run.final()[n], final[n], rtol=1e-5, atol=1e-6)
