"""Landscapes, measures (Lyapunov exponent, gradient norm), zoom and compare on systems,
each against what the system's mathematics says.

Influence balancing (:class:`~metaloss.systems.InfluenceBalancing`) is linear,
``s <- A s + theta * sign`` with ``A = 0.5 (I + U)``: after a few hundred steps
``s[0] = -6 theta`` to float precision, so the final loss is ``0.5 (6 theta + 1)^2`` and
its gradient ``6 (6 theta + 1)``; the tangent map is ``A`` itself, whatever theta.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import metaloss as ml
from metaloss import workflows
from metaloss._src.measures import start_tangent
from metaloss._src.systems.toy_regression import surface

THETA = np.linspace(-0.5, 0.5, 61)  # spacing 1/60: -1/6 is a grid point
KEY = jax.random.key(0)


@pytest.fixture(scope="module")
def final_ib():
    return ml.MetaLoss(ml.systems.InfluenceBalancing(), steps=300, objective="final")


def finite_time_exponent(A: np.ndarray, u: np.ndarray, steps: int) -> float:
    """``log |A^steps u| / steps`` (``|u| = 1``), renormalised each step, in float64."""
    total = 0.0
    for _ in range(steps):
        u = A @ u
        n = np.linalg.norm(u)
        total += np.log(n)
        u = u / n
    return total / steps


def test_influence_landscape_is_the_closed_form_with_its_minimum_at_the_optimum(final_ib):
    da = ml.landscape(final_ib, {"theta": THETA}, progress=False)
    assert not da["diverged"].values.any()
    np.testing.assert_allclose(da.values, 0.5 * (6 * THETA + 1) ** 2, rtol=1e-4, atol=1e-4)
    assert THETA[np.argmin(da.values)] == pytest.approx(-1 / 6, abs=1e-9)
    # a long mean objective keeps the minimum near the optimum (the transient is short)
    mean = ml.MetaLoss(ml.systems.InfluenceBalancing(), steps=1000)
    da = ml.landscape(mean, {"theta": THETA}, progress=False)
    assert abs(THETA[np.argmin(da.values)] + 1 / 6) <= 1 / 60 + 1e-9


def test_influence_gradient_norm_is_six_times_the_final_residual(final_ib):
    g = ml.landscape(final_ib, {"theta": THETA}, measure="gradnorm", progress=False)
    np.testing.assert_allclose(g.values, 6 * np.abs(6 * THETA + 1), rtol=1e-4, atol=1e-4)


def test_influence_lyapunov_is_that_of_its_linear_map(final_ib):
    n, steps = 23, final_ib.steps
    ly = ml.lyapunov(final_ib, {"theta": np.array([-0.2, 0.5, 1.0])}, key=KEY, progress=False)
    A = 0.5 * np.eye(n) + 0.5 * np.eye(n, k=1)
    u = np.asarray(start_tangent(KEY, n, jnp.float32), float)
    exact = finite_time_exponent(A, u, steps)
    np.testing.assert_allclose(ly.values, exact, rtol=1e-5)  # the same at every theta
    # negative, above log 0.5 (every eigenvalue is 0.5, but A is one Jordan block whose
    # transient grows like a polynomial of degree n - 1 in the steps)
    assert np.log(0.5) < exact < 0
    for size, steps, tol in ((1, 50, 1e-6), (2, 2000, 5e-3)):
        meta = ml.MetaLoss(ml.systems.InfluenceBalancing(n=size, num_positive=1), steps=steps)
        value = float(ml.lyapunov(meta, {"theta": np.array([0.5])}, key=KEY,
                                  progress=False).values[0])
        assert np.log(0.5) - 1e-6 <= value <= np.log(0.5) + tol, (size, steps, value)


@pytest.fixture(scope="module")
def toy():
    return ml.MetaLoss(ml.systems.ToyRegression(), steps=100)


def test_toy_landscape_has_the_plateau_and_the_low_band(toy):
    axis = np.linspace(-8.0, 4.0, 25)
    da = ml.landscape(toy, {"theta0": axis, "theta1": -4.0}, progress=False).values
    start = float(surface(jnp.ones(2)))  # 24.97: tiny rates leave x near (1, 1)
    assert np.all(np.isfinite(da)) and np.all(da <= start + 1e-4)
    # the plateau: a mean rate of 0.009 over 100 steps, |grad f|^2 about 0.23, lowers the
    # mean loss by at most about 0.1
    assert start - 0.1 < da[0] < start
    low = int(np.argmin(da))
    assert 2.0 <= axis[low] <= 3.5 and da[low] < 0.3 * start  # the band of large rates


@jax.jit
@jax.vmap
def toy_lyapunov(theta0, theta1, steps=100):
    """The toy regression's exponent from its explicit Jacobians ``I - lr(t) (H(x_t) +
    wd I)``, ``H`` the surface's Hessian (float64; independent of the unroll's jvp)."""
    system = ml.systems.ToyRegression()
    hparams = {"theta0": theta0, "theta1": theta1}

    def advance(carry, t):
        x, u, total = carry
        lr = jnp.exp(theta0) * (1 - t / steps) + jnp.exp(theta1) * t / steps
        J = jnp.eye(2) - lr * (jax.hessian(surface)(x) + system.weight_decay * jnp.eye(2))
        u = J @ u
        x, _ = system.step(x, hparams, t, None)
        return (x, u / jnp.linalg.norm(u), total + jnp.log(jnp.linalg.norm(u))), None

    start = (jnp.ones(2), start_tangent(KEY, 2, jnp.float64), jnp.zeros(()))
    (_, _, total), _ = jax.lax.scan(advance, start, jnp.arange(steps, dtype=jnp.float64))
    return total / steps


def test_toy_lyapunov_is_that_of_its_explicit_jacobians():
    axis = np.array([-8.0, 0.0, 3.0])
    with jax.enable_x64(True):
        toy = ml.MetaLoss(ml.systems.ToyRegression(), steps=100)
        ly = ml.lyapunov(toy, {"theta0": axis, "theta1": -4.0}, key=KEY, progress=False)
        expected = toy_lyapunov(jnp.asarray(axis), jnp.full(3, -4.0))
        np.testing.assert_allclose(ly.values, expected, rtol=1e-6, atol=1e-9)
        # small rates: |log|1 - lr h|| <= about lr |H| with |H| <= 0.5 near x = (1, 1)
        mean_lr = np.mean([float(toy.problem.learning_rate({"theta0": -8.0, "theta1": -4.0},
                                                           t)) for t in range(100)])
        assert -0.5 * mean_lr <= ly.values[0] < 0


def test_toy_gradient_norm_is_that_of_central_differences():
    with jax.enable_x64(True):  # where the meta-loss is smooth
        toy = ml.MetaLoss(ml.systems.ToyRegression(), steps=100)
        h = 1e-5
        near = {"theta0": -6.0 + np.array([-h, 0, h]), "theta1": -4.0 + np.array([-h, 0, h])}
        g = ml.landscape(toy, near, measure="gradnorm", progress=False).values[1, 1]
        f = ml.landscape(toy, near, progress=False).values
        fd = ((f[2, 1] - f[0, 1]) / (2 * h), (f[1, 2] - f[1, 0]) / (2 * h))
        assert g == pytest.approx(np.hypot(*fd), rel=1e-5)


def test_toy_gradient_norm_explodes_where_training_is_chaotic(toy):
    axis = np.array([-6.0, 1.0])
    ly = ml.lyapunov(toy, {"theta0": axis, "theta1": -4.0}, key=KEY, progress=False).values
    g = ml.landscape(toy, {"theta0": axis, "theta1": -4.0}, measure="gradnorm",
                     progress=False).values
    assert ly[0] < 0 < 0.1 < ly[1]
    assert g[0] < 1 and g[1] > 1e6  # the exact gradient grows like exp(exponent * steps)


def test_zoom_on_the_toy_regression(toy):
    center = {"theta0": 2.8, "theta1": -3.7}
    result = workflows.zoom(toy, ["theta0=lin:-8:4", "theta1=lin:-8:4"], center, 4.0, 2,
                            size=16, key=KEY, progress=False)
    assert len(result.levels) == len(result.data) == 2
    first, second = result.data
    level = result.levels[1]
    # a quarter of the view's 12 around the centre, shifted back inside the view at its edge
    for name, (lo, hi) in (("theta0", (1.0, 4.0)), ("theta1", (-5.2, -2.2))):
        assert np.ptp(first[name].values) == pytest.approx(12.0)
        values = second[name].values
        assert (values.min(), values.max()) == (pytest.approx(lo), pytest.approx(hi))
    direct = ml.landscape(toy, level.axes, key=KEY, progress=False)
    np.testing.assert_allclose(second.values, direct.values, rtol=1e-6)
    assert np.all(np.isfinite(second.values)) and second.values.min() < 8.0  # the low band


def test_compare_on_influence_balancing_with_outer_adam():
    """RTRL(K=1) updates theta after every step, so within each 200-step run theta swings
    with the transient; averaged over the last runs it sits at the objective's minimum
    (RTRL is unbiased for it), while truncated backprop walks the other way."""
    meta = ml.MetaLoss(ml.systems.InfluenceBalancing(), steps=200, objective="window_end(K=1)")
    space = ml.Space({"theta": ml.Linear()})
    cmp = workflows.compare(
        meta, space, {"theta": (0.0, 1.0)}, key=KEY, sweep=None,
        estimators=[ml.estimators.RTRL(K=1), ml.estimators.TruncatedBackprop(K=1)],
        training=workflows.Training(2, 20_000, workflows.OuterOptimizer("adam", 1e-3)),
        basin=workflows.Basin(grid=16))
    best = THETA[np.argmin(ml.landscape(meta, {"theta": THETA}, progress=False).values)]
    assert -0.12 < best < -0.06  # the 200-step runs' optimum, short of the long-run -1/6
    rtrl, trunc = (r.params["theta"] for r in cmp.runs)
    assert np.all(np.abs(rtrl[:, -2000:].mean(axis=1) - best) < 0.02)
    assert np.all(trunc[:, -1] > 2.0)  # truncation's wrong sign: away from it
