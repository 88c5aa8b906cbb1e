"""The hyperparameter names a meta-loss accepts, and their values filled in.

Three kinds of name: the inner optimizer's (``lr``, ``momentum``), the problem's
own (:attr:`~metaloss._src.problems.Problem.hparam_fields`, e.g. a start offset), and
an optimizer hyperparameter for one parameter group, ``NAME/GROUP`` (``lr/layer0``,
see :mod:`metaloss._src.optimizers.groups`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp

from metaloss._src.errors import InputError
from metaloss._src.optimizers.base import InnerOptimizer
from metaloss._src.optimizers.groups import split_name
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
