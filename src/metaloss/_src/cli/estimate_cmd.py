"""``metaloss estimate``: signed outer-gradient estimates at one point."""

from __future__ import annotations

import json

import click

from metaloss._src.cli.options import COUNT, Command, build_meta, build_space, problem_options
from metaloss._src.cli.train_cmd import build_estimator
from metaloss._src.cli.types import Assignment, ParamKind, unique
from metaloss._src.errors import InputError
from metaloss._src.spec import REGISTRY, split_top_level

EXAMPLES = """

\b
Examples:
  metaloss estimate --problem influence_balancing --steps 1000 --at theta=0.5 \\
      --estimator "truncated(K=1)" --estimator "pes(K=10, pairs=100)"
  metaloss estimate --estimator "es(std=0.05, pairs=8)" --at lr=0.05 --samples 64
"""


@click.command(cls=Command, epilog=EXAMPLES)
@problem_options
@click.option("--estimator", "estimators", multiple=True, default=("backprop",),
              metavar="ESTIMATOR",
              help="An estimator: NAME or NAME(key=value, ...), NAME one of "
                   f"{', '.join(REGISTRY.names('estimator'))} (repeatable).")
@click.option("--at", "point", type=Assignment(), multiple=True, metavar="NAME=VALUE",
              show_default="each outer parameter's default value",
              help="The point, as hyperparameter values (not outer coordinates); repeatable.")
@click.option("--param", "params", type=ParamKind(), multiple=True, metavar="NAME=KIND",
              show_default="every hyperparameter not --set, in its usual parametrization",
              help="Outer parameter and its parametrization (log, lin, 1mlog), which the "
                   "gradient is taken in; repeatable.")
@click.option("--samples", type=COUNT, default=32, metavar="N",
              help="Independent samples (each a whole inner run of windows for truncated "
                   "and persistent estimators), >= 2.")
@click.option("--no-exact", is_flag=True,
              help="Skip the exact gradient (backpropagation through the whole unroll).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
def estimate(problem, optimizer, steps, objective, divergence, sets, seed, estimators, point,
             params, samples, no_exact, as_json):
    """Signed outer-gradient estimates at a point: mean, standard error, exact gradient.

    The gradient is with respect to the outer coordinates (log10(lr) for a log
    parameter). z is (mean - exact) / standard error: beyond about 3, the estimator
    is biased at this point (left blank for an estimator with no spread beyond
    rounding, such as backprop or truncated backprop).
    """
    import jax

    from metaloss._src.estimators.estimate import estimate as run_estimate

    meta = build_meta(problem, optimizer, steps, objective, divergence, sets)
    space = build_space(meta, params)
    given = unique(point, "--at")
    extra = [n for n in given if n not in space.names]
    if extra:
        raise InputError(f"--at names {extra[0]!r}, which is not an outer parameter (outer "
                         f"parameters: {', '.join(space.names)})")
    values = {n: float(given[n]) if n in given else meta.default_value(n) for n in space.names}
    specs = [s for spec in estimators for s in split_top_level(spec)]
    ests = [build_estimator(s, {}) for s in specs]
    key = jax.random.key(seed)
    rows = []
    for est in ests:
        note = est.check(meta)
        if note and not as_json:
            click.echo(f"note: {note}")
        r = run_estimate(meta, est, values, key, samples=samples, space=space,
                         exact=not no_exact)
        for name in space.names:
            mean, se = float(r.mean[name]), float(r.stderr[name])
            exact = None if r.exact is None else float(r.exact[name])
            # a deterministic estimator's spread is rounding: no z for it
            noisy = exact is not None and se > 1e-5 * (abs(mean) + abs(exact))
            z = (mean - exact) / se if noisy else None
            rows.append({"estimator": est.name, "coordinate": space[name].axis_label(name),
                         "mean": mean, "stderr": se, "exact": exact, "z": z})
    if as_json:
        click.echo(json.dumps({"point": values, "samples": samples,
                               "config": meta.describe(), "rows": rows}))
        return
    click.echo(f"at {', '.join(f'{n} = {v:.4g}' for n, v in values.items())}; {samples} "
               f"samples each")
    width = max(len(r["estimator"]) for r in rows)
    click.echo(f"{'estimator':<{width}}  {'coordinate':<12} {'mean':>11} {'stderr':>10} "
               f"{'exact':>11} {'z':>7}")
    for r in rows:
        exact = "" if r["exact"] is None else f"{r['exact']:.5g}"
        z = "" if r["z"] is None else f"{r['z']:.2f}"
        click.echo(f"{r['estimator']:<{width}}  {r['coordinate']:<12} {r['mean']:>11.5g} "
                   f"{r['stderr']:>10.3g} {exact:>11} {z:>7}")
