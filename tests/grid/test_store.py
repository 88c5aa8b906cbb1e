"""Zarr landscape stores: tile-by-tile writes, completion mask, resume, config checks, export."""

import dataclasses
import json
import math
import re

import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import zarr
from hypothesis import given, settings

import metaloss as ml
from metaloss._src.grid import distributed, fill
from metaloss._src.grid.store import TileLayout, TileStore, default_tile
from metaloss.grid import (
    export_netcdf,
    load_netcdf,
    open_store,
    split_axes,
)

TILE = (4, 4)


DIVERGE = ml.Divergence()


def make_meta(steps=12, divergence=DIVERGE):
    return ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=steps,
                       divergence=divergence)


AXES = {"lr": ml.logspace(-3, 2, 10), "momentum": 1 - ml.logspace(-3, 0, 7)}


@dataclasses.dataclass(frozen=True)
class Parabola(ml.problems.Problem):
    """x^2 from x = 1: SGD with lr > 1 blows up geometrically."""

    def init(self, key=None):
        return jnp.asarray(1.0)

    def loss(self, params, key=None):
        return params**2


@pytest.fixture(scope="module")
def reference():
    """The in-memory landscape, computed with the store's per-call length."""
    return ml.landscape(make_meta(), AXES, chunk=math.prod(TILE), progress=False)


def assert_same(a, b):
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a["diverged"].values, b["diverged"].values)
    assert a.dims == b.dims
    for d in a.dims:
        np.testing.assert_array_equal(a[d].values, b[d].values)


def test_store_equals_in_memory_landscape(tmp_path, reference):
    path = tmp_path / "l.zarr"
    da = ml.landscape(make_meta(), AXES, store=path, tile=TILE, progress=False)
    assert_same(da, reference)
    assert da.name == "outer_loss"
    store = TileStore.open(path)
    assert store.done().all() and store.done().size == 3 * 2
    assert da.attrs["config_hash"] == store.attrs["config_hash"]
    assert da.attrs["jax_version"] == jax.__version__
    assert da.attrs["metaloss_version"] == ml.__version__
    assert json.loads(da.attrs["store_config"])["tile"] == list(TILE)
    # one Zarr chunk per tile, so a tile is written by one region write
    assert zarr.open_array(path / "outer_loss").chunks == TILE


def test_tiles_computed_in_several_calls(tmp_path):
    # 16-point tiles in calls of 6 points: 3 calls per tile, the last one padded
    da = ml.landscape(make_meta(), AXES, store=tmp_path / "l.zarr", tile=TILE, chunk=6,
                      progress=False)
    assert json.loads(da.attrs["store_config"])["chunk"] == 6
    ref = ml.landscape(make_meta(), AXES, chunk=6, progress=False)
    assert_same(da, ref)


def test_finished_store_is_opened_not_recomputed(tmp_path, reference, monkeypatch):
    path = tmp_path / "l.zarr"
    ml.landscape(make_meta(), AXES, store=path, tile=TILE, progress=False)

    def no_compute(*args):
        if len(args[-2]):  # the tiles to compute
            raise AssertionError("a finished store was recomputed")
        return iter(())

    monkeypatch.setattr(fill, "_results", no_compute)
    assert_same(ml.landscape(make_meta(), AXES, store=path, progress=False), reference)
    assert_same(open_store(path), reference)


def _unmark(path, tiles_to_drop, garbage=0.0):
    """Simulates tiles lost by a crash: mask cleared, data overwritten."""
    store = TileStore.open(path)
    mask = zarr.open_array(path / "tile_done", mode="r+")
    data = zarr.open_array(path / "outer_loss", mode="r+")
    for t in tiles_to_drop:
        mask[np.unravel_index(t, store.layout.counts)] = False
        data[store.layout.region(t)] = garbage


