"""Outer-gradient estimators: exact ones agree, stochastic ones converge to closed forms.

The stochastic checks use a 1-D quadratic inner problem trained by SGD, whose
outer loss is a polynomial in the learning rate, so its Gaussian-smoothed
gradient is known exactly (Gaussian moments). Each estimator runs from many keys
at a fixed point (an outer optimizer that never moves); the checks compare the
mean against the closed form in units of its standard error across keys.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import metaloss as ml
from metaloss._src.estimators.es import centered_ranks, shape_fitness
from metaloss.estimators import ES, PES, Backprop, Forward, TruncatedBackprop

HOLD = optax.set_to_zero()  # estimates at a fixed point
STUDY = ml.Space({"lr": ml.Log10(), "momentum": ml.OneMinusLog10()})
LR = ml.Space({"lr": ml.Linear()})
T, THETA, SEEDS = 20, 0.3, 32


def wavy(steps=50):
    return ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=steps)


def quad_meta():
    problem = ml.problems.Quadratic(dim=1, condition=1.0)  # f(x) = x^2 / 2 from x = 1
    assert float(problem.loss(problem.init(None))) == 0.5
    return ml.MetaLoss(problem, ml.optimizers.SGD(), steps=T)


def gaussian_power(c, b, k):
    """``E[(c + b eps)^k]`` for standard normal ``eps``: odd moments vanish."""
    double_fact = lambda j: float(math.prod(range(j - 1, 0, -2)))
    return sum(float(math.comb(k, j)) * c ** (k - j) * b**j * double_fact(j)
               for j in range(0, k + 1, 2))


def smoothed_quad_loss(theta, std, K):
    """Outer loss of :func:`quad_meta` averaged over lr perturbations ``std * eps``, one
    independent ``eps`` per window of ``K`` steps (``K = T``: one shared, as in ES).

    The loss before step t is ``prod_{s<t} (1 - lr_s)^2 / 2``; windows are independent,
    so the expectation factorizes into Gaussian moments, one per window.
    """
    total = 0.0
    for t in range(T):
        term = 0.5
        for w in range(-(-T // K)):
            term = term * gaussian_power(1.0 - theta, std, 2 * min(max(t - w * K, 0), K))
        total = total + term
    return total / T


def smoothed_quad_grad(theta, std, K, h=1e-5):
    """Derivative of :func:`smoothed_quad_loss` (a polynomial) by central differences,
    in plain float64 Python: truncation error ~ h^2, far below the tests' tolerances."""
    return (smoothed_quad_loss(theta + h, std, K) - smoothed_quad_loss(theta - h, std, K)) / (2 * h)


def estimates(meta, space, est, init, steps, pairs_seed=0):
    """Per-key means over ``steps`` estimates at a fixed point: ``(SEEDS,)`` per coordinate."""
    keys = jax.random.split(jax.random.key(pairs_seed), SEEDS)
    run = ml.outer_train(meta, space, est, init, steps, HOLD, keys)
    return {k: np.asarray(v).mean(axis=1) for k, v in run.grads.items()}


def mean_and_se(x):
    return float(np.mean(x)), float(np.std(x, ddof=1) / np.sqrt(len(x)))


@pytest.mark.parametrize("point", [(-2.0, -0.5), (0.0, -1.5), (-1.0, -2.0)])
def test_forward_equals_backprop(x64, point):
    meta = wavy()
    coords = {"lr": jnp.asarray(point[0]), "momentum": jnp.asarray(point[1])}
    key = jax.random.key(0)
    lb, gb, _ = Backprop().estimate(meta, STUDY, coords, key, None)
    lf, gf, _ = jax.jit(lambda c: Forward().estimate(meta, STUDY, c, key, None))(coords)
    assert float(lf) == pytest.approx(float(lb), rel=1e-14)
    for k in coords:
        np.testing.assert_allclose(gf[k], gb[k], rtol=1e-9)


