"""Guided evolution strategies: ES sampling biased toward recent surrogate gradients.

Maheswaranathan, Metz, Tucker, Choi & Sohl-Dickstein, "Guided evolutionary
strategies: augmenting random search with surrogate gradients" (ICML 2019).
Perturbations are drawn from a covariance that mixes the isotropic one with the
subspace spanned by the last ``k`` surrogate gradients, here the exact gradient
through the unroll or a short-horizon (truncated) one. Where the surrogate is
informative, the samples concentrate on the directions that matter and the
estimate's variance drops; where it is wrong (chaotic unrolls, truncation bias)
the isotropic share keeps the estimate pointing downhill on average.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from metaloss._src.errors import check_int, check_range
from metaloss._src.estimators.base import Estimator, outer_fn
from metaloss._src.estimators.es import check_sampling
from metaloss._src.spec import register


class GuidedState(NamedTuple):
    """The last ``k`` surrogate gradients, newest first.

    Attributes:
      grads: ``(k, d)`` surrogate gradients (zeros where none is held).
      valid: ``(k,)`` whether each row holds a finite surrogate gradient.
    """

    grads: jax.Array
    valid: jax.Array


@register("estimator", "guided_es")
@dataclasses.dataclass(frozen=True)
class GuidedES(Estimator):
    """Antithetic Guided ES with ``pairs`` pairs from ``N(0, std^2 Sigma)``.

    ``Sigma = alpha I + (1 - alpha) (d / k') U U^T`` with ``U`` an orthonormal basis
    of the ``k'`` finite surrogate gradients held (at most ``k``, the current one
    first) and ``d`` the number of outer coordinates. Unlike the paper, whose
    ``Sigma`` has trace 1 and whose estimate carries a scale ``beta``, ``Sigma`` here
    has trace ``d``, as the isotropic ES covariance does: ``alpha = 1`` is exactly
    :class:`ES` (same draws from the same key), and the estimate
    ``mean_i e_i (F(theta + std e_i) - F(theta - std e_i)) / (2 std)`` has expectation
    ``Sigma`` times the smoothed gradient: biased toward the subspace by design.
    Without any finite surrogate it falls back to isotropic ES.

    Use it when a cheap surrogate gradient exists but cannot be trusted alone
    (truncated, or exploding over long unrolls).

    Args:
      std: perturbation scale, in outer coordinates.
      pairs: antithetic pairs per estimate.
      alpha: isotropic share in [0, 1].
      k: surrogate gradients kept (the subspace dimension), >= 1.
      K: surrogate horizon: ``None`` for the exact gradient through the full unroll,
        an integer for the gradient of the first ``K`` inner steps' loss (a
        short-horizon surrogate, biased and cheap).
    """

    std: float = 0.1
    pairs: int = 1
    alpha: float = 0.5
    k: int = 1
    K: int | None = None

    label_fields = ("std", "pairs", "alpha")

    def __post_init__(self):
        check_sampling("GuidedES", self.std, self.pairs)
        check_range("GuidedES alpha", self.alpha, 0.0, 1.0)
        check_int("GuidedES k", self.k)
        if self.K is not None:
            check_int("GuidedES surrogate horizon K", self.K)

    def smoothing(self):
        return self.std

    def init(self, meta, space, coords, key):
        theta, _ = ravel_pytree(coords)
        return GuidedState(jnp.zeros((self.k, theta.shape[0]), theta.dtype),
                           jnp.zeros((self.k,), bool))

    def surrogate(self, meta, space, coords, key):
        """The surrogate gradient at ``coords`` (exact, or over the first K steps)."""
        short = meta if self.K is None else dataclasses.replace(meta, steps=min(self.K,
                                                                                 meta.steps))
        return jax.grad(outer_fn(short, space))(coords, key)

    def estimate(self, meta, space, coords, key, state):
        k_noise, k_inner = jax.random.split(key)
        theta, unravel = ravel_pytree(coords)
        d = theta.shape[0]
        g, _ = ravel_pytree(self.surrogate(meta, space, coords, k_inner))
        ok = jnp.all(jnp.isfinite(g))
        grads = jnp.concatenate([jnp.where(ok, g, 0)[None], state.grads[:-1]])
        valid = jnp.concatenate([ok[None], state.valid[:-1]])
        order = jnp.argsort(~valid, stable=True)  # valid rows first, newest first
        basis, _ = jnp.linalg.qr(grads[order].T)  # (d, min(d, k)), spans the valid rows
        mask = valid[order][: basis.shape[1]]  # with k > d, at most d directions
        held = jnp.sum(mask)
        alpha = jnp.where(held > 0, self.alpha, 1.0)
        sub_scale = jnp.sqrt((1.0 - alpha) * d / jnp.maximum(held, 1))
        # The isotropic draw comes first from the same key as ES's, so alpha = 1 is ES.
        iso = jax.random.normal(k_noise, (self.pairs, d), theta.dtype)
        w = jax.random.normal(jax.random.fold_in(k_noise, 1), (self.pairs, basis.shape[1]),
                              theta.dtype)
        half = jnp.sqrt(alpha) * iso + sub_scale * (w * mask) @ basis.T
        eps = jnp.concatenate([half, -half])
        f = outer_fn(meta, space, differentiable=False)
        losses = jax.vmap(lambda e: f(unravel(theta + self.std * e), k_inner))(eps)
        diff = (losses[: self.pairs] - losses[self.pairs:]) / (2 * self.std)
        grad = jnp.mean(half * diff[:, None], axis=0)
        return jnp.mean(losses), unravel(grad), GuidedState(grads, valid)

    def check(self, meta):
        if self.K is not None and meta.steps <= self.K:
            return (f"{self.name}: surrogate horizon K={self.K} covers the whole "
                    f"{meta.steps}-step unroll; the surrogate is the exact gradient")
        return None

    def inner_steps(self, meta):
        surrogate = meta.steps if self.K is None else min(self.K, meta.steps)
        return 2 * self.pairs * meta.steps + surrogate

    def follows_horizon(self):
        # A surrogate over the first K steps is a shorter unroll of static length.
        return self.K is None
