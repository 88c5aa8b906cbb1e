"""Evolution strategies: a zeroth-order gradient of the Gaussian-smoothed loss.

Salimans et al., "Evolution Strategies as a Scalable Alternative to Reinforcement
Learning" (2017), with mirrored (antithetic) sampling (Brockhoff et al., "Mirrored
Sampling and Sequential Selection for Evolution Strategies", PPSN 2010) and
fitness shaping (Wierstra et al., "Natural Evolution Strategies", JMLR 2014).
The estimate targets the gradient of ``E[L(theta + std * eps)]``, which smooths
away ripples narrower than ``std``: on chaotic meta-losses it follows the trend
that exact gradients cannot see.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from metaloss._src.errors import MAX_PAIRS, InputError, check_int, check_positive
from metaloss._src.estimators.base import Estimator, outer_fn
from metaloss._src.schedules import Geometric
from metaloss._src.spec import REGISTRY, register

FITNESS = ("raw", "centered_ranks", "normalized")
"""Fitness shaping: the losses as they are (an unbiased estimate of the smoothed
gradient); their centred ranks in [-0.5, 0.5] (invariant to any increasing
transform of the loss, robust to the capped losses of diverged runs); or their
z-scores. Shaped estimates are not unbiased, but their scale no longer follows
the loss's."""


def check_sampling(owner: str, std, pairs) -> None:
    """The checks every sampling estimator shares: ``std`` positive (or a schedule),
    ``pairs`` an integer >= 1."""
    if not callable(std):
        check_positive(f"{owner} std", std)
    check_int(f"{owner} pairs", pairs, limit=MAX_PAIRS,
              hint="use fewer pairs and more outer steps")


def centered_ranks(x: jax.Array) -> jax.Array:
    """Ranks of ``x`` scaled to [-0.5, 0.5]; ties share their average rank."""
    n = x.shape[0]
    below = jnp.sum(x[None, :] < x[:, None], axis=1)
    ties = jnp.sum(x[None, :] == x[:, None], axis=1) - 1
    return (below + 0.5 * ties) / max(n - 1, 1) - 0.5


def shape_fitness(losses: jax.Array, fitness: str) -> jax.Array:
    """Applies a :data:`FITNESS` transform across all evaluations (any shape)."""
    flat = losses.ravel()
    if fitness == "centered_ranks":
        flat = centered_ranks(flat)
    elif fitness == "normalized":
        spread = jnp.std(flat)
        flat = jnp.where(spread > 0, (flat - jnp.mean(flat)) / jnp.where(spread > 0, spread, 1), 0)
    return flat.reshape(losses.shape)


@register("estimator", "es")
@dataclasses.dataclass(frozen=True)
class ES(Estimator):
    """ES with ``2 * pairs`` evaluations at perturbations of scale ``std`` per step.

    Antithetic (the default): ``grad = mean_i (F(theta + std e_i) - F(theta - std e_i))
    / (2 std) * e_i`` with ``F`` the (shaped) loss. Otherwise ``2 * pairs``
    independent perturbations with a leave-one-out mean baseline for raw losses
    (which keeps the estimate unbiased), and no baseline for shaped ones (already
    centred). The reported loss is the mean of the raw evaluations. Every
    evaluation shares the inner run's key (common random numbers).

    Use it when the outer loss is rugged or gradients explode; cost is
    ``2 * pairs`` unrolls per step, no backward pass.

    Args:
      std: perturbation scale in outer coordinates: a number, or a schedule of the
        outer step (any optax schedule, or :class:`metaloss._src.schedules.Geometric`
        to anneal it, which the study suggests: large early to see past the
        ripples, small late to settle).
      pairs: half the evaluations per step.
      antithetic: mirrored pairs ``+e, -e`` instead of independent draws.
      fitness: one of :data:`FITNESS`.

    State: the outer step count when ``std`` is a schedule (it drives it), else none.
    """

    std: float | Callable = 0.1
    pairs: int = 1
    antithetic: bool = True
    fitness: str = "raw"

    label_fields = ("std", "pairs")

    def __post_init__(self):
        check_sampling("ES", self.std, self.pairs)
        if self.fitness not in FITNESS:
            raise InputError(
                f"unknown ES fitness {self.fitness!r}; choose one of {', '.join(FITNESS)}"
            )

    def init(self, meta, space, coords, key):
        return jnp.zeros((), jnp.int32) if callable(self.std) else None

    def std_at(self, step):
        """The perturbation scale at outer step ``step`` (``None``: the first)."""
        if not callable(self.std):
            return self.std
        return self.std(0 if step is None else step)

    def smoothing(self):
        return float(self.std_at(None))

    def estimate(self, meta, space, coords, key, state):
        loss, grad = self.estimate_at_scale(meta, space, coords, key, self.std_at(state))
        return loss, grad, None if state is None else state + 1

    def estimate_at_scale(self, meta, space, coords, key, std):
        """``(loss, grad)`` at perturbation scale ``std`` (may be traced)."""
        f = outer_fn(meta, space, differentiable=False)
        k_noise, k_inner = jax.random.split(key)
        theta, unravel = ravel_pytree(coords)
        n = 2 * self.pairs
        if self.antithetic:
            half = jax.random.normal(k_noise, (self.pairs, theta.shape[0]), theta.dtype)
            eps = jnp.concatenate([half, -half])
        else:
            eps = jax.random.normal(k_noise, (n, theta.shape[0]), theta.dtype)
        losses = jax.vmap(lambda e: f(unravel(theta + std * e), k_inner))(eps)
        weights = shape_fitness(losses, self.fitness)
        if not self.antithetic and self.fitness == "raw":
            weights = weights - (jnp.sum(weights) - weights) / (n - 1)
        # Antithetic pairs need no baseline: a constant cancels between +e and -e.
        grad = jnp.mean(weights[:, None] * eps, axis=0) / std
        return jnp.mean(losses), unravel(grad)

    def inner_steps(self, meta):
        return 2 * self.pairs * meta.steps

    def follows_horizon(self):
        return True


def annealed_es(std_start: float = 0.1, std_end: float = 0.01, horizon: int = 3000,
                pairs: int = 1) -> ES:
    """ES whose ``std`` decays geometrically from ``std_start`` to ``std_end`` over
    ``horizon`` outer steps: ``ES(std=Geometric(std_start, std_end, horizon), pairs)``.
    The command line spells it ``annealed_es(std_start=0.1, std_end=0.01, horizon=3000)``."""
    return ES(std=Geometric(std_start, std_end, horizon), pairs=pairs)


REGISTRY.add("estimator", "annealed_es", annealed_es)
