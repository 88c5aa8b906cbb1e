"""``metaloss.workflows.zoom`` through the public API: a result with every level, and a
``save(dir)`` that writes the files ``metaloss zoom`` writes, holding the result's numbers."""

import csv
import math
import re
from decimal import Decimal
from fractions import Fraction

import jax
import numpy as np
import pytest

import metaloss as ml
from metaloss import workflows
from metaloss._src.unroll import Divergence

VIEW = ["lr=log:1e-3:1e2", "momentum=1mlog:1e-3:1"]


@pytest.fixture(scope="module")
def meta():
    return ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=50,
                       divergence=Divergence(2.0))


@pytest.fixture(scope="module")
def zoomed(meta):
    return workflows.zoom(meta, VIEW, factor=3.0, levels=2, size=16, key=jax.random.key(0))


def test_the_result_holds_every_level_around_the_picked_centre(zoomed):
    assert isinstance(zoomed, workflows.Zoom)
    assert zoomed.auto and zoomed.store is None and set(zoomed.center) == {"lr", "momentum"}
    assert [lv.index for lv in zoomed.levels] == [0, 1]
    assert [da.shape for da in zoomed.data] == [(16, 16)] * 2
    first, second = zoomed.windows
    assert first["lr"] == pytest.approx((1e-3, 1e2))
    for name, to_u in (("lr", math.log10), ("momentum", lambda m: math.log10(1 - m))):
        lo0, hi0 = sorted(to_u(v) for v in first[name])
        lo1, hi1 = sorted(to_u(v) for v in second[name])
        assert hi1 - lo1 == pytest.approx((hi0 - lo0) / 3)
        assert lo1 <= to_u(zoomed.center[name]) <= hi1
    assert zoomed.dimensions[0] is not None  # level 0 has the boundary the centre is on
    assert zoomed.dimensions[0] == ml.analysis.boundary_dimension(
        np.asarray(zoomed.data[0]["diverged"], bool)).dimension


def test_save_writes_the_commands_files_with_the_results_numbers(zoomed, tmp_path):
    paths = zoomed.save(tmp_path / "z")
    names = sorted(p.name for p in (tmp_path / "z").iterdir())
    assert names == sorted(p.name for p in paths.values())
    assert {"level0.png", "level1.png", "level0.nc", "level1.nc", "zoom.gif",
            "dimensions.csv", "dimensions.md", "dimensions.png"} <= set(names)
    rows = list(csv.DictReader((tmp_path / "z" / "dimensions.csv").open()))
    for row, dim, table in zip(rows, zoomed.dimensions, zoomed.table(), strict=True):
        assert (row["dimension"] == "") == (dim is None)
        if dim is not None:
            assert float(row["dimension"]) == dim
        assert float(row["diverged_share"]) == table["diverged_share"]
    for k, da in enumerate(zoomed.data):
        np.testing.assert_array_equal(ml.load_netcdf(paths[f"data_level{k}"]).values, da.values)


def test_a_store_keeps_the_levels_and_bad_input_speaks_python(meta, tmp_path):
    z = workflows.zoom(meta, VIEW, {"lr": 1.03, "momentum": 0.97}, factor=2.0, levels=2,
                       size=16, store=tmp_path / "z.zarr")
    assert z.store == tmp_path / "z.zarr" and not z.auto
    np.testing.assert_array_equal(ml.open_store(tmp_path / "z.zarr" / "level1").values,
                                  z.data[1].values)
    assert "data_level0" not in z.save(tmp_path / "out")
    with pytest.raises(ml.InputError, match="choose another store= path") as e:
        workflows.zoom(meta, VIEW, {"lr": 1.03, "momentum": 0.97}, factor=5.0, levels=2,
                       size=16, store=tmp_path / "z.zarr")
    assert "--" not in str(e.value)
    calm = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=50,
                       divergence=Divergence(1e3))
    with pytest.raises(ml.InputError, match=r"center=None.*give center=.*divergence=") as e:
        workflows.zoom(calm, VIEW, levels=2, size=16)
    with pytest.raises(ml.InputError, match="size must be >= 16"):
        workflows.zoom(meta, VIEW, levels=2, size=8)


def test_a_log_view_past_float64_zooms_in_double_double(tmp_path):
    """Level 1, 1e14 times narrower than the log x 1mlog view, runs in double-double on
    its exact points (the plan's residues reach the stored level), and says so."""
    from metaloss._src.precision.exact import hilo

    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=10,
                       divergence=Divergence(2.0))
    z = workflows.zoom(meta, VIEW, {"lr": 1.03, "momentum": 0.97}, factor=1e14, levels=2,
                       size=16, store=tmp_path / "z.zarr")
    assert [lv.dtype for lv in z.levels] == ["float32", "double-double"]
    assert [r["dtype"] for r in z.table()] == ["float32", "double-double"]
    deep = z.data[1]
    assert deep.attrs["zoom_dtype"] == deep.attrs["precision"] == "double-double"
    stored = ml.open_store(tmp_path / "z.zarr" / "level1")
    for name in ("lr", "momentum"):
        hi, lo = hilo(z.levels[1].axes[name])
        assert np.any(lo != 0)
        for da in (deep, stored):
            np.testing.assert_array_equal(da[name].values, hi)
            np.testing.assert_array_equal(da[f"{name}_lo"].values, lo)
    np.testing.assert_array_equal(stored.values, deep.values)
    # the table's box tells its ends apart, from hi + lo (a float64 .10g read "1.03..1.03")
    box = dict(part.split(" ") for part in z.table()[1]["box"].split("; "))
    for name in ("lr", "momentum"):
        first, last = box[name].split("..")
        hi, lo = hilo(z.levels[1].axes[name])
        assert first != last
        for text, k in ((first, 0), (last, -1)):
            exact = Fraction(float(hi[k])) + Fraction(float(lo[k]))
            assert abs(Fraction(Decimal(text)) - exact) < abs(hi[-1] - hi[0]) / 100
    # and its image places the cells as offsets, told apart (not at one float64 point)
    ax = ml.plot.heatmap(deep, params=z.space).axes[0]
    for label, lim in ((ax.get_xlabel(), ax.get_xlim()), (ax.get_ylabel(), ax.get_ylim())):
        assert re.search(r" [-+] \d\.\d{20,}  \(x 1e-\d+\)$", label), label
        assert 1 < abs(lim[1] - lim[0]) < 2000
    with pytest.raises(ml.InputError, match="level 1 of the zoom is deeper than float64 "
                       "resolves and needs double-double, but .* outer loss only") as e:
        workflows.zoom(meta, VIEW, {"lr": 1.03, "momentum": 0.97}, factor=1e14, levels=2,
                       size=16, measure="trainability")
    assert "--" not in str(e.value)
