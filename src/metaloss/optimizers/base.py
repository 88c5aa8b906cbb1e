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
import numpy as np

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

    def validate(self, hparams: Mapping[str, Any]) -> None:
        """Raises ``ValueError`` for concrete hyperparameter values out of range.

        Only concrete (NumPy-convertible) values are checked; traced values pass.
        The base class checks the names in ``positive`` and ``unit_interval``.
        """
        for name in self.positive:
            if name in hparams:
                check_positive(name, hparams[name])
        for name in self.unit_interval:
            if name in hparams:
                check_unit_interval(name, hparams[name])

    @property
    def name(self) -> str:
        return type(self).__name__


def _concrete(value: Any) -> np.ndarray | None:
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        return None


def check_positive(name: str, value: Any) -> None:
    """Raises ``ValueError`` unless every concrete value is finite and > 0."""
    arr = _concrete(value)
    if arr is not None and not np.all(np.isfinite(arr) & (arr > 0)):
        raise ValueError(f"{name} must be positive, got {_show(arr)}")


def check_unit_interval(name: str, value: Any) -> None:
    """Raises ``ValueError`` unless every concrete value lies in [0, 1)."""
    arr = _concrete(value)
    if arr is not None and not np.all((arr >= 0) & (arr < 1)):
        raise ValueError(f"{name} must lie in [0, 1), got {_show(arr)}")


def _show(arr: np.ndarray) -> str:
    if arr.ndim == 0:
        return f"{float(arr):g}"
    bad = arr.ravel()
    return f"values in [{bad.min():g}, {bad.max():g}]"
