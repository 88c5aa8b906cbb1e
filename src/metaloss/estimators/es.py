"""Antithetic evolution strategies: a zeroth-order gradient of the Gaussian-smoothed loss.

Salimans et al., "Evolution Strategies as a Scalable Alternative to Reinforcement
Learning" (2017); antithetic sampling as in Rechenberg/Schwefel-style mirrored
sampling. The estimate targets the gradient of ``E[L(theta + std * eps)]``, which
smooths away ripples narrower than ``std``: on chaotic meta-losses it follows the
trend that exact gradients cannot see.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from metaloss.estimators.base import Estimator, outer_fn


@dataclasses.dataclass(frozen=True)
class ES(Estimator):
    """Antithetic ES with ``pairs`` mirrored perturbations of scale ``std``.

    ``grad = mean_i (L(theta + std e_i) - L(theta - std e_i)) / (2 std) * e_i`` and the
    reported loss is the mean of all 2 * pairs evaluations. Every pair shares the
    inner run's key (common random numbers). Use it when the outer loss is rugged
    or gradients explode; cost is 2 * pairs unrolls per step, no backward pass.
    """

    std: float = 0.1
    pairs: int = 1

    def __post_init__(self):
        if not self.std > 0:
            raise ValueError(f"ES std must be positive, got {self.std!r}")
        if isinstance(self.pairs, bool) or not isinstance(self.pairs, int) or self.pairs < 1:
            raise ValueError(f"ES pairs must be an integer >= 1, got {self.pairs!r}")

    def estimate(self, meta, space, coords, key, state):
        f = outer_fn(meta, space, differentiable=False)
        k_noise, k_inner = jax.random.split(key)
        leaves, treedef = jax.tree.flatten(coords)
        theta = jnp.stack([jnp.asarray(x) for x in leaves])
        eps = jax.random.normal(k_noise, (self.pairs, theta.shape[0]), theta.dtype)

        def pair(e):
            pos = f(jax.tree.unflatten(treedef, list(theta + self.std * e)), k_inner)
            neg = f(jax.tree.unflatten(treedef, list(theta - self.std * e)), k_inner)
            return pos, neg

        pos, neg = jax.vmap(pair)(eps)
        grad = jnp.mean(((pos - neg) / (2.0 * self.std))[:, None] * eps, axis=0)
        loss = jnp.mean((pos + neg) / 2.0)
        return loss, jax.tree.unflatten(treedef, list(grad)), state
