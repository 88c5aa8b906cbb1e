"""``metaloss.study.atlas``: the atlas as a library call, at tiny sizes and on a subset of
its parts; ``save(dir)`` writes the command's files holding the result's numbers."""

import json

import pytest

import metaloss as ml
from metaloss import study


@pytest.fixture(scope="module")
def result():
    lines = []
    sohl = study.SohlSettings(width=4, steps=20, resolution=16, frames=2, configs=("tanh",))
    out = study.atlas(quick=True, sohl=sohl, parts=("sohl_dickstein", "seed_study"),
                      log=lines.append)
    return out, lines


def test_the_result_holds_the_rows_of_the_parts_that_ran(result):
    atlas, lines = result
    assert isinstance(atlas, study.Atlas)
    papers = {f.paper for f in atlas.findings}
    assert papers == {"Sohl-Dickstein 2024", "seed study"}
    assert len(atlas.findings) == 3 + 2  # tanh by three estimators, the seed study's two
    assert atlas.findings[2].finding.endswith("uncertainty exponent")
    assert atlas.numbers["sohl_dickstein"][0]["uncertainty"]["samples"] == 256
    assert set(atlas.numbers) >= {"settings", "seed", "sohl_dickstein", "seed_study",
                                  "seconds", "parts"}
    assert "liu" not in atlas.numbers and "pes_paper" not in atlas.numbers
    assert list(atlas.figures) == ["sd_frames.png"] and atlas.texts == {}
    assert atlas.agree == sum(f.agrees is True for f in atlas.findings)
    assert any(line.startswith("[3/4] Sohl-Dickstein") for line in lines)


def test_save_writes_the_commands_files_with_the_results_numbers(result, tmp_path):
    atlas, _ = result
    paths = atlas.save(tmp_path / "a")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == \
        sorted(paths) == ["atlas.json", "atlas.md", "sd_frames.png"]
    saved = json.loads(paths["atlas.json"].read_text())
    assert saved["findings"] == json.loads(json.dumps(atlas.table()))
    keys = {"paper", "finding", "paper_value", "value", "ci", "method", "settings", "agrees"}
    assert all(set(r) >= keys for r in saved["findings"])
    assert saved["seed_study"] == json.loads(json.dumps(atlas.numbers["seed_study"]))
    assert saved["seed_study"]["gradient_loss"] == atlas.numbers["seed_study"]["gradient_loss"]
    assert saved["settings"]["sohl_dickstein"].startswith("width 4, 20 steps, 16^2 x 2")
    text = paths["atlas.md"].read_text()
    assert "## Findings" in text and "Sohl-Dickstein (2024)" in text and "Liu (2024)" not in text


def test_unknown_parts_are_refused():
    with pytest.raises(ml.InputError, match="parts must be some of"):
        study.atlas(parts=("liu", "nonsense"))
