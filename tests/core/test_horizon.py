"""A traced horizon (MetaLoss.until) against shorter unrolls of static length.

One compiled program serves several run lengths only if cutting a long unroll at a
traced horizon gives what the short unroll gives: the outer loss of every objective,
its gradient (with no NaN from the steps selected away, even after divergence), and
every built-in estimator's sweep samples.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metaloss import MetaLoss, Space
from metaloss._src.space import Log10, OneMinusLog10
from metaloss.analysis import gradient_sweep
from metaloss.estimators import Estimator, get_list

SPACE = Space({"lr": Log10(), "momentum": OneMinusLog10()})


def _value_and_grad(meta, coords, key, horizon=None):
    def f(c, h):
        m = meta if h is None else meta.until(h)
        return m.evaluate(SPACE.to_hparams(c), key, losses=False).loss

    if horizon is None:
        return jax.jit(jax.value_and_grad(lambda c: f(c, None)))(coords)
    return jax.jit(jax.value_and_grad(f))(coords, jnp.int32(horizon))


# Digits for a stochastic run, whose final loss reads the key the run ends with; the
# cheaper Wavy1D for the rest (its validation loss is its training loss, but validation
# records are masked like any other).
@pytest.mark.parametrize(("problem", "objective"), [
    ("logistic_digits(batch_size=32)", "final"), ("wavy1d", "mean"), ("wavy1d", "val_mean"),
    ("wavy1d", "val_final")])
def test_until_is_the_shorter_unroll(problem, objective):
    long, short = (MetaLoss(problem, "sgdm", steps=n, objective=objective) for n in (30, 12))
    key = jax.random.key(3)
    # lr 0.3 and momentum 0.9 train the digits well; on Wavy1D they would be chaotic
    # within 12 steps, so there it is the study's start (lr 0.01, momentum 0.68).
    lr, momentum = (-0.5, -1.0) if problem.startswith("logistic") else (-2.0, -0.5)
    coords = {"lr": jnp.float32(lr), "momentum": jnp.float32(momentum)}
    want, want_grad = _value_and_grad(short, coords, key)
    got, got_grad = _value_and_grad(long, coords, key, horizon=12)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    for k in coords:
        np.testing.assert_allclose(got_grad[k], want_grad[k], rtol=1e-4)
    assert long.until(12).horizon == 12 and long.horizon == long.steps == 30


def test_until_after_divergence_has_finite_gradients():
    # lr 5 on a quadratic of curvature 1 diverges at step 4, within the horizon: the
    # capped loss and a finite gradient, as without the horizon.
    long, short = (MetaLoss("quadratic(dim=3)", "sgdm", steps=n) for n in (40, 25))
    coords = {"lr": jnp.float32(0.7), "momentum": jnp.float32(-2.0)}
    assert short.evaluate(SPACE.to_hparams(coords)).diverged
    want, want_grad = _value_and_grad(short, coords, None)
    got, got_grad = _value_and_grad(long, coords, None, horizon=25)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    for k in coords:
        assert np.isfinite(got_grad[k])
        np.testing.assert_allclose(got_grad[k], want_grad[k], rtol=1e-4)


@dataclasses.dataclass(frozen=True)
class OneCopyPerLength(Estimator):
    """``inner`` as an estimator of one's own would be: without the traced horizon."""

    inner: Estimator

    def init(self, meta, space, coords, key):
        return self.inner.init(meta, space, coords, key)

    def estimate(self, meta, space, coords, key, state):
        return self.inner.estimate(meta, space, coords, key, state)

    def phases(self, meta):
        return self.inner.phases(meta)

    @property
    def name(self):
        return self.inner.name


def test_sweep_in_one_copy_equals_one_copy_per_length():
    # Smooth region of the study's box: float rounding stays where it starts.
    meta = MetaLoss("wavy1d", "sgdm", steps=50)
    # Full-unroll estimators reach the horizon only through MetaLoss.evaluate (tested
    # above); the windowed ones keep their own count of it (NRES restarts as PES does).
    estimators = get_list("truncated(K=7), pes(K=7)")
    assert all(e.follows_horizon() for e in estimators)
    points = {"lr": np.array([-2.0]), "momentum": np.array([-0.5])}
    key = jax.random.key(5)
    lengths = (9, 30)  # windows of 7: the last one of each run is shorter
    one = gradient_sweep(meta, SPACE, estimators, points, key, lengths, samples=8)
    per = gradient_sweep(meta, SPACE, [OneCopyPerLength(e) for e in estimators], points, key,
                         lengths, samples=8)
    for v in ("norm", "variance"):
        np.testing.assert_allclose(one[v].values, per[v].values, rtol=2e-4, atol=1e-12)
    assert np.all(one["norm"].values > 0)
