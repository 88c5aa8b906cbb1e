"""The inner-optimizer interface.

An inner optimizer is a pair of pure functions over typed state, in the style of
optax, except that its hyperparameters are not baked in at construction: they
arrive at every ``update`` as a mapping of array leaves. That is what lets
``jax.grad``, ``jax.jvp`` and ``jax.vmap`` reach them, the way
``optax.inject_hyperparams`` does.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, ClassVar

import jax

from metaloss._src.errors import check_declared
from metaloss._src.spec import name_of

PyTree = Any
HParams = Mapping[str, jax.Array]


class InnerOptimizer(abc.ABC):
    """Abstract inner optimizer.

    Subclasses are frozen dataclasses (hashable, so a jitted function can be cached
    per optimizer) that set ``defaults``: the hyperparameter names and the values
    used when a caller does not give one.
    """

    defaults: Mapping[str, float]
    positive: ClassVar[tuple[str, ...]] = ()
    """Hyperparameters that must be finite and > 0 (checked by :meth:`validate`)."""
    unit_interval: ClassVar[tuple[str, ...]] = ()
    """Hyperparameters that must lie in [0, 1) (checked by :meth:`validate`)."""

    @property
    def hparam_names(self) -> tuple[str, ...]:
        return tuple(self.defaults)

    @abc.abstractmethod
    def init(self, params: PyTree) -> PyTree:
        """Returns the optimizer state for ``params``."""

    @abc.abstractmethod
    def update(
        self, grads: PyTree, state: PyTree, params: PyTree, hparams: HParams
    ) -> tuple[PyTree, PyTree]:
        """One step: returns ``(new_params, new_state)``."""

    def probe(self, problem, params: PyTree, key: jax.Array) -> jax.Array | None:
        """The loss at ``params`` before the step, without gradients: the unroll's
        divergence guard reads it to decide where to evaluate the step (see
        :func:`metaloss._src.unroll.unroll`). ``None`` when the step itself reports the
        loss it is judged by (systems, :mod:`metaloss._src.systems`)."""
        return jax.lax.stop_gradient(problem.loss(params, key))

    def advance(self, problem, params: PyTree, state: PyTree, hparams: HParams,
                key: jax.Array, t: jax.Array) -> tuple[jax.Array, PyTree, PyTree]:
        """One inner step of ``problem`` from ``params``: ``(loss before the step, new
        params, new optimizer state)``. The unroll calls only this; a problem trained
        by an optimizer is the gradient step, a system (:mod:`metaloss._src.systems`)
        replaces it by its own transition."""
        loss, grads = jax.value_and_grad(problem.loss)(params, key)
        new_params, new_state = self.update(grads, state, params, hparams)
        return loss, new_params, new_state

    def validate(self, hparams: Mapping[str, Any]) -> None:
        """Raises :class:`~metaloss._src.errors.InputError` for concrete values out of range.

        Only concrete (NumPy-convertible) values are checked; traced values pass.
        The base class checks the names in ``positive`` and ``unit_interval``.
        """
        check_declared(hparams, self.positive, self.unit_interval)

    @property
    def name(self) -> str:
        """The spec that builds this object back (see :func:`metaloss._src.spec.name_of`)."""
        return name_of(self)
