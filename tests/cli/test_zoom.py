"""``metaloss zoom``: files, nested levels, the float32 -> float64 switch, the table, bad input."""

import csv
import math
import shutil

import jax
import mpmath
import numpy as np
import pytest

import metaloss as ml
from cli_helpers import run as run_cli
from metaloss._src.analysis.fractal import boundary_cells
from metaloss._src.unroll import Divergence
from metaloss._src.workflows.zoom import pick_center

BASE = ["--divergence", "2", "--size", "32", "--center", "lr=1.03", "--center",
        "momentum=0.97"]


def run(args, capsys):
    return run_cli(["zoom", *args], capsys)


def level(out, k):
    return ml.open_store(out / "zoom.zarr" / f"level{k}").load()


def coords(da):
    """Each axis's ends in its own coordinates: log10 lr, log10(1 - momentum)."""
    lr, mom = np.asarray(da["lr"]), np.asarray(da["momentum"])
    return {"lr": np.log10([lr[0], lr[-1]]), "momentum": np.log10(1 - mom[[0, -1]])}


def test_zoom_writes_every_output_and_nests_its_levels(tmp_path, capsys):
    out = tmp_path / "z"
    code, stdout, err = run([*BASE, "--factor", "2", "--levels", "3", "--out", str(out)], capsys)
    assert code == 0, err
    names = {"zoom.zarr", "zoom.gif", "dimensions.csv", "dimensions.md", "dimensions.png",
             "level0.png", "level1.png", "level2.png"}
    assert names <= {p.name for p in out.iterdir()}
    assert (out / "zoom.gif").read_bytes()[:6] in (b"GIF89a", b"GIF87a")
    boxes = [coords(level(out, k)) for k in range(3)]
    assert np.allclose(boxes[0]["lr"], [-3, 2]) and np.allclose(boxes[0]["momentum"], [-3, 0])
    for k in (1, 2):
        for name, c in (("lr", math.log10(1.03)), ("momentum", math.log10(0.03))):
            lo, hi = sorted(boxes[k][name])
            plo, phi = sorted(boxes[k - 1][name])
            assert plo <= lo < hi <= phi
            assert (lo + hi) / 2 == pytest.approx(c, abs=1e-9)
            assert (phi - plo) / (hi - lo) == pytest.approx(2.0)
    assert stdout.count("float32") >= 3 and "float64" not in stdout


def test_dimension_table_matches_the_stored_masks(tmp_path, capsys):
    out = tmp_path / "z"
    code, _, err = run([*BASE, "--factor", "3", "--levels", "3", "--out", str(out)], capsys)
    assert code == 0, err
    rows = list(csv.DictReader((out / "dimensions.csv").open()))
    assert [int(r["level"]) for r in rows] == [0, 1, 2]
    some = False
    for k, row in enumerate(rows):
        mask = np.asarray(level(out, k)["diverged"], bool)
        if row["note"]:
            assert row["note"].startswith("no boundary") and row["dimension"] == ""
            continue
        some = True
        est = ml.analysis.boundary_dimension(mask)
        assert float(row["dimension"]) == est.dimension
        assert (float(row["ci_low"]), float(row["ci_high"])) == est.ci
        assert int(row["boundary_cells"]) == est.boundary
    assert some
    assert "| level |" in (out / "dimensions.md").read_text()


