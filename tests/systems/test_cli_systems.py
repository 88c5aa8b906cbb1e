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
