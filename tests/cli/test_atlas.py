"""``metaloss atlas``: every finding recomputed at tiny sizes, files and numbers."""

import json

from cli_helpers import run
from metaloss._src.study import liu, sohl

VERDICTS = ("stays fractal", "undetermined", "smooth", "not past float64")
KEYS = {"paper", "finding", "paper_value", "value", "ci", "method", "settings", "agrees"}


def test_quick_atlas_writes_findings_for_every_part(tmp_path, capsys):
    out = tmp_path / "atlas"
    code, stdout, err = run(["atlas", "--quick", "--out", out], capsys)
    assert code == 0, err
    numbers = json.loads((out / "atlas.json").read_text())
    rows = numbers["findings"]
    assert rows and all(set(r) >= KEYS for r in rows)
    by_paper = {}
    for r in rows:
        by_paper.setdefault(r["paper"], []).append(r)
    # all six Sohl-Dickstein configurations, each with the paper's value beside ours
    deep = {r["finding"] for r in numbers["precision_findings"]}  # issue 24's, below
    sd = [r for r in by_paper["Sohl-Dickstein 2024"] if r["finding"] not in deep]
    assert len(sd) == 18 and {r["paper_value"] for r in sd} == set(sohl.PAPER_TABLE1.values())
    assert sum(r["method"].startswith("box") for r in sd) == 6
    unc = [r for r in sd if r["method"].startswith("uncertainty exponent")]
    assert len(unc) == 6 and all(r["value"] is None or 0.5 < r["value"] <= 2.1 for r in unc)
    assert all("uncertainty" in r for r in numbers["sohl_dickstein"])
    # Liu: Fig. 2a and 2b by three estimators, and the sweep per ratio by two
    liu_rows = by_paper["Liu 2024"]
    sweep = [r for r in liu_rows if r["finding"].startswith("sweep")]
    assert len(sweep) == 2 * len(liu.QUICK.ratios)
    assert {r["method"].split()[0] for r in sweep} == {"crossings", "box"}
    assert sum("Fig. 2" in r["finding"] for r in liu_rows) == 6
    unc = [r for r in liu_rows if r["finding"].endswith("uncertainty exponent")]
    assert len(unc) == 2 and all(0 < r["value"] < 1.5 for r in unc)
    assert len(by_paper["seed study"]) == 2
    assert any(p.startswith("Vicol") for p in by_paper), set(by_paper)
    assert len(numbers["liu"]["sweep"]) == len(liu.QUICK.ratios) * len(liu.QUICK.lams)
    assert set(numbers["seconds"]) >= {"liu_fig2", "liu_sweep", "sohl_dickstein",
                                       "seed_study", "pes_paper", "total"}
    text = (out / "atlas.md").read_text()
    assert "## Findings" in text and "| paper | finding |" in text and "Explanations" in text
    for name in ("liu_counts.png", "liu_sweep.png", "sd_frames.png", "precision_depth.png"):
        assert (out / name).stat().st_size > 0, name
    assert "findings agree with the paper" in stdout
    # issue 24: how deep the double-double zoom into Liu's boundary went
    depth = numbers["precision_depth"]
    assert {r["boundary"] for r in depth} == {"Liu 1.5x onset", "Liu 3x onset",
                                              "tanh width 16, 100 steps",
                                              "tanh width 4, 50 steps"}
    assert min(r["width"] for r in depth if r["roughness"]) < 1e-14  # past float64
    assert all(0 <= r["determined"] <= 1 for r in depth)
    pf = numbers["precision_findings"]
    assert len(pf) == 8 and "Deeper than float64" in text
    verdicts = [r["finding"].split(": ")[-1] for r in pf if r["finding"].startswith("past")]
    assert len(verdicts) == 4 and set(verdicts) <= set(VERDICTS)
    assert sum(r["finding"].startswith("past float64") for r in rows) == 4  # in the table


def test_atlas_bad_input_is_one_line(tmp_path, capsys):
    code, _, err = run(["atlas", "--out", tmp_path / "a", "--size", "4"], capsys)
    assert code == 2 and "--size" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(["atlas", "--out", tmp_path / "a", "--quick", "--paper"], capsys)
    assert code == 2 and "exclude" in err and len(err.strip().splitlines()) == 1


def test_onset_brackets_the_change():
    from metaloss._src.study.liu_rows import onset

    assert onset([(0.5, 0.0), (0.9, 0.0), (1.5, 0.3), (2.0, 0.0), (5.0, 0.8)]) == (0.9, 1.5)
    assert onset([(0.5, 0.0), (0.9, 0.0)]) == (0.9, None)
    assert onset([(0.5, 0.2)]) == (None, 0.5)
