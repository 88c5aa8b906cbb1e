"""``metaloss landscape --precision``: double-double windows keep their digits on disk."""

import json
from fractions import Fraction

import numpy as np
import pytest

import metaloss as ml
from cli_helpers import run

WINDOW = "lr=lin:1.01969556360106046394952700:1.01969556360106046394952780:9"


def test_double_double_landscape_keeps_every_digit(tmp_path, capsys):
    out = tmp_path / "w.nc"
    code, stdout, err = run(["landscape", "--problem", "cosine_quadratic(delta=0.076)",
                             "--optimizer", "sgd", "--steps", "20", "--precision",
                             "double-double", "--axis", WINDOW, "--out", out], capsys)
    assert code == 0, err
    da = ml.load_netcdf(out)
    assert da.attrs["precision"] == "double-double" and len(set(da.lr.values)) == 1
    exact = [Fraction(float(h)) + Fraction(float(lo))
             for h, lo in zip(da.lr.values, da.lr_lo.values, strict=True)]
    steps = np.diff(np.array([float((q - exact[0]) * 10**25) for q in exact]))
    np.testing.assert_allclose(steps, 1.0, rtol=1e-4)  # 1e-25 apart, as asked
    summary = json.loads((tmp_path / "w.json").read_text())
    assert summary["precision"] == "double-double"
    assert 0.0 <= summary["float64_determined"] <= 1.0 and "flags right" in stdout


def test_set_keeps_its_digits_in_double_double(tmp_path, capsys):
    """``--set delta=D`` gives the double-double run the decimal D, as ``--axis
    delta=lin:D:D:1`` does; in float64 it is D rounded once, as before."""
    d = "0.0760000000000000000000001"  # 1e-25 above 0.076, which float64 cannot tell
    base = ["landscape", "--problem", "cosine_quadratic", "--optimizer", "sgd", "--steps",
            "20", "--axis", "lr=lin:1.0196955636010604:1.0196955636010606:3"]
    runs = {"set": ["--set", f"delta={d}"], "axis": ["--axis", f"delta=lin:{d}:{d}:1"],
            "rounded": ["--set", "delta=0.076"]}
    got = {}
    for name, extra in runs.items():
        for precision in ("double-double", "float64"):
            out = tmp_path / f"{name}-{precision}.nc"
            code, _, err = run([*base, *extra, "--precision", precision, "--out", out], capsys)
            assert code == 0, err
            got[name, precision] = ml.load_netcdf(out).squeeze()
    dd = {k: got[k, "double-double"] for k in runs}
    np.testing.assert_array_equal(dd["set"].values, dd["axis"].values)
    np.testing.assert_array_equal(dd["set"].outer_loss_lo.values, dd["axis"].outer_loss_lo.values)
    assert json.loads(dd["set"].attrs["config"])["fixed_lo"]["delta"] != 0
    exact = lambda da: [Fraction(float(h)) + Fraction(float(lo)) for h, lo in
                        zip(da.values, da.outer_loss_lo.values, strict=True)]
    assert exact(dd["set"]) != exact(dd["rounded"])
    np.testing.assert_array_equal(got["set", "float64"].values, got["rounded", "float64"].values)


def test_double_double_refusals_are_one_line(tmp_path, capsys):
    code, _, err = run(["landscape", "--optimizer", "adam", "--precision", "double-double",
                        "--axis", "lr=lin:0.1:0.2:3", "--out", tmp_path / "a.nc"], capsys)
    assert code == 2 and "supports problems" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(["landscape", "--precision", "double-double", "--measure", "lyapunov",
                        "--axis", "lr=lin:0.1:0.2:3", "--out", tmp_path / "a.zarr"], capsys)
    assert code == 2 and "outer loss only" in err and len(err.strip().splitlines()) == 1


def test_double_double_store_resumes_and_exports(tmp_path, capsys):
    out = tmp_path / "w.zarr"
    args = ["landscape", "--problem", "cosine_quadratic(delta=0.076)", "--optimizer", "sgd",
            "--steps", "20", "--precision", "double-double", "--axis", WINDOW, "--tile", "3",
            "--out", out]
    code, stdout, err = run(args, capsys)
    assert code == 0, err
    summary = json.loads((tmp_path / "w.json").read_text())
    assert (summary["tiles"], summary["tiles_computed"]) == (3, 3)
    assert 0.0 <= summary["float64_determined"] <= 1.0
    code, stdout, err = run([*args, "--resume"], capsys)  # finished: opened, not recomputed
    assert code == 0 and json.loads((tmp_path / "w.json").read_text())["tiles_computed"] == 0
    code, _, err = run(["export", out, "--out", tmp_path / "w.nc"], capsys)
    assert code == 0, err
    got = ml.grid.exact_coordinates(ml.load_netcdf(tmp_path / "w.nc"))["lr"]
    a = Fraction("1.01969556360106046394952700")
    # 1e-25 apart, each within a double-double rounding (~1e-32) of the exact point
    assert [float((q - a) * 10**25) for q in got] == pytest.approx(list(range(9)), abs=1e-6)


def test_zoom_reports_and_greys_undetermined_pixels(tmp_path, capsys):
    code, stdout, err = run(["zoom", "--problem", "cosine_quadratic", "--optimizer", "sgd",
                             "--steps", "30", "--axis", "lr=lin:0.98:1.06", "--axis",
                             "delta=lin:0.1:0.15", "--center", "lr=1.0228", "--center",
                             "delta=0.1266", "--factor", "1000", "--levels", "2", "--size",
                             "16", "--determined", "--out", tmp_path], capsys)
    assert code == 0, err
    lines = [ln for ln in stdout.splitlines() if ln.startswith("level ")]
    assert "determined against float64" in lines[0]
    assert "determined against double-double" in lines[1]


