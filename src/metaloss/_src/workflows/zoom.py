"""A deep zoom as one workflow: every level of :mod:`metaloss._src.grid.zoom`'s plan
computed in turn, the centre picked on level 0's boundary when none is given, and the
levels kept in one Zarr group when a store is given."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from metaloss._src.analysis.fractal import boundary_cells
from metaloss._src.errors import InputError
from metaloss._src.grid.zoom import Level, ViewAxis, compute_level, parse_view_axis, plan
from metaloss._src.workflows.zoom_result import Zoom

NO_BOUNDARY = ("automatic centring (center=None) found no divergence boundary in the first "
               "level (every run trains, or every run diverges): give center={NAME: VALUE, "
               "...}, or a lower divergence= factor of the meta-loss")
"""The message of a zoom with ``center=None`` whose level 0 has no boundary to centre on."""
NO_BOUNDARY_ARGUMENTS = {"auto": "automatic centring (center=None)",
                         "center": "center={NAME: VALUE, ...}",
                         "divergence": "divergence= factor"}
"""Its ``arguments``: ``auto`` is the automatic centring ``center=None`` asks for (the
command line's ``--auto``), ``divergence`` the meta-loss's."""
NOT_A_ZOOM = "exists and is not a zoom store: choose another store= path"
OTHER_ZOOM = "holds a different zoom: choose another store= path or delete it"
STORE = {"store": "store= path"}
"""The ``arguments`` of :data:`NOT_A_ZOOM` and :data:`OTHER_ZOOM`."""


def pick_center(mask: np.ndarray, axes: Mapping[str, np.ndarray]) -> dict[str, float]:
    """The boundary cell nearest the grid's middle (in cells), as hyperparameter values.

    ``mask`` is a level's 2-D ``diverged`` mask over ``axes``; boundary cells follow
    :func:`metaloss._src.analysis.fractal.boundary_cells`. Choosing the cell nearest the
    middle keeps the zoom where the view was aimed; any boundary cell would do for
    the dimension.
    """
    cells = boundary_cells(np.asarray(mask, bool))
    if not cells.any():
        raise InputError(NO_BOUNDARY, arguments=NO_BOUNDARY_ARGUMENTS)
    idx = np.argwhere(cells)
    mid = (np.asarray(cells.shape) - 1) / 2
    i = idx[np.argmin(((idx - mid) ** 2).sum(axis=1))]
    return {name: exact_point(v, j) for (name, v), j in zip(axes.items(), i, strict=True)}


def exact_point(values, j: int):
    """``values[j]``: a float, or the exact ``hi + lo`` (a Fraction) of an axis carrying
    double-double residues (a starting view narrower than float64)."""
    from metaloss._src.precision.arith import to_fraction

    lo = getattr(values, "lo", None)
    if lo is None or lo[j] == 0:
        return float(values[j])
    return to_fraction(values[j], lo[j])


def open_zoom_store(path, config: Mapping[str, Any]):
    """The zoom's Zarr group at ``path`` (created, or reopened when it holds the same
    zoom); each level is a landscape store inside it, ``level<k>``."""
    import json
    from pathlib import Path

    import zarr

    from metaloss._src.grid.io import check_parent
    from metaloss._src.grid.store import store_exists

    p = Path(path)
    text = json.dumps(config, sort_keys=True)
    if store_exists(p):
        try:
            old = zarr.open_group(p, mode="r", zarr_format=3).attrs.get("zoom")
        except Exception:  # not a Zarr group at all
            old = None
        if old is None:
            raise InputError(f"{str(p)!r} {NOT_A_ZOOM}", arguments=STORE)
        if old != text:
            raise InputError(f"{str(p)!r} {OTHER_ZOOM}", arguments=STORE)
        return p
    check_parent(p)
    zarr.open_group(p, mode="w-", zarr_format=3, attributes={"zoom": text})
    return p


def higher_precision(meta, dtype: str) -> str | None:
    """The precision above ``dtype`` that ``meta`` can run, or ``None``."""
    if dtype == "float32":
        return "float64"
    if dtype == "float64":
        from metaloss._src.precise.unroll import check

        try:
            check(meta)
        except InputError:
            return None
        return "double-double"
    return None


def add_determined(meta, level: Level, da, key, **options):
    """``da`` with a ``determined`` coordinate: its ``diverged`` flags against a landscape
    of the same level at :func:`higher_precision` (unchanged when there is none)."""
    from metaloss._src.grid.compute import landscape

    high = higher_precision(meta, level.dtype)
    if high is None:
        return da
    if high == "double-double":
        from metaloss._src.measures import LOSS, get

        if get(options.get("measure", LOSS)).name != LOSS.name:
            return da  # double-double computes the outer loss only
        options = {k: v for k, v in options.items() if k == "chunk"}
    other = landscape(meta, level.axes, key=key, precision=high, **options)
    same = np.asarray(da["diverged"]) == np.asarray(other["diverged"])
    da = da.assign_coords(determined=(da.dims, same))
    da.attrs.update(determined_share=float(same.mean()), determined_against=high)
    return da


def check_deep(meta, planned: Sequence[Level], measure=None) -> None:
    """:class:`InputError` unless ``meta`` (with ``measure``) can run the planned levels
    that their depth puts in double-double (narrower than float64 resolves): the
    double-double unroll's problems and optimizers, the outer loss only."""
    from metaloss._src.grid.zoom import DEPTH, EPS, MIN_ULPS

    deep = [lv.index for lv in planned if lv.dtype == "double-double"
            and lv.cell_ulps * EPS["float32"] < MIN_ULPS * EPS["float64"]]
    if not deep:
        return
    from metaloss._src.measures import LOSS, get
    from metaloss._src.precise.unroll import check

    why = None
    if measure is not None and get(measure).name != LOSS.name:
        why = f"double-double computes the outer loss only, not {get(measure).name!r}"
    else:
        try:
            check(meta)
        except InputError as e:
            why = str(e)
    if why is not None:
        raise InputError(f"level {deep[0]} of the zoom is deeper than float64 resolves and "
                         f"needs double-double, but {why}; use fewer levels or a smaller "
                         f"factor", arguments=DEPTH)


