"""NRES, Guided ES and the ES/pathwise hybrid, with ES and PES, against float64 NumPy truths.

Each stochastic estimator draws many independent estimates at a smooth point of the
study's problem; PES and NRES estimates are averaged over the windows of one inner
run (their expectation is defined there). The mean must lie within 4 standard
errors of the truth the estimator targets, computed by brute force in
``study_numpy``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from study_numpy import smoothed_brute_force, window_smoothed_gradient

from metaloss._src.analysis.maps import sample_estimates
from metaloss._src.errors import InputError
from metaloss._src.estimators.hybrid import combine, inverse_variance, variance_weight
from metaloss._src.study.settings import study_setup
from metaloss.estimators import ES, NRES, PES, GuidedES, Hybrid, get
from metaloss.spec import label, parse

POINT = np.array([-2.0, -0.5])  # the study's start: smooth at the scale of std
STD = 0.1


def draws(est, samples, seed=0, point=POINT):
    meta, space = study_setup()
    return sample_estimates(meta, space, est, point[None], samples, jax.random.key(seed))[0]


def within_4_se(g, truth):
    se = g.std(axis=0, ddof=1) / np.sqrt(len(g))
    assert np.all(np.abs(g.mean(axis=0) - truth) < 4 * se), (g.mean(axis=0), truth, se)


@pytest.fixture(scope="module")
def smoothed_truth():
    return smoothed_brute_force(POINT, STD)[1]


@pytest.mark.parametrize("est", [ES(std=STD, pairs=1), NRES(std=STD, pairs=1, K=10),
                                 NRES(std=STD, pairs=2, K=7)], ids=label)
@pytest.mark.slow  # statistical or heavy: runs in make test
def test_es_and_nres_run_means_target_the_smoothed_gradient(x64, smoothed_truth, est):
    within_4_se(draws(est, 4096), smoothed_truth)


@pytest.mark.slow  # statistical or heavy: runs in make test
def test_pes_run_mean_targets_the_window_smoothed_gradient(x64):
    truth = window_smoothed_gradient(POINT, STD, K=25)
    within_4_se(draws(PES(std=STD, pairs=1, K=25), 4096), truth)


@pytest.mark.slow  # statistical or heavy: runs in make test
def test_nres_run_mean_is_full_unroll_es_with_the_same_perturbation(x64):
    meta, space = study_setup()
    est = NRES(std=STD, pairs=3, K=10)
    coords = {"lr": jnp.asarray(POINT[0]), "momentum": jnp.asarray(POINT[1])}
    state = est.init(meta, space, coords, jax.random.key(3))
    eps = np.asarray(state.eps)
    grads = []
    for k in jax.random.split(jax.random.key(4), est.phases(meta)):
        _, g, state = est.estimate(meta, space, coords, k, state)
        grads.append([g["lr"], g["momentum"]])
    f = lambda e: float(meta({"lr": 10 ** (POINT[0] + STD * e[0]),
                              "momentum": 1 - 10 ** (POINT[1] + STD * e[1])}))
    es = np.mean([e * (f(e) - f(-e)) / (2 * STD) for e in eps], axis=0)
    np.testing.assert_allclose(np.mean(grads, axis=0), es, rtol=1e-9, atol=1e-12)
    assert not np.allclose(np.asarray(state.eps), eps)  # the horizon brought new noise


@pytest.mark.slow  # statistical or heavy: runs in make test
def test_guided_es_with_alpha_one_is_es(x64):
    a = draws(GuidedES(std=STD, pairs=2, alpha=1.0, k=2), 256, seed=5)
    b = draws(ES(std=STD, pairs=2), 256, seed=5)
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)  # same draws from the same keys


@pytest.mark.slow  # statistical or heavy: runs in make test
def test_guided_es_with_alpha_zero_searches_the_gradient_direction(x64):
    meta, space = study_setup()
    exact = np.asarray(jax.grad(lambda c: meta({"lr": 10 ** c[0], "momentum": 1 - 10 ** c[1]}))(
        jnp.asarray(POINT)))
    g = draws(GuidedES(std=STD, pairs=1, alpha=0.0), 64)
    cross = g[:, 0] * exact[1] - g[:, 1] * exact[0]
    assert np.allclose(cross, 0, atol=1e-9 * np.linalg.norm(exact) * np.abs(g).max())
    assert np.all(g @ exact > 0)  # each estimate points along +gradient at a smooth point


@pytest.mark.slow  # statistical or heavy: runs in make test
def test_cross_fitted_hybrid_mean_targets_the_smoothed_gradient(x64, smoothed_truth):
    within_4_se(draws(Hybrid(std=STD, pairs=4, crossfit=True), 2048), smoothed_truth)


@pytest.mark.slow  # statistical or heavy: runs in make test
def test_paper_hybrid_bias_shrinks_with_pairs(x64, smoothed_truth):
    """The paper's weights come from the samples they weigh: a bias of order 1 / pairs,
    below 4 standard errors at 32 pairs (and clearly present at 4)."""
    within_4_se(draws(Hybrid(std=STD, pairs=32), 512), smoothed_truth)
    few = draws(Hybrid(std=STD, pairs=4), 2048).mean(axis=0)
    many = draws(Hybrid(std=STD, pairs=32), 512, seed=1).mean(axis=0)
    assert np.linalg.norm(many - smoothed_truth) < np.linalg.norm(few - smoothed_truth) / 2


def test_inverse_variance_weights_and_falls_back_where_pathwise_is_not_finite():
    a = jnp.array([[1.0, 1.0], [1.0, jnp.inf], [1.0, 2.0]])
    b = jnp.array([[0.0, 5.0], [2.0, 7.0], [4.0, 9.0]])
    w = variance_weight(a, b)
    assert float(w[0]) == 1.0 and float(w[1]) == 0.0  # no variance: a alone; not finite: b
    np.testing.assert_allclose(combine(w, a, b), [1.0, 7.0])
    w = variance_weight(jnp.array([[0.0], [2.0]]), jnp.array([[0.0], [6.0]]))
    assert np.isclose(float(w[0]), 0.9)
    # cross-fitting: each half's weight applies to the other half's means
    a = jnp.array([[0.0], [2.0], [10.0], [10.0]])
    b = jnp.array([[0.0], [6.0], [20.0], [40.0]])
    g, _ = inverse_variance(a, b, crossfit=True)
    w1, w2 = 0.9, 1.0  # from rows 0-1 and rows 2-3
    assert np.isclose(float(g[0]), (w1 * 10 + (1 - w1) * 30 + w2 * 1 + (1 - w2) * 3) / 2)


def test_specs_round_trip_and_costs():
    for text in ("nres(std=0.05, pairs=4, K=25)", "guided_es(std=0.1, pairs=2, alpha=0.3, k=2)",
                 "guided_es(std=0.1, pairs=1, alpha=0.5, K=10)", "hybrid(std=0.2, pairs=8)",
                 "hybrid(std=0.1, pairs=4, crossfit=True)"):
        assert label(parse("estimator", text)) == text
    meta, _ = study_setup()
    assert NRES(pairs=2, K=10).inner_steps(meta) * NRES(K=10).phases(meta) == 200
    assert GuidedES(pairs=1).inner_steps(meta) == 150
    assert GuidedES(pairs=1, K=10).inner_steps(meta) == 110
    assert Hybrid(pairs=4).inner_steps(meta) == 400
    assert [e.smoothing() for e in (ES(std=0.2), NRES(std=0.3), GuidedES(), Hybrid())] == [
        0.2, 0.3, 0.1, 0.1]


def test_windows_longer_than_the_unroll_are_refused_and_uneven_ones_noted():
    meta, _ = study_setup()
    with pytest.raises(InputError, match="window K=60 is longer than the unroll"):
        NRES(K=60).check(meta)
    assert "do not divide" in NRES(K=7).check(meta) and NRES(K=10).check(meta) is None
    assert "exact gradient" in GuidedES(K=50).check(meta) and GuidedES(K=10).check(meta) is None


@pytest.mark.parametrize("spec, words", [
    ("nres(bogus=1)", "unknown option 'bogus'"),
    ("guided_es(alpha=1.5)", r"alpha must lie in \[0, 1\]"),
    ("guided_es(alpha=-0.1)", r"alpha must lie in \[0, 1\]"),
    ("guided_es(k=0)", "k must be an integer >= 1"),
    ("guided_es(K=0)", "K must be an integer >= 1"),
    ("nres(std=0)", "std must be positive"),
    ("nres(K=0)", "K must be"),
    ("hybrid(pairs=1)", "pairs must be an integer >= 2"),
    ("hybrid(pairs=3, crossfit=True)", "pairs must be an integer >= 4"),
    ("hybrid(std=-1)", "std must be positive"),
])
def test_bad_options_say_why_in_one_line(spec, words):
    with pytest.raises(InputError, match=words) as e:
        get(spec)
    assert "\n" not in str(e.value)
