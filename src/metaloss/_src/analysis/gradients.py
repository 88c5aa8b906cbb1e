"""Outer-gradient estimates against unroll length: the exploding-gradient picture.

At fixed outer points, each estimator's gradient estimate is sampled with many
keys for unroll lengths from short to long. Exact gradients through a chaotic
unroll grow exponentially with its length (Metz et al., "Gradients are Not All
You Need", 2021); smoothed (ES, PES) and truncated estimates stay bounded, and
PES pays for its unbiasedness with variance.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from metaloss._src.estimators.base import Estimator
from metaloss._src.meta import MetaLoss
from metaloss._src.space import Space

LENGTHS = (10, 50, 200)
"""Unroll lengths of the gradient sweep: short, medium and long on a log scale (each
length is one more traced program per estimator, the bulk of a warm comparison)."""


@functools.partial(jax.jit, static_argnames=("meta", "space", "est", "lengths"))
def _sweep(coords, keys, *, meta: MetaLoss, space: Space, est: Estimator,
           lengths: tuple[int, ...]):
    """``(coords, keys) -> [grads per length]``, all lengths in one compiled program.

    One program per estimator rather than per length: compilation, not running, is
    what the sweep spends its time on. An estimator that follows a traced horizon
    (:meth:`~metaloss._src.estimators.Estimator.follows_horizon`) is traced and compiled
    once for all lengths: every length runs the longest unroll, cut at its own
    horizon (:meth:`MetaLoss.until`), and keeps its own number of phases. Others get
    one copy per length. Either way, a length's phase keys are the first of
    ``split(k_loop, phases)``, so both give the same samples.
    """

    def phases(steps):
        return est.phases(dataclasses.replace(meta, steps=steps))

    def estimates(m, coords, key, n):
        k_init, k_loop = jax.random.split(key)

        def body(state, k):
            _, grad, state = est.estimate(m, space, coords, k, state)
            return state, grad

        return jax.lax.scan(body, est.init(m, space, coords, k_init),
                            jax.random.split(k_loop, n))[1]

    if not est.follows_horizon():
        metas = [dataclasses.replace(meta, steps=n) for n in lengths]

        def one(coords, key):
            ks = jax.random.split(key, len(lengths))
            return [estimates(m, coords, k, est.phases(m)) for m, k in zip(metas, ks, strict=True)]

        return jax.vmap(one)(coords, keys)
    # One row per (length, sample), all in the one batch dimension: a second vmap over
    # lengths doubled the compilation of the whole program in a measurement.
    top = dataclasses.replace(meta, steps=max(lengths))
    n = keys.shape[0]
    rows = jax.tree.map(lambda c: jnp.tile(c, len(lengths)), coords)
    ks = jax.vmap(lambda k: jax.random.split(k, len(lengths)))(keys).T.reshape(-1)
    horizons = jnp.repeat(jnp.asarray(lengths), n)
    grads = jax.vmap(lambda c, k, h: estimates(top.until(h), c, k, phases(top.steps)))(
        rows, ks, horizons)
    return [jax.tree.map(lambda g, j=j, m=m: g[j * n:(j + 1) * n, :phases(m)], grads)
            for j, m in enumerate(lengths)]


def gradient_sweep(meta, space, estimators, points, key, lengths=LENGTHS, samples=64):
    """Gradient-estimate norm and variance against unroll length, at fixed points.

    For each estimator, unroll length and point, ``samples`` independent keys each
    take single-step estimates at every window of one inner run (one estimate for
    full-unroll estimators), with the point held fixed.

    Returns:
      ``xarray.Dataset`` with ``norm`` (norm of the mean estimate) and ``variance``
      (trace of the estimates' covariance), dims ``(estimator, point, length)``.
    """
    plan = SweepPlan(meta, space, points, key, lengths, samples)
    return plan.dataset(estimators, [plan.run(est) for est in estimators])


class SweepPlan:
    """One gradient sweep's shared inputs, run one estimator at a time.

    :func:`gradient_sweep` is ``plan.dataset(ests, [plan.run(e) for e in ests])``;
    a caller that spreads the estimators over threads (an estimator comparison) gets
    the same numbers, since every estimator sees the same points and keys.
    """

    def __init__(self, meta, space, points, key, lengths=LENGTHS, samples=64):
        self.meta, self.space, self.points = meta, space, points
        self.names = list(space.names)
        self.lengths = tuple(int(n) for n in lengths)
        self.n_pts = len(points[self.names[0]])
        dtype = jnp.result_type(float)
        self.coords = {k: jnp.asarray(np.repeat(np.asarray(points[k], float), samples), dtype)
                       for k in self.names}
        self.keys = jax.random.split(key, self.n_pts * samples)

    def run(self, est: Estimator) -> tuple[np.ndarray, np.ndarray]:
        """``(norm, variance)`` of ``est``'s estimates, each ``(point, length)``."""
        per_length = _sweep(self.coords, self.keys, meta=self.meta, space=self.space, est=est,
                            lengths=self.lengths)
        norm = np.zeros((self.n_pts, len(self.lengths)))
        var = np.zeros_like(norm)
        for j, grads in enumerate(per_length):
            g = np.stack([np.asarray(grads[k], float) for k in self.names], axis=-1)
            g = g.reshape(self.n_pts, -1, len(self.names))  # (point, samples * phases, coord)
            with np.errstate(invalid="ignore", over="ignore"):
                norm[:, j] = np.linalg.norm(g.mean(axis=1), axis=-1)
                var[:, j] = g.var(axis=1).sum(axis=-1)
        return norm, var

    def dataset(self, estimators, rows) -> xr.Dataset:
        """The sweep's dataset from one :meth:`run` result per estimator, in order."""
        norm = np.zeros((len(rows), self.n_pts, len(self.lengths)))
        var = np.zeros_like(norm)
        for i, (n, v) in enumerate(rows):
            norm[i], var[i] = n, v
        dims = ("estimator", "point", "length")
        return xr.Dataset(
            {"norm": (dims, norm), "variance": (dims, var)},
            coords={"estimator": [e.name for e in estimators],
                    "length": np.asarray(self.lengths),
                    **{f"point_{k}": ("point", np.asarray(self.points[k], float))
                       for k in self.names}},
        )
