"""A landscape as one workflow: the grid computed in memory or into a resumable store,
timed, with the statistics ``metaloss landscape`` reports (points, non-finite and
diverged counts, the store's tiles), and :meth:`Landscape.save` for its files."""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from metaloss._src.errors import InputError
from metaloss._src.grid.fill import TileStats
from metaloss._src.meta import MetaLoss
from metaloss._src.space import Space


@dataclasses.dataclass(frozen=True)
class Landscape:
    """What :func:`~metaloss.workflows.landscape` computed.

    Attributes:
      data: the measure over the grid (as :func:`metaloss.landscape` returns it; backed
        by the store, loaded lazily, when there is one).
      seconds: wall time of the computation (compilation included).
      space: the grid axes' default outer space, for the figure.
      store: the Zarr store path, or ``None`` for a landscape computed in memory.
      tiles: what this process did to the store (tiles in all, found done, computed,
        found damaged and recomputed), or ``None`` without a store.
      precision: the precision asked for (``None``: JAX's default).
      float64_determined: for ``precision="double-double"``, the share of points whose
        float64 ``diverged`` flag equals the double-double one (over several processes,
        on process 0 only); else ``None``.
    """

    data: xr.DataArray
    seconds: float
    space: Space
    store: Path | None = None
    tiles: TileStats | None = None
    precision: str | None = None
    float64_determined: float | None = None

    @functools.cached_property
    def summary(self) -> dict[str, Any]:
        """The statistics: ``seconds``, ``points``, ``non_finite``, ``diverged``; with a
        precision ``precision`` (and ``float64_determined`` for double-double); with a
        store ``tiles``, ``tiles_reused``, ``tiles_computed``, ``tiles_repaired``. Read
        on first use (a store's data is then loaded)."""
        values = np.asarray(self.data.values)
        out: dict[str, Any] = {
            "seconds": self.seconds, "points": int(self.data.size),
            "non_finite": int((~np.isfinite(values)).sum()),
            "diverged": int(np.asarray(self.data["diverged"]).sum())}
        if self.precision is not None:
            out["precision"] = self.precision
        if self.float64_determined is not None:
            out["float64_determined"] = self.float64_determined
        if self.tiles is not None:
            out.update(tiles=self.tiles.total, tiles_reused=self.tiles.resumed,
                       tiles_computed=self.tiles.computed, tiles_repaired=self.tiles.repaired)
        return out

    def figure(self, vmax: float | None = None):
        """The landscape drawn: a heatmap over two axes (in their outer coordinates), a
        curve over one.

        Args:
          vmax: colour-scale ceiling (or the curve's), in the measure's units; ``None``:
            10 for the outer loss, none for other measures.
        """
        from metaloss._src import plot

        if vmax is None and self.data.name == "outer_loss":
            vmax = 10.0
        if self.data.ndim == 2:
            return plot.heatmap(self.data, params=self.space, vmax=vmax)
        return plot.sweep(self.data)

    def save(self, out, *, vmax: float | None = None) -> dict[str, Path]:
        """Writes the landscape's files into the directory ``out`` (created if missing).

        Files: ``landscape.json`` (:attr:`summary`), ``landscape.nc`` (the data) for a
        landscape computed in memory (a store already holds its data), and over one or
        two axes ``landscape.png`` (:meth:`figure`).

        Returns:
          what -> path of each file written (keys ``summary``, ``data``, ``figure``).
        """
        from metaloss._src import plot
        from metaloss._src.grid import save_netcdf
        from metaloss._src.grid.io import check_writable_dir, write_text

        out = check_writable_dir(out)
        paths = {"summary": write_text(out / "landscape.json",
                                       json.dumps(self.summary, indent=1))}
        if self.store is None:
            paths["data"] = save_netcdf(self.data, out / "landscape.nc")
        if self.data.ndim in (1, 2):
            paths["figure"] = out / "landscape.png"
            plot.save(self.figure(vmax), paths["figure"])
        return paths


