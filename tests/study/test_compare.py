"""The estimator comparison: one small run, checked against the library it is built on."""

from __future__ import annotations

import csv

import jax
import numpy as np
import pytest

from metaloss._src.errors import InputError
from metaloss._src.study.settings import BOX, NAMED_STARTS, STUDY_STARTS, study_setup
from metaloss._src.workflows import compare as C
from metaloss._src.workflows.compare_settings import Basin, Maps, Sweep, Training
from metaloss.analysis import evaluate_points
from metaloss.estimators import ES, PES, Backprop, TruncatedBackprop
from metaloss.spec import label

ESTIMATORS = (Backprop(), TruncatedBackprop(K=10), PES(std=0.1, pairs=2, K=10))
BUDGET, SEEDS, LENGTHS = 1000, 4, (10, 20)


@pytest.fixture(scope="module")
def result():
    meta, space = study_setup()
    return C.compare(meta, space, BOX, estimators=ESTIMATORS, starts=NAMED_STARTS,
                     training=Training(seeds=SEEDS, budget=BUDGET), basin=Basin(grid=12),
                     sweep=Sweep(LENGTHS, samples=3), key=jax.random.key(5))


def test_initial_points_fill_the_box_and_end_with_the_study_starts():
    pts = C.initial_points(50, jax.random.key(0), BOX, NAMED_STARTS)
    for name, (lo, hi) in BOX.items():
        assert pts[name].shape == (52,)
        assert np.all((pts[name][:50] >= lo) & (pts[name][:50] <= hi))
        assert np.ptp(pts[name][:50]) > 0.5 * (hi - lo)
        assert list(pts[name][50:]) == [s[name] for s in STUDY_STARTS]


def test_every_estimator_spends_the_same_budget(result):
    rows = {r["estimator"]: r for r in result.table()}
    assert list(rows) == [label(e) for e in ESTIMATORS]
    meta, _ = study_setup()
    for est in ESTIMATORS:
        row = rows[label(est)]
        assert row["outer_steps"] == BUDGET // est.inner_steps(meta)
        assert BUDGET - est.inner_steps(meta) < row["inner_steps"] <= BUDGET
        assert row["q25"].value <= row["median"].value <= row["q75"].value
        for key in ("q25", "median", "q75", "in_basin"):
            assert row[key].low <= row[key].value <= row[key].high


def test_final_losses_are_the_true_outer_loss_at_the_end_points(result):
    meta, space = study_setup()
    for runs in result.runs:
        end = {k: v[:, -1] for k, v in runs.params.items()}
        np.testing.assert_allclose(runs.final_loss, evaluate_points(meta, space, end), rtol=1e-6)
        assert runs.params["lr"].shape == (SEEDS + 2, runs.outer_steps + 1)
        start = {k: v[-2:, 0] for k, v in runs.params.items()}
        assert start == {k: pytest.approx([s[k] for s in STUDY_STARTS]) for k in start}


def test_basin_share_follows_the_landscape_threshold(result):
    assert result.threshold == pytest.approx(np.quantile(result.landscape.values, 0.05))
    for runs, row in zip(result.runs, result.table(), strict=True):
        assert row["in_basin"].value == np.mean(runs.final_loss <= result.threshold)
        assert row["median"].value == np.median(runs.final_loss)
        assert row["from (0, -1.5)"] == runs.final_loss[-1]


def test_sweep_of_exact_gradients_has_no_variance_and_the_true_norm(result):
    ds = result.sweep
    assert ds["norm"].dims == ("estimator", "point", "length")
    assert list(ds["length"].values) == list(LENGTHS)
    bp = ds.sel(estimator="backprop")
    assert np.all(bp["variance"].values == 0)
    # With K = 10 and a 10-step unroll, truncated backprop is backprop.
    tb = ds.sel(estimator="truncated(K=10)", length=10)
    np.testing.assert_allclose(tb["norm"], bp.sel(length=10)["norm"], rtol=1e-5)
    assert np.all(ds.sel(estimator="pes(std=0.1, pairs=2, K=10)")["variance"].values > 0)


