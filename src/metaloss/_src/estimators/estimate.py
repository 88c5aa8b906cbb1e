"""Signed estimates at a point: what an estimator returns, held fixed at ``hparams``.

Each sample starts the estimator afresh (its own key) and averages its estimates
over :meth:`~metaloss._src.estimators.base.Estimator.phases` consecutive calls at the
same point: one call for full-unroll estimators, one whole inner run of windows for
truncated and persistent ones, so that the sample's expectation is defined (for
truncated backprop it is the biased window gradient, for PES the unbiased one).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from metaloss._src.errors import InputError, check_int
from metaloss._src.estimators.base import Estimator, outer_fn
from metaloss._src.meta import MetaLoss
from metaloss._src.space import Linear, Space


class Estimate(NamedTuple):
    """Estimates of the outer gradient at one point, in the coordinates of ``space``.

    Attributes:
      mean: ``{name: scalar}`` signed mean over the samples.
      stderr: ``{name: scalar}`` standard error of the mean.
      variance: ``{name: scalar}`` variance of one sample.
      samples: ``{name: (samples,)}`` each sample's estimate.
      exact: ``{name: scalar}`` the full-horizon reverse-mode gradient at the point
        (what unbiased exact estimators target), or ``None`` where not asked for.
    """

    mean: dict[str, jax.Array]
    stderr: dict[str, jax.Array]
    variance: dict[str, jax.Array]
    samples: dict[str, jax.Array]
    exact: dict[str, jax.Array] | None


def _sample(meta, estimator, space, coords, key):
    k_init, k_run = jax.random.split(key)
    state = estimator.init(meta, space, coords, k_init)

    def one(carry, k):
        total, s = carry
        _, grad, s = estimator.estimate(meta, space, coords, k, s)
        return (jax.tree.map(jnp.add, total, grad), s), None

    n = estimator.phases(meta)
    zero = jax.tree.map(jnp.zeros_like, coords)
    (total, _), _ = jax.lax.scan(one, (zero, state), jax.random.split(k_run, n))
    return jax.tree.map(lambda g: g / n, total)


@functools.partial(jax.jit, static_argnames=("meta", "estimator", "space", "samples", "exact"))
def _run(meta, estimator, space, coords, key, samples, exact):
    grads = jax.vmap(lambda k: _sample(meta, estimator, space, coords, k))(
        jax.random.split(key, samples))
    truth = None
    if exact:
        truth = jax.grad(outer_fn(meta, space))(coords, jax.random.fold_in(key, samples))
    return grads, truth


def estimate(meta: MetaLoss, estimator: Estimator, hparams: Mapping[str, Any],
             key: jax.Array, *, samples: int = 32, space: Space | None = None,
             exact: bool = True) -> Estimate:
    """Signed gradient estimates of ``estimator`` at ``hparams``.

    Args:
      meta: the meta-loss (a problem and optimizer, or a system).
      estimator: any estimator (spec or object).
      hparams: the point, as hyperparameter values; its names are the coordinates.
      key: randomness of the samples (each gets its own).
      samples: independent samples, >= 2.
      space: the outer coordinates the gradient is taken in (default: the values
        themselves, :class:`~metaloss.Linear` for every name in ``hparams``).
      exact: also compute the full-horizon reverse-mode gradient.

    Returns:
      an :class:`Estimate`.
    """
    from metaloss._src.estimators import get

    estimator = get(estimator)
    if check_int("samples", samples) < 2:
        raise InputError(f"samples={samples}: need at least 2 for a standard error")
    meta.check(hparams)
    space = space or Space({n: Linear() for n in hparams})
    estimator.check(meta)
    coords = {n: jnp.asarray(v, jnp.result_type(float))
              for n, v in space.to_coords(dict(hparams)).items()}
    grads, truth = _run(meta, estimator, space, coords, key, samples, exact)
    var = {n: jnp.var(g, ddof=1) for n, g in grads.items()}
    return Estimate(mean={n: jnp.mean(g) for n, g in grads.items()},
                    stderr={n: jnp.sqrt(v / samples) for n, v in var.items()},
                    variance=var, samples=grads, exact=truth)
