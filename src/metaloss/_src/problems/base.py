"""The inner-problem interface."""

from __future__ import annotations

import abc
import copy
from collections.abc import Mapping
from typing import Any, ClassVar

import jax

from metaloss._src.errors import InputError, check_declared
from metaloss._src.spec import name_of

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
    hparam_fields: ClassVar[tuple[str, ...]] = ()
    """Dataclass fields that are hyperparameters of the problem (a start offset, a
    perturbation's amplitude): like an optimizer's, they can be landscape axes, outer
    parameters and fixed values, and ``grad``, ``jvp`` and ``vmap`` reach them. The
    field's value on the instance is the default."""
    init_fields: ClassVar[tuple[str, ...]] = ()
    """Those of :attr:`hparam_fields` that the initial parameters depend on."""
    positive: ClassVar[tuple[str, ...]] = ()
    """Hyperparameters that must be finite and > 0."""

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
    def hparam_defaults(self) -> dict[str, float]:
        """The problem's hyperparameters and their values on this instance."""
        return {name: getattr(self, name) for name in self.hparam_fields}

    def validate(self, values: Mapping[str, Any]) -> None:
        """Raises :class:`InputError` for concrete values out of range."""
        check_declared(values, self.positive)

    def bind(self, values: Mapping[str, Any]) -> Problem:
        """This problem with its hyperparameters set to ``values`` (traced arrays
        welcome): a shallow copy used inside one traced computation, never hashed."""
        unknown = set(values) - set(self.hparam_fields)
        if unknown:
            raise InputError(f"{self.name} has no hyperparameter {sorted(unknown)[0]!r}")
        bound = copy.copy(self)
        for name, value in values.items():
            object.__setattr__(bound, name, value)
        return bound

    @property
    def needs_key(self) -> bool:
        """Whether runs depend on the key (random minibatches or a random start); such
        problems get no default key anywhere in metaloss."""
        return bool(self.stochastic or self.random_init)

    @property
    def name(self) -> str:
        """The spec that builds this object back (see :func:`metaloss._src.spec.name_of`)."""
        return name_of(self)
