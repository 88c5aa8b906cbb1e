"""The smoothed outer loss and its gradient against brute-force float64 integrals."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from study_numpy import outer_loss, smoothed_brute_force

import metaloss as ml
from metaloss._src.analysis.smoothed import hermite_rule, size_class
from metaloss._src.errors import InputError
from metaloss._src.study.settings import study_setup
from metaloss.analysis import smoothed_gradient, smoothed_loss

SMOOTH = [(-2.0, -0.5), (-2.5, -2.0)]
"""Points of the study's box where the unroll is smooth at the scale of std."""


def test_hermite_rule_integrates_gaussian_moments():
    z, w = hermite_rule(6, 2)
    assert z.shape == (36, 2) and np.isclose(w.sum(), 1.0)
    assert np.allclose((w[:, None] * z**2).sum(0), 1.0)
    assert np.isclose((w * z[:, 0] ** 4 * z[:, 1] ** 2).sum(), 3.0)
    assert [size_class(n) for n in (1, 2, 3, 64, 65)] == [1, 2, 4, 64, 128]


def test_reference_is_the_study():
    meta, space = study_setup()
    assert np.isclose(outer_loss(-2.0, -0.5), float(ml.analysis.evaluate_points(
        meta, space, {"lr": -2.0, "momentum": -0.5})), rtol=1e-5)


@pytest.mark.parametrize("point", SMOOTH)
def test_smoothed_gradient_and_loss_match_brute_force(x64, point):
    meta, space = study_setup()
    coords = {"lr": np.array([point[0]]), "momentum": np.array([point[1]])}
    loss_ref, grad_ref = smoothed_brute_force(np.array(point), 0.1)
    grad = smoothed_gradient(meta, space, coords, 0.1)
    got = np.array([grad["lr"][0], grad["momentum"][0]])
    # 64 x 64 nodes: errors of 1e-6 (first point) and 1.4e-5 (second) of the norm
    assert np.linalg.norm(got - grad_ref) < 3e-5 * np.linalg.norm(grad_ref)
    loss = smoothed_loss(meta, space, coords, 0.1)
    np.testing.assert_allclose(loss, [loss_ref], rtol=1e-6)


def test_one_dimension_and_shapes_follow_the_coordinates(x64):
    meta, _ = study_setup()
    meta = meta.with_fixed({"momentum": 1 - 10**-0.5})
    space = ml.Space({"lr": ml.Log10()})
    u = np.array([[-2.0, -2.2], [-2.4, -2.6], [-1.8, -2.1]])
    grad = smoothed_gradient(meta, space, {"lr": u}, 0.05)["lr"]
    assert grad.shape == u.shape
    z = np.linspace(-7, 7, 2001)
    w = np.exp(-z**2 / 2) / np.exp(-z**2 / 2).sum()
    ref = [(w * z * outer_loss(v + 0.05 * z, -0.5)).sum() / 0.05 for v in u.ravel()]
    np.testing.assert_allclose(grad.ravel(), ref, rtol=1e-6)


@pytest.mark.slow  # statistical or heavy: runs in make test
def test_monte_carlo_agrees_with_quadrature_and_is_needed_beyond_three_dims(x64):
    meta, space = study_setup()
    coords = {"lr": np.array(-2.0), "momentum": np.array(-0.5)}
    quad = smoothed_gradient(meta, space, coords, 0.1)
    mc = smoothed_gradient(meta, space, coords, 0.1, samples=8192, key=jax.random.key(1))
    for n in space.names:
        assert abs(mc[n] - quad[n]) < 0.05 * np.hypot(quad["lr"], quad["momentum"])
    adam = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.Adam(), steps=10)
    space4 = adam.default_space()
    assert len(space4) == 4
    point = {n: np.array(float(space4[n].inverse(v))) for n, v in
             {"lr": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8}.items()}
    with pytest.raises(InputError, match="more than quadrature supports.*samples"):
        smoothed_gradient(adam, space4, point, 0.1)
    three = adam.with_fixed({"eps": 1e-8})
    space3 = three.default_space()
    point3 = {n: point[n] for n in space3.names}
    quad3 = smoothed_gradient(three, space3, point3, 0.1)  # 16^3 nodes
    mc3 = smoothed_gradient(three, space3, point3, 0.1, samples=4096, key=jax.random.key(2))
    q, m = (np.array([g[n] for n in space3.names]) for g in (quad3, mc3))
    assert np.linalg.norm(q - m) < 0.1 * np.linalg.norm(q)
    g = smoothed_gradient(adam, space4, point, 0.1, samples=64, key=jax.random.key(0))
    assert set(g) == set(space4.names) and all(np.isfinite(v) for v in g.values())


@pytest.mark.parametrize("kwargs, words", [
    ({"std": 0.0}, "std must be positive"),
    ({"std": -1.0}, "std must be positive"),
    ({"std": 0.1, "nodes": 1}, "quadrature nodes must be"),
    ({"std": 0.1, "nodes": 8, "samples": 8}, "not both"),
    ({"std": 0.1, "samples": 8}, "needs a key"),
    ({"std": 0.1, "samples": 1, "key": jax.random.key(0)}, "samples must be"),
])
def test_bad_input_is_one_line(kwargs, words):
    meta, space = study_setup()
    with pytest.raises(InputError, match=words) as e:
        smoothed_gradient(meta, space, {"lr": -2.0, "momentum": -0.5}, **kwargs)
    assert "\n" not in str(e.value)
