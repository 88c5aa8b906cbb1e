"""Deep zooms: a 2-D view recomputed at full resolution in ever smaller boxes.

Level 0 is the starting view. Level ``k >= 1`` is the box ``factor**k`` times
narrower on every axis, centred on the centre in the axes' own coordinates
(log10 lr for a ``log`` axis, log10(1 - momentum) for ``1mlog``, the value for
``lin``); a box that would cross the starting view's edge is shifted inside it,
which keeps every box inside the one before (and the centre inside every box).

Precision. The engine receives the hyperparameter values in the default float
type, so a float32 grid can only tell cells apart while each is many float32 ulps
of its value wide. A level runs in float64 (``jax.enable_x64`` for that level
alone) once its narrowest cell, ``min |v[i+1] - v[i]| / max(|v[i]|, |v[i+1]|)``
over every axis, is below :data:`MIN_ULPS` float32 ulps (``eps = 2**-23``): at 100
ulps, rounding the values to float32 moves each by at most 0.5% of a cell, and the
unroll's own rounding -- about one ulp per step, up to ``steps`` ulps in the worst
case of errors that add up, the study's 50 -- stays below half a cell. The study's
256 x 256 view has its narrowest cell (momentum 0.999) 230 float32 ulps wide, so
it stays in float32. A level narrower than :data:`MIN_ULPS` float64 ulps (about
2.2e-14 relative), the starting view included, runs in double-double, the outer loss
only, down to :data:`MIN_ULPS` double-double ulps (about 5e-30), whatever its axes'
kinds: its values are computed exactly around the centre and rounded once to
double-double (:func:`metaloss._src.grid.zoom_exact.exact_axes`; ``10^u`` for ``log``
axes, ``1 - 10^u`` for ``1mlog``). A deeper zoom is refused before anything is
computed.

Exact centre and ends. A centre value may be a decimal string, ``decimal.Decimal``,
``fractions.Fraction`` or float, and a view's ends ``A`` and ``B`` are decimal
strings: float32 and float64 levels use their float64 roundings (:class:`ViewAxis`'s
``lo`` and ``hi``), double-double levels every digit (``ViewAxis.ends``; the centre
through :func:`metaloss._src.grid.zoom_exact.exact_value`, a float being exactly that
float), so a zoom 1e25 times narrower is centred on the decimal asked for, not on
its float64 neighbour 1e-17 away. ``Level.box`` is float64: at double-double depth it
is the float64 neighbourhood of the centre, narrower than float64 tells apart;
``Level.axes`` holds the exact grid.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from metaloss._src.errors import InputError, check_int
from metaloss._src.grid.axes import AXIS_KINDS, number, split_assignment
from metaloss._src.grid.zoom_exact import (
    domain_text,
    exact_axes,
    exact_cell,
    exact_coord,
    exact_value,
    inside_exactly,
    log10,
    narrowest_exact,
)
from metaloss._src.space import PARAM_KINDS, Param

MIN_ULPS = 100
EPS = {"float32": float(np.finfo(np.float32).eps), "float64": float(np.finfo(np.float64).eps),
       "double-double": 2.0**-104}
DEPTH = {"levels": "levels", "factor": "factor"}
"""The ``arguments`` of a refusal of a zoom too deep: its message names both."""


@dataclasses.dataclass(frozen=True)
class ViewAxis:
    """One axis of a view: ``kind`` (log, lin or 1mlog) and its range in axis
    coordinates ``u`` (log10 v, v or log10(1 - v)), ``lo < hi`` in float64 (``lo <=
    hi`` for a view narrower than float64 tells apart); ``exact`` the ends as exact
    rationals (``lin``: the decimals given; ``log``, ``1mlog``: their ``log10`` to 60
    digits), or ``None`` where they are ``lo`` and ``hi`` themselves."""

    name: str
    kind: str
    lo: float
    hi: float
    exact: tuple[Fraction, Fraction] | None = None

    @property
    def ends(self) -> tuple[Fraction, Fraction]:
        """The view's ends in axis coordinates, exactly (double-double levels use them)."""
        return self.exact or (Fraction(self.lo), Fraction(self.hi))

    @property
    def param(self) -> Param:
        """The parametrization of this kind (:data:`metaloss._src.space.PARAM_KINDS`)."""
        return PARAM_KINDS[self.kind]()

    def value(self, u):
        return self.param.forward(np.asarray(u, float))

    def coord(self, value: float) -> float:
        """Axis coordinate of a hyperparameter value (NaN outside the kind's domain)."""
        try:
            return float(self.param.inverse(float(value)))
        except InputError:
            return math.nan

    def values(self, lo: float, hi: float, n: int) -> np.ndarray:
        """``n`` hyperparameter values evenly spaced in ``u`` from ``lo`` to ``hi`` (float64)."""
        return self.value(np.linspace(lo, hi, n))

    def spec(self) -> str:
        """The axis grammar's ``NAME=KIND:A:B`` (A, B are log10-spaced v for log and 1mlog)
        from the float64 ends (for a record: ``ends`` holds every digit)."""
        a, b = (self.lo, self.hi) if self.kind == "lin" else (10.0**self.lo, 10.0**self.hi)
        return f"{self.name}={self.kind}:{a:.17g}:{b:.17g}"


