"""The ``metaloss`` command group and its entry point: one way to fail.

Bad input (an :class:`~metaloss._src.errors.InputError`, a click usage error, or an
``OSError`` on a path the user named) prints one line, ``error: ...``, and exits
2. Anything else is a bug in metaloss: it prints the traceback and a line asking
for a bug report, and exits 1. A ``--distributed`` run that loses one of its
processes stops the others within seconds with one line and exit code 3 (see
:mod:`metaloss._src.cli.supervise` and :mod:`metaloss._src.grid.watchdog`).
"""

from __future__ import annotations

import errno
import os
import shlex
import sys
import traceback

import click

from metaloss._src.cli import supervise
from metaloss._src.cli.atlas_cmd import atlas
from metaloss._src.cli.estimate_cmd import estimate
from metaloss._src.cli.explore_cmd import explore
from metaloss._src.cli.grid_cmd import export, landscape
from metaloss._src.cli.options import OPTIONS, Group
from metaloss._src.cli.study_cmd import compare, reproduce
from metaloss._src.cli.train_cmd import train
from metaloss._src.cli.zoom_cmd import zoom
from metaloss._src.errors import InputError, Interrupted, one_line
from metaloss._src.fastrng import straight_threefry_on_cpu

EXAMPLES = """

\b
Examples:
  metaloss reproduce --out results          # the whole study, report.html
  metaloss landscape --axis lr=log:1e-3:1e2:512 --axis momentum=1mlog:1e-3:1:512 \\
      --out l.nc --plot l.png
  metaloss train --estimator "es(std=0.1, pairs=1)" --outer-steps 3000 --out run/
  metaloss compare --quick --out cmp/
  metaloss estimate --problem influence_balancing --at theta=0.5 --estimator "truncated(K=1)"
  metaloss explore                          # the landscape in a browser
  metaloss zoom --divergence 2 --auto --out zoom/   # a deep zoom, boundary dimensions
  metaloss atlas --out atlas/               # two fractal-boundary papers, measured
  metaloss COMMAND --help                   # every option of a command
"""


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=EXAMPLES)
@click.version_option(package_name="metaloss")
@click.option("--debug", is_flag=True,
              help="Show the traceback of an error raised in your own code (module:attribute).")
def cli(debug):
    """Explore hyperparameter meta-loss landscapes of unrolled optimization."""


for command in (reproduce, landscape, export, train, compare, estimate, explore, zoom, atlas):
    cli.add_command(command)

USER_ERRNOS = {errno.ENOENT, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EROFS, errno.EEXIST,
               errno.ENOTDIR, errno.EISDIR, errno.EDQUOT, errno.ENAMETOOLONG}
"""File-system errors that say something about the user's paths or disk, not about us."""


def _fail(message: str) -> int:
    click.echo(f"error: {one_line(message)}", err=True)
    return 2


def main(argv=None) -> int:
    """Entry point: runs the command; see the module docstring for the exit codes."""
    args = list(sys.argv[1:] if argv is None else argv)
    if supervise.needed(args):
        return supervise.supervise(args)
    compilation_cache()
    straight_threefry_on_cpu()
    debug = "--debug" in args[: next((i for i, a in enumerate(args) if a in cli.commands),
                                      len(args))]
    try:
        cli.main(args=args, standalone_mode=False, prog_name="metaloss")
    except click.exceptions.NoArgsIsHelpError as e:
        click.echo(e.ctx.get_help() if e.ctx else str(e))
        return 2
    except click.ClickException as e:
        return _fail(e.format_message())
    except click.exceptions.Abort:
        click.echo("error: aborted", err=True)
        return 130
    except InputError as e:
        return _fail(e.spelled(OPTIONS))
    except Interrupted as e:
        again = args if "--resume" in args else [*args, "--resume"]
        click.echo(f"error: {one_line(e)}; continue with: metaloss {shlex.join(again)}", err=True)
        return 128 + e.signal_number
    except OSError as e:
        if e.errno not in USER_ERRNOS:
            return _bug()
        where = f" {e.filename}" if e.filename else ""
        return _fail(f"{e.strerror or e}:{where}" if where else str(e.strerror or e))
    except Exception as e:
        where = user_frame(e.__traceback__)
        if where is None:
            return _bug()
        if debug:
            traceback.print_exc()
        hint = "" if debug else " (metaloss --debug ... shows the traceback)"
        return _fail(f"your code raised {type(e).__name__}: {one_line(e) or '(no message)'} "
                     f"at {where}{hint}")
    return 0


def user_frame(tb) -> str | None:
    """``file:line in function`` of the innermost frame of ``tb`` in a user module
    (one loaded from a ``module:attribute`` spec, or a file beside it), when no metaloss
    frame is deeper; else ``None``: the error came from metaloss, or from a library
    metaloss called, and is a bug of ours."""
    from metaloss._src.userload import USER_DIRS

    package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
    ours = os.path.join(package, "")  # .../metaloss/
    users = tuple(USER_DIRS)
    for frame in reversed(traceback.extract_tb(tb)):
        path = os.path.realpath(frame.filename)
        if path.startswith(ours):
            return None
        if users and path.startswith(users):
            return f"{frame.filename}:{frame.lineno} in {frame.name}"
    return None


CACHE_ENV = "METALOSS_CACHE_DIR"
"""Where commands keep compiled programs between runs; ``off`` disables the cache."""


def compilation_cache() -> str | None:
    """Turns on JAX's persistent compilation cache for this command and returns its
    directory (``$METALOSS_CACHE_DIR``, else ``$XDG_CACHE_HOME/metaloss/jax``, else
    ``~/.cache/metaloss/jax``).

    Most of a command's time is compilation (a default ``compare`` compiles about a
    dozen programs); with the cache, a second run reuses them. Programs that compile
    in under 0.2 s are not worth a disk entry (JAX's own
    ``JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS``, when set, decides instead). An
    unusable directory just leaves the cache off.
    """
    where = os.environ.get(CACHE_ENV, "")
    if where.lower() == "off":
        return None
    if not where:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        where = os.path.join(base, "metaloss", "jax")
    try:
        os.makedirs(where, exist_ok=True)
    except OSError:
        return None
    import jax

    jax.config.update("jax_compilation_cache_dir", where)
    if "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS" not in os.environ:
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
    return where


def _bug() -> int:
    traceback.print_exc()
    kind, value, _ = sys.exc_info()
    click.echo(f"error: internal error in metaloss ({kind.__name__}: {one_line(value)}); this "
               "is a bug, not a problem with your input: please report it with the command "
               "line and the traceback above", err=True)
    return 1