def test_float64_when_cells_near_float32_resolution(tmp_path, capsys):
    """factor 100 around momentum 0.97: level 1's narrowest cells (momentum) are ~580
    float32 ulps wide, level 2's ~6, so level 2 alone runs in float64."""
    out = tmp_path / "z"
    code, stdout, err = run([*BASE, "--factor", "100", "--levels", "3", "--out", str(out)],
                            capsys)
    assert code == 0, err
    lines = [ln for ln in stdout.splitlines() if ln.startswith("level ")]
    assert "; float32;" in lines[0] and "; float32;" in lines[1]
    assert "float64: its narrowest cell is" in lines[2]
    assert level(out, 1).dtype == np.float32
    deep = level(out, 2)
    assert deep.dtype == np.float64
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=50,
                       divergence=Divergence(2.0))
    with jax.enable_x64(True):
        direct = ml.landscape(meta, {"lr": deep["lr"].values, "momentum": deep["momentum"].values},
                              key=jax.random.key(0))
    assert direct.dtype == np.float64
    np.testing.assert_array_equal(deep.values, direct.values)
    np.testing.assert_array_equal(deep["diverged"].values, direct["diverged"].values)
    # in float32, rounding the momenta alone would move them by a visible part of a cell
    for da, most in ((level(out, 1), 0.002), (deep, None)):
        m = da["momentum"].values
        moved = np.abs(m.astype(np.float32).astype(float) - m).max() / np.abs(np.diff(m)).min()
        assert moved < most if most else moved > 0.02


def test_resume_reads_finished_levels_and_computes_the_rest(tmp_path, capsys):
    out = tmp_path / "z"
    args = [*BASE, "--factor", "4", "--levels", "2", "--out", str(out)]
    assert run(args, capsys)[0] == 0
    first = level(out, 1)
    shutil.rmtree(out / "zoom.zarr" / "level1")
    code, _, err = run([*args, "--resume"], capsys)
    assert code == 0, err
    np.testing.assert_array_equal(level(out, 1).values, first.values)
    code, _, err = run([*BASE, "--factor", "5", "--levels", "2", "--out", str(out)], capsys)
    assert code == 2 and "holds a different zoom: choose another --out DIR or delete" in err


def test_auto_centres_on_the_boundary_and_no_boundary_is_reported(tmp_path, capsys):
    code, stdout, err = run(["--divergence", "2", "--size", "32", "--auto", "--levels", "2",
                             "--out", str(tmp_path / "a")], capsys)
    assert code == 0, err
    zero = level(tmp_path / "a", 0)
    center = pick_center(zero["diverged"].values, {n: zero[n].values for n in zero.dims})
    i = int(np.argmin(np.abs(zero["lr"].values - center["lr"])))
    j = int(np.argmin(np.abs(zero["momentum"].values - center["momentum"])))
    assert boundary_cells(zero["diverged"].values)[i, j]
    box = coords(level(tmp_path / "a", 1))
    assert np.mean(box["lr"]) == pytest.approx(math.log10(center["lr"]), abs=1e-9)
    assert np.mean(box["momentum"]) == pytest.approx(math.log10(1 - center["momentum"]),
                                                     abs=1e-9)
    # far from the boundary, a level without one is a row with a note, not a crash
    code, stdout, err = run(["--divergence", "2", "--size", "32", "--center", "lr=0.01",
                             "--center", "momentum=0.5", "--levels", "2", "--out",
                             str(tmp_path / "b")], capsys)
    assert code == 0, err
    assert "level 1: no boundary: no run diverges" in stdout


