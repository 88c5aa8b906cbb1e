"""``metaloss atlas``: both findings recomputed at tiny sizes, files and numbers."""

import json
import math

from cli_helpers import run
from metaloss._src.study.atlas import onset


def test_quick_atlas_writes_its_report_figures_and_numbers(tmp_path, capsys):
    out = tmp_path / "atlas"
    code, stdout, err = run(["atlas", "--quick", "--out", out], capsys)
    assert code == 0, err
    numbers = json.loads((out / "atlas.json").read_text())
    rows = {r["roughness"]: r for r in numbers["liu"]}
    # below the critical roughness the boundary is a point, well above it a fractal
    assert rows[0.03]["dimension"] == 0.0 and rows[0.03]["convex"]
    assert 0.0 < rows[0.2]["dimension"] < 1.0 and not rows[0.2]["convex"]
    assert numbers["liu_onset"] == [0.03, 0.2]
    levels = numbers["meanfield"]
    assert [r["level"] for r in levels] == [0, 1] and levels[0]["dtype"] == "float64"
    for r in levels:
        assert 0.5 < r["dimension"] <= 2.0 and r["ci_low"] <= r["dimension"] <= r["ci_high"]
    text = (out / "atlas.md").read_text()
    assert "1.17 and 1.98" in text and "0.0507" in text and "Where we differ" in text
    for name in ("liu_dimensions.png", "liu_boundary.png", "meanfield/level1.png",
                 "meanfield/dimensions.png", "meanfield/zoom.gif", "meanfield/dimensions.csv"):
        assert (out / name).stat().st_size > 0, name
    assert "onset of a fractal boundary between roughness 0.03 and 0.2" in stdout
    # issue 24: how deep the double-double zoom into Liu's boundary went
    depth = numbers["precision_depth"]
    assert {r["roughness"] for r in depth} == {1.5, 3.0}
    assert min(r["width"] for r in depth) < 1e-14  # past float64
    assert len(numbers["precision_findings"]) == 2 and "Deeper than float64" in text
    assert (out / "precision_depth.png").stat().st_size > 0


def test_atlas_bad_input_is_one_line(tmp_path, capsys):
    code, _, err = run(["atlas", "--quick", "--size", "4", "--out", tmp_path / "a"], capsys)
    assert code == 2 and "--size" in err and len(err.strip().splitlines()) == 1


def test_onset_brackets_the_change():
    rows = [{"roughness": t, "dimension": d} for t, d in
            ((0.02, 0.0), (0.05, 0.0), (0.06, 0.3), (0.1, 0.7), (0.2, math.nan))]
    assert onset(rows) == (0.05, 0.06)
    assert onset(rows[:2]) == (0.05, None)

