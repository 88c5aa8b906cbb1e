"""Options shared by several commands, and building a meta-loss from them."""

from __future__ import annotations

import functools
import re

import click

from metaloss._src.cli.types import FixedValue, Spec, unique
from metaloss._src.errors import MAX_SEED, MAX_STEPS, InputError

PROBLEM = Spec("problem")
OPTIMIZER = Spec("optimizer")
OBJECTIVE = Spec("objective")
STEPS = click.IntRange(None, MAX_STEPS)
"""A step count, bounded at parse time (a huge one would overflow or never end)."""
SEED = click.IntRange(-(2**31), MAX_SEED)
"""A PRNG seed, bounded at parse time (JAX keys hold 32 bits)."""
COUNT = click.IntRange(None, 2**31 - 1)
"""Any other integer option: within int32, so no huge value reaches NumPy or JAX
(the commands check their own lower bounds and tighter limits)."""
OPTIONS = {
    "resume": "--resume",
    "store": "--out NAME.zarr",
    "key": "--seed SEED",
    "center": "--center NAME=VALUE",
    "coordinator": "--coordinator HOST:PORT",
    "num_processes": "--num-processes N",
    "process_id": "--process-id I",
}
"""How the command line spells the library's keyword arguments that an
:class:`InputError` asks for (its ``arguments``); a command with other spellings
(``metaloss zoom``'s ``--out`` is a directory) renders its errors over these."""


METAVAR = re.compile(r"[A-Z][A-Z0-9_]*(?:[=:,][A-Z][A-Z0-9_]*)*(?:\.[a-z]+)?")
"""The one metavar style: the value named in capitals, its structure spelled out
(``N``, ``PATH``, ``NAME=VALUE``, ``NAME=KIND:A:B:N``, ``HOST:PORT``), a file's
suffix in lower case where the option takes one kind of file (``PATH.zarr``)."""


_UNSET = getattr(click.core, "UNSET", None)
"""How click (from 8.3) marks an option without a default."""


def default_text(param: click.Parameter, ctx: click.Context) -> str | None:
    """What ``[default: ...]`` says for ``param``, or ``None`` for nothing.

    The one way a default is shown: ``show_default="..."`` where the default is
    ``None`` but means something (``chosen per device``, ``64; 8 with --quick``),
    else the default value itself; nothing for a flag or an empty default."""
    if isinstance(param.show_default, str):
        return param.show_default
    if getattr(param, "is_flag", False):
        return None
    value = param.get_default(ctx, call=False)
    if value is None or value is _UNSET or callable(value) or value in ((), ""):
        return None
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def help_record(param: click.Parameter, ctx: click.Context) -> tuple[str, str] | None:
    """An option's line in ``--help``: spellings and metavar, its help, then
    ``[default: ...]`` and ``[required]`` as :func:`default_text` says. Ranges are
    not shown (a bound that matters is said in the help, in words)."""
    if not isinstance(param, click.Option):
        return param.get_help_record(ctx)
    if param.hidden:
        return None
    spec = click.formatting.join_options(param.opts)[0]
    if not param.is_flag and not param.count:
        spec += f" {param.make_metavar(ctx)}"
    extra = []
    default = default_text(param, ctx)
    if default is not None:
        extra.append(f"default: {default}")
    if param.required:
        extra.append("required")
    text = param.help or ""
    if extra:
        text = f"{text}  [{'; '.join(extra)}]"
    return spec, text


class Styled:
    """Help in one style for a command's options (see :func:`help_record`)."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        records = [r for p in self.get_params(ctx) if not isinstance(p, click.Argument)
                   if (r := help_record(p, ctx)) is not None]
        if records:
            with formatter.section("Options"):
                formatter.write_dl(records)
        if isinstance(self, click.Group):
            self.format_commands(ctx, formatter)


class Command(Styled, click.Command):
    """Every ``metaloss`` command: ``@click.command(cls=Command)``."""


class Group(Styled, click.Group):
    """The ``metaloss`` group itself."""


def problem_options(fn):
    """``--problem --optimizer --steps --objective --divergence --set --seed``."""
    opts = [
        click.option("--problem", type=PROBLEM, default="wavy1d",
                     help=f"Inner problem: NAME, NAME(key=value, ...) or module:attribute. "
                          f"Names: {PROBLEM.choices()}; e.g. 'quadratic(dim=20)'."),
        click.option("--optimizer", type=OPTIMIZER, default=None,
                     show_default="sgdm; none for a system",
                     help=f"Inner optimizer, a spec like --problem; a system, such as "
                          f"influence_balancing, steps itself and takes none. Names: "
                          f"{OPTIMIZER.choices()}."),
        click.option("--steps", type=STEPS, default=50, metavar="N",
                     help="Inner steps per run (the unroll length), at most 10^7."),
        click.option("--objective", type=OBJECTIVE, default="mean",
                     help=f"Outer objective: {OBJECTIVE.choices()}."),
        click.option("--divergence", type=float, default=1e3, metavar="FACTOR",
                     help="A run diverges once its loss exceeds FACTOR * (|L0| + 1), L0 its "
                          "initial loss, or is not finite; it is then frozen and records that "
                          "cap. 0: no detection, inf/NaN kept as they come."),
        click.option("--set", "sets", type=FixedValue(), multiple=True, metavar="NAME=VALUE",
                     help="Hold a hyperparameter fixed at a hyperparameter value (not an outer "
                          "coordinate), e.g. --set momentum=0.9, --set lr/layer1=0.5 or a "
                          "problem's own, --set delta=0.2 (repeatable). VALUE is rounded once "
                          "to float64; double-double landscapes keep up to 32 significant "
                          "digits of it."),
        click.option("--seed", type=SEED, default=0, metavar="SEED",
                     help="PRNG seed of the inner runs (minibatches, random starts) and of "
                          "any sampling: an integer from -2^31 to 2^32 - 1."),
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
