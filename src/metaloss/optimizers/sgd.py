"""Plain and momentum SGD, in the study's form ``v <- m v + g; x <- x - lr v``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from metaloss.optimizers.base import HParams, InnerOptimizer, PyTree


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


class SGDState(NamedTuple):
    """SGD keeps no state."""


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

    def validate(self, hparams):
        if "lr" in hparams:
            check_positive("lr", hparams["lr"])


class MomentumState(NamedTuple):
    velocity: PyTree


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

    def validate(self, hparams):
        if "lr" in hparams:
            check_positive("lr", hparams["lr"])
        if "momentum" in hparams:
            check_unit_interval("momentum", hparams["momentum"])
