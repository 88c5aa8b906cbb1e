"""The estimator comparison: one small run, checked against the library it is built on."""

from __future__ import annotations

import csv

import jax
import numpy as np
import pytest

from metaloss import compare as C
from metaloss.analysis import evaluate_points
from metaloss.estimators import ES, PES, Backprop, TruncatedBackprop, label, parse_estimators

ESTIMATORS = (Backprop(), TruncatedBackprop(K=10), PES(std=0.1, pairs=2, K=10))
BUDGET, SEEDS, LENGTHS = 1000, 4, (10, 20)


@pytest.fixture(scope="module")
def result():
    return C.compare(ESTIMATORS, seeds=SEEDS, budget=BUDGET, grid=12, lengths=LENGTHS,
                     samples=3, key=jax.random.key(5))


def test_labels_round_trip_through_the_parser():
    spec = "backprop,forward,truncated:K=5,es:pairs=16:std=0.05,es:antithetic=false:" \
           "fitness=centered_ranks,pes:k=20"
    ests = parse_estimators(spec)
    assert [type(e).__name__ for e in ests] == ["Backprop", "Forward", "TruncatedBackprop",
                                                 "ES", "ES", "PES"]
    assert ests[3] == ES(std=0.05, pairs=16) and ests[5] == PES(K=20)
    assert not ests[4].antithetic and ests[4].fitness == "centered_ranks"
    assert parse_estimators(",".join(label(e) for e in ests)) == ests


@pytest.mark.parametrize("spec, words", [
    ("sgd", "unknown estimator"), ("es:pairs=1.5", "pairs needs an integer"),
    ("es:bogus=1", "bad option"), ("backprop:K=3", "takes no options"),
    ("es,es", "repeat"), ("es:fitness=top", "unknown ES fitness"), ("pes:K=0", "K must be"),
])
def test_bad_estimator_specs_say_why(spec, words):
    with pytest.raises(ValueError, match=words):
        parse_estimators(spec)


def test_initial_points_fill_the_box_and_end_with_the_study_starts():
    pts = C.initial_points(50, jax.random.key(0))
    for name, (lo, hi) in C.BOX.items():
        assert pts[name].shape == (52,)
        assert np.all((pts[name][:50] >= lo) & (pts[name][:50] <= hi))
        assert np.ptp(pts[name][:50]) > 0.5 * (hi - lo)
        assert list(pts[name][50:]) == [s[name] for s in C.STUDY_STARTS]


def test_every_estimator_spends_the_same_budget(result):
    rows = {r["estimator"]: r for r in result.table()}
    assert list(rows) == [label(e) for e in ESTIMATORS]
    meta, _ = C.study_setup()
    for est in ESTIMATORS:
        row = rows[label(est)]
        assert row["outer_steps"] == BUDGET // est.inner_steps(meta)
        assert BUDGET - est.inner_steps(meta) < row["inner_steps"] <= BUDGET
        assert row["q25"] <= row["median"] <= row["q75"]


def test_final_losses_are_the_true_outer_loss_at_the_end_points(result):
    meta, space = C.study_setup()
    for runs in result.runs:
        end = {k: v[:, -1] for k, v in runs.params.items()}
        np.testing.assert_allclose(runs.final_loss, evaluate_points(meta, space, end), rtol=1e-6)
        assert runs.params["lr"].shape == (SEEDS + 2, runs.outer_steps + 1)
        start = {k: v[-2:, 0] for k, v in runs.params.items()}
        assert start == {k: pytest.approx([s[k] for s in C.STUDY_STARTS]) for k in start}


def test_basin_share_follows_the_landscape_threshold(result):
    assert result.threshold == pytest.approx(np.quantile(result.landscape.values, 0.05))
    for runs, row in zip(result.runs, result.table(), strict=True):
        assert row["in_basin"] == np.mean(runs.final_loss <= result.threshold)
        assert row["start_b"] == runs.final_loss[-1]


def test_sweep_of_exact_gradients_has_no_variance_and_the_true_norm(result):
    ds = result.sweep
    assert ds["norm"].dims == ("estimator", "point", "length")
    assert list(ds["length"].values) == list(LENGTHS)
    bp = ds.sel(estimator="backprop")
    assert np.all(bp["variance"].values == 0)
    # With K = 10 and a 10-step unroll, truncated backprop is backprop.
    tb = ds.sel(estimator="truncated:K=10", length=10)
    np.testing.assert_allclose(tb["norm"], bp.sel(length=10)["norm"], rtol=1e-5)
    assert np.all(ds.sel(estimator="pes:std=0.1:pairs=2:K=10")["variance"].values > 0)


def test_save_writes_table_figures_and_data(result, tmp_path):
    paths = C.save(result, tmp_path / "out")
    with open(paths["csv"]) as fh:
        rows = list(csv.DictReader(fh))
    assert [r["estimator"] for r in rows] == [label(e) for e in ESTIMATORS]
    assert float(rows[0]["median"]) == pytest.approx(result.table()[0]["median"])
    md = paths["markdown"].read_text()
    assert md.count("\n") == len(ESTIMATORS) + 2 and "in basin" in md
    for key in ("final_loss", "trajectories", "gradients"):
        assert paths[key].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths["sweep"].stat().st_size > 0


def test_compare_rejects_bad_settings():
    with pytest.raises(ValueError, match="budget"):
        C.compare(seeds=1, budget=0)
    with pytest.raises(ValueError, match="seeds"):
        C.compare(seeds=-1)
    with pytest.raises(ValueError, match="at least one"):
        C.compare([], seeds=1)
