"""The command line: the pieces, and bad input as one line with exit code 2."""

import json
import subprocess
import sys

import numpy as np
import pytest

import metaloss as ml
from cli_helpers import run


def test_landscape_command_writes_netcdf_and_plot(tmp_path, capsys):
    out = tmp_path / "l.nc"
    code, stdout, err = run(["landscape", "--axis", "lr=log:1e-3:1e2:12",
                             "--axis", "momentum=1mlog:1e-3:1:5", "--steps", "20",
                             "--out", str(out), "--plot", str(tmp_path / "l.png")], capsys)
    assert code == 0, err
    da = ml.load_netcdf(out)
    assert da.dims == ("lr", "momentum") and da.shape == (12, 5)
    np.testing.assert_allclose(da.momentum.values, 1 - ml.logspace(-3, 0, 5))
    assert (tmp_path / "l.png").stat().st_size > 1000
    meta = json.loads((tmp_path / "l.json").read_text())
    assert meta["points"] == 60 and meta["non_finite"] == 0
    assert "60 points" in stdout


def test_train_command(tmp_path, capsys):
    code, stdout, err = run(["train", "--estimator", "es", "--outer-steps", "20", "--steps", "20",
                             "--init-coord", "lr=-2", "--init", "momentum=0.9", "--out",
                             str(tmp_path)], capsys)
    assert code == 0, err
    summary = json.loads((tmp_path / "run.json").read_text())
    assert set(summary["final"]) == {"lr", "momentum"}
    npz = np.load(tmp_path / "run.npz")
    assert npz["params_lr"].shape == (21,) and npz["params_lr"][0] == -2.0
    assert npz["params_momentum"][0] == pytest.approx(-1.0)  # log10(1 - 0.9)
    assert np.isfinite(summary["final_true_loss"])
    # values beside outer coordinates, so log10(lr) = -1.2 is not read as lr = -1.2
    assert "start lr 0.01 (log10(lr) -2), momentum 0.9 (log10(1 - momentum) -1)" in stdout
    final = summary["final_values"]
    assert f"final lr {final['lr']:.4g} (log10(lr) {summary['final']['lr']:.4g})" in stdout


def test_train_with_fixed_momentum(tmp_path, capsys):
    code, _, err = run(["train", "--set", "momentum=0.5", "--outer-steps", "5", "--steps", "10",
                        "--out", str(tmp_path)], capsys)
    assert code == 0, err
    summary = json.loads((tmp_path / "run.json").read_text())
    assert list(summary["final"]) == ["lr"] and summary["fixed"] == {"momentum": 0.5}


