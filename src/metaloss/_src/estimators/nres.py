"""Noise-reuse evolution strategies: one perturbation per inner run, over truncated windows.

Li, Harrison, Sohl-Dickstein, Smith & Metz, "Noise-Reuse in Online Evolution
Strategies" (NeurIPS 2023). Like :class:`~metaloss._src.estimators.PES`, each particle is
an inner run that persists across outer steps and advances one window of K steps
per call; unlike PES it draws its perturbation once, when its run begins, and
reuses it for every window until the horizon. A window's estimate is then the
antithetic ES estimate of that window's loss, and the windows of one run add up
to the full-unroll ES estimate: averaged over a run, its expectation is the
gradient of the Gaussian-smoothed full-unroll loss. The paper characterizes the
variance of a class of unbiased online ES estimators that differ in how often
they resample noise (PES resamples every window and accumulates it) and finds
that reusing one perturbation for the whole run has the least variance in that
class. Its workers run step-unlocked, at different windows; here, as in
:class:`~metaloss._src.estimators.PES`, all particles advance together, which changes
the correlation between consecutive outer steps but not a run's expectation.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from metaloss._src.estimators.es import check_sampling
from metaloss._src.estimators.pes import AntitheticParticles, particle_states
from metaloss._src.estimators.truncated import check_window
from metaloss._src.spec import register
from metaloss._src.unroll import InnerState, tree_where


class NRESState(NamedTuple):
    """Particles of NRES.

    Attributes:
      inner: :class:`~metaloss.InnerState` with leading axes ``(2, pairs)``: the
        positive and negative member of each antithetic pair.
      eps: ``(pairs, d)`` the standard-normal perturbation each pair keeps for its
        whole inner run (the negative member uses ``-eps``).
    """

    inner: InnerState
    eps: jax.Array


@register("estimator", "nres")
@dataclasses.dataclass(frozen=True)
class NRES(AntitheticParticles):
    """Antithetic NRES with ``pairs`` particle pairs, windows of ``K`` inner steps.

    ``grad = mean_i eps_i * (F(theta + std eps_i; s_i+) - F(theta - std eps_i; s_i-))
    / (2 std)`` where ``F(.; s)`` is the window's loss continuing particle state ``s``
    and ``eps_i`` was drawn when the particle's run began. All particles restart
    together at the horizon with fresh perturbations, sharing the inner key (common
    random numbers).

    Use it where you would use PES (long unrolls, truncation bias unacceptable) and
    the outer loss changes little over one inner run: it is unbiased for the same
    smoothed gradient as full-unroll ES, with less variance than PES.

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
        check_sampling("NRES", self.std, self.pairs)
        check_window("NRES", self.K)

    def _fresh(self, meta, key, d, dtype) -> NRESState:
        k_inner, k_noise = jax.random.split(key)
        return NRESState(particle_states(meta, k_inner, self.pairs),
                         jax.random.normal(k_noise, (self.pairs, d), dtype))

    def estimate(self, meta, space, coords, key, state):
        theta, rebuild = ravel_pytree(coords)
        losses, inner = self.windows(meta, space, theta, rebuild, state.eps, state.inner)
        diff = (losses[0] - losses[1]) / (2 * self.std)
        grad = jnp.mean(state.eps * diff[:, None], axis=0)
        done = inner.step[0, 0] >= meta.horizon
        fresh = self._fresh(meta, key, theta.shape[0], theta.dtype)
        new = tree_where(done, fresh, NRESState(inner, state.eps))
        return jnp.mean(losses), rebuild(grad), new
