"""The PES paper's toy regression, the findings rows, and FromFunction hyperparameters."""

import copy
import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import metaloss as ml
from metaloss._src.study import pes_paper


def test_toy_regression_schedule_and_step():
    system = ml.systems.ToyRegression()
    hp = {"theta0": jnp.asarray(-1.0), "theta1": jnp.asarray(0.5)}
    np.testing.assert_allclose(system.learning_rate(hp, 0), np.exp(-1.0), rtol=1e-6)
    np.testing.assert_allclose(system.learning_rate(hp, 100), np.exp(0.5), rtol=1e-6)
    np.testing.assert_allclose(system.learning_rate(hp, 50),
                               0.5 * (np.exp(-1.0) + np.exp(0.5)), rtol=1e-6)
    x = system.init()
    new, loss = system.step(x, hp, 0, None)
    # by hand: d/dx0 = x0/sqrt(x0^2+5) - 10 x0 sin^2(x1) e^{-5x0^2},
    # d/dx1 = sin(2 x1) e^{-5x0^2} - 0.25
    g0 = 1 / np.sqrt(6) - 10 * np.sin(1) ** 2 * np.exp(-5)
    g1 = np.sin(2) * np.exp(-5) - 0.25
    want = np.array([1.0, 1.0]) - np.exp(-1.0) * (np.array([g0, g1]) + 1e-10)
    np.testing.assert_allclose(new, want, rtol=1e-5)
    np.testing.assert_allclose(loss, ml.systems.ToyRegression().loss(new), rtol=1e-6)
    meta = ml.MetaLoss(system, steps=100)
    assert meta.hparam_names == ("theta0", "theta1")
    # the start (-4, -4) sits on the plateau: about 2490 summed over the unroll
    assert 2400 < 100 * float(meta({"theta0": -4.0, "theta1": -4.0})) < 2550


def _results():
    est = [{"estimator": "truncated(K=1)", "objective": "window_end(K=1)", "mean": -3.6,
            "stderr": 0.0, "exact": 25.0},
           {"estimator": "pes(std=0.1, pairs=100, K=10)", "objective": "window_end(K=10)",
            "mean": 24.0, "stderr": 0.5, "exact": 25.0}]
    train = {"truncated(K=1)": {"final": 2.9}, "pes(std=0.1, pairs=500, K=1)": {"final": -0.16}}
    toy = {"truncated(K=10)": {"sum_loss": 2423.0}, "pes(std=0.3, pairs=50, K=10)":
           {"sum_loss": 567.0}, "start": {"sum_loss": 2488.0}}
    return {"settings": dataclasses.asdict(pes_paper.FULL), "influence_estimates": est,
            "influence_training": train, "toy_training": toy}


def test_findings_rows_judge_the_numbers():
    results = _results()
    rows = pes_paper.findings(results)
    assert [r.agrees for r in rows] == [True, True, True, True, True]
    assert all(r.paper == "Vicol et al. 2021" for r in rows)
    bad = copy.deepcopy(results)
    bad["influence_estimates"][1]["mean"] = 20.0  # 10 standard errors off
    bad["influence_training"]["pes(std=0.1, pairs=500, K=1)"]["final"] = -0.10
    bad["influence_training"]["truncated(K=1)"]["final"] = 0.3  # moved towards -1/6
    bad["toy_training"]["pes(std=0.3, pairs=50, K=10)"]["sum_loss"] = 2500.0
    assert [r.agrees for r in pes_paper.findings(bad)] == [True, False, False, False, False]


def test_from_function_declares_hyperparameters():
    prob = ml.problems.FromFunction(lambda p, scale: scale * jnp.sum((p - 3.0) ** 2),
                                    init=jnp.zeros(2), hparams={"scale": 1.0},
                                    positive=("scale",))
    meta = ml.MetaLoss(prob, "sgd", steps=10)
    assert meta.hparam_names == ("lr", "scale")
    g = jax.grad(lambda s: meta({"lr": 0.05, "scale": s}))(1.0)
    eps = 1e-2
    fd = (meta({"lr": 0.05, "scale": 1 + eps}) - meta({"lr": 0.05, "scale": 1 - eps})) / (2 * eps)
    np.testing.assert_allclose(g, fd, rtol=1e-2)
    with pytest.raises(ml.InputError, match="positive"):
        meta({"lr": 0.1, "scale": -1.0})
    with pytest.raises(ml.InputError, match="taken"):
        ml.problems.FromFunction(lambda p, loss_fn: 0.0, init=jnp.zeros(2),
                                 hparams={"loss_fn": 1.0})
    with pytest.raises(ml.InputError, match="positive"):
        ml.problems.FromFunction(lambda p: 0.0, init=jnp.zeros(2), positive=("scale",))
