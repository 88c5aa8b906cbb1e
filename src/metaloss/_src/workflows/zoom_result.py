"""What a deep zoom computed: every level's grid and data, the centre, the boundary
dimension per level, and :meth:`Zoom.save` for the files ``metaloss zoom`` writes."""

from __future__ import annotations

import dataclasses
import functools
import math
from pathlib import Path
from typing import Any

import xarray as xr

from metaloss._src.grid.zoom import Level
from metaloss._src.space import Space


@dataclasses.dataclass(frozen=True)
class Zoom:
    """What :func:`~metaloss.workflows.zoom` computed.

    Attributes:
      levels: one ``Level`` per level, the starting view first: ``.index``, ``.box``
        (name -> ``(low, high)`` in the axes' own coordinates: log10 lr,
        log10(1 - momentum), the value for ``lin``), ``.axes`` (name -> the grid's
        hyperparameter values), ``.dtype`` (the float type the level ran in) and
        ``.cell_ulps`` (its narrowest cell in float32 ulps).
      data: one DataArray per level (loaded into memory), with its ``diverged`` mask;
        ``attrs`` carry ``zoom_level``, ``zoom_factor``, ``zoom_dtype`` and, with
        ``determined=True``, ``determined_share``.
      factor: how many times narrower each level is than the one before.
      center: the centre, name -> hyperparameter value (given, or picked on level 0's
        boundary).
      auto: whether the centre was picked (``center=None``).
      space: the axes' outer space (their parametrizations), for the figures.
      store: the Zarr group holding the levels (``level<k>`` inside it), or ``None``
        for a zoom computed in memory.
    """

    levels: list[Level]
    data: list[xr.DataArray]
    factor: float
    center: dict[str, float]
    auto: bool
    space: Space
    store: Path | None = None

    @property
    def windows(self) -> list[dict[str, tuple[float, float]]]:
        """Each level's window: name -> ``(first, last)`` hyperparameter value of its grid."""
        return [{n: (float(v[0]), float(v[-1])) for n, v in level.axes.items()}
                for level in self.levels]

    @property
    def dimensions(self) -> list[float | None]:
        """The boundary dimension of each level's ``diverged`` mask (box counting), or
        ``None`` for a level without a boundary."""
        return [None if r["dimension"] == "" else r["dimension"] for r in self._rows]

    def table(self) -> list[dict[str, Any]]:
        """One row per level: ``level``, ``magnification``, ``depth`` (log10 of it),
        ``dtype``, ``cell_ulps``, ``box``, ``diverged_share``, ``boundary_cells``,
        ``dimension`` with its 95% interval ``ci_low`` / ``ci_high`` and the fit's ``r2``
        (each ``""`` where the level has no boundary), and a ``note`` saying why."""
        return [dict(r) for r in self._rows]

    @functools.cached_property
    def _rows(self) -> list[dict[str, Any]]:
        """:meth:`table`'s rows, bootstrapped once."""
        from metaloss._src.workflows.zoom_files import dimension_rows

        return dimension_rows(list(zip(self.levels, self.data, strict=True)), self.factor)

    def save(self, out, *, vmax: float | None = None, images: bool = True) -> dict[str, Path]:
        """Writes the zoom's files into the directory ``out`` (created if missing).

        Files: ``level<k>.png`` per level (pixels whose ``diverged`` flag the next
        precision changes are grey with ``determined=True``), ``zoom.gif`` (and
        ``zoom.mp4`` where matplotlib finds ffmpeg), ``dimensions.csv`` (:meth:`table`,
        full precision), ``dimensions.md`` and ``dimensions.png``; for a zoom computed
        in memory (no ``store``) also ``level<k>.nc``, each level's data.

        Args:
          out: the directory.
          vmax: colour-scale ceiling of the level images, in the measure's units;
            ``None``: 10 for the outer loss, none for other measures.
          images: ``False`` where the level images are in ``out`` already (written by
            :func:`save_level` as each level finished, for progress); they are then
            only animated.

        Returns:
          what -> path of each file written (keys ``level<k>``, ``data_level<k>``,
          ``csv``, ``markdown``, ``gif``, ``mp4``, ``dimensions``).
        """
        from metaloss._src import plot
        from metaloss._src.grid import save_netcdf
        from metaloss._src.grid.io import check_writable_dir
        from metaloss._src.workflows.zoom_files import write_tables

        out = check_writable_dir(out)
        paths: dict[str, Path] = {}
        for level, da in zip(self.levels, self.data, strict=True):
            key = f"level{level.index}"
            paths[key] = (save_level(out, level, da, self.space, self.factor, vmax) if images
                          else out / f"{key}.png")
            if self.store is None:
                paths[f"data_{key}"] = save_netcdf(da, out / f"{key}.nc")
        frames = [paths[f"level{level.index}"] for level in self.levels]
        paths["csv"], paths["markdown"] = write_tables(self._rows, out)
        paths["gif"] = plot.animate(frames, out / "zoom.gif")
        if plot.can_write_mp4():
            paths["mp4"] = plot.animate(frames, out / "zoom.mp4")
        nan = lambda v: math.nan if v == "" else v  # noqa: E731
        rows = self._rows
        fig = plot.dimension_depth([r["depth"] for r in rows], [nan(r["dimension"]) for r in rows],
                                   [nan(r["ci_low"]) for r in rows],
                                   [nan(r["ci_high"]) for r in rows])
        paths["dimensions"] = out / "dimensions.png"
        plot.save(fig, paths["dimensions"])
        return paths


def save_level(out, level: Level, da: xr.DataArray, space: Space, factor: float,
               vmax: float | None = None) -> Path:
    """Writes one level's image, ``level<k>.png``, into the directory ``out`` and returns
    its path (``vmax`` as for :meth:`Zoom.save`; pixels that are not ``determined``,
    where that coordinate exists, are grey as non-finite ones)."""
    from metaloss._src import plot

    if vmax is None and da.name == "outer_loss":
        vmax = 10.0
    mag = float(factor) ** level.index
    shown = da
    if "determined" in da.coords:
        det = da["determined"]
        shown = da.where(det).assign_coords(diverged=da["diverged"] & det)
    path = Path(out) / f"level{level.index}.png"
    plot.save(plot.heatmap(shown, params=space, vmax=vmax,
                           title=f"level {level.index} (x{mag:.3g}, {level.dtype})"), path)
    return path
