"""Problem hyperparameters and per-group optimizer hyperparameters (``lr/layer0``)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import metaloss as ml
from metaloss._src.errors import InputError
from metaloss._src.estimators.pes import PES
from metaloss._src.measures import Trainability, benettin
from metaloss.estimators import ES, Backprop, TruncatedBackprop
from metaloss.spec import label, parse

MLP = ml.problems.MeanFieldMLP(width=4)


def test_problem_hyperparameters_are_names_of_the_meta_loss():
    meta = ml.MetaLoss(ml.problems.CosineQuadratic(), "sgd", steps=20)
    assert meta.hparam_names == ("lr", "delta", "lam", "x0")
    # a problem hyperparameter given in a call equals the problem built with it
    other = ml.MetaLoss(ml.problems.CosineQuadratic(delta=0.3, x0=2.0), "sgd", steps=20)
    got = meta({"lr": 0.2, "delta": 0.3, "x0": 2.0})
    assert float(got) == pytest.approx(float(other({"lr": 0.2})), rel=1e-6)
    # and as a fixed value
    fixed = meta.with_fixed({"delta": 0.3, "x0": 2.0})
    assert float(fixed({"lr": 0.2})) == pytest.approx(float(got), rel=1e-6)
    # the default space stays the optimizer's
    assert tuple(meta.default_space().names) == ("lr",)


def test_problem_labels_parse_back():
    p = ml.problems.CosineQuadratic(delta=0.2, lam=0.5, x0=3.0)
    assert parse("problem", label(p)) == p
    q = ml.problems.MeanFieldMLP(width=8, nonlinearity="relu")
    assert parse("problem", label(q)) == q


def test_bad_problem_hyperparameters_are_input_errors():
    meta = ml.MetaLoss(ml.problems.CosineQuadratic(), "sgd", steps=5)
    with pytest.raises(InputError, match="lam must be positive"):
        meta({"lr": 0.1, "lam": -1.0})
    with pytest.raises(InputError, match="no parameter group 'layer0'"):
        meta({"lr/layer0": 0.1})
    with pytest.raises(InputError, match="unknown hyperparameter 'offset'"):
        meta({"offset": 0.1})
    with pytest.raises(InputError, match="nonlinearity"):
        ml.problems.MeanFieldMLP(nonlinearity="sigmoid")


def test_gradient_reaches_the_start_through_its_hyperparameter():
    meta = ml.MetaLoss(ml.problems.CosineQuadratic(delta=0.1), "sgd", steps=30)
    hp = {"lr": jnp.float32(0.1), "x0": jnp.float32(1.5)}
    grad = jax.grad(lambda h: meta(h))(hp)["x0"]
    h = 1e-2
    fd = (meta({**hp, "x0": 1.5 + h}) - meta({**hp, "x0": 1.5 - h})) / (2 * h)
    assert float(grad) == pytest.approx(float(fd), rel=2e-2)
    assert abs(float(grad)) > 1e-3


def test_truncated_restarts_draw_the_start_at_the_current_hyperparameters():
    """With a window of the whole unroll, truncated backprop is backprop: also for a
    hyperparameter that only acts through the (pending) start."""
    meta = ml.MetaLoss(ml.problems.CosineQuadratic(delta=0.1), "sgd", steps=20)
    space = ml.Space({"lr": ml.Log10(), "x0": ml.Linear()})
    coords = {"lr": jnp.float32(-1.0), "x0": jnp.float32(2.0)}
    key = jax.random.key(0)
    exact = Backprop().estimate(meta, space, coords, key, Backprop().init(meta, space, coords, key))
    est = TruncatedBackprop(K=20)
    state = est.init(meta, space, coords, key)
    assert bool(state.pending)
    trunc = est.estimate(meta, space, coords, key, state)
    for name in ("lr", "x0"):
        assert float(trunc[1][name]) == pytest.approx(float(exact[1][name]), rel=1e-5)


@pytest.mark.slow
def test_particle_estimators_see_the_start_hyperparameter():
    meta = ml.MetaLoss(ml.problems.CosineQuadratic(delta=0.0), "sgd", steps=10)
    space = ml.Space({"x0": ml.Linear()})
    coords = {"x0": jnp.float32(2.0)}
    # the loss of plain GD on x^2 is proportional to x0^2, so its gradient is 2 L / x0;
    # each antithetic pair gives it times e^2: 4096 pairs put the mean within 2.2% (1 sd)
    key = jax.random.key(1)
    for est in (PES(std=0.01, pairs=4096, K=10), ES(std=0.01, pairs=4096)):
        loss, grad, _ = est.estimate(meta, space, coords, key, est.init(meta, space, coords, key))
        assert float(grad["x0"]) == pytest.approx(2 * float(meta({"x0": 2.0})) / 2.0, rel=0.1)


def test_one_value_per_group_equal_to_the_shared_value_changes_nothing():
    meta = ml.MetaLoss(MLP, "adam", steps=15)
    assert meta.groups == ("layer0", "layer1")
    assert ml.MetaLoss(ml.problems.LogisticDigits(), "sgd").groups == ("b", "w")
    plain = float(meta({"lr": 0.01}))
    split = float(meta({"lr": 5.0, "lr/layer0": 0.01, "lr/layer1": 0.01}))
    assert split == pytest.approx(plain, rel=1e-6)


def test_a_group_value_acts_on_its_group_only():
    meta = ml.MetaLoss(MLP, "sgdm", steps=5)
    key = jax.random.key(0)
    res = meta.evaluate({"lr": 0.1, "lr/layer0": 1e-30}, key, trajectory=True)  # below an ulp
    first, last = (jax.tree.map(lambda a, i=i: a[i], res.trajectory) for i in (0, -1))
    assert np.array_equal(first[0], last[0])
    assert not np.array_equal(first[1], last[1])
    # an exact gradient per group
    g = jax.grad(lambda h: meta(h, key))({"lr/layer0": 0.1, "lr/layer1": 0.1})
    assert set(g) >= {"lr/layer0", "lr/layer1"} and float(g["lr/layer1"]) != 0.0


def test_lyapunov_of_gradient_descent_on_a_quadratic_started_by_hyperparameter():
    """GD on x^2 maps x to (1 - 2 lr) x: the exponent is log|1 - 2 lr| at any start."""
    meta = ml.MetaLoss(ml.problems.CosineQuadratic(delta=0.0), "sgd", steps=40,
                       divergence=None)
    for lr, x0 in ((0.1, 3.0), (0.3, -2.0), (0.9, 0.5)):
        exp, _ = benettin(meta, {"lr": lr, "x0": x0})
        assert float(exp) == pytest.approx(math.log(abs(1 - 2 * lr)), abs=1e-5)


def test_trainability_follows_the_stability_of_gradient_descent():
    meta = ml.MetaLoss(ml.problems.CosineQuadratic(delta=0.0, x0=1.0), "sgd", steps=60)
    measure = Trainability()
    key = jax.random.key(0)
    score, diverged = measure.point(meta, meta.hparams({"lr": 0.4}), key)
    assert float(score) < 0 and not bool(diverged)
    score, diverged = measure.point(meta, meta.hparams({"lr": 1.05}), key)
    assert float(score) > 0 and bool(diverged)


def test_meanfield_mlp_matches_the_paper_sizes():
    p = ml.problems.MeanFieldMLP()
    params = p.init()
    assert [w.shape for w in params] == [(16, 16), (16, 1)]
    assert p.points == 16 * 16 + 16
    assert ml.problems.MeanFieldMLP(nonlinearity="identity").points == 16
    moved = p.bind({"offset": 0.5}).init()
    np.testing.assert_allclose(moved[0] - params[0], 0.5, rtol=1e-6)
