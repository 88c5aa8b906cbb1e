"""Options shared by several commands, and building a meta-loss from them."""

from __future__ import annotations

import click

from metaloss.cli.types import Assignment, Spec, unique
from metaloss.errors import InputError

PROBLEM = Spec("problem")
OPTIMIZER = Spec("optimizer")
OBJECTIVE = Spec("objective")


def problem_options(fn):
    """``--problem --optimizer --steps --objective --divergence --set --seed``."""
    opts = [
        click.option("--problem", type=PROBLEM, default="wavy1d", show_default=True,
                     help=f"Inner problem: NAME, NAME(key=value, ...) or module:attribute. "
                          f"Names: {PROBLEM.choices()}; e.g. 'quadratic(dim=20)'."),
        click.option("--optimizer", type=OPTIMIZER, default="sgdm", show_default=True,
                     help=f"Inner optimizer, a spec like --problem. Names: "
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
                     help="Hold a hyperparameter fixed, e.g. --set momentum=0.9 (repeatable)."),
        click.option("--seed", type=int, default=0, show_default=True,
                     help="PRNG seed of the inner runs (minibatches, random starts) and of "
                          "any sampling."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def build_meta(problem, optimizer, steps, objective, divergence, sets):
    """The meta-loss the problem options describe, ``--set`` values held fixed."""
    from metaloss.meta import MetaLoss
    from metaloss.unroll import Divergence

    if not divergence >= 0:
        raise InputError(f"--divergence must be >= 0 (0 turns detection off), got {divergence:g}")
    policy = Divergence(divergence) if divergence > 0 else None
    return MetaLoss(problem, optimizer, steps=steps, objective=objective, divergence=policy,
                    fixed=unique(sets, "--set"))


def build_space(meta, params):
    """The outer space of ``--param NAME=KIND`` options (default: every hyperparameter
    not held fixed, with its default parametrization)."""
    from metaloss.space import Space

    free = [n for n in meta.hparam_names if n not in dict(meta.fixed)]
    given = unique(params, "--param")
    unknown = [n for n in given if n not in free]
    if unknown:
        raise InputError(f"--param names unknown outer parameter {unknown[0]!r}; "
                         f"outer parameters are {', '.join(free)}")
    return Space(given) if given else meta.default_space(free)