def test_forward_handles_vector_params_and_many_hyperparameters(x64):
    meta = ml.MetaLoss(ml.problems.Quadratic(dim=3), ml.optimizers.SGDM(), steps=15)
    coords = {"lr": jnp.asarray(-1.0), "momentum": jnp.asarray(-0.7)}
    _, gb, _ = Backprop().estimate(meta, STUDY, coords, jax.random.key(1), None)
    _, gf, _ = Forward().estimate(meta, STUDY, coords, jax.random.key(1), None)
    for k in coords:
        np.testing.assert_allclose(gf[k], gb[k], rtol=1e-10)


def test_truncated_with_the_full_horizon_is_backprop(x64):
    meta, init = wavy(), {"lr": -2.0, "momentum": -0.5}
    opt = optax.chain(optax.clip(10.0), optax.sgd(0.01))
    a = ml.outer_train(meta, STUDY, Backprop(), init, 6, opt, jax.random.key(3))
    b = ml.outer_train(meta, STUDY, TruncatedBackprop(K=50), init, 6, opt, jax.random.key(3))
    np.testing.assert_allclose(b.losses, a.losses, rtol=1e-12)
    for k in init:
        np.testing.assert_allclose(b.grads[k], a.grads[k], rtol=1e-12)
        np.testing.assert_allclose(b.params[k], a.params[k], rtol=1e-12)


@pytest.mark.parametrize("objective", ["mean", "final"])
def test_window_losses_average_to_the_outer_loss(x64, objective):
    # K = 15 does not divide 50: windows of 15, 15, 15 and a last one of 5.
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=50, objective=objective)
    hp = meta.hparams({"lr": 0.05, "momentum": 0.6})
    est, state = TruncatedBackprop(K=15), meta.init_state(jax.random.key(0))
    coords = STUDY.to_coords({"lr": 0.05, "momentum": 0.6})
    step = jax.jit(lambda k, s: est.estimate(meta, STUDY, coords, k, s))
    losses, steps = [], []
    for i in range(4):
        loss, _, state = step(jax.random.key(i), state)
        losses.append(float(loss))
        steps.append(int(state.step))
    assert np.mean(losses) == pytest.approx(float(meta(hp)), rel=1e-12)
    assert steps == [15, 30, 45, 0]  # the inner run restarts at the horizon


def test_es_default_is_the_antithetic_formula(x64):
    meta, key = wavy(), jax.random.key(7)
    coords = {"lr": jnp.asarray(-1.5), "momentum": jnp.asarray(-1.0)}
    loss, grad, _ = ES().estimate(meta, STUDY, coords, key, None)
    k_noise, k_inner = jax.random.split(key)
    e = jax.random.normal(k_noise, (1, 2), jnp.float64)[0]
    f = lambda s: jax.jit(meta)(STUDY.to_hparams({"lr": coords["lr"] + s * 0.1 * e[0],
                                         "momentum": coords["momentum"] + s * 0.1 * e[1]}),
                       k_inner)
    pos, neg = f(1.0), f(-1.0)
    assert float(loss) == pytest.approx(float((pos + neg) / 2), rel=1e-12)
    np.testing.assert_allclose([grad["lr"], grad["momentum"]], (pos - neg) / 0.2 * e, rtol=1e-10)


@pytest.mark.slow  # statistical: many samples
def test_es_mean_converges_to_the_smoothed_gradient(x64):
    meta, std = quad_meta(), 0.05
    target = smoothed_quad_grad(THETA, std, T)
    exact = float(jax.grad(lambda t: meta({"lr": t}))(THETA))
    ses = []
    for est in (ES(std, 16), ES(std, 1024), ES(std, 1024, antithetic=False)):
        mean, se = mean_and_se(estimates(meta, LR, est, {"lr": THETA}, 1)["lr"])
        assert abs(mean - target) < 4 * se
        ses.append(se)
    assert 4 < ses[0] / ses[1] < 16  # the error shrinks like 1 / sqrt(pairs)
    assert abs(exact - target) > 8 * ses[1]  # smoothing is visible at this precision