def exact_config(view: Sequence[ViewAxis], center, planned: Sequence[Level]) -> dict:
    """The store's record of the exact centre and view ends, where a planned level is past
    float64 (the only levels they change; other zooms' records are as they were)."""
    from metaloss._src.grid.zoom import EPS, MIN_ULPS
    from metaloss._src.grid.zoom_exact import exact_value

    if all(lv.cell_ulps * EPS["float32"] >= MIN_ULPS * EPS["float64"] for lv in planned):
        return {}
    out = {"exact_view": [[str(q) for q in ax.ends] for ax in view]}
    if center is not None:
        out["exact_center"] = {k: str(exact_value(v)) for k, v in center.items()}
    return {"exact": out}


def zoom(meta, view: Sequence[str | ViewAxis], center: Mapping[str, float] | None = None,
         factor: float = 4.0, levels: int = 5, size: int = 256, *, key=None, store=None,
         resume: bool = False, on_level=None, float64: bool = False, determined: bool = False,
         precision: str | None = None, **options: Any) -> Zoom:
    """Zooms into a 2-D landscape level by level, each level recomputed at full resolution.

    Level 0 is the starting view; level ``k`` is ``factor**k`` times narrower on every
    axis around ``center``, in the axes' own coordinates (log10 lr, log10(1 - momentum),
    the value for ``lin``). A level whose cells come near float32 resolution runs in
    float64, and one past float64's in double-double (its values exact, rounded once to
    double-double; the outer loss only, for a meta-loss the double-double unroll
    supports); a zoom deeper than double-double resolves, or one that needs
    double-double from a meta-loss or measure without it, is refused before anything is
    computed (with ``center=None``, once level 0 has given the centre).

    ```python
    z = ml.workflows.zoom(meta, ["lr=log:1e-3:1e2", "momentum=1mlog:1e-3:1"],
                          factor=4, levels=3, size=64)
    z.dimensions; z.save("zoom/")
    ```

    Args:
      meta: the meta-loss (the view's two axes are its grid axes).
      view: the starting view's two axes, each ``NAME=KIND:A:B`` (KIND ``log``, ``lin``
        or ``1mlog``; A and B hyperparameter values, for ``1mlog`` of ``1 - value``,
        every digit kept: a view narrower than float64 is level 0 in double-double).
      center: axis name -> hyperparameter value (a float, or a decimal string,
        ``Decimal`` or ``Fraction`` whose every digit centres levels past float64);
        ``None`` picks the boundary cell of level 0's ``diverged`` mask nearest its
        middle.
      factor: each level is ``factor`` times narrower on every axis (> 1).
      levels: number of levels, the starting view included (>= 1).
      size: points per axis at every level (>= 16, for box counting).
      key: the inner runs' key.
      store: a Zarr group path; level ``k`` goes to ``store/level<k>``, a landscape
        store written tile by tile, so ``resume`` continues the first unfinished level
        and finished ones are only read. ``None`` computes in memory.
      resume: continue the zoom already in ``store``.
      on_level: ``on_level(level, da)`` after each level (for progress reports).
      float64: compute every level in float64 (the default switches only where
        float32 cannot resolve the cells).
      precision: the lowest precision of any level, ``"float32"`` (the default),
        ``"float64"`` (as ``float64=True``) or ``"double-double"`` (every level, the
        outer loss only; the meta-loss must be one the double-double unroll
        supports). Levels whose cells the precision cannot resolve still move up
        (float32 -> float64 -> double-double), as their ``Level.dtype`` says.
      determined: also compute each level at the next precision (float32 -> float64 ->
        double-double where supported) and add a boolean ``determined`` coordinate
        (the ``diverged`` flags agree) and ``attrs["determined_share"]``; a level with
        no higher precision available gets none.
      options: passed on to :func:`metaloss.landscape` (``chunk``, ``progress``,
        ``devices``, ``measure``).

    Returns:
      :class:`Zoom`: the levels and their data, ``.table()`` and ``.dimensions`` for the
      boundary dimension per level, ``.save(dir)`` for the files.
    """
    from metaloss._src.analysis.fractal import MIN_SIDE
    from metaloss._src.grid.doubled import check_precision

    view = [parse_view_axis(ax) if isinstance(ax, str) else ax for ax in view]
    if size < MIN_SIDE:
        raise InputError(f"size must be >= {MIN_SIDE} (box counting needs it), got {size}",
                         arguments={"size": "size"})
    floor = check_precision(precision) or "float32"
    if float64 and floor not in ("float32", "float64"):
        raise InputError(f"float64=True contradicts precision {floor!r}")
    if floor == "double-double":
        from metaloss._src.precise.unroll import check

        check(meta)  # refused before anything is computed
    auto = center is None
    planned = plan(view, center, factor, levels, size, float64=float64, floor=floor)
    check_deep(meta, planned, options.get("measure"))
    root = None
    if store is not None:
        config = {"view": [ax.spec() for ax in view], "factor": float(factor),
                  "levels": int(levels), "size": int(size),
                  "center": "auto" if auto else {k: float(v) for k, v in center.items()}}
        if floor != "float32":
            config["precision"] = floor
        config.update(exact_config(view, center, planned))
        root = open_zoom_store(store, config)
    done: list[tuple[Level, Any]] = []
    k = 0
    while k < len(planned):
        level = planned[k]
        path = None if root is None else root / f"level{k}"
        da = compute_level(meta, level, key, store=path, resume=resume, **options)
        da.attrs.update(zoom_level=k, zoom_factor=float(factor), zoom_dtype=level.dtype)
        if determined:
            da = add_determined(meta, level, da, key, **options)
        done.append((level, da))
        if on_level is not None:
            on_level(level, da)
        if k == 0 and center is None:
            center = pick_center(np.asarray(da["diverged"]), level.axes)
            planned = plan(view, center, factor, levels, size, float64=float64, floor=floor)
            check_deep(meta, planned, options.get("measure"))
        k += 1
    space = meta.default_space([ax.name for ax in view])
    return Zoom([lv for lv, _ in done], [da for _, da in done], float(factor),
                {k: float(v) for k, v in center.items()}, auto, space, root)