@pytest.mark.parametrize("args, message", [
    (["--center", "lr=1e3", "--center", "momentum=0.9"], "centre lr=1000 lies outside"),
    (["--center", "lr=1", "--center", "momentum=0.9", "--factor", "1"], "--factor must be"),
    (["--center", "lr=1", "--center", "momentum=0.9", "--levels", "0"],
     "--levels must be an integer >= 1, got 0"),
    (["--center", "lr=1", "--center", "momentum=0.9", "--factor", "1e20", "--levels", "3"],
     "deeper than double-double resolves: its narrowest cell is 2.48e-42 of its value; use "
     "fewer --levels or a smaller --factor"),
    (["--problem", "rosenbrock", "--center", "lr=1", "--center", "momentum=0.9", "--factor", "1e8",
      "--levels", "3"], "level 2 of the zoom is deeper than float64 resolves and needs "
     "double-double, but precision 'double-double' supports"),
    (["--measure", "trainability", "--center", "lr=1", "--center", "momentum=0.9", "--factor",
      "1e8", "--levels", "3"], "double-double computes the outer loss only, not "
     "'trainability'; use fewer --levels or a smaller --factor"),
    (["--center", "lr=1"], "--center NAME=VALUE must name each axis once (lr, momentum)"),
    (["--auto", "--center", "lr=1"], "either --center"),
    (["--auto", "--divergence", "1e3"], "--auto found no divergence boundary in the first level "
     "(every run trains, or every run diverges): give --center NAME=VALUE, or a lower "
     "--divergence FACTOR of the meta-loss"),
    (["--auto", "--size", "8"], "--size must be >= 16"),
    (["--auto", "--axis", "lr=log:1e-3:1e2"], "two --axis"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    code, stdout, err = run(["--size", "32", *args, "--out", str(tmp_path / "o")], capsys)
    assert code == 2, err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_zoom_measures_trainability_in_float64_on_a_problem_plane(tmp_path, capsys):
    args = ["--problem", "meanfield_mlp(width=4)", "--optimizer", "sgd", "--steps",
            "30", "--divergence", "0", "--axis", "lr/layer0=log:1e-3:1e6", "--axis",
            "lr/layer1=log:1e-3:1e6", "--measure", "trainability", "--float64", "--auto",
            "--levels", "2", "--size", "16", "--out", tmp_path / "z"]
    code, out, err = run(args, capsys)
    assert code == 0, err
    assert out.count("float64 (--float64)") == 2
    rows = (tmp_path / "z" / "dimensions.csv").read_text().splitlines()
    assert len(rows) == 3 and all(",float64," in r for r in rows[1:])


@pytest.mark.slow
def test_a_log_view_zoom_past_float64_runs_in_double_double_and_says_so(tmp_path, capsys):
    out = tmp_path / "dd"
    code, stdout, err = run(["--steps", "20", *BASE, "--size", "16", "--factor", "1e14",
                             "--levels", "2", "--out", str(out)], capsys)
    assert code == 0, err
    line = next(ln for ln in stdout.splitlines() if ln.startswith("level 1:"))
    # the window is 1.1e-13 of lr wide: its ends with the 16 digits that tell them apart,
    # centred on the decimals 1.03 and 0.97 (not on their float64 roundings, 2.7e-17 away)
    assert line.startswith("level 1: lr 1.029999999999941..1.030000000000059, momentum "
                           "0.970000000000001036..0.969999999999998964; double-double: its "
                           "narrowest cell is ")
    assert "float64 ulps wide (float64 needs 100)" in line
    rows = list(csv.DictReader((out / "dimensions.csv").open()))
    assert [r["dtype"] for r in rows] == ["float32", "double-double"]
    # the table's box is the report line's (one formatting helper), not .10g's "1.03..1.03"
    said = line.removeprefix("level 1: ").split("; ")[0]
    assert rows[1]["box"] == said.replace(", momentum", "; momentum")
    assert "lr 1.03..1.03" not in rows[1]["box"]
    deep = ml.open_store(out / "zoom.zarr" / "level1")
    assert deep.attrs["precision"] == "double-double"
    exact = ml.grid.exact_coordinates(deep)
    for name in ("lr", "momentum"):  # 16 distinct points, evenly spaced in log10 lr and
        with mpmath.workdps(50):
            v = [mpmath.mpf(q.numerator) / q.denominator for q in exact[name]]
            u = [mpmath.log10(x if name == "lr" else 1 - x) for x in v]
            steps = np.diff(u).astype(float)  # log10(1 - momentum)
        np.testing.assert_allclose(steps, steps.mean(), rtol=1e-9)
        assert len(set(exact[name])) == 16
        hi = np.diff(deep[name].values)  # float64 alone: steps 1e-3 uneven and more
        assert np.ptp(hi) > 1e-3 * abs(np.mean(hi))
