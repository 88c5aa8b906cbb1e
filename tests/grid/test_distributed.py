"""Several processes on localhost share one store through ``jax.distributed``.

Each process takes its share of the missing tiles; the finished store must equal
a single-process run, whether the processes start it or finish what an earlier
run left. The 2- and 3-process runs start together to save wall time.
"""

import json
import math
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import zarr

import metaloss as ml
from metaloss._src.grid import distributed, open_store
from metaloss._src.grid.store import TileStore
from process_helpers import finished, free_port

TILE = (4, 4)
AXES = {"lr": ml.logspace(-3, 2, 14), "momentum": 1 - ml.logspace(-3, 0, 11)}  # 4 x 3 tiles

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from metaloss._src.grid import distributed
    coordinator, n, pid, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    distributed.initialize(coordinator, n, pid, timeout=120)
    import jax, numpy as np
    import metaloss as ml
    from metaloss._src.grid import fill, open_store, split_axes
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=12)
    axes = {"lr": ml.logspace(-3, 2, 14), "momentum": 1 - ml.logspace(-3, 0, 11)}
    grid, fixed = split_axes(meta, axes)
    stats = fill.fill_store(meta.with_fixed(fixed), grid, path, key=jax.random.key(0),
                            resume=True, tile=(4, 4), progress=False)
    total = float(open_store(path).sum())  # every process sees the finished store
    print(json.dumps({"pid": jax.process_index(), "count": jax.process_count(),
                      "computed": stats.computed, "resumed": stats.resumed, "sum": total}))
    """
)


def launch(n, path, devices_each):
    coordinator = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "JAX_NUM_CPU_DEVICES": str(devices_each)}
    return [
        subprocess.Popen([sys.executable, "-c", SCRIPT, coordinator, str(n), str(i), str(path)],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(n)
    ]


def collect(procs):
    reports = [json.loads(out.strip().splitlines()[-1]) for out in finished(procs)]
    return sorted(reports, key=lambda r: r["pid"])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("dist")
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=12)
    single = ml.landscape(meta, AXES, store=root / "single.zarr", tile=TILE, progress=False)
    # An earlier run that stopped part-way: 5 of 12 tiles lost (mask cleared, data spoiled).
    shutil.copytree(root / "single.zarr", root / "partial.zarr")
    layout = TileStore.open(root / "partial.zarr").layout
    mask = zarr.open_array(root / "partial.zarr" / "tile_done", mode="r+")
    data = zarr.open_array(root / "partial.zarr" / "outer_loss", mode="r+")
    for t in (0, 3, 4, 8, 11):
        mask[np.unravel_index(t, layout.counts)] = False
        data[layout.region(t)] = -1.0
    two = launch(2, root / "two.zarr", devices_each=2)  # 2 processes x 2 devices
    three = launch(3, root / "partial.zarr", devices_each=1)
    return root, single, collect(two), collect(three)


@pytest.mark.slow
def test_two_processes_equal_one(runs):
    root, single, two, _ = runs
    assert [r["pid"] for r in two] == [0, 1] and all(r["count"] == 2 for r in two)
    assert [r["computed"] for r in two] == [6, 6]  # 12 tiles, split evenly
    da = open_store(root / "two.zarr")
    np.testing.assert_array_equal(da.values, single.values)
    np.testing.assert_array_equal(da["diverged"].values, single["diverged"].values)
    assert {r["sum"] for r in two} == {float(single.sum())}


@pytest.mark.slow
def test_three_processes_finish_what_another_left(runs):
    root, single, _, three = runs
    assert all(r["resumed"] == 7 for r in three)
    assert [r["computed"] for r in three] == [2, 2, 1]
    np.testing.assert_array_equal(open_store(root / "partial.zarr").values, single.values)
    assert math.isfinite(three[0]["sum"])


def test_initialize_needs_flags_outside_a_cluster(monkeypatch):
    for var in ("SLURM_JOB_ID", "OMPI_MCA_orte_hnp_uri"):
        monkeypatch.delenv(var, raising=False)
    assert distributed.cluster_environment() is None
    with pytest.raises(ValueError,
                       match="needs coordinator=HOST:PORT, num_processes=N and process_id=I"):
        distributed.initialize(num_processes=2)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(coordinator="localhost"), "HOST:PORT"),
        (dict(coordinator="h:1", num_processes=0, process_id=0), "num_processes"),
        (dict(coordinator="h:1", num_processes=2, process_id=2),
         r"process_id must be an integer in \[0, 1\]"),
    ],
)
def test_bad_flags_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        distributed.initialize(**kwargs)


def test_cluster_environment_is_detected(monkeypatch):
    slurm = dict(SLURM_JOB_ID="1", SLURM_STEP_NODELIST="n[1-2]", SLURM_NTASKS="2",
                 SLURM_PROCID="0", SLURM_LOCALID="0")
    for k, v in slurm.items():
        monkeypatch.setenv(k, v)
    assert distributed.cluster_environment() == "Slurm"
    monkeypatch.delenv("SLURM_PROCID")
    monkeypatch.setenv("OMPI_MCA_orte_hnp_uri", "1;tcp://10.0.0.1:1")
    assert distributed.cluster_environment() == "Open MPI"
