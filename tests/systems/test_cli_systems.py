"""The command line on systems: `metaloss estimate`, and commands that take no optimizer."""

import json

from cli_helpers import run


def test_estimate_prints_signed_estimates_and_the_exact_gradient(capsys):
    code, out, err = run(["estimate", "--problem", "influence_balancing", "--steps", "200",
                          "--at", "theta=0.5", "--estimator", "truncated(K=1)",
                          "--estimator", "rtrl(K=10)", "--samples", "2", "--json"], capsys)
    assert code == 0, err
    rows = {r["estimator"]: r for r in json.loads(out)["rows"]}
    rtrl, trunc = rows["rtrl(K=10)"], rows["truncated(K=1)"]
    assert abs(rtrl["mean"] - rtrl["exact"]) < 1e-3 * abs(rtrl["exact"])
    assert trunc["mean"] < 0 < trunc["exact"]
    assert json.loads(out)["config"]["optimizer"] == "dynamics"


def test_estimate_refuses_bad_points_and_optimizers(capsys):
    code, _, err = run(["estimate", "--problem", "influence_balancing", "--at", "lr=1"], capsys)
    assert code == 2 and "--at names 'lr'" in err and "Traceback" not in err
    code, _, err = run(["estimate", "--problem", "influence_balancing", "--optimizer", "sgd"],
                       capsys)
    assert code == 2 and "takes no optimizer" in err
    code, _, err = run(["estimate", "--problem", "influence_balancing", "--samples", "1"], capsys)
    assert code == 2 and "samples" in err


def test_train_a_system_from_the_command_line(tmp_path, capsys):
    code, out, err = run(["train", "--problem", "influence_balancing", "--steps", "20",
                          "--estimator", "rtrl(K=5)", "--init", "theta=0.5",
                          "--outer-steps", "5", "--step-size", "0.001", "--out", tmp_path],
                         capsys)
    assert code == 0, err
    summary = json.loads((tmp_path / "run.json").read_text())
    assert summary["final_values"]["theta"] < 0.5  # the exact gradient is positive there


def test_compare_on_influence_balancing_with_the_paper_s_outer_step(tmp_path, capsys):
    import csv

    code, out, err = run(["compare", "--problem", "influence_balancing", "--steps", "1000",
                          "--objective", "window_end(K=1)", "--param", "theta=lin", "--box",
                          "theta=0:1", "--starts", "2", "--estimators",
                          "truncated(K=1), rtrl(K=1)", "--budget", "300000", "--outer-step",
                          "1e-4", "--out", tmp_path, "--quiet"], capsys)
    assert code == 0, err
    assert "SGD step 0.0001" in (tmp_path / "report.md").read_text()
    final = {}
    for r in csv.DictReader((tmp_path / "compare_runs.csv").read_text().splitlines()):
        final.setdefault(r["estimator"], []).append(float(r["final_theta_value"]))
    assert all(abs(t + 1 / 6) < 0.02 for t in final["rtrl(K=1)"])  # the paper's optimum
    assert all(t > 1.0 for t in final["truncated(K=1)"])  # away from it, past the start
    code, _, err = run(["compare", "--problem", "influence_balancing", "--outer-step", "0",
                        "--out", tmp_path / "x"], capsys)
    assert code == 2 and "--outer-step" in err


def test_compare_on_the_toy_regression_with_the_paper_s_outer_adam(tmp_path, capsys):
    import csv

    code, out, err = run(["compare", "--quick", "--problem", "toy_regression", "--steps", "20",
                          "--param", "theta0=lin", "--param", "theta1=lin", "--box",
                          "theta0=-4.1:-3.9", "--box", "theta1=-4.1:-3.9", "--starts", "2",
                          "--estimators", "truncated(K=10)", "--budget", "10",
                          "--outer-optimizer", "adam", "--outer-step", "0.1", "--outer-b1",
                          "0.99", "--out", tmp_path, "--quiet"], capsys)
    assert code == 0, err
    assert "Adam step 0.1 (b1 0.99, b2 0.999), no clipping" in (tmp_path / "report.md").read_text()
    for r in csv.DictReader((tmp_path / "compare_runs.csv").read_text().splitlines()):
        for k in ("theta0", "theta1"):  # one Adam step: the rate, in each coordinate
            assert abs(abs(float(r[f"final_{k}"]) - float(r[f"start_{k}"])) - 0.1) < 1e-4
    code, _, err = run(["compare", "--problem", "toy_regression", "--outer-optimizer", "lbfgs",
                        "--out", tmp_path / "x"], capsys)
    assert code == 2 and "lbfgs" in err


def test_landscape_measures_and_zoom_on_systems_from_the_command_line(tmp_path, capsys):
    import xarray as xr

    out = tmp_path / "ly.nc"
    code, _, err = run(["landscape", "--problem", "influence_balancing", "--steps", "300",
                        "--objective", "final", "--axis", "theta=lin:-0.5:0.5:5",
                        "--measure", "lyapunov", "--out", out], capsys)
    assert code == 0, err
    with xr.open_dataset(out, engine="h5netcdf") as ds:  # A's exponent, the same at every theta
        values = ds["lyapunov"].values
    assert values.shape == (5,) and abs(values.max() - values.min()) < 1e-6
    assert -0.6931 < values[0] < 0
    code, out, err = run(["zoom", "--problem", "toy_regression", "--axis", "theta0=lin:-8:4",
                          "--axis", "theta1=lin:-8:4", "--center", "theta0=2.8", "--center",
                          "theta1=-3.7", "--levels", "2", "--size", "16", "--out",
                          tmp_path / "zoom"], capsys)
    assert code == 0, err
    assert "level 1: theta0 1..4, theta1 -5.2..-2.2" in out
    assert (tmp_path / "zoom" / "level1.png").stat().st_size > 0
