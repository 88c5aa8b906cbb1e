"""The command line with user-defined problems, other optimizers, and bad specs."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

import metaloss as ml
from cli_helpers import run

USER_MODULE = textwrap.dedent("""
    import jax.numpy as jnp
    import metaloss as ml

    def _cliff(x):
        # small and smooth for x < 3, NaN beyond: large learning rates diverge
        return jnp.sum(x ** 2 + jnp.sqrt(3.0 - x))

    problem = ml.problems.FromFunction(_cliff, init=jnp.ones(2))
    not_a_problem = 42

    def needs_args(x):
        return x

    broken = ml.problems.FromFunction(lambda p: p[None] @ jnp.ones((3, 3)), init=jnp.ones(2))
    vector = ml.problems.FromFunction(lambda p: p * 2.0, init=jnp.ones(2))
""")


@pytest.fixture
def user_dir(tmp_path):
    (tmp_path / "ml_cli_user.py").write_text(USER_MODULE)
    yield tmp_path
    sys.modules.pop("ml_cli_user", None)



def test_landscape_of_a_user_problem_from_a_file(user_dir, capsys):
    out, png = user_dir / "u.nc", user_dir / "u.png"
    code, stdout, err = run(["landscape", "--problem", f"{user_dir / 'ml_cli_user.py'}:problem",
                             "--axis", "lr=log:1e-2:10:8", "--axis", "momentum=lin:0:0.9:4",
                             "--steps", "20", "--out", out, "--plot", png], capsys)
    assert code == 0, err
    da = ml.load_netcdf(out)
    div = np.asarray(da["diverged"])
    assert da.shape == (8, 4) and 0 < div.sum() < div.size
    assert np.all(np.isfinite(da.values))
    assert f"{int(div.sum())} diverged" in stdout
    # Diverged cells are drawn in their own colour.
    rgb = (matplotlib.image.imread(png)[..., :3] * 255).round().astype(int)
    red = np.all(np.abs(rgb - [214, 39, 40]) <= 2, axis=-1)  # DIVERGED_COLOR #d62728
    assert red.sum() > 1000


def test_module_in_working_directory_through_the_console_script(user_dir):
    # The installed entry point does not put the working directory on sys.path;
    # module:attribute still finds a module there, as `python -m` would.
    exe = Path(sys.executable).with_name("metaloss")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    ok = subprocess.run([str(exe), "landscape", "--problem", "ml_cli_user:problem", "--axis",
                         "lr=log:1e-2:1:3", "--steps", "5", "--out", "u.nc"], cwd=user_dir,
                        env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert (user_dir / "u.nc").exists()
    bad = subprocess.run([str(exe), "train", "--problem", "ml_cli_user:nothing", "--out", "t"],
                         cwd=user_dir, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "has no attribute" in bad.stderr


def test_train_and_other_optimizers(user_dir, capsys):
    code, _, err = run(["train", "--problem", f"{user_dir / 'ml_cli_user.py'}:problem",
                        "--outer-steps", "3", "--steps", "5", "--out", user_dir / "t"], capsys)
    assert code == 0, err
    code, _, err = run(["landscape", "--problem", "quadratic(dim=3, condition=10)", "--optimizer",
                        "adam", "--axis", "lr=log:1e-3:1:3", "--axis", "b1=lin:0:0.99:4",
                        "--set", "eps=1e-6", "--objective", "final", "--steps", "10",
                        "--out", user_dir / "a.nc"], capsys)
    assert code == 0, err
    da = ml.load_netcdf(user_dir / "a.nc")
    assert da.dims == ("lr", "b1") and da.shape == (3, 4)
    np.testing.assert_allclose(da.b1.values, np.linspace(0, 0.99, 4))


AXIS = ["--axis", "lr=log:1e-3:1:3"]
BAD = [
    (["--problem", "nope", *AXIS], "unknown problem 'nope'"),
    (["--problem", "quadratic(dim=0)", *AXIS], "dim must be an integer >= 1"),
    (["--problem", "quadratic(size=3)", *AXIS], "unknown option 'size'"),
    (["--problem", "quadratic(dim=three)", *AXIS], "dim must be an integer"),
    (["--problem", "ml_cli_user:missing", *AXIS], "has no attribute 'missing'"),
    (["--problem", "ml_cli_user:not_a_problem", *AXIS], "not a metaloss Problem"),
    (["--problem", "ml_cli_user:needs_args", *AXIS], "function of no arguments"),
    (["--problem", "ml_cli_user:broken", *AXIS], "evaluating the loss"),
    (["--problem", "ml_cli_user:vector", *AXIS], "must return a real scalar"),
    (["--problem", "no_such_module_q:problem", *AXIS], "no module named"),
    (["--problem", "{tmp}/absent.py:problem", *AXIS], "no such file"),
    (["--problem", ":problem", *AXIS], "module:attribute"),
    (["--optimizer", "lion", *AXIS], "unknown optimizer 'lion'"),
    (["--axis", "lr=log:1e-3:1"], "bad axis"),
    (["--axis", "lr"], "bad axis"),
    (["--axis", "=lin:0:1:3"], "bad axis"),
    (["--axis", "lr=lin:a:1:3"], "bad number 'a'"),
    (["--axis", "lr=lin:0.1:1:2.5"], "grid size"),
    (["--axis", "lr=lin:0.1:1:-4"], "grid size"),
    (["--axis", "b1=lin:0:0.9:3"], "unknown hyperparameter 'b1'"),
    (["--axis", "momentum=1mlog:1e-3:2:5"], "momentum must lie in [0, 1)"),
    (["--optimizer", "adam", "--axis", "b2=lin:0.9:1:3"], "b2 must lie in [0, 1)"),
    (["--objective", "best", *AXIS], "unknown objective 'best'"),
]


@pytest.mark.parametrize("args,msg", BAD, ids=lambda a: " ".join(a) if isinstance(a, list) else a)
def test_bad_problem_and_axis_specs(user_dir, capsys, monkeypatch, args, msg):
    monkeypatch.syspath_prepend(str(user_dir))
    full = ["landscape", *[a.replace("{tmp}", str(user_dir)) for a in args], "--steps", "3",
            "--out", user_dir / "bad.nc"]
    code, _, err = run(full, capsys)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and msg in lines[0], err
    assert not (user_dir / "bad.nc").exists()


def test_train_per_layer_learning_rates_and_a_problem_start(tmp_path, capsys):
    """Outer parameters may be per-group values and problem hyperparameters; their
    default start is the value a call would use (the shared lr, the problem's field)."""
    code, out, err = run(["train", "--problem", "meanfield_mlp(width=4)", "--optimizer", "sgd",
                          "--steps", "10", "--param", "lr/layer0=log", "--param", "offset=lin",
                          "--set", "lr=0.5", "--estimator", "backprop", "--outer-steps", "3",
                          "--out", tmp_path / "t.nc"], capsys)
    assert code == 0, err
    assert "start lr/layer0 0.5 (log10(lr/layer0) -0.301), offset 0" in out
    code, out, err = run(["train", "--problem", "cosine_quadratic", "--optimizer", "sgd",
                          "--steps", "10", "--param", "x0=lin", "--estimator", "backprop",
                          "--outer-steps", "3", "--out", tmp_path / "c.nc"], capsys)
    assert code == 0, err
    assert "start x0 10" in out
    code, _, err = run(["train", "--param", "x0=lin", "--out", tmp_path / "w.nc"], capsys)
    assert code == 2 and "unknown outer parameter 'x0'" in err
