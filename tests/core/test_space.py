"""Parametrizations and grid helpers (property tests)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import metaloss as ml

coord = st.floats(-6, 1.5, allow_nan=False)


@given(coord)
def test_log10_round_trip(u):
    p = ml.Log10()
    assert p.inverse(p.forward(u)) == pytest.approx(u, abs=1e-9)


@given(st.floats(-6, -1e-3))
def test_one_minus_log10_round_trip(u):
    p = ml.OneMinusLog10()
    value = p.forward(u)
    assert 0 <= value < 1
    assert p.inverse(value) == pytest.approx(u, abs=1e-6)


@given(st.floats(-1e6, 1e6, allow_nan=False))
def test_linear_is_identity(u):
    assert ml.Linear().forward(u) == u == ml.Linear().inverse(u)


def test_space_maps_the_study_start():
    space = ml.Space({"lr": ml.Log10(), "momentum": ml.OneMinusLog10()})
    h = space.to_hparams({"lr": -2.0, "momentum": -0.5})
    assert h["lr"] == pytest.approx(0.01)
    assert h["momentum"] == pytest.approx(1 - 10**-0.5)
    back = space.to_coords(h)
    assert back["lr"] == pytest.approx(-2.0) and back["momentum"] == pytest.approx(-0.5)
    with pytest.raises(ValueError, match="outer parameters must be exactly"):
        space.to_hparams({"lr": 1.0})
    space.check({"momentum": "any value", "lr": None})  # only the names count
    with pytest.raises(ml.InputError,
                       match=r"missing \['momentum'\], unexpected \['b1'\]"):
        space.check({"lr": 0.0, "b1": 0.0})


def test_inverse_rejects_out_of_domain():
    with pytest.raises(ValueError, match="positive"):
        ml.Log10().inverse(np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="1 - value"):
        ml.OneMinusLog10().inverse(1.0)


@given(st.floats(-5, 5), st.floats(-5, 5), st.integers(1, 300))
def test_logspace_spec(a, b, n):
    v = ml.logspace(a, b, n)
    assert v.shape == (n,) and v.dtype == np.float64
    assert v[0] == pytest.approx(10**a, rel=1e-9)
    assert np.all(v > 0)
    if n > 1:
        assert v[-1] == pytest.approx(10**b, rel=1e-9)
        ratios = v[1:] / v[:-1]
        np.testing.assert_allclose(ratios, ratios[0], rtol=1e-6)


@pytest.mark.parametrize("n", [0, -1, 2.0, True])
def test_bad_grid_sizes(n):
    with pytest.raises(ValueError, match="grid size must be an integer >= 1"):
        ml.logspace(-3, 2, n)
    with pytest.raises(ValueError, match="grid size"):
        ml.linspace(0, 1, n)