def test_resume_computes_only_missing_tiles(tmp_path, reference):
    path = tmp_path / "l.zarr"
    ml.landscape(make_meta(), AXES, store=path, tile=TILE, progress=False)
    _unmark(path, [1, 4])
    with pytest.raises(ValueError, match=r"unfinished \(4 of 6 tiles\).*resume=True"):
        ml.landscape(make_meta(), AXES, store=path, progress=False)
    grid, fixed = split_axes(make_meta(), AXES)
    stats = fill.fill_store(make_meta().with_fixed(fixed), grid, path, key=jax.random.key(0),
                            resume=True, progress=False)
    assert (stats.total, stats.resumed, stats.computed) == (6, 4, 2)
    assert_same(open_store(path), reference)


def test_resume_without_store_starts_fresh(tmp_path, reference):
    da = ml.landscape(make_meta(), AXES, store=tmp_path / "n.zarr", resume=True, tile=TILE,
                      progress=False)
    assert_same(da, reference)


@pytest.mark.parametrize(
    "change, field",
    [
        (dict(meta=make_meta(steps=13)), "meta.steps"),
        (dict(axes={**AXES, "lr": ml.logspace(-3, 2.5, 10)}), "axes.lr.last"),
        (dict(axes={"momentum": AXES["momentum"], "lr": AXES["lr"]}), "dims"),
        (dict(axes={**AXES, "lr": ml.logspace(-3, 2, 11)}), "axes.lr"),
        (dict(tile=(2, 2)), "tile"),
        (dict(key=jax.random.key(7)), "key"),
        (dict(chunk=8), "chunk: stored 16, requested 8"),
    ],
)
def test_different_configuration_is_refused(tmp_path, change, field):
    path = tmp_path / "l.zarr"
    ml.landscape(make_meta(), AXES, store=path, tile=TILE, progress=False)
    kwargs = dict(meta=make_meta(), axes=AXES, tile=None, key=None, chunk=None) | change
    with pytest.raises(ValueError, match=rf"different landscape \({re.escape(field)}") as e:
        ml.landscape(kwargs["meta"], kwargs["axes"], store=path, resume=True,
                     tile=kwargs["tile"], key=kwargs["key"], chunk=kwargs["chunk"],
                     progress=False)
    assert "\n" not in str(e.value)


def test_fixed_hparam_change_is_refused(tmp_path):
    path = tmp_path / "l.zarr"
    axes = {"lr": AXES["lr"], "momentum": 0.5}
    ml.landscape(make_meta(), axes, store=path, progress=False)
    with pytest.raises(ValueError, match=r"fixed\.momentum: stored 0\.5, requested 0\.6"):
        ml.landscape(make_meta(), {**axes, "momentum": 0.6}, store=path, resume=True)


@pytest.mark.parametrize("objective, steps, bad", [("mean", 40, np.isnan), ("final", 12, np.isinf)])
def test_nan_and_inf_tiles_are_stored_and_marked(tmp_path, objective, steps, bad):
    # Without a divergence policy, huge learning rates on a parabola give all-NaN
    # (equal to Zarr's fill value) or all-inf tiles: they must be written and marked.
    meta = ml.MetaLoss(Parabola(), ml.optimizers.SGDM(), steps=steps, objective=objective,
                       divergence=None)
    axes = {"lr": ml.logspace(1.5, 3, 8), "momentum": 1 - ml.logspace(-3, 0, 8)}
    ref = ml.landscape(meta, axes, chunk=16, progress=False)
    assert bad(ref.values).all()
    path = tmp_path / "nan.zarr"
    da = ml.landscape(meta, axes, store=path, tile=TILE, progress=False)
    np.testing.assert_array_equal(da.values, ref.values)
    assert TileStore.open(path).done().all()
    written = {p.relative_to(path / "outer_loss" / "c").as_posix()
               for p in (path / "outer_loss" / "c").rglob("*") if p.is_file()}
    assert written == {f"{i}/{j}" for i in range(2) for j in range(2)}


