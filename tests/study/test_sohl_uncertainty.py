"""The uncertainty-exponent dimension on Sohl-Dickstein's boundaries: the outcome is
the image's sign in the frame's own coordinates, and the atlas rows."""

from __future__ import annotations

import math

import numpy as np

from metaloss._src.study import sohl, sohl_train
from metaloss._src.study import sohl_uncertainty as su

SMALL = sohl.SohlSettings(width=4, steps=20, resolution=16, frames=2,
                          configs=("identity", "tanh_paraminit_vs_lr"))


def test_outcome_is_the_images_sign_at_its_grid_points():
    bounds = (-1.0, 1.5, -2.0, 2.0)
    rows, cols = np.linspace(bounds[0], bounds[1], 16), np.linspace(bounds[2], bounds[3], 16)
    y, x = np.meshgrid(rows, cols, indexing="ij")
    for name in SMALL.configs:
        img = sohl_train.image(sohl_train.BY_NAME[name], bounds, 16, width=4, steps=20)
        flags = su.outcome(name, SMALL)({"log10 y": y.ravel(), "log10 x": x.ravel()})
        assert 0.1 < (img > 0).mean() < 0.9  # the view holds both outcomes
        mine = flags.reshape(16, 16)
        assert np.mean((img > 0) == mine) > 0.97
        assert np.mean((img > 0) == mine.T) < 0.9  # axes not swapped


def test_rows_on_a_frame_of_the_zoom_sequence_and_on_a_frame_without_boundary():
    frames = {name: [b for b, _ in sohl.zoom_sequence(name, SMALL)] for name in SMALL.configs}
    table = [{"config": n, "title": sohl_train.BY_NAME[n].title, "dimension": 1.0,
              "paper_value": sohl.PAPER_TABLE1[n]} for n in SMALL.configs]
    found = su.findings(table, frames, SMALL, samples=1000)
    assert [f.finding for f in found] == [f"Table 1: {r['title']}, uncertainty exponent"
                                          for r in table]
    for f, r in zip(found, table, strict=True):
        u = r["uncertainty"]
        assert u["frame"] == 1 and u["bounds"] == list(frames[r["config"]][1])
        assert f.value == u["dimension"] and f.ci[0] <= f.value <= f.ci[1]
        assert 0.8 < f.value <= 2.05 and u["samples"] == 1000
        assert f.agrees == (abs(f.value - f.paper_value) <= su.TOLERANCE)
        assert "frame 1 of the zoom sequence" in f.settings and "1000 points" in f.settings
    # far below every learning rate that fails, every run converges: no boundary
    none = su.findings(table[:1], {"identity": [(-6.0, -5.9, -6.0, -5.9)]}, SMALL,
                       samples=200)
    assert math.isnan(none[0].value) and none[0].agrees is False
    assert "no boundary" in none[0].explanation