def parse_view_axis(spec: str) -> ViewAxis:
    """``NAME=KIND:A:B`` in the landscape's axis grammar (for ``log`` and ``1mlog``, A and
    B are the ends of the log-spaced v, ``1mlog`` values being ``1 - v``); a trailing
    ``:N`` is accepted and ignored, the zoom's size sets the points."""
    name, rest = split_assignment(spec, "axis")
    parts = rest.split(":")
    if len(parts) not in (3, 4) or parts[0] not in AXIS_KINDS:
        raise InputError(f"bad axis {spec!r}: expected NAME=KIND:A:B with KIND one of "
                         f"{', '.join(AXIS_KINDS)}, e.g. lr=log:1e-3:1e2")
    kind, a, b = parts[0], number(parts[1], spec), number(parts[2], spec)
    ea, eb = exact_value(parts[1]), exact_value(parts[2])  # every digit (None: inf, nan)
    if kind != "lin":
        if not (a > 0 and b > 0):
            raise InputError(f"bad axis {spec!r}: a log axis needs positive values, "
                             f"got {a:g}, {b:g}")
        a, b = math.log10(a), math.log10(b)
        ea, eb = (None, None) if ea is None or eb is None else (log10(ea), log10(eb))
    if not (math.isfinite(a) and math.isfinite(b)) or (a == b if ea is None or eb is None
                                                        else ea == eb):
        raise InputError(f"bad axis {spec!r}: needs two different finite ends")
    lo, hi = min(a, b), max(a, b)
    exact = None if ea is None or eb is None else (min(ea, eb), max(ea, eb))
    return ViewAxis(name, kind, lo, hi, None if exact == (Fraction(lo), Fraction(hi))
                    else exact)


@dataclasses.dataclass(frozen=True)
class Level:
    """One level of a zoom: its box in float64 axis coordinates (at double-double depth
    only the float64 neighbourhood of the centre: ``axes`` holds the exact grid), its
    grid and its float type."""

    index: int
    box: dict[str, tuple[float, float]]
    axes: dict[str, np.ndarray]
    dtype: str
    cell_ulps: float
    """The narrowest cell, in float32 ulps of its value (see the module docstring)."""