def test_explorer_views_at_a_precision():
    import jax
    import pytest

    from metaloss._src.errors import InputError
    from metaloss._src.explore.requests import parse_landscape
    from metaloss.explore import Explorer

    meta = ml.MetaLoss("cosine_quadratic", "sgd", steps=20)
    ex = Explorer(meta, jax.random.key(0), (WINDOW,))
    req = parse_landscape([("axis", WINDOW), ("precision", "double-double")])
    view = ex.landscape(req)
    assert view.attrs["precision"] == "double-double" and view.values.shape == (9,)
    with pytest.raises(InputError, match="unknown precision"):
        parse_landscape([("axis", WINDOW), ("precision", "quad")])


# The window scripts/precision_window.py's beam descent picks at roughness 1.5x the
# onset (x0 = 10, 300 steps): 1e-20 wide, inside the fractal part of Liu's boundary.
DEEP = "lr=lin:1.018028181057647891666340100869093:1.018028181057647891676340100869093:64"
DELTA = 1.5 / (2 * np.pi**2)


def _mp_diverged(lr, steps=300, x0=10, factor=1e3):
    import mpmath

    delta, k, x = mpmath.mpf(DELTA), 2 * mpmath.pi, mpmath.mpf(x0)
    threshold = factor * (abs(x * x + delta * mpmath.cos(k * x)) + 1)
    for _ in range(steps):
        loss = x * x + delta * mpmath.cos(k * x)
        if abs(loss) > threshold:
            return True
        x = x - lr * (2 * x - delta * k * mpmath.sin(k * x))
    return False


def test_deep_window_flags_match_mpmath(tmp_path, capsys):
    """Issue 24's done-when, at full size: the 64 diverged flags in a 1e-20 window
    of Liu's boundary (one float64 value) against 60-digit mpmath."""
    import mpmath

    out = tmp_path / "deep.nc"
    code, _, err = run(["landscape", "--problem", f"cosine_quadratic(delta={DELTA!r}, x0=10.0)",
                        "--optimizer", "sgd", "--steps", "300", "--precision",
                        "double-double", "--axis", DEEP, "--out", out], capsys)
    assert code == 0, err
    da = ml.load_netcdf(out)
    assert len(set(da.lr.values)) == 1
    got = np.asarray(da["diverged"])
    with mpmath.workdps(60):
        want = np.array([_mp_diverged(mpmath.mpf(float(h)) + mpmath.mpf(float(lo)))
                         for h, lo in zip(da.lr.values, da.lr_lo.values, strict=True)])
    assert (want[1:] != want[:-1]).sum() >= 5          # several label changes
    assert (got == want).mean() >= 0.95


ZOOM = ["zoom", "--problem", "cosine_quadratic", "--optimizer", "sgd", "--steps", "30",
        "--axis", "lr=lin:0.98:1.06", "--axis", "delta=lin:0.1:0.15", "--center", "lr=1.0228",
        "--center", "delta=0.1266", "--factor", "1000", "--levels", "2", "--size", "16"]


def test_zoom_precision_option(tmp_path, capsys):
    code, stdout, err = run([*ZOOM, "--precision", "double-double", "--out", tmp_path / "dd"],
                            capsys)
    assert code == 0, err
    lines = [ln for ln in stdout.splitlines() if ln.startswith("level ") and "wrote" in ln]
    assert len(lines) == 2 and all("double-double (--precision)" in ln for ln in lines)
    level = ml.open_store(tmp_path / "dd" / "zoom.zarr" / "level1")  # stored, residues too
    assert level.attrs["precision"] == "double-double" and "lr_lo" in level.coords
    code, stdout, err = run([*ZOOM, "--precision", "float64", "--out", tmp_path / "f"], capsys)
    assert code == 0, err
    assert "level 0: lr 0.98..1.06, delta 0.1..0.15; float64 (--precision)" in stdout
    code, _, err = run([*ZOOM, "--precision", "float32", "--float64", "--out", tmp_path / "x"],
                       capsys)
    assert code == 2 and "contradicts" in err
    code, _, err = run([*ZOOM[:4], "adam", *ZOOM[5:], "--precision", "double-double", "--out",
                        tmp_path / "y"], capsys)
    assert code == 2 and "supports" in err and len(err.strip().splitlines()) == 1


def test_zoom_precision_in_python_matches_float64():
    import jax

    from metaloss._src.grid.zoom import parse_view_axis
    from metaloss._src.workflows.zoom import zoom

    meta = ml.MetaLoss("cosine_quadratic", "sgd", steps=30)
    # below the onset (smooth), where float64 is accurate enough to compare values
    view = [parse_view_axis("lr=lin:0.5:0.9"), parse_view_axis("delta=lin:0.01:0.03")]
    centre = {"lr": 0.7, "delta": 0.02}
    dd = zoom(meta, view, centre, 10, 2, 16, precision="double-double")
    f64 = zoom(meta, view, centre, 10, 2, 16, precision="float64")
    assert [lv.dtype for lv in dd.levels] == ["double-double"] * 2
    assert [lv.dtype for lv in f64.levels] == ["float64"] * 2
    for a, b in zip(dd.data, f64.data, strict=True):
        assert a.attrs["precision"] == "double-double"
        np.testing.assert_allclose(a.values, b.values, rtol=1e-9)
    default = zoom(meta, view, centre, 10, 1, 16, key=jax.random.key(0))
    assert default.levels[0].dtype == "float32"
