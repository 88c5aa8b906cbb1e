"""The divergence threshold of every run, restarted or not, is scaled to the loss at the
start of that run at its own hyperparameters, not at the defaults."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import metaloss as ml
from metaloss import estimators as E


def scaled_meta(steps=20):
    # The start's loss is 2 * scale: at the default scale 1 the threshold is 3e3, so a
    # run at scale 1e4 (loss 2e4, shrinking) would count as diverged from its first step.
    prob = ml.problems.FromFunction(lambda p, scale: scale * jnp.sum(p ** 2),
                                    init=jnp.ones(2),
                                    hparams={"scale": 1.0}, positive=("scale",), name="scaled")
    return ml.MetaLoss(prob, "sgd", steps=steps, fixed={"lr": 1e-5})


def test_a_whole_run_is_not_cut_by_the_defaults_threshold():
    meta = scaled_meta()
    res = meta.evaluate({"scale": 1e4})
    assert not bool(res.diverged)
    assert float(meta.init_state(jax.random.key(0), {"scale": 1e4}).loss0) == pytest.approx(2e4)


@pytest.mark.parametrize("estimator", [
    E.TruncatedBackprop(K=10),
    E.RTRL(K=10),
    E.PES(K=10, std=0.01, pairs=4),
    E.TruncatedES(K=10, std=0.01, pairs=4),
], ids=lambda e: e.name)
def test_restarting_estimators_use_the_runs_own_threshold(estimator):
    meta = scaled_meta()
    space = ml.Space({"scale": ml.Log10()})
    point, key = {"scale": 1e4}, jax.random.key(0)
    r = ml.estimate(meta, estimator, point, key, samples=4, space=space)
    # no run diverges, so the estimates are those of the same runs never capped; at the
    # defaults' threshold every window was capped from its start, a zero gradient
    free = ml.estimate(dataclasses.replace(meta, divergence=None), estimator, point, key,
                       samples=4, space=space, exact=False)
    assert float(r.exact["scale"]) > 100
    np.testing.assert_allclose(r.samples["scale"], free.samples["scale"], rtol=1e-4)
    assert float(r.mean["scale"]) > 100
    # the state a run continues from holds the loss at its own start (a particle's at
    # its own perturbed hyperparameters)
    coords = {"scale": jnp.asarray(4.0)}
    state = estimator.init(meta, space, coords, jax.random.key(0))
    _, _, after = estimator.estimate(meta, space, coords, jax.random.key(1), state)
    inner = getattr(after, "inner", after)
    np.testing.assert_allclose(np.ravel(np.asarray(inner.loss0)), 2e4, rtol=0.05)
