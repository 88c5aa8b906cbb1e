"""fastmath.sincos: accuracy against float64, special values, dtypes, derivatives."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from metaloss._src import fastmath


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


def _ulp_error(got, exact):
    return np.abs(np.asarray(got, np.float64) - exact) / np.spacing(
        np.abs(exact).astype(np.float32)).astype(np.float64)


def _hard_points():
    """Floats next to multiples of pi/2 (where the reduction cancels), and tiny values."""
    k = np.arange(-700, 701, dtype=np.float64)
    near = (k * np.pi / 2).astype(np.float32)
    near = np.concatenate([near, np.nextafter(near, np.float32(np.inf)),
                           np.nextafter(near, np.float32(-np.inf))])
    tiny = np.float32([1e-30, -1e-30, 1e-8, 3e-4, -3e-4, 0.7853981, -0.7853982])
    return np.concatenate([near, tiny])


@pytest.mark.parametrize("bound, max_ulp", [(20.0, 3.0), (1e3, 4.0)])
def test_within_a_few_ulp_of_float64(bound, max_ulp):
    x = np.random.default_rng(0).uniform(-bound, bound, 1 << 16).astype(np.float32)
    x = np.concatenate([x, _hard_points()[np.abs(_hard_points()) <= bound]])
    s, c = jax.jit(fastmath.sincos)(x)
    xd = x.astype(np.float64)
    # away from zeros of the result, where ulp-relative error is meaningless
    ok_s, ok_c = np.abs(np.sin(xd)) > 1e-6, np.abs(np.cos(xd)) > 1e-6
    assert _ulp_error(s, np.sin(xd))[ok_s].max() <= max_ulp
    assert _ulp_error(c, np.cos(xd))[ok_c].max() <= max_ulp
    assert np.max(np.abs(np.asarray(s, np.float64) - np.sin(xd))) < 2e-7
    assert np.max(np.abs(np.asarray(c, np.float64) - np.cos(xd))) < 2e-7


def test_absolute_error_small_up_to_1e5():
    x = np.random.default_rng(1).uniform(-1e5, 1e5, 1 << 16).astype(np.float32)
    s, c = jax.jit(fastmath.sincos)(x)
    xd = x.astype(np.float64)
    assert np.max(np.abs(np.asarray(s, np.float64) - np.sin(xd))) < 3e-7
    assert np.max(np.abs(np.asarray(c, np.float64) - np.cos(xd))) < 3e-7


def test_special_values():
    s, c = fastmath.sincos(jnp.float32([0.0, 1e-20, np.inf, -np.inf, np.nan]))
    np.testing.assert_array_equal(np.asarray(s)[:2], np.float32([0.0, 1e-20]))
    np.testing.assert_array_equal(np.asarray(c)[:2], np.float32([1.0, 1.0]))
    assert np.isnan(np.asarray(s)[2:]).all() and np.isnan(np.asarray(c)[2:]).all()
    assert fastmath.sin(jnp.float32(np.pi / 2)) == 1.0


def test_shapes_and_transformations_keep_values():
    x = jnp.linspace(-30, 30, 12, dtype=jnp.float32).reshape(3, 4)
    s, c = fastmath.sincos(x)
    assert s.shape == c.shape == (3, 4) and s.dtype == jnp.float32
    vs, vc = jax.vmap(jax.jit(fastmath.sincos))(x)
    np.testing.assert_array_equal(vs, s)
    np.testing.assert_array_equal(vc, c)


def test_float64_path_is_within_two_ulp_of_numpy(x64):
    rng = np.random.default_rng(3)
    for scale in (1.0, 1e2, 1e5):
        x = rng.uniform(-scale, scale, 200_000)
        s, c = (np.asarray(v) for v in jax.jit(fastmath.sincos)(jnp.asarray(x)))
        assert s.dtype == np.float64
        for got, want in ((s, np.sin(x)), (c, np.cos(x))):
            ulp = np.spacing(np.abs(want))
            assert np.max(np.abs(got - want) / ulp) <= 2.0, scale
            assert np.max(np.abs(got - want)) <= 4.5e-16, scale


def test_other_dtypes_use_jnp_exactly():
    h = jnp.asarray([0.5, 2.0], jnp.bfloat16)
    np.testing.assert_array_equal(fastmath.sin(h), jnp.sin(h))


def test_derivatives_are_the_other_function():
    x = jnp.linspace(-7, 7, 57, dtype=jnp.float32)
    s, c = fastmath.sincos(x)
    np.testing.assert_array_equal(jax.vmap(jax.grad(fastmath.sin))(x), c)
    np.testing.assert_array_equal(jax.vmap(jax.grad(fastmath.cos))(x), -s)
    np.testing.assert_array_equal(jax.vmap(jax.grad(jax.grad(fastmath.sin)))(x), -s)
    _, (ds, dc) = jax.jvp(fastmath.sincos, (x,), (2 * jnp.ones_like(x),))
    np.testing.assert_array_equal(ds, 2 * c)
    np.testing.assert_array_equal(dc, -2 * s)


def test_gradients_match_finite_differences(x64):
    f = lambda x: jnp.sum(fastmath.sin(x) * fastmath.cos(2 * x))
    check_grads(f, (jnp.linspace(-3, 3, 7),), order=2, modes=("fwd", "rev"))


def test_coefficients_are_reproducible():
    s, c = fastmath.fit_coefficients()
    np.testing.assert_allclose(np.float32(s), np.float32(fastmath.SIN_COEFFS), rtol=1e-5)
    np.testing.assert_allclose(np.float32(c), np.float32(fastmath.COS_COEFFS), rtol=1e-5)
    assert sum(float(p) for p in fastmath.PIO2) == pytest.approx(np.pi / 2, rel=1e-15)
