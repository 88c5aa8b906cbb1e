"""Divergence as data: the mask, the capped value, finite gradients at the boundary,
and the four objectives against a plain loop."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import metaloss as ml
from metaloss.estimators import Backprop
from metaloss.optimizers import SGD, SGDM
from metaloss.problems import FromFunction, Quadratic


def _heavy_ball_radius(lr, mom, h):
    """Spectral radius of heavy-ball SGD on the 1-D quadratic h x^2 / 2."""
    mat = np.array([[mom, h], [-lr * mom, 1.0 - lr * h]])
    return np.max(np.abs(np.linalg.eigvals(mat)))


def test_mask_matches_linear_stability(x64):
    prob = Quadratic(dim=4, condition=10.0)
    meta = ml.MetaLoss(prob, SGDM(), steps=100)
    lrs, moms = ml.logspace(-1, 1, 9), np.array([0.0, 0.5, 0.8, 0.9])
    da = ml.landscape(meta, {"lr": lrs, "momentum": moms}, progress=False)
    rho = np.array([[max(_heavy_ball_radius(lr, m, h) for h in prob.curvatures)
                     for m in moms] for lr in lrs])
    clear = (rho < 1.0) | (rho > 1.2)  # skip points too close to the boundary to tell
    assert clear.sum() >= 30 and (rho[clear] > 1).sum() >= 10
    np.testing.assert_array_equal(da["diverged"].values[clear], rho[clear] > 1)
    # Plain SGD: the boundary is lr = 2 / max curvature = 2.
    sgd = ml.MetaLoss(prob, SGD(), steps=100)
    lr = np.array([0.5, 1.0, 1.9, 2.2, 3.0, 10.0])
    np.testing.assert_array_equal(ml.landscape(sgd, {"lr": lr}, progress=False)["diverged"],
                                  lr > 2)


@functools.cache
def _jitted_evaluate(meta, differentiable):
    # One compilation per (meta-loss, mode), shared by the parametrized cases.
    return jax.jit(lambda lr: meta.evaluate({"lr": lr}, differentiable=differentiable))


def _capped_reference(prob, lr, steps, factor):
    """Plain-NumPy SGD on a diagonal quadratic, with the documented capping."""
    h = prob.curvatures
    x = np.ones(prob.dim)
    loss0 = 0.5 * np.sum(h * x**2)
    threshold = factor * (abs(loss0) + 1.0)
    recorded, diverged = [], False
    for _ in range(steps):
        loss = 0.5 * np.sum(h * x**2)
        diverged = diverged or not np.isfinite(loss) or loss > threshold
        recorded.append(threshold if diverged else loss)
        if not diverged:
            x = x - lr * h * x
    final = 0.5 * np.sum(h * x**2)
    final = threshold if diverged or final > threshold else final
    return np.mean(recorded), final, diverged, threshold


@pytest.mark.parametrize("lr, factor", [(1.0, 1e3), (2.5, 1e3), (2.5, 10.0), (40.0, 1e3)])
def test_capped_value_matches_plain_loop(x64, lr, factor):
    prob = Quadratic(dim=5, condition=20.0)
    div = ml.Divergence(factor=factor)
    want_mean, want_final, want_div, threshold = _capped_reference(prob, lr, 40, factor)
    for objective, want in (("mean", want_mean), ("final", want_final),
                            ("val_final", want_final)):
        meta = ml.MetaLoss(prob, SGD(), steps=40, objective=objective, divergence=div)
        for differentiable in (True, False):
            res = _jitted_evaluate(meta, differentiable)(jnp.asarray(lr))
            np.testing.assert_allclose(res.loss, want, rtol=1e-12)
            assert bool(res.diverged) == want_div
            assert float(res.loss) <= threshold
    if want_div:
        assert want_final == threshold


def _nan_cliff(x):
    # Finite and small for x < 3, NaN beyond: a too-large step lands in the NaN
    # region before the loss ever exceeds the divergence threshold.
    return x**2 + jnp.sqrt(3.0 - x)


@pytest.mark.slow  # a float64 sweep of gradients: runs in make test
def test_gradients_finite_on_both_sides_of_the_boundary():
    # SGDM on a quadratic with largest curvature 1 diverges for lr > 2 (1 + momentum).
    meta = ml.MetaLoss(Quadratic(dim=3, condition=10.0), SGDM(), steps=60)
    space = ml.Space({"lr": ml.Log10(), "momentum": ml.OneMinusLog10()})
    for lr, diverges in ((3.79, False), (3.81, True)):
        hp = meta.hparams({"lr": lr, "momentum": 0.9})
        assert bool(meta.evaluate(hp).diverged) == diverges
        coords = space.to_coords({"lr": lr, "momentum": 0.9})
        coords = {k: jnp.asarray(v, jnp.float32) for k, v in coords.items()}
        loss, grad, _ = Backprop().estimate(meta, space, coords, jax.random.key(0), None)
        direct = jax.grad(lambda h: meta(h))(hp)
        for g in (*grad.values(), *direct.values()):
            assert np.isfinite(float(g)) and float(g) != 0.0
        assert np.isfinite(float(loss))


def test_guard_keeps_nan_out_of_gradients():
    prob = FromFunction(_nan_cliff, init=1.0)
    meta = ml.MetaLoss(prob, SGD(), steps=30)
    lrs = jnp.array([0.3, 0.8, 1.2, 1.5, 3.0])
    res = jax.vmap(lambda lr: meta.evaluate({"lr": lr}))(lrs)
    np.testing.assert_array_equal(res.diverged, [False, False, True, True, True])
    assert np.all(np.isfinite(res.loss))
    guarded = jax.vmap(jax.grad(lambda lr: meta({"lr": lr})))(lrs)
    assert np.all(np.isfinite(guarded))
    # Without the double where (the forward-only path), NaN does reach the gradient:
    # the guard is what keeps it out.
    bare = jax.grad(lambda lr: meta.evaluate({"lr": lr}, differentiable=False).loss)
    assert np.isnan(float(bare(jnp.float32(1.2))))


def test_no_policy_lets_blowup_through():
    meta = ml.MetaLoss(FromFunction(_nan_cliff, init=1.0), SGD(), steps=30, divergence=None)
    assert np.isnan(float(meta({"lr": 1.2})))


def test_landscape_marks_and_caps_diverged_cells():
    prob = FromFunction(_nan_cliff, init=1.0)
    meta = ml.MetaLoss(prob, SGDM(), steps=30)
    da = ml.landscape(meta, {"lr": ml.logspace(-2, 1, 12), "momentum": ml.linspace(0, 0.9, 5)},
                      progress=False)
    div = da["diverged"].values
    assert div.dtype == bool and 0 < div.sum() < div.size
    assert np.all(np.isfinite(da.values))
    threshold = ml.Divergence().threshold(prob.loss(prob.init()))
    assert np.all(da.values[div] > da.values[~div].max())
    assert np.all(da.values <= threshold)


def _loop_objectives(train, val, x0, lr, mom, steps):
    x, v = x0, 0.0
    losses, vals = [], []
    for _ in range(steps):
        losses.append(float(train(x)))
        v = mom * v + float(jax.grad(train)(x))
        x = x - lr * v
        vals.append(float(val(x)))
    return {"mean": np.mean(losses), "final": float(train(x)), "val_mean": np.mean(vals),
            "val_final": float(val(x))}


def test_objectives_match_plain_loop(x64):
    def train(x):
        return jnp.log(x**2 + 1.0 + jnp.sin(3.0 * x)) + 1.5

    def val(x):
        return (x - 0.3) ** 2

    prob = FromFunction(train, init=-4.0, val_loss_fn=val)
    want = _loop_objectives(train, val, -4.0, 0.05, 0.8, 25)
    for objective, value in want.items():
        meta = ml.MetaLoss(prob, SGDM(), steps=25, objective=objective)
        np.testing.assert_allclose(meta({"lr": 0.05, "momentum": 0.8}), value, rtol=1e-12,
                                   err_msg=objective)
    assert len(set(np.round(list(want.values()), 6))) == 4  # four different quantities


def test_validation_blowup_is_marked_for_both_validation_objectives():
    # Training converges to x = 1, where the validation loss exp(10 x) is far above
    # the threshold 1e3 (|L0| + 1): capped validation values must come with the mask.
    prob = FromFunction(lambda x: (x - 1.0) ** 2, init=0.0,
                        val_loss_fn=lambda x: jnp.exp(10.0 * x))
    threshold = float(ml.Divergence().threshold(prob.loss(prob.init())))
    for objective in ("val_mean", "val_final"):
        meta = ml.MetaLoss(prob, SGD(), steps=20, objective=objective)
        guarded = meta.evaluate({"lr": 0.3})
        bare = meta.evaluate({"lr": 0.3}, differentiable=False)
        assert bool(guarded.diverged) and bool(bare.diverged), objective
        assert float(guarded.loss) == float(bare.loss) <= threshold
        assert not bool(meta.evaluate({"lr": 0.001}).diverged)  # x stays small
