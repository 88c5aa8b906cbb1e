"""RMSProp, optionally with heavy-ball momentum, hyperparameters as leaves.

Tieleman & Hinton, "Lecture 6.5 - RMSProp", COURSERA: Neural Networks for Machine
Learning, 2012. Matches ``optax.rmsprop(lr, decay, eps, momentum=momentum)``
(optax's default form, with ``eps`` inside the square root).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import ClassVar, NamedTuple

import jax
import jax.numpy as jnp

from metaloss._src.optimizers.adam import safe_sqrt
from metaloss._src.optimizers.base import HParams, InnerOptimizer, PyTree
from metaloss._src.spec import register


class RMSPropState(NamedTuple):
    nu: PyTree
    velocity: PyTree


@register("optimizer", "rmsprop")
@dataclasses.dataclass(frozen=True)
class RMSProp(InnerOptimizer):
    """Gradients divided by a running root-mean-square, then optional momentum.

    ``nu <- decay nu + (1 - decay) g^2``; ``u = g / sqrt(nu + eps)``;
    ``v <- momentum v + u``; ``x <- x - lr v``. With the default ``momentum = 0``
    this is plain RMSProp; a nonzero momentum gives the (lr, momentum) plane the
    study draws for SGDM, for an adaptive method.

    Args:
      eps_in_sqrt: ``True`` (optax's default) divides by ``sqrt(nu + eps)``,
        ``False`` by ``sqrt(nu) + eps`` (PyTorch's form).
    """

    defaults: ClassVar[Mapping[str, float]] = {
        "lr": 1e-2, "decay": 0.9, "eps": 1e-8, "momentum": 0.0,
    }
    eps_in_sqrt: bool = True

    def init(self, params: PyTree) -> RMSPropState:
        zeros = jax.tree.map(jnp.zeros_like, params)
        return RMSPropState(zeros, zeros)

    def update(self, grads, state, params, hparams: HParams):
        lr, decay, eps, mom = (hparams[k] for k in ("lr", "decay", "eps", "momentum"))
        nu = jax.tree.map(lambda n, g: decay * n + (1.0 - decay) * g * g, state.nu, grads)
        if self.eps_in_sqrt:
            scaled = jax.tree.map(lambda g, n: g / safe_sqrt(n + eps), grads, nu)
        else:
            scaled = jax.tree.map(lambda g, n: g / (safe_sqrt(n) + eps), grads, nu)
        v = jax.tree.map(lambda v, u: mom * v + u, state.velocity, scaled)
        new = jax.tree.map(lambda p, v: p - lr * v, params, v)
        return new, RMSPropState(nu, v)

    positive: ClassVar[tuple[str, ...]] = ("lr", "eps")
    unit_interval: ClassVar[tuple[str, ...]] = ("decay", "momentum")