def narrowest_cell(values: np.ndarray) -> float:
    """``min |v[i+1] - v[i]| / max(|v[i]|, |v[i+1]|)``: the smallest relative spacing."""
    v = np.asarray(values, float)
    scale = np.maximum(np.abs(v[1:]), np.abs(v[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(scale > 0, np.abs(np.diff(v)) / scale, np.inf)
    return float(rel.min())


def precision(axes: Mapping[str, np.ndarray], min_ulps: float = MIN_ULPS,
              float64: bool = False, exact: bool = False, floor: str = "float32",
              cell=None, start: bool = False) -> tuple[str, float]:
    """``(dtype, narrowest cell in float32 ulps)``; :class:`InputError` past float64,
    or with ``exact`` (axes carrying their residues) past double-double, where
    ``"double-double"`` takes over. ``floor`` is the lowest precision to use
    (``float64=True`` is ``floor="float64"``): a level runs at ``floor`` or, where its
    cells need it, higher. ``cell()``, where given, is the narrowest cell a refusal
    names (of the exact values, :func:`~metaloss._src.grid.zoom_exact.exact_cell`);
    ``start``: the axes are the starting view's, which a refusal asks to widen (fewer
    levels or a smaller factor would not help)."""
    if floor not in EPS:
        raise InputError(f"unknown precision {floor!r}: choose one of {', '.join(EPS)}")
    rel = min(narrowest_exact(v) if exact else narrowest_cell(v) for v in axes.values())
    if floor == "double-double" or (exact and rel < min_ulps * EPS["float64"]):
        if rel < min_ulps * EPS["double-double"]:
            what = "the starting view is narrower" if start else "the zoom is deeper"
            fix = "widen the view" if start else "use fewer levels or a smaller factor"
            raise InputError(f"{what} than double-double resolves: its narrowest cell is "
                             f"{rel if cell is None else cell():.3g} of its value; {fix}",
                             arguments={} if start else DEPTH)
        if exact or rel >= min_ulps * EPS["float64"]:  # else values not exact: refused
            return "double-double", rel / EPS["float32"]
    if rel < min_ulps * EPS["float64"]:
        raise InputError(f"the zoom is deeper than float64 resolves: its narrowest cell is "
                         f"{rel:.3g} of its value, {rel / EPS['float64']:.3g} float64 ulps "
                         f"(at least {min_ulps:g} needed); use fewer levels or a smaller factor",
                         arguments=DEPTH)
    float64 = float64 or floor == "float64"
    dtype = "float64" if float64 or rel < min_ulps * EPS["float32"] else "float32"
    return dtype, rel / EPS["float32"]


def check_center(view: Sequence[ViewAxis], center: Mapping[str, Any],
                 min_ulps: float = MIN_ULPS) -> dict[str, float]:
    """The centre in float64 axis coordinates; :class:`InputError` unless it names each
    view axis once and lies inside the starting view: by its float64 coordinate, or
    exactly (:func:`~metaloss._src.grid.zoom_exact.inside_exactly`); an axis spanning
    fewer than ``min_ulps`` float64 ulps is judged exactly alone (the float64 rounding of
    a value there may lie far outside it)."""
    names = [ax.name for ax in view]
    extra = [n for n in center if n not in names]
    if extra or len(center) != len(names):
        raise InputError(f"center={{NAME: VALUE, ...}} must name each axis once "
                         f"({', '.join(names)}), got {', '.join(center) or 'none'}",
                         arguments={"center": "center={NAME: VALUE, ...}"})
    out = {}
    for ax in view:
        q = exact_value(center[ax.name], f"centre {ax.name}")
        value = float(center[ax.name]) if q is None else float(q)
        u = ax.coord(value)
        wide = narrowest_cell(ax.value([ax.lo, ax.hi])) >= min_ulps * EPS["float64"]
        if not ((wide and math.isfinite(u) and ax.lo <= u <= ax.hi)
                or inside_exactly(ax, q)):
            if wide:
                lo, hi = sorted(float(v) for v in ax.value([ax.lo, ax.hi]))
                raise InputError(f"centre {ax.name}={value:g} lies outside the axis' "
                                 f"domain [{lo:g}, {hi:g}]")
            raise InputError(f"centre {ax.name}={domain_text(ax, q, value)}")
        out[ax.name] = u if math.isfinite(u) else float(exact_coord(ax, q))
    return out


def level_box(view: Sequence[ViewAxis], center_u: Mapping[str, float], factor: float,
              k: int) -> dict[str, tuple[float, float]]:
    """Level ``k``'s box in axis coordinates (see the module docstring)."""
    box = {}
    for ax in view:
        if k == 0:
            box[ax.name] = (ax.lo, ax.hi)
            continue
        half = (ax.hi - ax.lo) / factor**k / 2
        lo = min(max(center_u[ax.name] - half, ax.lo), ax.hi - 2 * half)
        box[ax.name] = (lo, lo + 2 * half)
    return box


def check_zoom(factor: float, levels: int, size: int) -> tuple[float, int, int]:
    levels = check_int("levels", levels, 1, arguments={"levels": "levels"})
    size = check_int("size", size, 2, arguments={"size": "size"})
    if not (isinstance(factor, (int, float)) and math.isfinite(factor) and factor > 1):
        raise InputError(f"factor must be a number > 1, got {factor!r}",
                         arguments={"factor": "factor"})
    return float(factor), levels, size


def plan(view: Sequence[ViewAxis], center: Mapping[str, float] | None, factor: float,
         levels: int, size: int, *, min_ulps: float = MIN_ULPS,
         float64: bool = False, floor: str = "float32") -> list[Level]:
    """Every level's box, grid and float type (all levels when ``center`` is given;
    level 0 alone when it is ``None``, for a centre picked from level 0's result).

    Raises :class:`InputError` for a factor <= 1, levels < 1, a size < 2, a centre
    outside the view, or a zoom deeper than double-double resolves (see the module
    docstring). ``floor`` (or
    ``float64=True``, floor float64) is the lowest precision of any level (see
    :func:`precision`).
    """
    factor, levels, size = check_zoom(factor, levels, size)
    if len({ax.name for ax in view}) != len(view) or len(view) != 2:
        raise InputError(f"a zoom needs two different axes, got {[ax.name for ax in view]}")
    center_u = check_center(view, center, min_ulps) if center is not None else {}
    out = []
    for k in range(levels if center is not None else 1):
        box = level_box(view, center_u, factor, k)
        axes = {ax.name: ax.values(*box[ax.name], size) for ax in view}
        cell = None
        if not min(narrowest_cell(v) for v in axes.values()) >= min_ulps * EPS["float64"]:
            axes = exact_axes(view, center, factor, k, size)  # past float64 (or NaN)
            cell = functools.partial(exact_cell, view, center, factor, k, size)
        dtype, ulps = precision(axes, min_ulps, float64, exact=True, floor=floor, cell=cell,
                                start=k == 0)
        out.append(Level(k, box, axes, dtype, ulps))
    return out


def compute_level(meta, level: Level, key, *, store=None, resume: bool = False,
                  **options: Any):
    """Level ``level`` with :func:`metaloss._src.grid.landscape`, under ``jax.enable_x64`` set
    to the level's float type; the result is loaded into memory."""
    import jax

    from metaloss._src.grid.compute import landscape

    if level.dtype == "double-double":  # a store keeps the axes' residues (NAME_lo)
        da = landscape(meta, level.axes, key=key, precision="double-double", store=store,
                       resume=resume, **options)
        return da.load()
    with jax.enable_x64(level.dtype == "float64"):
        da = landscape(meta, level.axes, key=key, store=store, resume=resume, **options)
        return da.load()