def test_save_writes_table_figures_and_data(result, tmp_path):
    paths = result.save(tmp_path / "out")
    with open(paths["csv"]) as fh:
        rows = list(csv.DictReader(fh))
    assert [r["estimator"] for r in rows] == [label(e) for e in ESTIMATORS]
    first = result.table()[0]
    assert float(rows[0]["median"]) == pytest.approx(first["median"].value)
    assert float(rows[0]["median_ci_low"]) == pytest.approx(first["median"].low)
    assert float(rows[0]["in_basin_ci_high"]) == pytest.approx(first["in_basin"].high)
    md = paths["markdown"].read_text()
    assert md.count("\n") == len(ESTIMATORS) + 2 and "in basin [95% CI]" in md
    assert first["median"].format() in md
    with open(paths["runs"]) as fh:  # every run's start and end point
        runs = list(csv.DictReader(fh))
    assert len(runs) == len(ESTIMATORS) * (SEEDS + 2)
    assert runs[SEEDS]["start"] == "(-2, -0.5)" and runs[0]["start"] == "random 0"
    r0 = result.runs[0]
    assert float(runs[0]["final_true_loss"]) == pytest.approx(r0.final_loss[0])
    assert float(runs[0]["final_lr_value"]) == pytest.approx(10 ** r0.params["lr"][0, -1])
    assert float(runs[0]["start_momentum"]) == pytest.approx(r0.params["momentum"][0, 0])
    for key in ("final_loss", "trajectories", "gradients"):
        assert paths[key].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths["sweep"].stat().st_size > 0


def test_compare_rejects_bad_settings():
    meta, space = study_setup()
    key = jax.random.key(0)
    for settings, words in ((dict(seeds=1, budget=0), "budget"), (dict(seeds=-1), "seeds")):
        with pytest.raises(InputError, match=words):
            Training(**settings)
    for settings, words in ((dict(grid=1), "grid"), (dict(quantile=1.0), "basin quantile")):
        with pytest.raises(InputError, match=words):
            Basin(**settings)
    with pytest.raises(InputError, match="at least one unroll length"):
        Sweep(lengths=())
    one = Training(seeds=1)
    cases = [(dict(estimators=[], training=one), "at least one"),
             (dict(training=Training(seeds=1, budget=10), estimators=[ES(pairs=16)]),
              "below one outer step"),
             (dict(training=one, key=None), "needs a key"),
             (dict(training=one, maps=Maps(size=1)), "map size must be")]
    for kwargs, words in cases:
        with pytest.raises(InputError, match=words):
            C.compare(meta, space, BOX, **{"key": key, **kwargs})
    with pytest.raises(InputError, match="box must give exactly lr, momentum"):
        C.compare(meta, space, {"lr": (-3, 2)}, key=key)


def test_compare_works_for_any_optimizer_and_space(tmp_path):
    """Plain SGD on a quadratic, one outer coordinate: no momentum, no study settings."""
    import metaloss as ml

    meta = ml.MetaLoss(ml.problems.Quadratic(dim=4), ml.optimizers.SGD(), steps=20)
    space = ml.Space({"lr": ml.Log10()})
    cmp = C.compare(meta, space, {"lr": (-3.0, 0.0)}, key=jax.random.key(1),
                    estimators=[Backprop(), ES(std=0.1, pairs=1)],
                    training=Training(seeds=3, budget=400), basin=Basin(grid=16),
                    sweep=Sweep((5, 10), samples=2))
    rows = cmp.table()
    assert [r["estimator"] for r in rows] == ["backprop", "es(std=0.1, pairs=1)"]
    assert cmp.landscape.dims == ("lr",) and cmp.sweep is not None
    paths = cmp.save(tmp_path)
    assert "trajectories" not in paths and paths["final_loss"].stat().st_size > 0


def test_ranking_claims_only_what_the_intervals_allow(result):
    text = result.ranking()
    medians = {r["estimator"]: r["median"] for r in result.table()}
    best = min(medians, key=lambda k: medians[k].value)
    assert best in text and medians[best].format() in text
    others = [m for k, m in medians.items() if k != best]
    if all(medians[best].high < m.low for m in others):
        assert text.startswith("Lowest median")
    else:
        assert text.startswith("No estimator's median is separated")


def test_maps_join_the_comparison_and_the_report_states_their_numbers(tmp_path):
    from metaloss._src.study.report.maps import maps_summary

    meta, space = study_setup()
    cmp = C.compare(meta, space, BOX, estimators=ESTIMATORS,
                    training=Training(seeds=2, budget=BUDGET), basin=Basin(grid=6), sweep=None,
                    maps=Maps(size=3, samples=2), key=jax.random.key(1))
    ds = cmp.maps
    assert list(ds["estimator"].values) == [label(e) for e in ESTIMATORS]
    assert ds["bias"].shape == (3, 3, 3) and float(ds["bias"][0].max()) < 1e-5
    paths = cmp.save(tmp_path)
    assert paths["maps"].stat().st_size > 0
    for q in ("bias", "variance", "cosine", "dominance"):
        assert paths[f"maps_{q}"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    headers, rows, paragraph = maps_summary(ds)
    assert [r[0] for r in rows] == [label(e) for e in ESTIMATORS] and len(headers) == len(rows[0])
    assert rows[0][-1] == "exact (to 0.1%)" and "backprop" in paragraph
    assert "truncated(K=10)" in paragraph and "pes(std=0.1, pairs=2, K=10)" in paragraph
