"""Plain and momentum SGD, in the study's form ``v <- m v + g; x <- x - lr v``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import ClassVar, NamedTuple

import jax
import jax.numpy as jnp

from metaloss._src.optimizers.base import HParams, InnerOptimizer, PyTree
from metaloss._src.spec import register


class SGDState(NamedTuple):
    """SGD keeps no state."""


@register("optimizer", "sgd")
@dataclasses.dataclass(frozen=True)
class SGD(InnerOptimizer):
    """Plain gradient descent ``x <- x - lr g``."""

    defaults: ClassVar[Mapping[str, float]] = {"lr": 0.1}

    def init(self, params: PyTree) -> SGDState:
        return SGDState()

    def update(self, grads, state, params, hparams: HParams):
        lr = hparams["lr"]
        new = jax.tree.map(lambda p, g: p - lr * g, params, grads)
        return new, state

    positive: ClassVar[tuple[str, ...]] = ("lr",)


class MomentumState(NamedTuple):
    velocity: PyTree


@register("optimizer", "sgdm")
@dataclasses.dataclass(frozen=True)
class SGDM(InnerOptimizer):
    """SGD with heavy-ball momentum, as the study writes it.

    ``v <- momentum * v + g``; ``x <- x - lr * v``; v starts at zero.
    """

    defaults: ClassVar[Mapping[str, float]] = {"lr": 0.1, "momentum": 0.9}

    def init(self, params: PyTree) -> MomentumState:
        return MomentumState(jax.tree.map(jnp.zeros_like, params))

    def update(self, grads, state, params, hparams: HParams):
        lr, mom = hparams["lr"], hparams["momentum"]
        v = jax.tree.map(lambda v, g: mom * v + g, state.velocity, grads)
        new = jax.tree.map(lambda p, v: p - lr * v, params, v)
        return new, MomentumState(v)

    positive: ClassVar[tuple[str, ...]] = ("lr",)
    unit_interval: ClassVar[tuple[str, ...]] = ("momentum",)
