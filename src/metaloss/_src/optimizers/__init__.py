"""Inner optimizers whose hyperparameters are explicit pytree leaves. Each registers
its spec name where it is defined; :func:`get` builds one from a spec."""

from __future__ import annotations

from typing import Any

import optax

from metaloss._src.errors import InputError
from metaloss._src.optimizers.adam import Adam
from metaloss._src.optimizers.base import InnerOptimizer
from metaloss._src.optimizers.nesterov import Nesterov
from metaloss._src.optimizers.optax_wrap import FromOptax, wrap
from metaloss._src.optimizers.rmsprop import RMSProp
from metaloss._src.optimizers.sgd import SGD, SGDM
from metaloss._src.spec import REGISTRY, parse


def _adapt(obj: Any, spec: str) -> InnerOptimizer:
    """A ``module:attribute`` optimizer: an instance, or an optax transformation built
    with ``optax.inject_hyperparams`` (wrapped by :class:`FromOptax`)."""
    if isinstance(obj, optax.GradientTransformation):
        return FromOptax(obj, label=spec)
    if not isinstance(obj, InnerOptimizer):
        raise InputError(f"{spec} is a {type(obj).__name__}, not an inner optimizer")
    return obj


REGISTRY.define("optimizer", InnerOptimizer, _adapt)


def get(spec: str | InnerOptimizer) -> InnerOptimizer:
    """The optimizer a spec names: ``"sgdm"``, ``"rmsprop(eps_in_sqrt=False)"``,
    ``"module:attribute"``; an :class:`InnerOptimizer` is returned as is.

    Raises:
      InputError: with a one-line message otherwise.
    """
    return parse("optimizer", spec)


def names() -> tuple[str, ...]:
    """The registered optimizer names."""
    return REGISTRY.names("optimizer")


__all__ = [
    "SGD",
    "SGDM",
    "Adam",
    "FromOptax",
    "InnerOptimizer",
    "Nesterov",
    "RMSProp",
    "get",
    "names",
    "wrap",
]
