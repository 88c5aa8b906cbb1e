"""``metaloss landscape --measure lyapunov|gradnorm``: files, plots, stores and resume."""

import json

import numpy as np
import zarr

import metaloss as ml
from cli_helpers import run
from metaloss._src.grid.store import TileStore
from metaloss.cli import main
from metaloss.grid import open_store

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


def test_per_layer_learning_rates_and_problem_hyperparameters_as_axes(tmp_path, capsys):
    """``lr/layer0`` and ``lr/layer1`` as axes, trainability measured: the NetCDF file
    and the Zarr store (whose formats read ``/`` as a path) hold the same grid under
    the same names."""
    axes = ["--problem", "meanfield_mlp(width=4)", "--optimizer", "sgd", "--steps", "20",
            "--axis", "lr/layer0=log:1e-1:1e4:6", "--axis", "lr/layer1=log:1e-1:1e4:5",
            "--measure", "trainability", "--divergence", "0", "--chunk", "32"]
    # one chunk length for both: in memory and in a store the default chunks differ (16
    # and 32 on 2 cores), and XLA's float32 rounding at chaotic points may follow it
    # (6 of these 30 points on a CPU without AVX-512; docs/landscapes.md, Speed)
    nc, store = tmp_path / "t.nc", tmp_path / "t.zarr"
    for out in (nc, store):
        code, _, err = run(["landscape", *axes, "--out", out, "--plot", out.with_suffix(".png")],
                           capsys)
        assert code == 0, err
    a, b = ml.load_netcdf(nc), open_store(store).load()
    assert a.dims == b.dims == ("lr/layer0", "lr/layer1")
    np.testing.assert_array_equal(a.values, b.values)
    assert (a.values < 0).any() and (a.values > 0).any()  # converged and not
    np.testing.assert_array_equal(a.diverged.values, a.values > 0)
    # a problem hyperparameter as an axis and another one fixed
    code, _, err = run(["landscape", "--problem", "cosine_quadratic", "--optimizer", "sgd",
                        "--steps", "30", "--set", "delta=0.3", "--axis", "lr=lin:0.5:1.5:7",
                        "--axis", "x0=lin:-3:3:4", "--out", tmp_path / "c.nc"], capsys)
    assert code == 0, err
    c = ml.load_netcdf(tmp_path / "c.nc")
    assert c.dims == ("lr", "x0") and c.diverged.values[-1].all()
    assert not c.diverged.values[0].any()
    code, _, err = run(["landscape", "--axis", "lr/layer0=log:1e-3:1:4", "--out",
                        tmp_path / "w.nc"], capsys)
    assert code == 2 and "no parameter group 'layer0'" in err and len(err.splitlines()) == 1
