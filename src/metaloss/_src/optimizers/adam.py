"""Adam with every hyperparameter (lr, b1, b2, eps) an explicit leaf.

Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015. The update
matches ``optax.adam(lr, b1, b2, eps)`` value for value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import ClassVar, NamedTuple

import jax
import jax.numpy as jnp

from metaloss._src.optimizers.base import HParams, InnerOptimizer, PyTree
from metaloss._src.spec import register


class AdamState(NamedTuple):
    count: jax.Array
    mu: PyTree
    nu: PyTree


def safe_sqrt(x: jax.Array) -> jax.Array:
    """``sqrt(x)`` for ``x >= 0`` whose derivative at 0 is 0 instead of inf.

    A parameter whose gradient is always 0 (a dead unit, a constant input pixel)
    keeps ``nu = 0``; plain ``sqrt`` would then put ``0 * inf = NaN`` into outer
    gradients. The double ``where`` keeps the value and removes the NaN.
    """
    pos = x > 0
    return jnp.where(pos, jnp.sqrt(jnp.where(pos, x, 1.0)), 0.0)


def bias_correct(moment: PyTree, decay: jax.Array, count: jax.Array) -> PyTree:
    correction = 1.0 - decay ** count.astype(jnp.result_type(decay))
    return jax.tree.map(lambda m: m / correction, moment)


@register("optimizer", "adam")
@dataclasses.dataclass(frozen=True)
class Adam(InnerOptimizer):
    """Adam: bias-corrected first and second moment estimates.

    ``mu <- b1 mu + (1 - b1) g``; ``nu <- b2 nu + (1 - b2) g^2``;
    ``x <- x - lr * mu_hat / (sqrt(nu_hat) + eps)`` with ``mu_hat = mu / (1 - b1^t)``,
    ``nu_hat = nu / (1 - b2^t)``. Use it to see whether an adaptive method's
    landscape is smoother than SGD's; every hyperparameter can be a landscape
    axis (``b1`` linear in [0, 0.99], ``lr`` and ``eps`` logarithmic).
    """

    defaults: ClassVar[Mapping[str, float]] = {"lr": 1e-3, "b1": 0.9, "b2": 0.999, "eps": 1e-8}

    def init(self, params: PyTree) -> AdamState:
        zeros = jax.tree.map(jnp.zeros_like, params)
        return AdamState(jnp.zeros((), jnp.int32), zeros, zeros)

    def update(self, grads, state, params, hparams: HParams):
        lr, b1, b2, eps = (hparams[k] for k in ("lr", "b1", "b2", "eps"))
        mu = jax.tree.map(lambda m, g: b1 * m + (1.0 - b1) * g, state.mu, grads)
        nu = jax.tree.map(lambda n, g: b2 * n + (1.0 - b2) * g * g, state.nu, grads)
        count = state.count + 1
        mu_hat, nu_hat = bias_correct(mu, b1, count), bias_correct(nu, b2, count)
        new = jax.tree.map(
            lambda p, m, n: p - lr * m / (safe_sqrt(n) + eps), params, mu_hat, nu_hat
        )
        return new, AdamState(count, mu, nu)

    positive: ClassVar[tuple[str, ...]] = ("lr", "eps")
    unit_interval: ClassVar[tuple[str, ...]] = ("b1", "b2")
