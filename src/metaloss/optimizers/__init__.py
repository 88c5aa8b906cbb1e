"""Inner optimizers whose hyperparameters are explicit pytree leaves."""

from __future__ import annotations

from collections.abc import Callable

import optax

from metaloss.optimizers.adam import Adam
from metaloss.optimizers.base import InnerOptimizer
from metaloss.optimizers.nesterov import Nesterov
from metaloss.optimizers.optax_wrap import FromOptax, wrap
from metaloss.optimizers.rmsprop import RMSProp
from metaloss.optimizers.sgd import SGD, SGDM

REGISTRY: dict[str, Callable[[], InnerOptimizer]] = {
    "sgd": SGD,
    "sgdm": SGDM,
    "nesterov": Nesterov,
    "adam": Adam,
    "rmsprop": RMSProp,
}
"""Names accepted by :func:`get`, each mapped to its optimizer class."""


def get(name: str | InnerOptimizer) -> InnerOptimizer:
    """The optimizer a name gives: a registered name, ``module:attribute``, or an instance.

    ``module:attribute`` may name an :class:`InnerOptimizer` instance or class, or a
    transformation built with ``optax.inject_hyperparams`` (wrapped by
    :class:`FromOptax`). Raises ``ValueError`` with a one-line message otherwise.
    """
    if isinstance(name, InnerOptimizer):
        return name
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"optimizer name must be a non-empty string, got {name!r}")
    key = name.strip()
    if key.lower() in REGISTRY:
        return REGISTRY[key.lower()]()
    if ":" not in key:
        raise ValueError(
            f"unknown optimizer {key!r}; choose one of {', '.join(REGISTRY)} or 'module:attribute'"
        )
    from metaloss.problems.custom import load_attribute

    obj = load_attribute(key)
    if isinstance(obj, type) and issubclass(obj, InnerOptimizer):
        obj = obj()
    if isinstance(obj, InnerOptimizer):
        return obj
    if isinstance(obj, optax.GradientTransformation):
        return FromOptax(obj, label=key)  # raises ValueError unless inject_hyperparams
    raise ValueError(f"{key} is a {type(obj).__name__}, not an inner optimizer")


__all__ = [
    "REGISTRY",
    "SGD",
    "SGDM",
    "Adam",
    "FromOptax",
    "InnerOptimizer",
    "Nesterov",
    "RMSProp",
    "get",
    "wrap",
]
