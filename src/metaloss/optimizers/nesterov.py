"""Nesterov momentum in the study's velocity form.

Nesterov, "A method for solving the convex programming problem with convergence
rate O(1/k^2)", 1983; the velocity form used by deep-learning libraries is from
Sutskever et al., "On the importance of initialization and momentum in deep
learning", ICML 2013. It matches ``optax.sgd(lr, momentum, nesterov=True)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import ClassVar

import jax
import jax.numpy as jnp

from metaloss.optimizers.base import HParams, InnerOptimizer, PyTree
from metaloss.optimizers.sgd import MomentumState, check_positive, check_unit_interval


@dataclasses.dataclass(frozen=True)
class Nesterov(InnerOptimizer):
    """SGD with Nesterov momentum: the step looks ahead along the velocity.

    ``v <- momentum * v + g``; ``x <- x - lr * (g + momentum * v)``; v starts at zero.
    Use it beside :class:`~metaloss.optimizers.SGDM` to see how the look-ahead
    moves the trainable / divergent boundary.
    """

    defaults: ClassVar[Mapping[str, float]] = {"lr": 0.1, "momentum": 0.9}

    def init(self, params: PyTree) -> MomentumState:
        return MomentumState(jax.tree.map(jnp.zeros_like, params))

    def update(self, grads, state, params, hparams: HParams):
        lr, mom = hparams["lr"], hparams["momentum"]
        v = jax.tree.map(lambda v, g: mom * v + g, state.velocity, grads)
        new = jax.tree.map(lambda p, v, g: p - lr * (g + mom * v), params, v, grads)
        return new, MomentumState(v)

    def validate(self, hparams):
        if "lr" in hparams:
            check_positive("lr", hparams["lr"])
        if "momentum" in hparams:
            check_unit_interval("momentum", hparams["momentum"])
