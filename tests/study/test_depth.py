"""Issue 24's double-double zooms: the tanh network's boundary at tiny size, the
determined share, and the verdict rows."""

import math
from fractions import Fraction
from types import SimpleNamespace

from metaloss._src.study import depth, depth_rows


def test_tanh_zoom_narrows_into_its_boundary():
    # float64: changes label near lr/layer0 = 2
    meta = depth.tanh_meta(depth.TANH_SMALL, width=2, steps=20)
    rows = depth.zoom_line(meta, "lr/layer0", Fraction(1), Fraction(5), levels=2, size=8,
                           tries=2)
    assert [r["level"] for r in rows] == [0, 1]
    assert rows[0]["changes"] >= 1
    assert math.isclose(rows[1]["width"], rows[0]["width"] / 7)
    assert rows[0]["start"] <= rows[1]["start"] < rows[0]["start"] + rows[0]["width"]
    for r in rows:
        assert r["float64_agrees"] is not None and 0 <= r["determined"] <= 1
        expect = math.log(r["changes"]) / math.log(7) if r["changes"] > 1 else 0.0
        assert math.isclose(r["dimension"], expect)


def test_the_paper_width_network_crosses_its_boundary_at_every_level():
    """The atlas's width-16 network (:data:`depth.TANH`) at 2 levels of 8: every level
    holds label changes, and each level's changes are those of a fresh scan of its
    window (the zoom reuses the winning candidate's scan)."""
    rows = depth.tanh_zoom(depth.TANH, levels=2, size=8, tries=2)
    assert [r["level"] for r in rows] == [0, 1]
    assert rows[0]["changes"] >= 2 and rows[1]["changes"] >= 1  # two candidates at 0
    assert rows[0]["network"] == {"width": 16, "steps": 100, "lr/layer1": 160.0,
                                  "range": [40.0, 70.0]}
    assert {r["boundary"] for r in rows} == {"tanh width 16, 100 steps"}
    meta = depth.tanh_meta(depth.TANH)
    for r, nxt in zip(rows, rows[1:], strict=False):
        assert math.isclose(nxt["width"], r["width"] / 7)
        assert r["start"] <= nxt["start"] < r["start"] + r["width"]
    last = rows[-1]
    a = 40 + Fraction(30, 7) * round((last["start"] - 40) * 7 / 30)  # exact at this width
    assert (Fraction(last["exact_start"]), Fraction(last["exact_width"])) == \
        (a, Fraction(30, 7))
    _, _, ch = depth._scan(meta, "lr/layer0", a, a + Fraction(30, 7), 8)
    assert ch.size == last["changes"]
    found = depth_rows.atlas_findings(rows, quick=True)
    assert "meanfield_mlp tanh width 16, SGD, 100 steps, lr/layer1 = 160" in \
        found[0].settings


def test_points_on_a_crossing_are_undetermined_and_far_ones_determined():
    meta = depth.liu_meta(1.5, steps=100)
    pts, flags, ch = depth._scan(meta, "lr", Fraction("0.9"), Fraction("1.1"), 8)
    assert ch.size >= 1
    assert depth.determined_share(meta, "lr", pts, flags) == 1.0  # 0.03 apart
    a, b = pts[ch[0]], pts[ch[0] + 1]
    while b - a > Fraction(1, 10**35):  # far below the 4 x 2^-104 (2e-31) perturbation
        pts, flags, ch = depth._scan(meta, "lr", a, b, 8)
        a, b = pts[ch[0]], pts[ch[0] + 1]
    pts, flags, _ = depth._scan(meta, "lr", a, b, 8)
    assert flags.any() and not flags.all()
    assert depth.determined_share(meta, "lr", pts, flags) == 0.0
    assert depth.determined_share(meta, "lr", pts, flags, ulps=0) == 1.0


def _rows(dims, shares, widths, start=1.0):
    return [{"boundary": "b", "roughness": None, "level": i, "width": w, "start": start,
             "relative_width": w / start, "size": 128, "changes": round(127 ** d),
             "dimension": d, "float64_agrees": 1.0 if w > 1e-14 else None,
             "determined": s}
            for i, (d, s, w) in enumerate(zip(dims, shares, widths, strict=True))]


WIDTHS = [1e-2, 1e-10, 1e-18, 1e-26]


def test_verdicts_follow_the_deep_levels():
    assert depth_rows.verdict(_rows([0.8] * 4, [1.0] * 4, WIDTHS)) == "stays fractal"
    assert depth_rows.verdict(_rows([0.8, 0.8, 0.8, 0.0], [1] * 4, WIDTHS)) == "smooth"
    assert depth_rows.verdict(_rows([0.8] * 4, [1, 1, 1, 0.5], WIDTHS)) == "undetermined"
    # the float64 levels do not count
    assert depth_rows.verdict(_rows([0.0, 0.0, 0.8, 0.8], [0.1, 1, 1, 1], WIDTHS)) == \
        "stays fractal"
    assert depth_rows.verdict(_rows([0.8] * 2, [1] * 2, WIDTHS[:2])) == "not past float64"