BAD = [
    (["landscape", "--axis", "lr=log:-1:1e2:10", "--out", "{tmp}/a.nc"], "positive"),
    (["landscape", "--axis", "lr=log:0:1e2:10", "--out", "{tmp}/a.nc"], "positive"),
    (["landscape", "--axis", "lr=log:1e-3:1e2:10", "--set", "momentum=1", "--out", "{tmp}/a.nc"],
     "momentum must lie in [0, 1)"),
    (["landscape", "--axis", "momentum=lin:0:1.5:10", "--out", "{tmp}/a.nc"],
     "momentum must lie in [0, 1)"),
    (["landscape", "--axis", "lr=log:1e-3:1e2:10", "--steps", "0", "--out", "{tmp}/a.nc"],
     "steps must be an integer >= 1"),
    (["landscape", "--axis", "lr=log:1e-3:1e2:0", "--out", "{tmp}/a.nc"], "grid size"),
    (["landscape", "--axis", "lr=log:1e-3:1e2:x", "--out", "{tmp}/a.nc"], "grid size"),
    (["landscape", "--axis", "lr=cubic:1:2:3", "--out", "{tmp}/a.nc"], "bad axis"),
    (["landscape", "--problem", "nope", "--axis", "lr=log:1e-3:1:3", "--out", "{tmp}/a.nc"],
     "unknown problem"),
    (["landscape", "--axis", "lr=log:1e-3:1:3", "--out", "{tmp}/file/a.nc"],
     "file' is not a directory"),
    (["landscape", "--axis", "lr=log:1e-3:1:3", "--out", "{tmp}/no/dir/a.nc"],
     "no/dir' does not exist: create it first"),
    (["landscape", "--axis", "lr=log:1e-3:1:3", "--out", "{tmp}/a.txt"],
     "--out must end in .nc or .zarr"),
    (["landscape", "--axis", "lr=log:1e-3:1:3", "--out", "{tmp}/a.nc", "--plot", "{tmp}/a.jpg"],
     "--plot must end in .png or .pdf or .svg"),
    (["landscape", "--axis", "lr=log:1e-3:1:400000", "--axis", "momentum=lin:0:0.9:400000",
      "--out", "{tmp}/a.nc"], "write it to a Zarr store instead (--out NAME.zarr)"),
    (["landscape", "--axis", "lr=log:1e-3:1:3", "--axis", "lr=log:1e-2:1:3", "--out",
      "{tmp}/a.nc"], "--axis 'lr' is given twice"),
    (["export", "{tmp}/a.nc", "--out", "{tmp}/b.nc"], "the store must end in .zarr"),
    (["train", "--estimator", "sgd", "--out", "{tmp}/t"], "unknown estimator"),
    (["train", "--outer-steps", "0", "--out", "{tmp}/t"], "outer steps"),
    (["train", "--init", "momentum=1.5", "--out", "{tmp}/t"],
     "--init momentum=1.5 (a momentum value; outer coordinates go to --init-coord): momentum "
     "must lie in [0, 1)"),
    (["train", "--init-coord", "momentum=0.3", "--out", "{tmp}/t"],
     "--init-coord momentum=0.3 means momentum = -0.9953 (log10(1 - momentum) = 0.3)"),
    (["train", "--init", "lr=0.1", "--init-coord", "lr=-1", "--out", "{tmp}/t"],
     "'lr' is given by both --init and --init-coord"),
    (["train", "--init", "b1=0.9", "--out", "{tmp}/t"], "--init names 'b1', which is not"),
    (["train", "--estimator", "truncated(K=100)", "--out", "{tmp}/t"],
     "window K=100 is longer than the unroll (50 inner steps)"),
    (["compare", "--estimators", "pes(K=60)", "--quick", "--out", "{tmp}/c"],
     "window K=60 is longer than the unroll"),
    (["train", "--out", "{tmp}/file"], "output directory"),
    (["train", "--param", "foo=log", "--out", "{tmp}/t"], "unknown outer parameter 'foo'"),
    (["train", "--set", "momentum=0.5", "--param", "momentum=1mlog", "--out", "{tmp}/t"],
     "unknown outer parameter 'momentum'"),
    (["train", "--param", "lr=cubic", "--out", "{tmp}/t"], "bad parametrization"),
    (["reproduce", "--out", "{tmp}/file/x"], "file' is not a directory"),
    (["reproduce", "--out", "{tmp}/no/x"], "no' does not exist"),
    (["landscape", "--nope"], "No such option"),
    (["landscape", "--out", "{tmp}/a.nc"], "Missing option"),
]


@pytest.mark.parametrize("args,msg", BAD)
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, args, msg):
    (tmp_path / "file").write_text("")  # a file where a directory is expected
    code, _, err = run([a.replace("{tmp}", str(tmp_path)) for a in args], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and msg in lines[0]
    assert "Traceback" not in err


def test_console_script_exit_code(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "metaloss.cli", "landscape", "--axis",
                           "lr=log:-1:1:3", "--out", str(tmp_path / "a.nc")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "positive" in proc.stderr


def test_divergence_factor_option(tmp_path, capsys):
    """A tiny factor marks every run of a large learning rate diverged; 0 turns it off."""
    base = ["landscape", "--axis", "lr=log:1:100:4", "--set", "momentum=0.9", "--steps", "20"]
    code, _, err = run(base + ["--divergence", "1e-3", "--out", str(tmp_path / "a.nc")], capsys)
    assert code == 0, err
    assert ml.load_netcdf(tmp_path / "a.nc").diverged.values.all()
    code, _, err = run(base + ["--divergence", "0", "--out", str(tmp_path / "b.nc")], capsys)
    assert code == 0, err
    assert not ml.load_netcdf(tmp_path / "b.nc").diverged.values.any()
    code, _, err = run(base + ["--divergence", "-1", "--out", str(tmp_path / "c.nc")], capsys)
    assert code == 2 and "--divergence must be >= 0" in err
