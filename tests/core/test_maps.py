"""Estimator maps on a tiny grid against a pointwise loop, their layout, and bad input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import metaloss as ml
from metaloss._src.errors import InputError
from metaloss._src.study.settings import study_setup
from metaloss.analysis import estimator_maps, smoothed_gradient
from metaloss.estimators import ES, NRES, Backprop, TruncatedBackprop

AXES = {"lr": 10.0 ** np.array([-2.2, -1.4, 0.1]), "momentum": 1 - 10.0 ** np.array([-0.5, -1.6])}
ESTIMATORS = (Backprop(), TruncatedBackprop(K=25), ES(std=0.1, pairs=1), NRES(std=0.2, K=25))
SAMPLES = 3


def pointwise(meta, space, est, i, key):
    """Mean, variance and cosine of one estimator at every grid point, point by point."""
    step = jax.jit(est.estimate, static_argnums=(0, 1))
    out = []
    for p, (lr, mom) in enumerate([(a, b) for a in AXES["lr"] for b in AXES["momentum"]]):
        coords = {"lr": jnp.asarray(np.log10(lr)), "momentum": jnp.asarray(np.log10(1 - mom))}
        if est.smoothing() is None:
            g = jax.grad(lambda c: meta.evaluate(space.to_hparams(c)).loss)(coords)
            truth = np.array([g["lr"], g["momentum"]], float)
        else:
            g = smoothed_gradient(meta, space, coords, est.smoothing())
            truth = np.array([g["lr"], g["momentum"]], float)
        draws = []
        for s in range(SAMPLES):
            k_init, k_loop = jax.random.split(jax.random.fold_in(jax.random.fold_in(key, i),
                                                                 p * SAMPLES + s))
            state = est.init(meta, space, coords, k_init)
            phase = []
            for k in jax.random.split(k_loop, est.phases(meta)):
                _, g, state = step(meta, space, coords, k, state)
                phase.append([g["lr"], g["momentum"]])
            draws.append(np.mean(np.asarray(phase, float), axis=0))
        draws = np.array(draws)
        cos = draws @ truth / (np.linalg.norm(draws, axis=1) * np.linalg.norm(truth))
        out.append((draws.mean(0), truth, draws.var(0, ddof=1).sum(), cos.mean()))
    return out


@pytest.mark.slow  # statistical or heavy: runs in make test
def test_maps_equal_a_pointwise_loop(x64):
    meta, space = study_setup()
    key = jax.random.key(7)
    ds = estimator_maps(meta, space, ESTIMATORS, AXES, samples=SAMPLES, key=key)
    assert ds["bias"].dims == ("estimator", "lr", "momentum")
    assert ds["mean"].dims == ("estimator", "coordinate", "lr", "momentum")
    assert list(ds["target"].values) == ["exact gradient", "exact gradient",
                                         "smoothed gradient (std=0.1)",
                                         "smoothed gradient (std=0.2)"]
    np.testing.assert_array_equal(ds["cost"].values, [50, 50, 100, 100])
    for i, est in enumerate(ESTIMATORS):
        sel = ds.isel(estimator=i).stack(point=("lr", "momentum"))
        for p, (mean, truth, var, cos) in enumerate(pointwise(meta, space, est, i, key)):
            px = sel.isel(point=p)
            np.testing.assert_allclose(px["mean"].values, mean, rtol=1e-8, atol=1e-10)
            np.testing.assert_allclose(px["truth"].values, truth, rtol=1e-8, atol=1e-10)
            np.testing.assert_allclose(float(px["bias"]), np.linalg.norm(mean - truth),
                                       rtol=1e-6, atol=1e-9)
            np.testing.assert_allclose(float(px["variance"]), var, rtol=1e-6, atol=1e-12)
            np.testing.assert_allclose(float(px["cosine"]), cos, rtol=1e-6)
    # the smoothed truth's error estimate: the difference from half the nodes per axis
    assert np.isnan(ds["truth_error"].sel(estimator="backprop")).all()
    point = {"lr": np.log10(AXES["lr"][1]), "momentum": np.log10(1 - AXES["momentum"][0])}
    fine, coarse = (smoothed_gradient(meta, space, point, 0.1, nodes=n) for n in (64, 32))
    diff = np.hypot(fine["lr"] - coarse["lr"], fine["momentum"] - coarse["momentum"])
    np.testing.assert_allclose(float(ds["truth_error"][2, 1, 0]), diff, rtol=1e-6, atol=1e-12)
    # the exact estimator is its own truth; the truncated one is biased against it
    assert float(ds["bias"].sel(estimator="backprop").max()) < 1e-8
    assert float(ds["bias"].sel(estimator="truncated(K=25)").max()) > 1e-3


@pytest.mark.slow  # statistical or heavy: runs in make test
def test_other_grids_and_sample_counts_of_a_size_class_reuse_the_programs(compiles):
    meta, space = study_setup()
    ests = (ES(std=0.1, pairs=1), Backprop())
    estimator_maps(meta, space, ests, AXES, samples=3, key=jax.random.key(0), nodes=8)
    other = {"lr": AXES["lr"] * 1.5, "momentum": AXES["momentum"][::-1]}
    assert compiles.during(lambda: estimator_maps(meta, space, ests, other, samples=4,
                                                  key=jax.random.key(1), nodes=8)) == 0


@pytest.mark.parametrize("kwargs, words", [
    ({"samples": 1}, "samples must be an integer >= 2"),
    ({"axes": {"lr": [0.1]}}, "outer parameters must be exactly"),
    ({"axes": {"lr": [], "momentum": [0.9]}}, "non-empty 1-D"),
    ({"estimators": []}, "at least one estimator"),
    ({"estimators": [ES(), ES()]}, "repeat"),
    ({"key": None}, "needs a key"),
])
def test_bad_input_is_one_line(kwargs, words):
    meta, space = study_setup()
    args = {"estimators": [ES()], "axes": AXES, "samples": 2, "key": jax.random.key(0),
            **kwargs}
    with pytest.raises(InputError, match=words) as e:
        estimator_maps(meta, space, **args)
    assert "\n" not in str(e.value)


@pytest.mark.slow  # statistical or heavy: runs in make test
def test_more_dimensions_than_quadrature_need_truth_samples():
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.Adam(), steps=5)
    space = meta.default_space()
    axes = {"lr": [0.01, 0.02], "b1": [0.9], "b2": [0.999], "eps": [1e-8]}
    with pytest.raises(InputError, match="pass truth_samples=N"):
        estimator_maps(meta, space, [ES()], axes, samples=2, key=jax.random.key(0))
    ds = estimator_maps(meta, space, [ES(), Backprop()], axes, samples=2, truth_samples=16,
                        key=jax.random.key(0))
    assert ds["truth"].shape == (2, 4, 2, 1, 1, 1)
    assert np.isfinite(ds["truth"].values).all()


def test_stochastic_problems_are_refused():
    meta = ml.MetaLoss(ml.problems.MLPDigits(8), ml.optimizers.SGD(), steps=5)
    with pytest.raises(InputError, match="draws no random numbers"):
        estimator_maps(meta, meta.default_space(), [ES()], {"lr": [0.1, 0.2]},
                       key=jax.random.key(0))


def synthetic_maps():
    import xarray as xr

    rng = np.random.default_rng(0)
    shape = (2, 3, 4)
    b2 = np.array([np.zeros(shape[1:]), rng.uniform(0, 2, shape[1:])])
    var = np.array([np.zeros(shape[1:]), np.ones(shape[1:])])
    var[1, 0, 0] = 0.0  # bias without variance: drawn at the end of the scale
    return xr.Dataset(
        {"bias": (("estimator", "lr", "momentum"), np.sqrt(b2)),
         "squared_bias": (("estimator", "lr", "momentum"), b2),
         "variance": (("estimator", "lr", "momentum"), var),
         "cosine": (("estimator", "lr", "momentum"), rng.uniform(-1, 1, shape))},
        coords={"estimator": ["backprop", "es(std=0.1, pairs=1)"],
                "target": ("estimator", ["exact gradient", "smoothed gradient (std=0.1)"]),
                "lr": [0.001, 0.01, 0.1], "momentum": [0.9, 0.99, 0.999, 0.0]},
        attrs={"samples": 4})


def test_map_figures_draw_every_quantity_and_clip_dominance():
    from metaloss import plot
    from metaloss._src.plot.maps import DOMINANCE_RANGE, quantity

    ds = synthetic_maps()
    dom = quantity(ds, "dominance")
    assert np.isnan(dom.values[0]).all()  # no bias, no variance: undefined
    assert dom.values[1, 0, 0] == DOMINANCE_RANGE
    for q in plot.MAP_QUANTITIES:
        fig = plot.estimator_map(ds, q, params=study_setup()[1])
        assert len([a for a in fig.axes if a.get_visible()]) == 3  # two panels, a colour bar
    with pytest.raises(InputError, match="unknown map quantity"):
        quantity(ds, "mse")
    with pytest.raises(InputError, match="two axes"):
        plot.estimator_map(ds.isel(momentum=0), "bias")
