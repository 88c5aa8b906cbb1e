"""An estimator comparison written out: the table (CSV, markdown), figures and data
(:meth:`~metaloss._src.workflows.comparison.Comparison.save`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from metaloss._src import plot
from metaloss._src.analysis.stats import Estimate
from metaloss._src.grid.io import atomic_path, check_writable_dir, write_text

if TYPE_CHECKING:
    from metaloss._src.workflows.comparison import Comparison

HEADERS = {
    "estimator": "estimator", "outer_steps": "outer steps", "inner_steps": "inner steps/run",
    "median": "median [95% CI]", "q25": "q25 [95% CI]", "q75": "q75 [95% CI]",
    "in_basin": "in basin [95% CI]", "wall_s": "wall s", "compile_s": "compile s",
}
"""Readable headers of the fixed columns; a named start's column is ``from <label>``."""


def columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The table's column keys, in order."""
    return list(rows[0]) if rows else list(HEADERS)


def _cell(key: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Estimate):
        return value.format(percent=key == "in_basin")
    if key in ("outer_steps", "inner_steps"):
        return str(int(value))
    if key == "in_basin":
        return f"{100 * value:.0f}%"
    return f"{value:.2f}" if key.endswith("_s") else f"{value:.3f}"


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """An estimate becomes three columns: ``name``, ``name_ci_low``, ``name_ci_high``."""
    out = {}
    for k, v in row.items():
        if isinstance(v, Estimate):
            out.update({k: v.value, f"{k}_ci_low": v.low, f"{k}_ci_high": v.high})
        else:
            out[k] = v
    return out


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    """Rows as CSV, full precision, machine-readable column names (intervals as
    ``_ci_low`` / ``_ci_high`` columns)."""
    flat = [_flat(r) for r in rows]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(list(flat[0]) if flat else [])
    for r in flat:
        writer.writerow([v if isinstance(v, (str, bool)) else repr(float(v))
                         for v in r.values()])
    return buf.getvalue()


def headers(rows: Sequence[dict[str, Any]]) -> list[str]:
    return [HEADERS.get(k, k) for k in columns(rows)]


def format_rows(rows: Sequence[dict[str, Any]]) -> list[list[str]]:
    """The table's cells as rounded strings, in column order."""
    return [[_cell(k, v) for k, v in r.items()] for r in rows]


def to_markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The table as a GitHub-flavoured markdown table, rounded for reading."""
    lines = ["| " + " | ".join(headers(rows)) + " |", "|" + "---|" * len(columns(rows))]
    lines += ["| " + " | ".join(cells) + " |" for cells in format_rows(rows)]
    return "\n".join(lines) + "\n"


def run_rows(cmp: Comparison) -> list[dict[str, Any]]:
    """One row per run: estimator, start (its name, or ``random i``), start and end
    point in outer coordinates and hyperparameter values, final true loss, in basin."""
    names = list(cmp.space.names)
    rows = []
    for r in cmp.runs:
        n = len(r.final_loss)
        labels = [f"random {i}" for i in range(n - len(cmp.starts))] + list(cmp.starts)
        start = {k: r.params[k][:, 0] for k in names}
        end = {k: r.params[k][:, -1] for k in names}
        start_v, end_v = cmp.space.to_hparams(start), cmp.space.to_hparams(end)
        for i in range(n):
            row = {"estimator": r.label, "start": labels[i]}
            row.update({f"start_{k}": float(start[k][i]) for k in names})
            row.update({f"start_{k}_value": float(start_v[k][i]) for k in names})
            row.update({f"final_{k}": float(end[k][i]) for k in names})
            row.update({f"final_{k}_value": float(end_v[k][i]) for k in names})
            row.update({"final_true_loss": float(r.final_loss[i]),
                        "in_basin": bool(r.final_loss[i] <= cmp.threshold)})
            rows.append(row)
    return rows


def save(cmp: Comparison, out) -> dict[str, Path]:
    """Writes the table (CSV, markdown), the figures and the sweep data into ``out``
    (see :meth:`Comparison.save`)."""
    out = check_writable_dir(out)
    rows = cmp.table()
    paths = {"csv": out / "compare.csv", "markdown": out / "compare.md",
             "runs": out / "compare_runs.csv", "final_loss": out / "compare_final_loss.png"}
    for key, text in (("csv", to_csv(rows)), ("markdown", to_markdown(rows)),
                      ("runs", to_csv(run_rows(cmp)))):
        write_text(paths[key], text)
    plot.save(plot.final_losses({r.label: r.final_loss for r in cmp.runs}, cmp.threshold,
                                starts=tuple(cmp.starts)), paths["final_loss"])
    if cmp.landscape is not None and cmp.landscape.ndim == 2:
        paths["trajectories"] = out / "compare_trajectories.png"
        plot.save(plot.trajectory_panels(cmp.landscape, {r.label: r.params for r in cmp.runs},
                                         params=cmp.space, starts=len(cmp.starts)),
                  paths["trajectories"])
    if cmp.sweep is not None:
        paths["gradients"] = out / "compare_gradients.png"
        plot.save(plot.gradient_norms(cmp.sweep), paths["gradients"])
        paths["sweep"] = out / "compare_sweep.nc"
        with atomic_path(paths["sweep"]) as tmp:
            cmp.sweep.to_netcdf(tmp, engine="h5netcdf")
    if cmp.maps is not None:
        paths.update(save_maps(cmp.maps, out, cmp.space))
    return paths


def save_maps(ds, out: Path, space) -> dict[str, Path]:
    """The estimator maps as ``compare_maps.nc`` and, over two axes, one figure per
    quantity (``compare_maps_<quantity>.png``)."""
    paths = {"maps": out / "compare_maps.nc"}
    with atomic_path(paths["maps"]) as tmp:
        ds.to_netcdf(tmp, engine="h5netcdf")
    if len(space) == 2:
        for q in plot.MAP_QUANTITIES:
            paths[f"maps_{q}"] = out / f"compare_maps_{q}.png"
            plot.save(plot.estimator_map(ds, q, params=space), paths[f"maps_{q}"])
    return paths
