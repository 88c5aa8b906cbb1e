"""`metaloss reproduce --quick` end to end."""

import re

import numpy as np
import pytest

import metaloss as ml
from metaloss.cli import main

FIGURES = ["inner_loss.png", "training_curve.png", "lr_sweep.png", "landscape.png",
           "slices_grad_study.png", "slices_grad_unstable.png", "gradient_runs.png",
           "trajectories.png", "es_improvements.png", "mlp_digits_landscape.png",
           "compare_maps_cosine.png", "compare_maps_dominance.png", "chaos_plane.png",
           "chaos_boundary.png"]


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce")
    assert main(["reproduce", "--out", str(out), "--quick"]) == 0
    return out


def test_every_file_exists(report_dir):
    for name in FIGURES + ["landscape.nc", "report.md", "report.html"]:
        path = report_dir / name
        assert path.exists() and path.stat().st_size > 0, name
    assert not list(report_dir.glob(".*.tmp"))


def test_report_holds_the_numbers(report_dir):
    md = (report_dir / "report.md").read_text()
    html = (report_dir / "report.html").read_text()
    da = ml.load_netcdf(report_dir / "landscape.nc")
    lowest = float(np.nanmin(da.values))
    row = re.search(r"\| landscape minimum \| ([0-9.]+) \|", md)
    assert row and float(row.group(1)) == pytest.approx(lowest, rel=1e-3)
    for key in ("gradient from (-2, -0.5): final true outer loss",
                "gradient from (0, -1.5): final true outer loss",
                "ES from (-2, -0.5), seed 0: final true outer loss",
                "landscape non-finite cells", "2-D landscape", "ES variants",
                "maps: es(std=0.1, pairs=1): median cosine, bias dominates", "judged against",
                "chaos: fraction of the plane with Lyapunov exponent",
                "chaos: divergence boundary dimension, method box [95% CI]",
                "method sohl-dickstein", "chaos: lyapunov 64 x 64"):
        assert key in md and key in html
    for fig in FIGURES:
        assert f"({fig})" in md and f"data-file='{fig}'" in html


def test_landscape_file_is_the_quick_grid(report_dir):
    da = ml.load_netcdf(report_dir / "landscape.nc")
    assert da.dims == ("lr", "momentum")
    assert da.shape[0] == da.shape[1] > 10
    assert da.lr.values[0] == pytest.approx(1e-3) and da.lr.values[-1] == pytest.approx(100)
