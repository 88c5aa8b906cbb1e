"""Inner problems, and ``get(spec)`` to build one from a name or ``module:attribute``."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from metaloss.problems.base import Problem
from metaloss.problems.custom import FromFunction, check_problem, from_spec, load_attribute
from metaloss.problems.digits import LogisticDigits, MLPDigits, digits_split
from metaloss.problems.quadratic import Quadratic
from metaloss.problems.rosenbrock import Rosenbrock
from metaloss.problems.wavy import Wavy1D, wavy_loss

REGISTRY: dict[str, Callable[..., Problem]] = {
    "wavy1d": Wavy1D,
    "quadratic": Quadratic,
    "rosenbrock": Rosenbrock,
    "logistic_digits": LogisticDigits,
    "mlp_digits": MLPDigits,
}
"""Names accepted by :func:`get`, each mapped to its problem class."""


def get(spec: str | Problem, **kwargs: Any) -> Problem:
    """The problem a spec names.

    Args:
      spec: a registered name (``"wavy1d"``, ``"quadratic"``, ``"rosenbrock"``,
        ``"logistic_digits"``, ``"mlp_digits"``), optionally with keyword
        arguments in call syntax (``"quadratic(dim=20, condition=1e3)"``,
        ``"mlp_digits(hidden=64, batch_size=None)"``); or ``"module:attribute"``
        (see :func:`metaloss.problems.custom.from_spec`); or a :class:`Problem`,
        returned as is.
      **kwargs: more keyword arguments for a registered problem's constructor.

    Raises:
      ValueError: with a one-line message, for an unknown name or bad arguments.
    """
    if isinstance(spec, Problem):
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"problem spec must be a non-empty string, got {spec!r}")
    spec = spec.strip()
    name, args = _parse_call(spec)
    if name is None:
        if ":" in spec:
            if kwargs:
                raise ValueError("keyword arguments apply only to registered problem names")
            return from_spec(spec)
        raise ValueError(f"cannot parse problem spec {spec!r}")
    factory = REGISTRY.get(name.lower())
    if factory is None:
        raise ValueError(
            f"unknown problem {name!r}; choose one of {', '.join(REGISTRY)} or 'module:attribute'"
        )
    try:
        return factory(**{**args, **kwargs})
    except TypeError as e:
        raise ValueError(f"bad arguments for {name}: {' '.join(str(e).split())}") from None


def _parse_call(spec: str) -> tuple[str | None, dict[str, Any]]:
    """``"name"`` or ``"name(k=v, ...)"`` with literal values -> (name, kwargs); else (None, {})."""
    try:
        node = ast.parse(spec, mode="eval").body
    except SyntaxError:
        return None, {}
    if isinstance(node, ast.Name):
        return node.id, {}
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return None, {}
    if node.args:
        raise ValueError(f"{spec!r}: give problem arguments by keyword, e.g. quadratic(dim=20)")
    kwargs = {}
    for kw in node.keywords:
        if kw.arg is None:
            raise ValueError(f"{spec!r}: ** arguments are not supported")
        try:
            kwargs[kw.arg] = ast.literal_eval(kw.value)
        except ValueError:
            raise ValueError(
                f"{spec!r}: argument {kw.arg} must be a literal (number, string, tuple, None)"
            ) from None
    return node.func.id, kwargs


__all__ = [
    "REGISTRY",
    "FromFunction",
    "LogisticDigits",
    "MLPDigits",
    "Problem",
    "Quadratic",
    "Rosenbrock",
    "Wavy1D",
    "check_problem",
    "digits_split",
    "from_spec",
    "get",
    "load_attribute",
    "wavy_loss",
]
