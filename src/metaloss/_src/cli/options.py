"""Options shared by several commands, and building a meta-loss from them."""

from __future__ import annotations

import functools

import click

from metaloss._src.cli.types import Assignment, Spec, unique
from metaloss._src.errors import InputError

PROBLEM = Spec("problem")
OPTIMIZER = Spec("optimizer")
OBJECTIVE = Spec("objective")


def problem_options(fn):
    """``--problem --optimizer --steps --objective --divergence --set --seed``."""
    opts = [
        click.option("--problem", type=PROBLEM, default="wavy1d", show_default=True,
                     help=f"Inner problem: NAME, NAME(key=value, ...) or module:attribute. "
                          f"Names: {PROBLEM.choices()}; e.g. 'quadratic(dim=20)'."),
        click.option("--optimizer", type=OPTIMIZER, default=None,
                     help=f"Inner optimizer, a spec like --problem (default: sgdm; none for a "
                          f"system, such as influence_balancing, which steps itself). Names: "
                          f"{OPTIMIZER.choices()}."),
        click.option("--steps", type=int, default=50, show_default=True,
                     help="Inner steps per run (the unroll length)."),
        click.option("--objective", type=OBJECTIVE, default="mean", show_default=True,
                     help=f"Outer objective: {OBJECTIVE.choices()}."),
        click.option("--divergence", type=float, default=1e3, show_default=True,
                     metavar="FACTOR",
                     help="A run diverges once its loss exceeds FACTOR * (|L0| + 1) or is not "
                          "finite; it is then frozen and records that cap. 0: no detection, "
                          "inf/NaN kept as they come."),
        click.option("--set", "sets", type=Assignment(), multiple=True, metavar="NAME=VALUE",
                     help="Hold a hyperparameter fixed, e.g. --set momentum=0.9, --set "
                          "lr/layer1=0.5 or a problem's own, --set delta=0.2 (repeatable)."),
        click.option("--seed", type=int, default=0, show_default=True,
                     help="PRNG seed of the inner runs (minibatches, random starts) and of "
                          "any sampling."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def build_meta(problem, optimizer, steps, objective, divergence, sets):
    """The meta-loss the problem options describe, ``--set`` values held fixed."""
    from metaloss._src.meta import MetaLoss
    from metaloss._src.systems.base import System
    from metaloss._src.unroll import Divergence

    if not divergence >= 0:
        raise InputError(f"--divergence must be >= 0 (0 turns detection off), got {divergence:g}")
    policy = Divergence(divergence) if divergence > 0 else None
    if optimizer is None and not isinstance(problem, System):
        optimizer = "sgdm"
    return MetaLoss(problem, optimizer, steps=steps, objective=objective, divergence=policy,
                    fixed=unique(sets, "--set"))


def colour_ceiling(variable: str, vmax: float | None) -> float | None:
    """``--vmax``, or where it is not given 10 for the outer loss (the study's ceiling)
    and none for other measures."""
    return 10.0 if vmax is None and variable == "outer_loss" else vmax


def build_space(meta, params):
    """The outer space of ``--param NAME=KIND`` options (default: every optimizer
    hyperparameter not held fixed, with its default parametrization). Problem
    hyperparameters and per-group names (``lr/layer0``) are outer parameters only
    when named."""
    from metaloss._src.space import Space

    fixed = dict(meta.fixed)
    given = unique(params, "--param")
    for name in given:
        if name in fixed:
            raise InputError(f"--param names unknown outer parameter {name!r}: it is held "
                             "fixed by --set; drop one")
        try:
            meta.check({name: None})
        except InputError as e:
            raise InputError(f"--param names unknown outer parameter {name!r}: {e}") from None
    return Space(given) if given else meta.default_space()


def describe_point(space, coords) -> str:
    """``lr 0.0708 (log10(lr) -1.15), momentum ...``: hyperparameter values with the
    outer coordinates they come from, so neither can be mistaken for the other."""
    values = space.to_hparams({n: float(coords[n]) for n in space.names})
    parts = []
    for name in space.names:
        label = space[name].axis_label(name)
        value = f"{name} {float(values[name]):.4g}"
        parts.append(value if label == name else f"{value} ({label} {float(coords[name]):.4g})")
    return ", ".join(parts)


def start_point(meta, space, values, coords, default_coords) -> dict[str, float]:
    """The outer coordinates of a start given as hyperparameter values (``--init``) and/or
    outer coordinates (``--init-coord``); the rest from ``default_coords``, else the
    meta-loss's default value (:meth:`MetaLoss.default_value`). Errors name the flag, the
    value and the coordinate."""
    values, coords = unique(values, "--init"), unique(coords, "--init-coord")
    for flag, given in (("--init", values), ("--init-coord", coords)):
        extra = [n for n in given if n not in space.names]
        if extra:
            raise InputError(f"{flag} names {extra[0]!r}, which is not an outer parameter "
                             f"(outer parameters: {', '.join(space.names)})")
    both = sorted(set(values) & set(coords))
    if both:
        raise InputError(f"{both[0]!r} is given by both --init and --init-coord")
    start = {}
    for name in space.names:
        param, label = space[name], space[name].axis_label(name)
        if name in coords:
            u = float(coords[name])
            value = float(param.forward(u))
            try:
                meta.check({name: value})
            except InputError as e:
                raise InputError(f"--init-coord {name}={u:g} means {name} = {value:.4g} "
                                 f"({label} = {u:g}): {e}") from None
        elif name in values or name not in default_coords:
            value = float(values[name]) if name in values else meta.default_value(name)
            try:
                meta.check({name: value})
                u = float(param.inverse(value))
            except InputError as e:
                raise InputError(f"--init {name}={value:g} (a {name} value; outer coordinates "
                                 f"go to --init-coord): {e}") from None
        else:
            u = float(default_coords[name])
        start[name] = u
    return start


def warn_renamed(old: str, new: str) -> None:
    """The one deprecation message: on stderr, so scripts reading stdout see no change."""
    click.echo(f"warning: {old} is deprecated and will be removed in the next release; "
               f"use {new}", err=True)


def renamed_option(old: str, new: str, param: str, **kwargs):
    """A hidden ``old`` spelling of the option ``new`` (stored in ``param``), kept for
    one release: it still works, warns on stderr, and may not be given with ``new``."""
    hidden = f"old_{param.lower()}"

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kw):
            value = kw.pop(hidden)
            if value is not None:
                warn_renamed(old, new)
                ctx = click.get_current_context()
                if ctx.get_parameter_source(param) is not click.core.ParameterSource.DEFAULT:
                    raise InputError(f"{old} is the old spelling of {new}; give only {new}")
                kw[param] = value
            return fn(*args, **kw)

        return click.option(old, hidden, hidden=True, default=None,
                            help=f"Deprecated spelling of {new}.", **kwargs)(wrapper)

    return deco
