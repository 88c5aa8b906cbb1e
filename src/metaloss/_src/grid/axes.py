"""The axis grammar shared by the command line and the explorer's API.

``NAME=KIND:START:STOP:N`` names a grid axis: KIND ``log`` (N values log-spaced
from START to STOP, both > 0), ``lin`` (evenly spaced) or ``1mlog`` (values
``1 - v`` with v log-spaced from START to STOP, for momenta:
``momentum=1mlog:1e-3:1:2000`` is the study's momentum axis).
Every axis keeps every digit of START and STOP (up to ~32 significant digits):
its values are float64 arrays carrying double-double residues
(:mod:`metaloss._src.precision.exact`), which ``precision="double-double"`` uses; a
``log`` axis's residues are those of ``exp`` of evenly spaced double-double logs
(``1 -`` those for ``1mlog``), computed only when read.
``NAME=VALUE`` holds a hyperparameter at one value.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from metaloss._src.errors import MAX_AXIS, InputError, check_int
from metaloss._src.precision import exact
from metaloss._src.space import linspace, logspace

AXIS_KINDS = ("log", "lin", "1mlog")


def split_assignment(spec: str, what: str) -> tuple[str, str]:
    """``NAME=TEXT`` -> ``(NAME, TEXT)``, both stripped and non-empty."""
    name, sep, rest = spec.partition("=")
    if not sep or not name.strip() or not rest.strip():
        raise InputError(f"bad {what} {spec!r}: expected NAME=VALUE")
    return name.strip(), rest.strip()


def number(text: str, spec: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError(f"bad number {text!r} in {spec!r}") from None


def parse_axis(spec: str) -> tuple[str, np.ndarray]:
    """``NAME=KIND:START:STOP:N`` -> ``(NAME, values)`` (see the module docstring)."""
    name, rest = split_assignment(spec, "axis")
    parts = rest.split(":")
    if len(parts) != 4 or parts[0] not in AXIS_KINDS:
        raise InputError(f"bad axis {spec!r}: expected NAME=KIND:START:STOP:N with KIND one of "
                         f"{', '.join(AXIS_KINDS)}, e.g. lr=log:1e-3:1e2:256")
    kind = parts[0]
    a, b = number(parts[1], spec), number(parts[2], spec)
    try:
        n = int(parts[3])
    except ValueError:
        raise InputError(f"bad grid size {parts[3]!r} in {spec!r}: need an integer >= 1") \
            from None
    try:
        check_int("grid size", n, limit=MAX_AXIS, hint="use fewer points per axis")
    except InputError as e:
        raise InputError(f"bad axis {spec!r}: {e}") from None
    if not (np.isfinite(a) and np.isfinite(b) and np.isfinite(b - a)):
        raise InputError(f"bad axis {spec!r}: START and STOP must be finite numbers "
                         f"less than 1e308 apart, got {a:g}, {b:g}")
    if kind == "lin":
        # every digit of A and B is kept in the residues (double-double precision)
        return name, exact.lin_residues(linspace(a, b, n), parts[1], parts[2])
    if not (a > 0 and b > 0):
        raise InputError(f"bad axis {spec!r}: a log axis needs positive values, "
                         f"got {a:g}, {b:g}")
    values = logspace(np.log10(a), np.log10(b), n)
    # the residues of the double-double points, computed only when read
    one_minus = kind == "1mlog"
    return name, exact.log_residues(1.0 - values if one_minus else values, parts[1], parts[2],
                                    one_minus=one_minus)


def parse_axes(specs: Iterable[str]) -> dict[str, np.ndarray]:
    """Several axis specs, in order; a name given twice is refused."""
    out: dict[str, np.ndarray] = {}
    for spec in specs:
        name, values = parse_axis(spec)
        if name in out:
            raise InputError(f"axis {name!r} is given twice")
        out[name] = values
    return out


def parse_values(specs: Iterable[str], what: str = "value") -> dict[str, float]:
    """``NAME=VALUE`` items -> ``{NAME: VALUE}``; a name given twice is refused."""
    out: dict[str, float] = {}
    for spec in specs:
        name, value = split_assignment(spec, what)
        if name in out:
            raise InputError(f"{name!r} is given twice")
        out[name] = number(value, spec)
    return out
