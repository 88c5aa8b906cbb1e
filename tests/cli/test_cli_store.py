"""The command line with Zarr stores: --out x.zarr, --resume, --distributed, export."""

import os
import subprocess
import sys

import numpy as np
import pytest
import zarr

import metaloss as ml
from cli_helpers import run
from metaloss._src.grid.store import TileStore
from metaloss.grid import open_store
from process_helpers import finished, free_port

AXES = ["--axis", "lr=log:1e-3:1e2:12", "--axis", "momentum=1mlog:1e-3:1:9", "--steps", "15"]



def test_zarr_out_writes_a_store_like_the_netcdf(tmp_path, capsys):
    code, stdout, err = run(["landscape", *AXES, "--out", tmp_path / "l.zarr"], capsys)
    assert code == 0, err
    assert "108 points" in stdout and (tmp_path / "l.json").exists()
    code, _, err = run(["landscape", *AXES, "--out", tmp_path / "l.nc"], capsys)
    assert code == 0, err
    store, nc = open_store(tmp_path / "l.zarr"), ml.load_netcdf(tmp_path / "l.nc")
    assert store.dims == nc.dims == ("lr", "momentum")
    np.testing.assert_allclose(store.values, nc.values, rtol=1e-6)
    assert not (tmp_path / "l.zarr").is_file() and (tmp_path / "l.zarr" / "zarr.json").exists()


def test_resume_flag_and_export(tmp_path, capsys):
    path = tmp_path / "l.zarr"
    args = ["landscape", *AXES, "--out", path, "--tile", "4,4"]  # 3 x 3 tiles
    assert run(args, capsys)[0] == 0
    full = open_store(path).load()
    layout = TileStore.open(path).layout
    mask = zarr.open_array(path / "tile_done", mode="r+")
    for t in (2, 5, 7):  # as if the run had been killed: unmarked tiles are redone
        mask[np.unravel_index(t, layout.counts)] = False
    code, _, err = run(args, capsys)
    assert code == 2 and "unfinished (6 of 9 tiles); continue it with --resume or" in err
    code, _, err = run(["export", path, "--out", tmp_path / "x.nc"], capsys)
    assert code == 2 and "unfinished" in err
    code, stdout, err = run([*args, "--resume"], capsys)
    assert code == 0, err
    assert "3 of 9 tiles computed" in stdout and "6 reused" in stdout, stdout
    assert '"tiles_computed": 3' in (tmp_path / "l.json").read_text()
    assert TileStore.open(path).done().all()
    np.testing.assert_array_equal(open_store(path).values, full.values)
    code, stdout, err = run(["export", path, "--out", tmp_path / "x.nc"], capsys)
    assert code == 0, err
    np.testing.assert_array_equal(ml.load_netcdf(tmp_path / "x.nc").values, full.values)
    # the old spelling (output as a second argument) still works, with a warning
    code, stdout, err = run(["export", path, tmp_path / "y.nc"], capsys)
    assert code == 0 and "deprecated" in err and "--out" in err and "wrote" in stdout
    np.testing.assert_array_equal(ml.load_netcdf(tmp_path / "y.nc").values, full.values)
    code, _, err = run(["export", path, tmp_path / "y.nc", "--out", tmp_path / "z.nc"], capsys)
    assert code == 2 and "give only --out" in err
    code, _, err = run(["export", path], capsys)
    assert code == 2 and "--out" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--out", "{tmp}/a.nc", "--resume"], "--resume needs --out PATH.zarr"),
        (["--out", "{tmp}/a.nc", "--distributed"], "--distributed needs --out PATH.zarr"),
        (["--out", "{tmp}/a.nc", "--tile", "4,4"], "--tile needs --out PATH.zarr"),
        (["--out", "{tmp}/a.zarr", "--tile", "4x4"], "--tile must be sizes"),
        (["--out", "{tmp}/a.zarr", "--tile", "4,0"], "tile must be 2 integers >= 1"),
        (["--out", "{tmp}/a.zarr", "--process-id", "0"], "need --distributed"),
        (["--out", "{tmp}/a.zarr", "--distributed", "--num-processes", "2"],
         "outside Slurm or Open MPI needs --coordinator HOST:PORT, --num-processes N and "
         "--process-id I"),
        (["--out", "{tmp}/a.zarr", "--distributed", "--coordinator", "nohost"], "HOST:PORT"),
    ],
)
def test_bad_store_flags(tmp_path, capsys, monkeypatch, args, message):
    for var in ("SLURM_JOB_ID", "OMPI_MCA_orte_hnp_uri"):
        monkeypatch.delenv(var, raising=False)
    code, _, err = run(["landscape", *AXES, *[a.replace("{tmp}", str(tmp_path)) for a in args]],
                       capsys)
    assert code == 2 and err.startswith("error: ") and message in err
    assert err.strip().count("\n") == 0


def test_export_errors(tmp_path, capsys):
    code, _, err = run(["export", tmp_path / "none.zarr", "--out", tmp_path / "x.nc"], capsys)
    assert code == 2 and "no landscape store" in err
    (tmp_path / "file").write_text("")
    code, _, err = run(["landscape", *AXES, "--out", tmp_path / "l.zarr"], capsys)
    code, _, err = run(["export", tmp_path / "l.zarr", "--out", tmp_path / "file" / "x.nc"], capsys)
    assert code == 2 and "file' is not a directory" in err


def test_distributed_command_line(tmp_path):
    port = free_port()
    path = tmp_path / "d.zarr"
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "metaloss.cli", "landscape", *AXES, "--out", str(path),
             "--tile", "4,4", "--distributed", "--coordinator", f"127.0.0.1:{port}",
             "--num-processes", "2", "--process-id", str(i)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(2)
    ]
    outs = finished(procs)
    assert "108 points" in outs[0] and "wrote" not in outs[1]  # process 0 reports
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=15)
    axes = {"lr": ml.logspace(-3, 2, 12), "momentum": 1 - ml.logspace(-3, 0, 9)}
    single = ml.landscape(meta, axes, store=tmp_path / "s.zarr", tile=(4, 4), progress=False)
    np.testing.assert_array_equal(open_store(path).values, single.values)
