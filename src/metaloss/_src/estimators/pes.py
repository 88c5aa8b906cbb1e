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

import abc
import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from metaloss._src.estimators.base import Estimator
from metaloss._src.estimators.es import check_sampling
from metaloss._src.estimators.truncated import (
    check_window,
    check_windows,
    run_window,
    windows_per_run,
)
from metaloss._src.spec import register
from metaloss._src.unroll import InnerState, tree_where


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


def particle_states(meta, key: jax.Array, pairs: int) -> InnerState:
    """One fresh inner run (from ``key``) for every particle: leading axes ``(2, pairs)``,
    the positive and negative member of each antithetic pair (common random numbers)."""
    one = meta.init_state(key)
    return jax.tree.map(lambda x: jnp.broadcast_to(x, (2, pairs, *x.shape)), one)


class AntitheticParticles(Estimator):
    """Abstract base of the online ES estimators (:class:`PES`, NRES): ``2 * pairs``
    persistent inner runs, each advanced one window of ``K`` steps per call at
    ``theta + std * e`` or ``theta - std * e``, all restarting together at the horizon.
    Subclasses are frozen dataclasses with fields ``std``, ``pairs`` and ``K``."""

    std: float
    pairs: int
    K: int

    def smoothing(self):
        # For PES, independent perturbations per window smooth each window apart; the
        # difference from the one-perturbation smoothing is of second order in std.
        return self.std

    def windows(self, meta, space, theta, rebuild, eps, inner):
        """``(losses, inner)``: one window of every particle, the positive members at
        ``theta + std * eps`` and the negative ones at ``theta - std * eps``; leading
        axes ``(2, pairs)``."""
        signed = jnp.stack([eps, -eps])  # (2, pairs, d)

        def particle(e, s):
            return run_window(meta, space.to_hparams(rebuild(theta + self.std * e)), s,
                              self.K, differentiable=False)

        return jax.vmap(jax.vmap(particle))(signed, inner)

    def init(self, meta, space, coords, key):
        theta, _ = ravel_pytree(coords)
        return self._fresh(meta, key, theta.shape[0], theta.dtype)

    @abc.abstractmethod
    def _fresh(self, meta, key, d, dtype):
        """The state of particles whose runs begin now."""

    def check(self, meta):
        return check_windows(self.name, meta, self.K)

    def inner_steps(self, meta):
        return 2 * self.pairs * meta.steps / windows_per_run(meta, self.K)

    def phases(self, meta):
        return windows_per_run(meta, self.K)

    def follows_horizon(self):
        return True


@register("estimator", "pes")
@dataclasses.dataclass(frozen=True)
class PES(AntitheticParticles):
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

    def _fresh(self, meta, key, d, dtype) -> PESState:
        return PESState(particle_states(meta, key, self.pairs), jnp.zeros((self.pairs, d), dtype))

    def estimate(self, meta, space, coords, key, state):
        k_noise, k_restart = jax.random.split(key)
        theta, rebuild = ravel_pytree(coords)
        eps = jax.random.normal(k_noise, state.xi.shape, theta.dtype)
        xi = state.xi + eps
        losses, inner = self.windows(meta, space, theta, rebuild, eps, state.inner)
        grad = jnp.mean(xi * ((losses[0] - losses[1]) / (2 * self.std))[:, None], axis=0)
        # All particles share a step count, so they reach the horizon together.
        done = inner.step[0, 0] >= meta.horizon
        fresh = self._fresh(meta, k_restart, theta.shape[0], theta.dtype)
        new = tree_where(done, fresh, PESState(inner, xi))
        return jnp.mean(losses), rebuild(grad), new
