"""The hyperparameter names a meta-loss accepts, and their values filled in.

Three kinds of name: the inner optimizer's (``lr``, ``momentum``), the problem's
own (:attr:`~metaloss._src.problems.Problem.hparam_fields`, e.g. a start offset), and
an optimizer hyperparameter for one parameter group, ``NAME/GROUP`` (``lr/layer0``,
see :mod:`metaloss._src.optimizers.groups`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

import jax
import jax.numpy as jnp

from metaloss._src.errors import InputError
from metaloss._src.optimizers.base import InnerOptimizer
from metaloss._src.optimizers.groups import split_name
from metaloss._src.precision.arith import decimal_fraction
from metaloss._src.problems.base import Problem


def names(problem: Problem, optimizer: InnerOptimizer) -> tuple[str, ...]:
    """The optimizer's hyperparameters, then the problem's."""
    return optimizer.hparam_names + tuple(problem.hparam_fields)


def check(problem: Problem, optimizer: InnerOptimizer, groups: Callable[[], tuple[str, ...]],
          values: Mapping[str, Any]) -> None:
    """Raises :class:`InputError` for an unknown name, a group the problem's parameters
    do not have (``groups()`` gives them; called only for per-group names), or a
    concrete value out of range (``None`` values are not checked)."""
    known = names(problem, optimizer)
    opt_values, problem_values = {}, {}
    for name, value in values.items():
        base, group = split_name(name)
        if group is not None and base in optimizer.hparam_names:
            have = groups()
            if group not in have:
                listed = ", ".join(have) or "none (its parameters are one array)"
                raise InputError(f"{problem.name} has no parameter group {group!r} (for "
                                 f"{name!r}); its groups: {listed}")
        elif name not in known:
            raise InputError(f"unknown hyperparameter {name!r} for {optimizer.name} on "
                             f"{problem.name}; it has {', '.join(known)}")
        if value is not None:
            target = problem_values if name in problem.hparam_fields else opt_values
            target[base] = value
    optimizer.validate(opt_values)
    problem.validate(problem_values)


def fill(problem: Problem, optimizer: InnerOptimizer, fixed: Mapping[str, float],
         values: Mapping[str, Any]) -> dict[str, jax.Array]:
    """Every optimizer and problem hyperparameter, from ``values``, else ``fixed``, else
    the defaults; plus the per-group names that ``values`` or ``fixed`` give. Arrays
    in JAX's default float type (given arrays are kept as they are)."""
    dtype = jnp.result_type(float)
    base = {**optimizer.defaults, **problem.hparam_defaults, **fixed}
    wanted = list(names(problem, optimizer))
    wanted += [n for n in (*fixed, *values) if split_name(n)[1] is not None and n not in wanted]
    out = {}
    for name in wanted:
        v = values.get(name, base.get(name))
        out[name] = v if isinstance(v, jax.Array) else jnp.asarray(v, dtype)
    return out


def exact_fixed(given: Mapping[str, Any], carried=()) -> tuple[tuple, tuple]:
    """``(fixed, fixed_lo)`` of a meta-loss: ``fixed`` the ``(name, float)`` pairs, each
    value rounded once to float64 (as ``float()`` does), sorted; ``fixed_lo`` the
    ``(name, hi, lo)`` residues of those given exactly (decimal strings, Fractions,
    Decimals: ``hi + lo`` is the value rounded once to double-double), nonzero ones only.
    ``carried`` residues stay with a name whose value is still their ``hi`` as a float
    (``dataclasses.replace`` passes them on)."""
    fixed, lo = [], {}
    for name, value in given.items():
        try:
            hi = float(value)
        except (TypeError, ValueError, OverflowError):
            raise InputError(f"fixed value of {str(name)!r} must be a number or a decimal "
                             f"string, got {value!r}") from None
        fixed.append((str(name), hi))
        r = _residue(value, hi)
        if r:
            lo[str(name)] = (hi, r)
    for name, hi, r in carried:
        if name in given and name not in lo and not _exact(given[name]) \
                and float(given[name]) == hi:
            lo[name] = (hi, r)
    return tuple(sorted(fixed)), tuple((n, h, r) for n, (h, r) in sorted(lo.items()))


def _exact(value) -> bool:
    return isinstance(value, str | Fraction | Decimal)


def _residue(value, hi: float) -> float:
    """``value - hi`` rounded to float64, for a value given exactly; else 0."""
    if not _exact(value) or not math.isfinite(hi):
        return 0.0
    try:
        q = decimal_fraction(value) if isinstance(value, str | Decimal) else Fraction(value)
    except (ValueError, ZeroDivisionError, OverflowError):
        return 0.0
    return float(q - Fraction(hi))


def residues(fixed_lo) -> dict[str, float]:
    """name -> ``lo`` of a meta-loss's ``fixed_lo``."""
    return {name: r for name, _, r in fixed_lo}


def record_fixed(record: Mapping[str, Any]) -> dict[str, Any]:
    """The fixed values of a configuration record: floats, or where the record has a
    ``fixed_lo`` residue (double-double landscapes add one) the exact ``hi + lo``."""
    fixed = dict(record.get("fixed", {}))
    for name, r in dict(record.get("fixed_lo", {})).items():
        if name in fixed:
            fixed[name] = Fraction(float(fixed[name])) + Fraction(float(r))
    return fixed
