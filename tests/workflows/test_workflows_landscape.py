"""``metaloss.workflows.landscape``: the grid of ``ml.landscape`` with the statistics
``metaloss landscape`` reports, in memory or in a store, and ``save(dir)``'s files."""

import json

import jax
import numpy as np

import metaloss as ml
from metaloss import workflows
from metaloss._src.unroll import Divergence

META = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=20,
                   divergence=Divergence(2.0))
AXES = {"lr": ml.logspace(-3, 2, 12), "momentum": 1 - ml.logspace(-3, 0, 10)}


def test_in_memory_statistics_match_the_data_and_the_saved_files(tmp_path):
    run = workflows.landscape(META, AXES, key=jax.random.key(0))
    assert isinstance(run, workflows.Landscape) and run.store is None and run.tiles is None
    direct = ml.landscape(META, AXES, key=jax.random.key(0))
    np.testing.assert_array_equal(run.data.values, direct.values)
    div = int(direct["diverged"].sum())
    assert 0 < div < direct.size  # the counts below are not trivially 0 or all
    assert run.summary["points"] == 120 and run.summary["diverged"] == div
    assert run.summary["non_finite"] == int((~np.isfinite(direct.values)).sum())
    paths = run.save(tmp_path / "l")
    names = sorted(p.name for p in (tmp_path / "l").iterdir())
    assert names == ["landscape.json", "landscape.nc", "landscape.png"]
    assert names == sorted(p.name for p in paths.values())
    assert json.loads(paths["summary"].read_text()) == run.summary
    np.testing.assert_array_equal(ml.load_netcdf(paths["data"]).values, run.data.values)


def test_a_store_reports_its_tiles_and_resumes(tmp_path):
    path = tmp_path / "s.zarr"
    first = workflows.landscape(META, AXES, store=path, tile=(4, 5))
    assert first.store == path and first.summary["tiles"] == 6
    assert first.summary["tiles_computed"] == 6 and first.summary["tiles_reused"] == 0
    again = workflows.landscape(META, AXES, store=path, resume=True)
    assert again.summary["tiles_reused"] == 6 and again.summary["tiles_computed"] == 0
    np.testing.assert_array_equal(again.data.values, first.data.values)
    paths = again.save(tmp_path / "out")
    assert "data" not in paths  # the store holds the data
    assert json.loads(paths["summary"].read_text())["diverged"] == first.summary["diverged"]
    small = {"lr": AXES["lr"][:4], "momentum": 0.5}
    dd = workflows.landscape(META, small, store=tmp_path / "dd.zarr", precision="double-double")
    assert dd.summary["tiles_computed"] == dd.summary["tiles"] == 1
    assert 0.0 <= dd.summary["float64_determined"] <= 1.0 and "lr_lo" in dd.data.coords
