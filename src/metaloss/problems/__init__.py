"""Inner problems. Each registers its spec name where it is defined; :func:`get` builds
one from a spec (see :mod:`metaloss.spec`).
"""

from metaloss._src.problems import (
    CRITICAL_ROUGHNESS,
    CosineQuadratic,
    FromFunction,
    LogisticDigits,
    MeanFieldMLP,
    MLPDigits,
    ModulatedQuadratic,
    Problem,
    Quadratic,
    Rosenbrock,
    Wavy1D,
    check_problem,
    digits_split,
    get,
    names,
    wavy_loss,
)

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