@pytest.mark.slow  # statistical: many samples
def test_pes_mean_converges_to_its_smoothed_gradient(x64):
    meta, std, K = quad_meta(), 0.05, 5
    target = smoothed_quad_grad(THETA, std, K)
    ses = []
    for pairs in (16, 1024):
        mean, se = mean_and_se(estimates(meta, LR, PES(std, pairs, K), {"lr": THETA}, T // K)["lr"])
        assert abs(mean - target) < 4 * se
        ses.append(se)
    assert 4 < ses[0] / ses[1] < 16


@pytest.mark.slow  # statistical: many samples
def test_pes_is_unbiased_where_truncated_backprop_is_not(x64):
    meta, std, K = quad_meta(), 0.02, 5
    target = smoothed_quad_grad(THETA, std, K)
    exact = float(jax.grad(lambda t: meta({"lr": t}))(THETA))
    pes, se = mean_and_se(estimates(meta, LR, PES(std, 1024, K), {"lr": THETA}, T // K)["lr"])
    tbptt = estimates(meta, LR, TruncatedBackprop(K), {"lr": THETA}, T // K)["lr"]
    assert np.ptp(tbptt) < 1e-12  # deterministic: no noise to hide behind
    assert abs(pes - target) < 4 * se
    assert abs(tbptt[0] - exact) > 10 * se  # the truncation bias
    assert abs(tbptt[0] - exact) > 0.1 * abs(exact)


def test_pes_particles_restart_at_the_horizon(x64):
    meta, est = quad_meta(), PES(std=0.1, pairs=3, K=5)
    coords = {"lr": jnp.asarray(THETA)}
    state = est.init(meta, LR, coords, jax.random.key(0))
    assert state.xi.shape == (3, 1) and state.inner.step.shape == (2, 3)
    step = jax.jit(lambda k, s: est.estimate(meta, LR, coords, k, s))
    for i in range(3):
        _, _, state = step(jax.random.key(i + 1), state)
    assert int(state.inner.step[0, 0]) == 15 and np.all(np.asarray(state.xi) != 0)
    _, _, state = step(jax.random.key(9), state)
    assert np.all(np.asarray(state.inner.step) == 0) and np.all(np.asarray(state.xi) == 0)


def test_centered_ranks_share_ties():
    r = np.asarray(centered_ranks(jnp.array([3.0, 1.0, 2.0, 2.0])))
    np.testing.assert_allclose(r, [0.5, -0.5, 0.0, 0.0])
    z = np.asarray(shape_fitness(jnp.array([5.0, 5.0]), "normalized"))
    np.testing.assert_array_equal(z, [0.0, 0.0])  # no spread: no signal, no NaN


@pytest.mark.parametrize("fitness", ["centered_ranks", "normalized"])
def test_shaped_es_points_downhill(x64, fitness):
    meta, std = quad_meta(), 0.05
    exact = float(jax.grad(lambda t: meta({"lr": t}))(THETA))
    g = estimates(meta, LR, ES(std=std, pairs=64, fitness=fitness), {"lr": THETA}, 1)["lr"]
    assert np.mean(np.sign(g) == np.sign(exact)) > 0.9


@pytest.mark.parametrize("make", [
    lambda: ES(std=0.0), lambda: ES(pairs=0), lambda: ES(fitness="rank"),
    lambda: PES(K=0), lambda: PES(std=-1.0), lambda: PES(pairs=1.5),
    lambda: TruncatedBackprop(K=2.0), lambda: TruncatedBackprop(K=True),
])
def test_bad_settings_raise(make):
    with pytest.raises(ValueError):
        make()


def test_inner_steps_per_outer_step():
    meta = wavy()
    assert Backprop().inner_steps(meta) == Forward().inner_steps(meta) == 50
    assert ES(pairs=4).inner_steps(meta) == 400
    assert TruncatedBackprop(K=10).inner_steps(meta) == 10
    assert TruncatedBackprop(K=15).inner_steps(meta) == 12.5  # 4 windows per 50 steps
    assert PES(pairs=2, K=10).inner_steps(meta) == 40
