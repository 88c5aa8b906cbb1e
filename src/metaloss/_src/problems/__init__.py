"""Inner problems. Each registers its spec name where it is defined; :func:`get` builds
one from a spec (see :mod:`metaloss._src.spec`)."""

from __future__ import annotations

from metaloss._src.problems.base import Problem
from metaloss._src.problems.cosine import (
    CRITICAL_ROUGHNESS,
    CosineQuadratic,
    ModulatedQuadratic,
)
from metaloss._src.problems.custom import FromFunction, adapt, check_problem
from metaloss._src.problems.digits import LogisticDigits, MLPDigits, digits_split
from metaloss._src.problems.meanfield import MeanFieldMLP
from metaloss._src.problems.quadratic import Quadratic
from metaloss._src.problems.rosenbrock import Rosenbrock
from metaloss._src.problems.wavy import Wavy1D, wavy_loss
from metaloss._src.spec import REGISTRY, parse

REGISTRY.define("problem", Problem, adapt)


def get(spec: str | Problem) -> Problem:
    """The problem a spec names: ``"wavy1d"``, ``"quadratic(dim=20, condition=1e3)"``,
    ``"mlp_digits(hidden=64, batch_size=None)"``, ``"module:attribute"`` or
    ``"path/file.py:attribute"``; a :class:`Problem` is returned as is.

    Raises:
      InputError: with a one-line message, for an unknown name or bad arguments.
    """
    return parse("problem", spec)


def names() -> tuple[str, ...]:
    """The registered problem names."""
    return REGISTRY.names("problem")


__all__ = [
    "CRITICAL_ROUGHNESS",
    "CosineQuadratic",
    "FromFunction",
    "LogisticDigits",
    "MLPDigits",
    "MeanFieldMLP",
    "ModulatedQuadratic",
    "Problem",
    "Quadratic",
    "Rosenbrock",
    "Wavy1D",
    "check_problem",
    "digits_split",
    "get",
    "names",
    "wavy_loss",
]
