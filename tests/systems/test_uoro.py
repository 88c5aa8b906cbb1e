"""UORO (Tallec & Ollivier 2017) behind the estimator interface: unbiased for the run's
gradient, where truncation is not, on one and on several outer coordinates."""

import jax
import numpy as np
import pytest

import metaloss as ml


def within_three_se(r, name):
    mean, se, exact = (float(x[name]) for x in (r.mean, r.stderr, r.exact))
    return abs(mean - exact) <= 3 * se, mean, se, exact


def test_uoro_is_unbiased_on_influence_balancing():
    meta = ml.MetaLoss(ml.systems.InfluenceBalancing(), steps=100, objective="window_end(K=10)")
    key = jax.random.key(7)
    r = ml.estimate(meta, "uoro(K=10)", {"theta": 0.5}, key, samples=1024)
    ok, mean, se, exact = within_three_se(r, "theta")
    assert ok, (mean, se, exact)
    assert se < 0.1 * abs(exact)  # tight enough to tell the sign, unlike truncation's
    trunc = ml.estimate(meta, ml.estimators.TruncatedBackprop(K=10), {"theta": 0.5}, key,
                        samples=2)
    assert float(trunc.mean["theta"]) < 0 < exact  # the bias UORO does not have
    assert float(r.variance["theta"]) > 0  # random, unlike RTRL: one rank-one draw per window


def test_uoro_on_two_outer_coordinates_and_an_optimizer_state():
    toy = ml.MetaLoss(ml.systems.ToyRegression(), steps=40)  # smooth near (-4, -4)
    r = ml.estimate(toy, ml.estimators.UORO(K=5), {"theta0": -4.0, "theta1": -3.0},
                    jax.random.key(1), samples=512)
    for name in ("theta0", "theta1"):
        ok, *numbers = within_three_se(r, name)
        assert ok, (name, numbers)
    meta = ml.MetaLoss(ml.problems.Quadratic(dim=3), ml.optimizers.SGDM(), steps=20)
    r = ml.estimate(meta, ml.estimators.UORO(K=4), {"lr": 0.05, "momentum": 0.5},
                    jax.random.key(2), samples=512)
    for name in ("lr", "momentum"):
        ok, *numbers = within_three_se(r, name)
        assert ok, (name, numbers)


def test_uoro_spec_and_refusals():
    est = ml.estimators.get("uoro(K=5)")
    assert est == ml.estimators.UORO(K=5) and est.name == "uoro(K=5)"
    with pytest.raises(ml.InputError, match="window"):
        ml.estimators.UORO(K=0)
    meta = ml.MetaLoss(ml.systems.InfluenceBalancing(), steps=10)
    with pytest.raises(ml.InputError):
        ml.estimate(meta, ml.estimators.UORO(K=20), {"theta": 0.5}, jax.random.key(0),
                    samples=4)
    assert np.isfinite(ml.estimate(meta, ml.estimators.UORO(K=10), {"theta": 0.5},
                                   jax.random.key(0), samples=4).mean["theta"])