def test_undetermined_rows_carry_the_uncertainty_dimension():
    rows = _rows([0.8] * 4, [1, 1, 0.95, 0.5], WIDTHS)
    asked = []

    def uncertainty(low, high):
        asked.append((low, high))
        return SimpleNamespace(dimension=0.97, ci=(0.9, 1.0), exponent=0.03, samples=64)

    found = depth_rows.boundary_findings("b", rows, "s", "p", uncertainty)
    assert [f.finding for f in found] == ["depth of the fractal boundary, b",
                                         "past float64, b: undetermined"]
    assert found[0].value == 1e-26 and "-18.0:0.80/0.95" in found[0].explanation
    assert found[1].value == 0.97 and found[1].ci == (0.9, 1.0)
    assert asked == [(1.0, 1.0 + 1e-10)]  # the narrowest window float64 resolves well
    assert "down to 1e-18 wide" in found[1].explanation
    fine = depth_rows.boundary_findings("b", _rows([0.8] * 4, [1] * 4, WIDTHS), "s", "p",
                                        uncertainty)
    assert fine[1].value == "stays fractal" and len(asked) == 1


def test_the_depth_is_the_narrowest_multi_crossing_window_relative_to_its_start():
    """At lr ~ 42 a window 3.7e-14 wide is 8.7e-16 relative (about five float64
    numbers): the depth row reports the relative width, against float64's relative
    spacing, as the verdict and the figure judge it."""
    rows = _rows([0.8, 0.8, 0.47, 0.0], [1] * 4, [30, 1e-9, 3.66e-14, 1.2e-15], start=42.0)
    depth_found, summary = depth_rows.boundary_findings("b", rows, "s", "p")
    assert math.isclose(depth_found.value, 3.66e-14 / 42)
    assert "2.2e-16 relative" in depth_found.paper_value
    assert "1e-16" in depth_found.paper_value  # the threshold the verdict uses (DEEP)
    assert "width / start" in depth_found.method
    assert "3.66e-14 wide at 42" in depth_found.explanation
    assert summary.finding == "past float64, b: smooth"


def test_an_uncertainty_window_without_enough_changes_keeps_the_verdict():
    """The uncertainty exponent's refusal (too few outcomes change in its window) is a
    note on the row, as in the Sohl-Dickstein rows, not an error that ends the atlas."""
    from metaloss._src.errors import InputError

    def refused(low, high):
        raise InputError("fewer than two eps changed 5 outcomes or more: no boundary")

    rows = _rows([0.8] * 4, [1, 1, 0.95, 0.5], WIDTHS)
    depth_found, summary = depth_rows.boundary_findings("b", rows, "s", "p", refused)
    assert summary.finding == "past float64, b: undetermined"
    assert summary.value == "undetermined" and summary.ci is None
    assert "uncertainty exponent not measured" in summary.explanation
    assert "no boundary" in summary.explanation
    assert depth_found.value == 1e-26


def test_liu_rows_say_their_steps_and_start_and_the_findings_read_them():
    rows = depth.depth_zoom(1.5, steps=50, x0=2.0, levels=1, size=8)
    assert rows[0]["steps"] == 50 and rows[0]["x0"] == 2.0
    settings = depth_rows.atlas_findings(rows)[0].settings
    assert "cosine_quadratic x0=2, SGD, 50 steps" in settings


def _load_network_script():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[2] / "scripts" / "precision_depth_network.py"
    spec = importlib.util.spec_from_file_location("precision_depth_network", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_network_check_rebuilds_each_level_from_its_exact_start(monkeypatch):
    """``scripts/precision_depth_network.py --check`` checks exactly the points the zoom
    scanned, also at levels narrower than float64's spacing at lr/layer0 ~ 42 (7e-15),
    where the float ``start`` no longer tells the level's cell. The labels here are a
    step at a rational with 30 digits (no training), so the zoom is cheap and goes deep."""
    import numpy as np

    edge = Fraction("41.92699453718264937501826354918")
    monkeypatch.setattr(depth, "_flags", lambda meta, name, pts: np.array(
        [q > edge for q in pts]))
    monkeypatch.setattr(depth, "landscape", lambda meta, values: {
        "diverged": np.asarray(values["lr/layer0"]) > float(edge)})
    scanned = []  # each level's own scan points, as the zoom hands them on

    def share(meta, name, pts, flags):
        scanned.append(list(pts))
        return 1.0

    monkeypatch.setattr(depth, "determined_share", share)
    rows = depth.tanh_zoom(depth.TANH, levels=14, size=32, tries=1)
    assert len(rows) == 14 and all(r["changes"] == 1 for r in rows)
    assert rows[10]["width"] > 7.2e-15 > rows[11]["width"]  # 11-13: below float64's spacing
    for r, pts in zip(rows, scanned, strict=True):
        assert Fraction(r["exact_start"]) == pts[0]
        assert Fraction(r["exact_width"]) == pts[-1] - pts[0]

    script = _load_network_script()
    checked = []
    monkeypatch.setattr(script, "_flags", lambda meta, name, pts: (
        checked.append(list(pts)), np.zeros(len(pts), bool))[1])
    monkeypatch.setattr(script, "reference_diverged", lambda meta, q, digits: False)
    script.check(None, rows, len(rows), 32, 10)
    assert checked == scanned
