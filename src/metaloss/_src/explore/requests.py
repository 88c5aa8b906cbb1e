"""What a request may ask for, checked before any work starts.

Every parser takes the query string as ``[(name, value), ...]`` pairs (repeated names
kept, in order) and returns a small frozen request object or raises
:class:`~metaloss._src.errors.InputError` with a one-line message, which the server sends
back as HTTP 400. Nothing a request says names a file, a module or a problem: those
are fixed when the server starts, so a request only chooses axes, points, a measure,
an estimator among the registered ones and an output format.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

import metaloss._src.measures  # noqa: F401  (registers the measures measure_names lists)
from metaloss._src.errors import InputError, check_int
from metaloss._src.grid.axes import number, parse_axis, split_assignment
from metaloss._src.grid.doubled import check_precision
from metaloss._src.spec import REGISTRY

Query = Sequence[tuple[str, str]]

MAX_POINTS = 1024 * 1024
"""Default limit on grid points per landscape request (``--max-size``)."""

DIVERGED = "diverged"
"""The pseudo-measure that shows the divergence flag of the outer loss as 0 / 1."""

FORMATS = ("json", "f32")
MAX_DETERMINED = 256 * 256
"""The most grid points of a view asked for with ``determined=1``: it is computed a
second time at a higher precision (double-double costs up to ~15x a float64 view)."""

SCALES = {"outer_loss": "log", "gradnorm": "log", "lyapunov": "diverging",
          "trainability": "symlog"}
"""The page's colour scale for each measure's variable (``linear`` otherwise): a
diverging map centred at 0 for signed measures (the Lyapunov exponent; trainability on
a symmetric-log scale), a log scale for positive ones."""
PARAM_KINDS = ("log", "lin", "1mlog")
STUDY_VIEW = ("lr=log:1e-3:1e2:256", "momentum=1mlog:1e-3:1:256")
"""The starting view when lr and momentum are free: the study's landscape."""
VIEW_SIZE = 256


def default_view(meta) -> tuple[str, ...]:
    """The starting view for ``meta`` (a :class:`~metaloss.MetaLoss`) when none is given.

    With ``lr`` and ``momentum`` free, the study's :data:`STUDY_VIEW`. For a system (no
    optimizer), its first one or two free declared hyperparameters around their
    defaults ``d``: ``lin`` from ``-2|d|`` to ``2|d|`` (``-1`` to ``1`` when ``d`` is 0),
    so that both signs show (influence balancing: theta from -1 to 1, holding the
    paper's start 0.5 and the optimum -1/6), or ``log`` from ``d / 100`` to ``100 d``
    for one that must be positive; :data:`VIEW_SIZE` points per axis. Otherwise
    :class:`InputError`: the view must be given."""
    from metaloss._src.systems.base import System

    fixed = dict(meta.fixed)
    free = [n for n in meta.hparam_names if n not in fixed]
    if {"lr", "momentum"} <= set(free):
        return STUDY_VIEW
    system = meta.problem
    names = [n for n in system.hparam_fields if n not in fixed] \
        if isinstance(system, System) else []
    if not names:
        raise InputError(f"no default starting view for {meta.problem.name} with "
                         f"{meta.optimizer.name}: give its axes as NAME=KIND:A:B:N (--axis; "
                         f"hyperparameters: {', '.join(free) or 'none free'})")
    defaults = system.hparam_defaults

    def around(name: str) -> str:
        d = float(defaults[name])
        if name in system.positive and d > 0:
            return f"{name}=log:{d / 100:.12g}:{d * 100:.12g}:{VIEW_SIZE}"
        w = 2 * abs(d) if math.isfinite(d) and d != 0 else 1.0
        return f"{name}=lin:{-w:.12g}:{w:.12g}:{VIEW_SIZE}"

    return tuple(around(n) for n in names[:2])


def measure_names() -> tuple[str, ...]:
    """Measures the explorer offers: every registered one, plus ``diverged``."""
    return (*REGISTRY.names("measure"), DIVERGED)


def measure_info() -> dict[str, dict[str, str]]:
    """For each offered measure: ``{"description", "variable", "scale"}`` (the page names
    the shown measure by its description and picks its colour scale from :data:`SCALES`)."""
    from metaloss._src.measures import get as get_measure

    out = {}
    for name in measure_names():
        if name == DIVERGED:
            out[name] = {"description": "diverged (1) or not (0)", "variable": "divergence",
                         "scale": "linear"}
            continue
        m = get_measure(name)
        out[name] = {"description": m.description or m.variable, "variable": m.variable,
                     "scale": SCALES.get(m.variable, "linear")}
    return out


def estimator_choices() -> tuple[str, ...]:
    """Estimator specs the page suggests for its arrows: every registered estimator with
    its defaults (as :func:`metaloss._src.spec.label` writes it), ES with 16 pairs first
    among the sampling ones. A request may give any other spec of a registered name."""
    import metaloss._src.estimators  # noqa: F401  (registers them)
    from metaloss._src.spec import label, parse

    out = ["backprop", "es(std=0.1, pairs=16)"]
    for name in REGISTRY.names("estimator"):
        spec = label(parse("estimator", name))
        if spec not in out:
            out.append(spec)
    return tuple(out)


@dataclasses.dataclass(frozen=True)
class LandscapeRequest:
    """A view: axis specs in order, their values, the measure and the output format."""

    specs: tuple[str, ...]
    axes: dict[str, np.ndarray]
    measure: str
    format: str
    client: str | None
    precision: str | None = None
    determined: bool = False

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.axes.values())


@dataclasses.dataclass(frozen=True)
class PointRequest:
    """One point (hyperparameter values or outer coordinates) and the options around it."""

    values: dict[str, float]
    estimator: str | None = None
    kinds: dict[str, str] = dataclasses.field(default_factory=dict)
    seed: int = 0


