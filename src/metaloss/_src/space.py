"""Outer coordinates <-> hyperparameter values, and grid helpers.

Outer optimization works in unconstrained coordinates where a unit step means
about the same everywhere: the study trains ``log10(lr)`` and
``log10(1 - momentum)``. A :class:`Space` names one parametrization per
hyperparameter.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

import jax.numpy as jnp
import numpy as np

from metaloss._src.errors import InputError, check_int


def _check_count(n: Any) -> int:
    return check_int("grid size", n)


def logspace(start: float, stop: float, n: int) -> np.ndarray:
    """``n`` values from ``10**start`` to ``10**stop``, evenly spaced in log10 (float64)."""
    return np.logspace(float(start), float(stop), _check_count(n))


def linspace(start: float, stop: float, n: int) -> np.ndarray:
    """``n`` evenly spaced values from ``start`` to ``stop`` (float64)."""
    return np.linspace(float(start), float(stop), _check_count(n))


def _xp(x):
    return np if isinstance(x, (float, int, np.ndarray, np.generic)) else jnp


class Param(abc.ABC):
    """One hyperparameter's parametrization. Works on floats, NumPy and JAX arrays."""

    @abc.abstractmethod
    def forward(self, u):
        """Outer coordinate -> hyperparameter value."""

    @abc.abstractmethod
    def inverse(self, value):
        """Hyperparameter value -> outer coordinate; ``InputError`` outside the domain."""

    label: str = "{}"

    def axis_label(self, name: str) -> str:
        return self.label.format(name)


@dataclasses.dataclass(frozen=True)
class Linear(Param):
    """The coordinate is the value."""

    label = "{}"

    def forward(self, u):
        return u

    def inverse(self, value):
        return value


@dataclasses.dataclass(frozen=True)
class Log10(Param):
    """value = 10**u, for positive hyperparameters such as learning rates."""

    label = "log10({})"

    def forward(self, u):
        return _xp(u).power(10.0, u)

    def inverse(self, value):
        arr = np.asarray(value) if _xp(value) is np else None
        if arr is not None and not np.all(arr > 0):
            raise InputError(f"log axis needs positive values, got {np.min(arr):g}")
        return _xp(value).log10(value)


@dataclasses.dataclass(frozen=True)
class OneMinusLog10(Param):
    """value = 1 - 10**u, for momenta and decay rates close to 1 (0.9, 0.99, ...)."""

    label = "log10(1 - {})"

    def forward(self, u):
        return 1.0 - _xp(u).power(10.0, u)

    def inverse(self, value):
        arr = np.asarray(value) if _xp(value) is np else None
        if arr is not None and not np.all(arr < 1):
            raise InputError(f"1 - value must be positive, got value {np.max(arr):g}")
        return _xp(value).log10(1.0 - value)


@dataclasses.dataclass(frozen=True, init=False)
class Space(Mapping[str, Param]):
    """Named parametrizations of the hyperparameters that outer training moves.

    Example:
      >>> space = Space({"lr": Log10(), "momentum": OneMinusLog10()})
      >>> space.to_hparams({"lr": -2.0, "momentum": -0.5})   # lr 0.01, momentum ~0.684
    """

    items_: tuple[tuple[str, Param], ...]

    def __init__(self, params: Mapping[str, Param]):
        if not params:
            raise InputError("a Space needs at least one hyperparameter")
        for name, p in params.items():
            if not isinstance(p, Param):
                raise InputError(f"{name!r} needs a Param (Linear, Log10, ...), got {p!r}")
        object.__setattr__(self, "items_", tuple(params.items()))

    def __getitem__(self, name: str) -> Param:
        for n, p in self.items_:
            if n == name:
                return p
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return (n for n, _ in self.items_)

    def __len__(self) -> int:
        return len(self.items_)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.items_)

    def check(self, mapping: Mapping[str, Any]) -> None:
        """:class:`InputError` unless ``mapping`` (outer coordinates or hyperparameter
        values) has exactly this space's names as keys.

        Args:
          mapping: name -> value (any values; only the keys are checked).

        Raises:
          InputError: naming the missing and the unexpected names.
        """
        missing = [n for n in self.names if n not in mapping]
        extra = [n for n in mapping if n not in self.names]
        if missing or extra:
            raise InputError(
                f"outer parameters must be exactly {', '.join(self.names)}; "
                f"missing {missing or 'none'}, unexpected {extra or 'none'}"
            )

    def to_hparams(self, coords: Mapping[str, Any]) -> dict[str, Any]:
        """Outer coordinates -> hyperparameter values."""
        self.check(coords)
        return {n: p.forward(coords[n]) for n, p in self.items_}

    def to_coords(self, hparams: Mapping[str, Any]) -> dict[str, Any]:
        """Hyperparameter values -> outer coordinates."""
        self.check(hparams)
        return {n: p.inverse(hparams[n]) for n, p in self.items_}


KNOWN_POSITIVE = ("lr", "learning_rate", "eps")
KNOWN_UNIT = ("momentum", "b1", "b2", "decay")


def default_param(name: str, positive: tuple[str, ...] = (),
                  unit_interval: tuple[str, ...] = ()) -> Param:
    """A parametrization for hyperparameter ``name``: ``Log10`` for positive ones,
    ``OneMinusLog10`` for those in [0, 1), ``Linear`` otherwise. ``positive`` and
    ``unit_interval`` are what the optimizer declares; names it does not declare
    fall back to the usual ones (``lr``, ``eps``; ``momentum``, ``b1``, ``b2``, ``decay``)."""
    base = name.split("/")[0]
    if name in positive or base in positive or base in KNOWN_POSITIVE:
        return Log10()
    if name in unit_interval or base in unit_interval or base in KNOWN_UNIT:
        return OneMinusLog10()
    return Linear()


PARAM_KINDS: dict[str, type[Param]] = {"log": Log10, "lin": Linear, "1mlog": OneMinusLog10}
"""Parametrizations by the short names the command line uses."""
