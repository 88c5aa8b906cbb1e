"""The command line's one way to fail: user mistakes exit 2 with one line; a bug in
metaloss is shown as one (traceback, exit 1), never disguised as bad input."""

from __future__ import annotations

import json

import pytest

from cli_helpers import run
from metaloss._src.cli import train_cmd

AXIS = ["--axis", "lr=log:1e-3:1:4", "--steps", "5"]


@pytest.mark.parametrize("error", [RuntimeError("boom"), ValueError("an internal value"),
                                   KeyError("k"), OSError(5, "I/O error")])
def test_a_bug_is_reported_as_a_bug(tmp_path, capsys, monkeypatch, error):
    import metaloss._src.grid.compute as compute

    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(compute, "iter_chunks", broken)
    code, _, err = run(["landscape", *AXIS, "--out", str(tmp_path / "a.nc")], capsys)
    assert code == 1
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith("error: internal error")
    assert "bug" in err.strip().splitlines()[-1]


def test_a_user_path_error_is_bad_input(tmp_path, capsys, monkeypatch):
    import metaloss._src.grid.compute as compute

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device", str(tmp_path / "a.nc"))

    monkeypatch.setattr(compute, "iter_chunks", full)
    code, _, err = run(["landscape", *AXIS, "--out", str(tmp_path / "a.nc")], capsys)
    assert code == 2 and err.count("\n") == 1 and "No space left on device" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("args, words", [
    (["--estimator", "es:pairs=2,backprop"], "expected one estimator, got 2"),
    (["--estimator", "backprop", "--pairs", "4"], "--pairs does not apply to backprop"),
    (["--estimator", "es(pairs=2)", "--pairs", "4"], "--pairs and the spec"),
    (["--estimator", "es", "--K", "5"], "--K does not apply to es"),
    (["--estimator", "es(std=-1)"], "std must be positive"),
    (["--set", "momentum=0.5", "--set", "momentum=0.6"], "given twice"),
    (["--objective", "median"], "unknown objective 'median'"),
])
def test_train_refuses_ignored_or_conflicting_options(tmp_path, capsys, args, words):
    code, _, err = run(["train", "--steps", "5", "--outer-steps", "2", *args,
                        "--out", str(tmp_path / "t")], capsys)
    assert code == 2 and err.startswith("error: ") and words in err and err.count("\n") == 1


def test_flags_feed_the_spec():
    est = train_cmd.build_estimator("es", {"--std": 0.05, "--pairs": 3, "--K": None})
    assert est.std == 0.05 and est.pairs == 3
    est = train_cmd.build_estimator("pes(std=0.2)", {"--K": 5, "--std": None})
    assert est.K == 5 and est.std == 0.2


def test_train_records_the_estimator_spec_and_configuration(tmp_path, capsys):
    code, _, err = run(["train", "--steps", "5", "--outer-steps", "3", "--estimator", "es",
                        "--pairs", "2", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    summary = json.loads((tmp_path / "run.json").read_text())
    assert summary["estimator"] == "es(std=0.1, pairs=2)"
    assert summary["config"]["problem"] == "wavy1d" and summary["config"]["steps"] == 5


def test_compare_for_another_problem_optimizer_and_space(tmp_path, capsys):
    code, stdout, err = run(["compare", "--quick", "--problem", "quadratic(dim=4)",
                             "--optimizer", "sgd", "--steps", "10", "--param", "lr=log",
                             "--box", "lr=-3:0", "--starts", "2", "--budget", "200",
                             "--estimators", "backprop, es(pairs=1)", "--out", str(tmp_path)],
                            capsys)
    assert code == 0, err
    assert "backprop" in stdout and "es(std=0.1, pairs=1)" in stdout
    assert (tmp_path / "compare.csv").exists() and (tmp_path / "report.md").exists()
    code, _, err = run(["compare", "--quick", "--param", "momentum=lin", "--out",
                        str(tmp_path / "x")], capsys)
    assert code == 2 and "--box momentum=LOW:HIGH" in err


def test_commands_keep_compiled_programs_in_a_persistent_cache(tmp_path):
    import os
    import subprocess
    import sys

    cache = tmp_path / "cache"
    # every program cached: train's main program compiles in about 0.2 s, the
    # command's own threshold, so with that threshold whether it is cached is chance
    env = {**os.environ, "METALOSS_CACHE_DIR": str(cache),
           "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0"}
    cmd = [sys.executable, "-m", "metaloss.cli", "train", "--outer-steps", "5",
           "--out", str(tmp_path / "t")]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-2000:]
    entries = sorted(p.name for p in cache.rglob("*") if p.is_file())
    assert entries, "nothing was cached"
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]

    def result(proc):  # "true outer loss at the end 4.25": the same from cached programs
        return proc.stdout.split("true outer loss at the end ")[1].split(";")[0]

    assert result(again) == result(first)
    off = subprocess.run(cmd, env={**env, "METALOSS_CACHE_DIR": "off"}, capture_output=True,
                         text=True, timeout=300)
    assert off.returncode == 0


def test_old_spellings_warn_on_stderr_and_still_work(tmp_path, capsys):
    """--truncation (now --K) still parses for one release, with a warning on stderr;
    given with its new spelling it is refused."""
    args = ["train", "--estimator", "truncated", "--steps", "5", "--outer-steps", "2",
            "--out", str(tmp_path / "r")]
    code, stdout, err = run([*args, "--truncation", "3"], capsys)
    assert code == 0, err
    assert "--truncation is deprecated" in err and "use --K" in err
    assert "truncated(K=3)" in (tmp_path / "r" / "run.json").read_text()
    code, _, err = run([*args, "--truncation", "3", "--K", "3"], capsys)
    assert code == 2 and "give only --K" in err