def test_open_store_refuses_unfinished_unless_asked(tmp_path, reference):
    path = tmp_path / "l.zarr"
    ml.landscape(make_meta(), AXES, store=path, tile=TILE, progress=False)
    _unmark(path, [0], garbage=np.nan)
    with pytest.raises(ValueError, match="unfinished"):
        open_store(path)
    part = open_store(path, incomplete=True)
    assert np.isnan(part.values[:4, :4]).all()
    np.testing.assert_array_equal(part.values[4:], reference.values[4:])
    with pytest.raises(ValueError, match="no landscape store"):
        open_store(tmp_path / "absent.zarr")


def test_export_netcdf_round_trip(tmp_path, reference):
    path = tmp_path / "l.zarr"
    ml.landscape(make_meta(), AXES, store=path, tile=TILE, progress=False)
    out = export_netcdf(path, tmp_path / "l.nc")
    back = load_netcdf(out)
    assert_same(back, reference)
    assert back.attrs["config_hash"] == TileStore.open(path).attrs["config_hash"]


def test_path_that_is_not_a_store_is_refused(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="is not a metaloss landscape store"):
        ml.landscape(make_meta(), AXES, store=other, progress=False)
    assert (other / "notes.txt").read_text() == "mine"


def test_progress_counts_tiles_including_resumed(tmp_path, capsys):
    path = tmp_path / "l.zarr"
    ml.landscape(make_meta(), AXES, store=path, tile=TILE, progress=False)
    _unmark(path, [2, 3, 5])
    ml.landscape(make_meta(), AXES, store=path, resume=True, progress=True)
    err = capsys.readouterr().err
    assert "3/6" in err and "6/6" in err and "tiles/s" in err
    assert "0/6" not in err


def test_resume_and_tile_need_a_store():
    with pytest.raises(ValueError, match="store="):
        ml.landscape(make_meta(), AXES, resume=True)


@settings(max_examples=60, deadline=None)
@given(
    shape=st.lists(st.integers(1, 40), min_size=1, max_size=3).map(tuple),
    target=st.integers(1, 300),
)
def test_default_tiles_partition_the_grid(shape, target):
    tile = default_tile(shape, target)
    assert all(1 <= t <= n for t, n in zip(tile, shape, strict=True))
    assert math.prod(tile) <= max(target, 1)
    layout = TileLayout(shape, tile)
    hits = np.zeros(shape, int)
    for i in range(layout.n_tiles):
        hits[layout.region(i)] += 1
    assert (hits == 1).all()


@given(n=st.integers(0, 50), count=st.integers(1, 5))
def test_process_shares_are_disjoint_and_cover(n, count):
    todo = np.arange(n) * 3
    shares = [distributed.share(todo, i, count) for i in range(count)]
    assert sorted(np.concatenate(shares).tolist()) == todo.tolist()
    assert max(map(len, shares)) - min(map(len, shares)) <= 1


def test_resume_under_other_versions_warns(tmp_path, reference):
    path = tmp_path / "l.zarr"
    ml.landscape(make_meta(), AXES, store=path, tile=TILE, progress=False)
    _unmark(path, [0])
    group = zarr.open_group(path, mode="r+")
    group.attrs["jax_version"] = "0.0.1"
    with pytest.warns(UserWarning, match="0.0.1"):
        da = ml.landscape(make_meta(), AXES, store=path, resume=True, progress=False)
    assert_same(da, reference)


def test_float64_store_is_its_own_configuration(tmp_path, x64):
    path = tmp_path / "l.zarr"
    da = ml.landscape(make_meta(), AXES, store=path, tile=TILE, progress=False)
    assert da.dtype == np.float64
    assert json.loads(da.attrs["store_config"])["dtype"] == "float64"
    np.testing.assert_array_equal(
        da.values, ml.landscape(make_meta(), AXES, chunk=16, progress=False).values
    )
    with jax.enable_x64(False), pytest.raises(ValueError, match="dtype: stored"):
        ml.landscape(make_meta(), AXES, store=path, progress=False)
