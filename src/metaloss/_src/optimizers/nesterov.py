"""Nesterov momentum in the study's velocity form.

Nesterov, "A method for solving the convex programming problem with convergence
rate O(1/k^2)", 1983; the velocity form used by deep-learning libraries is from
Sutskever et al., "On the importance of initialization and momentum in deep
learning", ICML 2013. It matches ``optax.sgd(lr, momentum, nesterov=True)``.
"""

from __future__ import annotations

import dataclasses

import jax

from metaloss._src.optimizers.base import HParams
from metaloss._src.optimizers.sgd import SGDM, MomentumState
from metaloss._src.spec import register


@register("optimizer", "nesterov")
@dataclasses.dataclass(frozen=True)
class Nesterov(SGDM):
    """SGD with Nesterov momentum: the step looks ahead along the velocity.

    ``v <- momentum * v + g``; ``x <- x - lr * (g + momentum * v)``; v starts at zero.
    Same hyperparameters, state and checks as :class:`~metaloss._src.optimizers.SGDM`;
    use it beside SGDM to see how the look-ahead moves the trainable / divergent
    boundary.
    """

    def update(self, grads, state, params, hparams: HParams):
        lr, mom = hparams["lr"], hparams["momentum"]
        v = jax.tree.map(lambda v, g: mom * v + g, state.velocity, grads)
        new = jax.tree.map(lambda p, v, g: p - lr * (g + mom * v), params, v, grads)
        return new, MomentumState(v)
