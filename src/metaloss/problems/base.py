"""The inner-problem interface."""

from __future__ import annotations

import abc
from typing import Any

import jax

PyTree = Any


class Problem(abc.ABC):
    """An inner problem: initial parameters and a pure scalar loss.

    Subclasses are frozen dataclasses, so a jitted meta-loss can be cached per problem.
    ``stochastic`` problems draw a minibatch from the key passed to ``loss``;
    deterministic ones ignore it.
    """

    stochastic: bool = False
    random_init: bool = False
    """Whether ``init`` draws the starting parameters from its key."""

    @abc.abstractmethod
    def init(self, key: jax.Array | None = None) -> PyTree:
        """Initial inner parameters (the key is unused by fixed-start problems)."""

    @abc.abstractmethod
    def loss(self, params: PyTree, key: jax.Array | None = None) -> jax.Array:
        """Training loss, a scalar."""

    def val_loss(self, params: PyTree) -> jax.Array:
        """Validation loss; problems without held-out data use the training loss."""
        return self.loss(params, None)

    @property
    def needs_key(self) -> bool:
        """Whether runs depend on the key (random minibatches or a random start); such
        problems get no default key anywhere in metaloss."""
        return bool(self.stochastic or self.random_init)

    @property
    def name(self) -> str:
        return type(self).__name__
