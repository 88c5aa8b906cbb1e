"""Double-double landscapes in Zarr stores: coordinates and values keep their residues
(``NAME_lo``, ``outer_loss_lo``), a resumed store equals a single run, windows whose
float64 values coincide are different stores, and exports keep every digit."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import zarr

import metaloss as ml
from metaloss._src.errors import Interrupted
from metaloss._src.grid.axes import parse_axis
from metaloss._src.grid.store import TileStore
from metaloss._src.precision import exact
from metaloss.grid import exact_coordinates, export_netcdf, load_netcdf, open_store

A = "1.0180281810576478916663401"
B = "1.0180281810576478916763401"  # A + 1e-20: float64 holds one value for the window
N = 8
TILE = (2, 2)
DD_ULP = 2.0**-104  # a double-double rounding, relative, with room for one more


def meta():
    return ml.MetaLoss(ml.problems.CosineQuadratic(), ml.optimizers.SGD(), steps=12)


def axes(stop=B):
    return {"lr": parse_axis(f"lr=lin:{A}:{stop}:{N}")[1],
            "delta": parse_axis("delta=lin:0.076:0.0760000000000000000001:2")[1]}


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """The store written in one run, loaded."""
    path = tmp_path_factory.mktemp("dd") / "one.zarr"
    return ml.landscape(meta(), axes(), precision="double-double", store=path, tile=TILE,
                        progress=False).load()


def assert_same(a, b):
    for name in ("outer_loss_lo", "diverged", "lr_lo", "delta_lo"):
        np.testing.assert_array_equal(a[name].values, b[name].values)
    np.testing.assert_array_equal(a.values, b.values)


def test_window_below_float64_keeps_exact_coordinates(tmp_path, single):
    path = tmp_path / "w.zarr"
    ml.landscape(meta(), axes(), precision="double-double", store=path, tile=TILE,
                 progress=False)
    da = open_store(path)
    assert da.attrs["precision"] == "double-double"
    assert len(set(da.lr.values)) == 1  # float64 alone collapses the window
    got = exact_coordinates(da)["lr"]
    want = exact.points(A, B, N)
    assert len(set(got)) == N
    for g, w in zip(got, want, strict=True):
        assert abs(g - w) <= DD_ULP * w
    steps = np.diff([float((g - got[0]) * 10**20) for g in got])
    np.testing.assert_allclose(steps, 1 / (N - 1), rtol=1e-6)
    decimals = exact_coordinates(da, kind="decimal", digits=27)["lr"]
    assert decimals[0] == "1.0180281810576478916663401e0" and len(set(decimals)) == N
    assert_same(da, single)
    # the outer loss carries its residue: value + value_lo is the double-double result
    mem = ml.landscape(meta(), axes(), precision="double-double")
    np.testing.assert_array_equal(da.values, mem.values)
    np.testing.assert_array_equal(da.outer_loss_lo.values, mem.outer_loss_lo.values)
    assert np.abs(da.outer_loss_lo.values).max() > 0


def test_interrupted_store_resumes_to_the_single_run(tmp_path, single, monkeypatch):
    path = tmp_path / "r.zarr"
    write = TileStore.write_tile
    calls = []

    def stop_after_two(self, *args, **kwargs):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(1)
        return write(self, *args, **kwargs)

    monkeypatch.setattr(TileStore, "write_tile", stop_after_two)
    with pytest.raises(Interrupted, match="2 of 4 tiles"):
        ml.landscape(meta(), axes(), precision="double-double", store=path, tile=TILE,
                     progress=False)
    monkeypatch.setattr(TileStore, "write_tile", write)
    with pytest.raises(ValueError, match=r"unfinished \(2 of 4 tiles\)"):
        ml.landscape(meta(), axes(), precision="double-double", store=path, progress=False)
    # damage a finished tile's residues: the checksum covers them, the resume redoes it
    lo = zarr.open_array(path / "outer_loss_lo", mode="r+")
    lo[0:2, 0:2] = 0.5
    assert TileStore.open(path).damaged() == [0]
    da = ml.landscape(meta(), axes(), precision="double-double", store=path, resume=True,
                      progress=False)
    assert_same(da.load(), single)


def test_windows_with_equal_float64_values_are_different_stores(tmp_path, single):
    path = tmp_path / "s.zarr"
    ml.landscape(meta(), axes(), precision="double-double", store=path, tile=TILE,
                 progress=False)
    other = axes(stop="1.0180281810576478916763402")
    np.testing.assert_array_equal(other["lr"], axes()["lr"])  # same hi parts
    with pytest.raises(ValueError, match="different landscape.*lo_sha256"):
        ml.landscape(meta(), other, precision="double-double", store=path, resume=True,
                     progress=False)
    # and a float64 store of the same grid is yet another configuration
    with pytest.raises(ValueError, match="different landscape"):
        ml.landscape(meta(), axes(), precision="float64", store=path, resume=True,
                     progress=False)


def test_export_keeps_every_digit(tmp_path, single):
    path = tmp_path / "e.zarr"
    ml.landscape(meta(), axes(), precision="double-double", store=path, tile=TILE,
                 progress=False)
    back = load_netcdf(export_netcdf(path, tmp_path / "e.nc"))
    assert_same(back, single)
    assert exact_coordinates(back) == exact_coordinates(single)
    assert "coordinates" not in back.attrs


def test_log_axis_store_keeps_its_residues(tmp_path):
    spec = f"lr=log:{A}:{B}:4"
    _, lr = parse_axis(spec)
    da = ml.landscape(meta(), {"lr": lr}, precision="double-double", store=tmp_path / "l.zarr",
                      progress=False)
    np.testing.assert_array_equal(da.lr_lo.values, lr.lo)
    got = exact_coordinates(da)["lr"]
    assert len(set(got)) == 4 and got[0] == Fraction(float(lr[0])) + Fraction(float(lr.lo[0]))


def test_exact_coordinates_of_a_float_landscape():
    da = ml.landscape(meta(), {"lr": np.array([0.5, 0.25])}, progress=False)
    assert exact_coordinates(da) == {"lr": [Fraction(1, 2), Fraction(1, 4)]}
    with pytest.raises(ValueError, match="kind"):
        exact_coordinates(da, kind="float")


def test_per_layer_axis_keeps_its_residues_on_disk(tmp_path):
    """``lr/layer0`` is spelled ``lr.layer0`` in files, and so is its ``_lo``."""
    _, lr = parse_axis("lr/layer0=lin:0.1:0.1000000000000000000001:3")
    m = ml.MetaLoss(ml.problems.MeanFieldMLP(width=2), ml.optimizers.SGD(), steps=3)
    mem = ml.landscape(m, {"lr/layer0": lr}, precision="double-double")
    want = exact_coordinates(mem)["lr/layer0"]
    assert len(set(want)) == 3
    ml.save_netcdf(mem, tmp_path / "g.nc")
    store = ml.landscape(m, {"lr/layer0": lr}, precision="double-double",
                         store=tmp_path / "g.zarr", progress=False)
    for da in (load_netcdf(tmp_path / "g.nc"), store):
        assert exact_coordinates(da)["lr/layer0"] == want
