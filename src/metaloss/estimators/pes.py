"""Persistent evolution strategies: unbiased ES gradients over truncated unrolls.

Vicol, Metz & Sohl-Dickstein, "Unbiased Gradient Estimation in Unrolled
Computation Graphs with Persistent Evolution Strategies" (ICML 2021). Each
particle is an inner run that persists across outer steps; every window of K
steps it gets a fresh perturbation, and it remembers the sum of all the
perturbations it has had since its run began. Weighting a window's loss by that
sum (rather than by the window's own perturbation, as truncated ES would)
credits earlier perturbations for the state they left behind, which removes
the truncation bias that :class:`TruncatedBackprop` and truncated ES carry.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from metaloss.estimators.base import Estimator
from metaloss.estimators.es import check_sampling
from metaloss.estimators.truncated import (
    check_window,
    check_windows,
    run_window,
    windows_per_run,
)
from metaloss.spec import register
from metaloss.unroll import InnerState, tree_where


class PESState(NamedTuple):
    """Particles of PES.

    Attributes:
      inner: :class:`~metaloss.InnerState` with leading axes ``(2, pairs)``: the
        positive and negative member of each antithetic pair.
      xi: ``(pairs, d)`` accumulated standard-normal perturbations of the positive
        members since their run began (the negative members carry ``-xi``).
    """

    inner: InnerState
    xi: jax.Array


@register("estimator", "pes")
@dataclasses.dataclass(frozen=True)
class PES(Estimator):
    """Antithetic PES with ``pairs`` particle pairs, windows of ``K`` inner steps.

    ``grad = mean_i xi_i * (F(theta + std e_i; s_i+) - F(theta - std e_i; s_i-)) / (2 std)``
    where ``F(.; s)`` is the window's loss continuing particle state ``s``. Averaged
    over the windows of one inner run at fixed ``theta``, its expectation is the
    gradient of the smoothed outer loss (with independent perturbations per
    window). All particles restart together at the horizon, sharing the inner
    key (common random numbers).

    Use it for long unrolls where full-unroll ES is too expensive per step and
    truncated backprop's bias misleads; expect more variance than ES, growing with
    the number of windows per run.

    Args:
      std: perturbation scale, in outer coordinates.
      pairs: antithetic particle pairs (2 * pairs inner runs).
      K: window length in inner steps.
    """

    std: float = 0.1
    pairs: int = 1
    K: int = 10

    label_fields = ("std", "pairs", "K")

    def __post_init__(self):
        check_sampling("PES", self.std, self.pairs)
        check_window("PES", self.K)

    def smoothing(self):
        # Strictly, independent perturbations per window smooth each window apart; the
        # difference from the one-perturbation smoothing is of second order in std.
        return self.std

    def _fresh(self, meta, key, d, dtype) -> PESState:
        one = meta.init_state(key)
        inner = jax.tree.map(lambda x: jnp.broadcast_to(x, (2, self.pairs, *x.shape)), one)
        return PESState(inner, jnp.zeros((self.pairs, d), dtype))

    def init(self, meta, space, coords, key):
        theta, _ = ravel_pytree(coords)
        return self._fresh(meta, key, theta.shape[0], theta.dtype)

    def estimate(self, meta, space, coords, key, state):
        k_noise, k_restart = jax.random.split(key)
        theta, rebuild = ravel_pytree(coords)
        eps = jax.random.normal(k_noise, state.xi.shape, theta.dtype)
        xi = state.xi + eps
        signed = jnp.stack([eps, -eps])  # (2, pairs, d)

        def particle(e, s):
            return run_window(meta, space.to_hparams(rebuild(theta + self.std * e)), s,
                              self.K, differentiable=False)

        losses, inner = jax.vmap(jax.vmap(particle))(signed, state.inner)
        grad = jnp.mean(xi * ((losses[0] - losses[1]) / (2 * self.std))[:, None], axis=0)
        # All particles share a step count, so they reach the horizon together.
        done = inner.step[0, 0] >= meta.steps
        fresh = self._fresh(meta, k_restart, theta.shape[0], theta.dtype)
        new = tree_where(done, fresh, PESState(inner, xi))
        return jnp.mean(losses), rebuild(grad), new

    def check(self, meta):
        return check_windows(self.name, meta, self.K)

    def inner_steps(self, meta):
        return 2 * self.pairs * meta.steps / windows_per_run(meta, self.K)

    def phases(self, meta):
        return windows_per_run(meta, self.K)
