"""``metaloss landscape --measure lyapunov|gradnorm``: files, plots, stores and resume."""

import json

import numpy as np
import zarr

import metaloss as ml
from cli_helpers import run
from metaloss.cli import main
from metaloss.grid import open_store
from metaloss.grid.store import TileStore

AXES = ["--axis", "lr=log:1e-3:1e2:12", "--axis", "momentum=1mlog:1e-3:1:9", "--steps", "15"]



def test_lyapunov_and_gradnorm_files_and_plots(tmp_path, capsys):
    for measure in ("lyapunov", "gradnorm"):
        out, png = tmp_path / f"{measure}.nc", tmp_path / f"{measure}.png"
        code, stdout, err = run(["landscape", *AXES, "--measure", measure, "--out", out,
                                 "--plot", png], capsys)
        assert code == 0, err
        assert "108 points" in stdout and "max " in stdout and png.stat().st_size > 0
        da = ml.load_netcdf(out)
        assert da.name == measure and da.attrs["measure"] == measure
        summary = json.loads((tmp_path / f"{measure}.json").read_text())
        assert summary["points"] == 108
    lyap = ml.load_netcdf(tmp_path / "lyapunov.nc")
    assert (lyap.values > 0).any() and (lyap.values < 0).any()


def test_a_lyapunov_store_resumes_and_refuses_another_measure(tmp_path, capsys):
    path = tmp_path / "l.zarr"
    args = ["landscape", *AXES, "--measure", "lyapunov(renorm=2)", "--out", path,
            "--tile", "4,4"]
    assert run(args, capsys)[0] == 0
    full = open_store(path).load()
    layout = TileStore.open(path).layout
    mask = zarr.open_array(path / "tile_done", mode="r+")
    for t in (1, 4):
        mask[np.unravel_index(t, layout.counts)] = False
    code, stdout, err = run([*args, "--resume"], capsys)
    assert code == 0, err
    assert "2 of 9 tiles computed" in stdout
    np.testing.assert_array_equal(open_store(path).values, full.values)
    code, _, err = run(["landscape", *AXES, "--out", path, "--tile", "4,4", "--resume"],
                       capsys)
    assert code == 2 and "measure" in err and len(err.strip().splitlines()) == 1


def test_an_unknown_measure_is_one_line_and_help_lists_the_measures(capsys):
    code, _, err = run(["landscape", *AXES, "--measure", "chaos", "--out", "x.nc"], capsys)
    assert code == 2 and "lyapunov" in err and len(err.strip().splitlines()) == 1
    assert main(["landscape", "--help"]) == 0
    assert "loss, lyapunov, gradnorm" in " ".join(capsys.readouterr().out.split())
