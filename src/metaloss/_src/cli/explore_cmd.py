"""``metaloss explore``: serve the landscape to a browser."""

from __future__ import annotations

import threading

import click

from metaloss._src.cli.options import COUNT, Command, build_meta, problem_options, renamed_option
from metaloss._src.errors import InputError, check_int

EXAMPLES = """

\b
Examples:
  metaloss explore                          # the study's landscape, in the browser
  metaloss explore --axis lr=log:1e-4:10:256 --axis momentum=1mlog:1e-3:1:256 --steps 100
  metaloss explore --store big.zarr         # the problem a finished store was made with
  metaloss explore --no-open --port 8765    # then open the printed URL yourself
"""

PROBLEM_FLAGS = ("problem", "optimizer", "steps", "objective", "divergence", "sets")


@click.command(cls=Command, epilog=EXAMPLES)
@problem_options
@click.option("--axis", "axes", multiple=True, metavar="NAME=KIND:A:B:N",
              show_default="the study's lr x momentum view at 256 x 256; for a "
                           "system, its hyperparameters around their defaults",
              help="An axis of the starting view (repeatable, in order), as in metaloss "
                   "landscape: A and B hyperparameter values, N grid points.")
@click.option("--measure", default="loss", metavar="MEASURE",
              help="The starting measure: a registered measure (as in metaloss landscape) "
                   "or diverged (the divergence flag).")
@click.option("--store", type=click.Path(), default=None, metavar="PATH.zarr",
              help="Open a finished landscape store: its configuration fixes the problem, "
                   "the key and the starting view.")
@click.option("--host", default="127.0.0.1", metavar="HOST",
              help="Address to listen on. The server has no authentication: keep it on "
                   "loopback unless the network is yours.")
@click.option("--port", type=COUNT, default=8000, metavar="PORT",
              help="TCP port to listen on; 0 picks a free one.")
@click.option("--no-open", is_flag=True, help="Do not open a browser; just print the URL.")
@click.option("--max-size", "max_points", type=COUNT, default=1024 * 1024, metavar="POINTS",
              help="The most grid points (the product of the axes' N) one view may have.")
@renamed_option("--max-points", "--max-size", "max_points", type=COUNT)
@click.pass_context
def explore(ctx, problem, optimizer, steps, objective, divergence, sets, seed, axes, measure,
            store, host, port, no_open, max_points):
    """Explore the landscape in a browser: zoom, hover, click a point to see its run."""
    import jax

    from metaloss._src.explore import Explorer, serve
    from metaloss._src.explore.requests import default_view, measure_names
    from metaloss._src.explore.server import bind, token_for, url_of

    check_int("--max-size", max_points)
    check_int("--port", port, minimum=0, maximum=65535)
    if measure not in measure_names():
        raise InputError(f"unknown --measure {measure!r}; choose one of "
                         f"{', '.join(measure_names())}")
    if store is not None:
        given = [f"--{f.replace('sets', 'set')}" for f in PROBLEM_FLAGS
                 if ctx.get_parameter_source(f) is not click.core.ParameterSource.DEFAULT]
        if given:
            raise InputError(f"--store fixes the problem; drop {given[0]}")
        from metaloss._src.explore.stored import from_store

        meta, key, default_axes, stored_measure = from_store(store)
        axes = axes or default_axes
        if ctx.get_parameter_source("measure") is click.core.ParameterSource.DEFAULT:
            measure = stored_measure
    else:
        meta = build_meta(problem, optimizer, steps, objective, divergence, sets)
        key = jax.random.key(seed)
        if not axes:
            axes = default_view(meta)
    explorer = Explorer(meta, key, tuple(axes), measure=measure, max_points=max_points)
    explorer.check_start()  # fail here, not in the browser
    sock = bind(host, port)
    token = token_for(sock)
    if token is not None:
        click.echo(f"note: listening on {host}, beyond this machine; every request must "
                   "carry the token in the URL below (others get 403)", err=True)
    click.echo(f"metaloss explore: serving {url_of(sock, token)} (Ctrl-C stops)")
    # compile the starting view's programs while the browser starts
    threading.Thread(target=explorer.warm, daemon=True, name="metaloss-warm").start()
    serve(explorer, sock, open_browser=not no_open, token=token)