def _single(query: Query, name: str, default: str | None = None) -> str | None:
    found = [v for k, v in query if k == name]
    if len(found) > 1:
        raise InputError(f"parameter {name!r} is given {len(found)} times")
    return found[0] if found else default


def _unknown(query: Query, allowed: Sequence[str]) -> None:
    for name, _ in query:
        if name not in allowed:
            raise InputError(f"unknown parameter {name!r}; expected {', '.join(allowed)}")


def _axis_size(spec: str) -> int | None:
    """The N of ``NAME=KIND:A:B:N`` when it is an integer (checked before the values
    are made, so a huge N costs nothing); ``None`` leaves the error to the parser."""
    try:
        return int(spec.rpartition(":")[2])
    except ValueError:
        return None


def parse_landscape(query: Query, *, max_points: int = MAX_POINTS,
                    fixed: Sequence[str] = ()) -> LandscapeRequest:
    """``axis=SPEC`` (1 or more, in order), ``measure=``, ``format=``, ``client=``,
    ``precision=`` (float32, float64 or double-double; default: the session's),
    ``determined=1`` (also the flags at the next precision; at most
    :data:`MAX_DETERMINED` points).

    Args:
      query: the query pairs.
      max_points: the most grid points one request may ask for.
      fixed: hyperparameters held fixed at start (they cannot be axes).
    """
    _unknown(query, ("axis", "measure", "format", "client", "precision", "determined"))
    specs = tuple(v for k, v in query if k == "axis")
    if not specs:
        raise InputError("give at least one axis=NAME=KIND:START:STOP:N, "
                         "e.g. axis=lr=log:1e-3:1e2:256")
    sizes = [_axis_size(s) for s in specs]
    for spec, n in zip(specs, sizes, strict=True):
        if n is None or n < 1:  # refused by the parser before it makes any values
            with np.errstate(all="ignore"):
                parse_axis(spec)
            raise InputError(f"bad axis {spec!r}: the grid size must be an integer >= 1")
    if math.prod(sizes) > max_points:
        raise InputError(f"the view has {math.prod(sizes)} points, more than the limit of "
                         f"{max_points} (--max-size)")
    axes: dict[str, np.ndarray] = {}
    for spec in specs:
        with np.errstate(all="ignore"):  # inf bounds: refused just below
            name, values = parse_axis(spec)
        if name in axes:
            raise InputError(f"axis {name!r} is given twice")
        if name in fixed:
            raise InputError(f"{name!r} is held fixed by --set; it cannot be an axis")
        if not np.all(np.isfinite(values)):
            raise InputError(f"axis {spec!r} has values that are not finite")
        axes[name] = values
    measure = _single(query, "measure", "loss")
    if measure not in measure_names():
        raise InputError(f"unknown measure {measure!r}; the explorer has "
                         f"{', '.join(measure_names())}")
    fmt = _single(query, "format", "json")
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; expected {' or '.join(FORMATS)}")
    client = _single(query, "client")
    if client is not None and not (0 < len(client) <= 64):
        raise InputError("client must be 1 to 64 characters")
    precision = check_precision(_single(query, "precision"))
    flag = _single(query, "determined", "0")
    if flag not in ("0", "1"):
        raise InputError(f"determined must be 0 or 1, got {flag!r}")
    determined = flag == "1"
    if determined and math.prod(sizes) > MAX_DETERMINED:
        raise InputError(f"determined=1 takes at most {MAX_DETERMINED} points (each is "
                         f"computed again at a higher precision); this view has "
                         f"{math.prod(sizes)}: lower the resolution")
    return LandscapeRequest(specs, axes, measure, fmt, client, precision, determined)


def _values(query: Query, skip: Sequence[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, text in query:
        if name in skip:
            continue
        if name in out:
            raise InputError(f"{name!r} is given twice")
        value = number(text, f"{name}={text}")
        if not math.isfinite(value):
            raise InputError(f"{name} must be finite, got {text!r}")
        out[name] = value
    if not out:
        raise InputError("give the point as NAME=VALUE parameters, e.g. lr=0.1&momentum=0.9")
    return out


def parse_run(query: Query) -> PointRequest:
    """``NAME=VALUE`` hyperparameter values, each name once."""
    return PointRequest(_values(query, ()))


def parse_gradient(query: Query) -> PointRequest:
    """``NAME=VALUE`` outer coordinates, ``estimator=SPEC`` (default ``backprop``),
    ``param=NAME=KIND`` (the parametrization of a coordinate: log, lin or 1mlog; by
    default each hyperparameter's usual one) and ``seed=N`` (the estimator's key)."""
    estimator = _single(query, "estimator", "backprop")
    if ":" in estimator:
        raise InputError("the estimator must be a registered one, like es(std=0.1, pairs=8): "
                         "a request cannot name a module")
    kinds: dict[str, str] = {}
    for name, text in query:
        if name != "param":
            continue
        pname, kind = split_assignment(text, "param")
        if kind not in PARAM_KINDS:
            raise InputError(f"bad param {text!r}: KIND must be one of {', '.join(PARAM_KINDS)}")
        kinds[pname] = kind
    seed_text = _single(query, "seed", "0")
    try:
        seed = check_int("seed", int(seed_text), minimum=0, maximum=2**31 - 1)
    except ValueError as e:
        raise InputError(f"seed must be an integer >= 0, got {seed_text!r}") from e
    values = _values(query, ("estimator", "param", "seed"))
    extra = sorted(set(kinds) - set(values))
    if extra:
        raise InputError(f"param names {extra[0]!r}, which is not a coordinate of the point")
    return PointRequest(values, estimator, kinds, seed)
