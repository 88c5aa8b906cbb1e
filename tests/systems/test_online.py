"""RTRL, truncated ES and the window_end objective on systems and problems."""

import jax
import numpy as np
import pytest

import metaloss as ml
from metaloss import estimators as E


def test_rtrl_is_the_exact_gradient_of_a_whole_run():
    meta = ml.MetaLoss(ml.systems.InfluenceBalancing(), steps=60)
    for K in (1, 6):
        r = ml.estimate(meta, E.RTRL(K=K), {"theta": 0.5}, jax.random.key(0), samples=2)
        np.testing.assert_allclose(r.mean["theta"], r.exact["theta"], rtol=1e-4)


def test_rtrl_on_a_problem_with_an_optimizer_state():
    # momentum's buffer is part of the carried tangent; log coordinates
    meta = ml.MetaLoss("quadratic(dim=3)", "sgdm", steps=12)
    space = ml.Space({"lr": ml.Log10(), "momentum": ml.Linear()})
    r = ml.estimate(meta, E.RTRL(K=4), {"lr": 0.1, "momentum": 0.5}, jax.random.key(0),
                    samples=2, space=space)
    for n in ("lr", "momentum"):
        np.testing.assert_allclose(r.mean[n], r.exact[n], rtol=1e-4, atol=1e-6)
    t = ml.estimate(meta, E.TruncatedBackprop(K=4), {"lr": 0.1, "momentum": 0.5},
                    jax.random.key(0), samples=2, space=space)
    assert not np.allclose(t.mean["lr"], r.exact["lr"], rtol=1e-2)


def test_window_end_counts_the_loss_at_each_window_end():
    system = ml.systems.InfluenceBalancing()
    meta = ml.MetaLoss(system, steps=30, objective="window_end(K=10)")
    res = ml.MetaLoss(system, steps=30).evaluate({"theta": 0.2})
    want = float(np.mean(np.asarray(res.losses)[[9, 19, 29]]))
    np.testing.assert_allclose(meta({"theta": 0.2}), want, rtol=1e-6)
    # K = 1 is the mean; landscapes (no per-step records asked for) agree
    one = ml.MetaLoss(system, steps=30, objective="window_end(K=1)")
    np.testing.assert_allclose(one({"theta": 0.2}), res.loss, rtol=1e-6)
    assert one.evaluate({"theta": 0.2}, losses=False).losses is None
    # truncated windows of the objective's K see only their end; RTRL stays exact
    r = ml.estimate(meta, E.RTRL(K=10), {"theta": 0.5}, jax.random.key(0), samples=2)
    np.testing.assert_allclose(r.mean["theta"], r.exact["theta"], rtol=1e-4)
    assert ml.MetaLoss.from_record(meta.describe()) == meta
    with pytest.raises(ml.InputError):
        ml.MetaLoss(system, steps=30, objective="window_end(K=0)")


def test_truncated_es_matches_truncated_backprop_in_expectation():
    # On a linear system ES of a smooth window is unbiased for the window gradient.
    meta = ml.MetaLoss(ml.systems.InfluenceBalancing(), steps=40)
    t = ml.estimate(meta, E.TruncatedBackprop(K=10), {"theta": 0.5}, jax.random.key(0),
                    samples=2)
    es = ml.estimate(meta, E.TruncatedES(K=10, pairs=16, std=0.01), {"theta": 0.5},
                     jax.random.key(1), samples=16)
    assert abs(float(es.mean["theta"] - t.mean["theta"])) < 4 * float(es.stderr["theta"]) + 1e-3
    with pytest.raises(ml.InputError):
        E.TruncatedES(K=0)
    assert E.get("truncated_es(K=5)").K == 5 and E.get("rtrl(K=2)").K == 2