def landscape(meta: MetaLoss, axes: Mapping[str, Any], *, key=None, store=None,
              resume: bool = False, tile: Sequence[int] | None = None,
              chunk: int | None = None, measure="loss", precision: str | None = None,
              progress: bool | None = None) -> Landscape:
    """Computes a measure over a grid, in memory or into a store, and its statistics.

    The grid is :func:`metaloss.landscape`'s; this adds the time it took, the counts of
    non-finite and diverged points, the store's tile counts and, in double-double, the
    share of points float64 gets right, and :meth:`Landscape.save` for the files.

    ```python
    run = ml.workflows.landscape(meta, {"lr": ml.logspace(-3, 2, 64),
                                        "momentum": 1 - ml.logspace(-3, 0, 64)})
    run.summary["diverged"]; run.save("landscape/")
    ```

    Args:
      meta: the meta-loss.
      axes: name -> 1-D array (a grid axis, in order) or scalar (held fixed), as for
        :func:`metaloss.landscape`.
      key: the inner runs' key (``None``: the meta-loss's default).
      store: a Zarr store path (``.zarr``) written tile by tile, resumable and shared
        among ``jax.distributed`` processes; ``None`` computes in memory.
      resume: continue an unfinished ``store``.
      tile: the store's tile shape, grid points per axis (default: chosen from the grid).
      chunk: grid points per device per compiled call (default: chosen per device).
      measure: what to compute per point (a :class:`metaloss.Measure` or its name).
      precision: ``"float32"``, ``"float64"``, ``"double-double"`` (in memory or in a
        store, which keeps the residues as ``NAME_lo``) or ``None`` for JAX's default.
      progress: show a progress bar; ``None`` shows one when stderr is a terminal.

    Returns:
      :class:`Landscape`: ``.data``, ``.summary``, ``.save(dir)``.
    """
    import jax

    from metaloss._src.grid.compute import landscape as compute
    from metaloss._src.grid.compute import prepare
    from metaloss._src.grid.doubled import check_precision
    from metaloss._src.measures import get as get_measure

    precision = check_precision(precision)
    measure = get_measure(measure)
    t0 = time.perf_counter()
    tiles = None
    if store is not None and precision == "double-double":
        from metaloss._src.grid.ddstore import store_landscape_dd
        from metaloss._src.grid.doubled import prepare_dd
        from metaloss._src.measures import LOSS

        if measure.name != LOSS.name:
            raise InputError("precision 'double-double' computes the outer loss only "
                             f"(measure 'loss'), not {measure.name!r}")
        meta_d, grid_d, residues = prepare_dd(meta, axes)
        da, tiles = store_landscape_dd(meta_d, grid_d, residues, store,
                                       key=meta_d.key_or_default(key), resume=resume,
                                       tile=None if tile is None else tuple(tile),
                                       chunk=chunk, progress=progress)
    elif store is not None:
        from metaloss._src.grid.fill import store_landscape

        x64 = jax.config.jax_enable_x64 if precision is None else precision == "float64"
        with jax.enable_x64(x64):
            meta_s, grid, key_s = prepare(meta, axes, key)
            da, tiles = store_landscape(meta_s, grid, store, key=key_s, resume=resume,
                                        tile=None if tile is None else tuple(tile),
                                        chunk=chunk, measure=measure, progress=progress)
    else:
        da = compute(meta, axes, measure=measure, chunk=chunk, key=key, precision=precision,
                     resume=resume, tile=tile, progress=progress)
    seconds = time.perf_counter() - t0
    determined = None
    if precision == "double-double":
        determined = _float64_determined(meta, axes, key, chunk, progress, da)
    return Landscape(da, seconds, meta.default_space(list(da.dims)),
                     None if store is None else Path(store), tiles, precision, determined)


def _float64_determined(meta, axes, key, chunk, progress, da) -> float | None:
    """The share of points whose float64 ``diverged`` flag equals ``da``'s; over several
    processes, process 0 computes it on its own devices (the float64 grid in memory, as
    in one process) while the others wait, and they get ``None``."""
    import jax

    from metaloss._src.grid.compute import evaluate_grid, prepare
    from metaloss._src.measures import LOSS

    if jax.process_count() == 1:
        from metaloss._src.grid.compute import landscape as compute

        low = compute(meta, axes, key=key, precision="float64", chunk=chunk, progress=progress)
        return float((np.asarray(low["diverged"]) == np.asarray(da["diverged"])).mean())
    from metaloss._src.grid import distributed
    from metaloss._src.grid.watchdog import watching

    out = None
    with watching():  # a lost process ends the others, as while the tiles are computed
        if jax.process_index() == 0:
            with jax.enable_x64(True):
                meta_s, grid, key_s = prepare(meta, axes, key)
                _, div = evaluate_grid(meta_s, grid, key_s, measure=LOSS, chunk=chunk)
            out = float((div == np.asarray(da["diverged"])).mean())
        distributed.barrier("metaloss-dd-compared")
    return out
