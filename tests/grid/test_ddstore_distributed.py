"""Double-double stores over several processes on localhost (``jax.distributed``): each
process computes its share of the tiles (values and their residues), and the finished
store equals a single-process one bit for bit, whether the processes start it (from the
command line) or finish what an earlier run left (from Python)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import zarr

import metaloss as ml
from metaloss._src.grid.axes import parse_axis
from metaloss._src.grid.store import TileStore
from metaloss.grid import open_store
from process_helpers import finished, free_port

LR = "lr=lin:1.0180281810576478916663401:1.0180281810576478916763401:8"
DELTA = "delta=lin:0.076:0.0760000000000000000001:2"
STEPS = 12

SCRIPT = textwrap.dedent(
    f"""
    import json, sys
    from metaloss._src.grid import distributed
    coordinator, n, pid, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    distributed.initialize(coordinator, n, pid, timeout=120)
    import jax
    import metaloss as ml
    from metaloss._src.grid.axes import parse_axis
    meta = ml.MetaLoss(ml.problems.CosineQuadratic(), ml.optimizers.SGD(), steps={STEPS})
    axes = dict(parse_axis(s) for s in ({LR!r}, {DELTA!r}))
    run = ml.workflows.landscape(meta, axes, precision="double-double", store=path,
                                 resume=True, progress=False)
    print(json.dumps({{"pid": jax.process_index(), "computed": run.tiles.computed,
                      "resumed": run.tiles.resumed,
                      "determined": run.float64_determined}}))
    """
)


def meta():
    return ml.MetaLoss(ml.problems.CosineQuadratic(), ml.optimizers.SGD(), steps=STEPS)


def axes():
    return dict(parse_axis(s) for s in (LR, DELTA))


ENV = {**os.environ, "JAX_PLATFORMS": "cpu", "JAX_NUM_CPU_DEVICES": "2"}  # dd uses one of 2


def cli(path, n):
    coordinator = f"127.0.0.1:{free_port()}"
    return [subprocess.Popen(
        [sys.executable, "-m", "metaloss.cli", "landscape", "--problem", "cosine_quadratic",
         "--optimizer", "sgd", "--steps", str(STEPS), "--axis", LR, "--axis", DELTA,
         "--precision", "double-double", "--out", str(path), "--tile", "2,2",
         "--distributed", "--coordinator", coordinator, "--num-processes", str(n),
         "--process-id", str(i)],
        env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(n)]


def script(path, n):
    coordinator = f"127.0.0.1:{free_port()}"
    return [subprocess.Popen([sys.executable, "-c", SCRIPT, coordinator, str(n), str(i),
                              str(path)], env=ENV, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for i in range(n)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("dddist")
    single = ml.landscape(meta(), axes(), precision="double-double", store=root / "one.zarr",
                          tile=(2, 2), progress=False).load()
    # an earlier run that stopped part-way: 3 of 4 tiles lost (mask cleared, data spoiled)
    shutil.copytree(root / "one.zarr", root / "partial.zarr")
    layout = TileStore.open(root / "partial.zarr").layout
    mask = zarr.open_array(root / "partial.zarr" / "tile_done", mode="r+")
    for name in ("outer_loss", "outer_loss_lo"):
        data = zarr.open_array(root / "partial.zarr" / name, mode="r+")
        for t in (0, 1, 3):
            data[layout.region(t)] = -1.0
    for t in (0, 1, 3):
        mask[np.unravel_index(t, layout.counts)] = False
    two = cli(root / "two.zarr", 2)
    resumed = script(root / "partial.zarr", 2)
    outs = finished(two)
    reports = [json.loads(out.strip().splitlines()[-1]) for out in finished(resumed)]
    return root, single, outs, reports


def assert_same(a, b):
    for name in ("outer_loss_lo", "diverged", "lr_lo", "delta_lo", "lr", "delta"):
        np.testing.assert_array_equal(a[name].values, b[name].values)
    np.testing.assert_array_equal(a.values, b.values)
    assert a.attrs["config"] == b.attrs["config"]


@pytest.mark.slow
def test_two_processes_from_the_command_line_equal_one(runs):
    root, single, (out0, out1), _ = runs
    assert "16 points; 2 of 4 tiles computed" in out0 and "wrote" not in out1
    assert "float64 gets" in out0  # process 0 compared the flags with float64's
    da = open_store(root / "two.zarr").load()
    assert da.attrs["precision"] == "double-double"
    assert_same(da, single)
    assert np.abs(da.outer_loss_lo.values).max() > 0
    summary = json.loads((root / "two.json").read_text())
    assert summary["tiles_computed"] == 2 and summary["precision"] == "double-double"


@pytest.mark.slow
def test_two_processes_finish_what_another_left(runs):
    root, single, _, resumed = runs
    assert [r["resumed"] for r in resumed] == [1, 1]
    assert [r["computed"] for r in resumed] == [2, 1]  # tiles 0 and 3, then 1
    assert resumed[0]["determined"] is not None and resumed[1]["determined"] is None
    assert_same(open_store(root / "partial.zarr").load(), single)


def test_a_multi_process_landscape_in_memory_is_refused(monkeypatch):
    import jax

    monkeypatch.setattr(jax, "process_count", lambda: 2)
    with pytest.raises(ValueError, match="several processes needs store="):
        ml.landscape(meta(), axes(), precision="double-double")
