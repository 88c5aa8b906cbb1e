"""The lyapunov and gradnorm measures: closed forms for linear inner dynamics, a float64
NumPy reference on the study's problem, divergence, stores and bad input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import metaloss as ml
from metaloss._src.errors import InputError
from metaloss._src.measures import GradNorm, Lyapunov, benettin, halve_exponent, start_tangent
from metaloss._src.meta import default_key


def start(size: int, dtype=jnp.float64) -> np.ndarray:
    """The measure's starting tangent for deterministic problems (their default key),
    as it is drawn in ``dtype``, in float64."""
    with jax.enable_x64(True):
        return np.asarray(start_tangent(default_key(), size, dtype), np.float64)


def finite_time(matrix: np.ndarray, steps: int, dtype=jnp.float64) -> float:
    """``log |M^T u| / T`` from the measure's starting unit vector ``u``, in float64."""
    u = start(matrix.shape[0], dtype)
    total = 0.0
    for _ in range(steps):
        u = matrix @ u
        norm = np.linalg.norm(u)
        total += np.log(norm)
        u = u / norm
    return total / steps


def sgdm_matrix(h: np.ndarray, lr: float, mom: float) -> np.ndarray:
    """The map of ``v <- m v + h x; x <- x - lr v`` on the state ``(x, v)``:
    ``x' = (1 - lr h) x - lr m v`` and ``v' = h x + m v``."""
    n = len(h)
    eye = np.eye(n)
    return np.block([[eye - lr * np.diag(h), -lr * mom * eye], [np.diag(h), mom * eye]])


QUAD = ml.problems.Quadratic(dim=3, condition=10.0)


@pytest.mark.parametrize("lr", [0.3, 1.0, 1.9, 2.5])
def test_sgd_on_a_quadratic_has_the_closed_form_exponent(x64, lr):
    steps = 200
    meta = ml.MetaLoss(QUAD, ml.optimizers.SGD(), steps=steps, divergence=None)
    got, diverged = benettin(meta, {"lr": lr})
    a = 1.0 - lr * QUAD.curvatures
    assert not diverged
    np.testing.assert_allclose(float(got), finite_time(np.diag(a), steps), rtol=1e-12)
    # log |a_max^T u_max| <= log |a^T u| <= log |a_max^T|: within -log |u_max| / T
    closed = np.log(np.max(np.abs(a)))
    u_max = abs(start(3)[np.argmax(np.abs(a))])
    assert closed + np.log(u_max) / steps - 1e-12 <= float(got) <= closed + 1e-12
    assert (float(got) > 0) == (lr > 2.0)


@pytest.mark.parametrize("lr, mom", [(0.5, 0.9), (0.1, 0.5), (1.5, 0.3), (3.0, 0.9)])
def test_momentum_on_a_quadratic_matches_the_spectral_radius(x64, lr, mom):
    steps = 300
    meta = ml.MetaLoss(QUAD, ml.optimizers.SGDM(), steps=steps, divergence=None)
    got, _ = benettin(meta, {"lr": lr, "momentum": mom})
    matrix = sgdm_matrix(QUAD.curvatures, lr, mom)
    np.testing.assert_allclose(float(got), finite_time(matrix, steps), rtol=1e-10, atol=1e-12)
    radius = np.max(np.abs(np.linalg.eigvals(matrix)))
    assert abs(float(got) - np.log(radius)) < 0.05


@pytest.mark.slow  # statistical or heavy: runs in make test
def test_renormalising_every_few_steps_gives_the_same_exponent(x64):
    meta = ml.MetaLoss(QUAD, ml.optimizers.SGDM(), steps=40, divergence=None)
    hp = {"lr": 0.7, "momentum": 0.8}
    every, _ = benettin(meta, hp)
    for renorm in (3, 40):  # 40 % 3 leaves a shorter last block
        np.testing.assert_allclose(float(Lyapunov(renorm).point(meta, hp, None)[0]),
                                   float(every), rtol=1e-12)


def test_float32_agrees_with_float64_on_a_linear_map():
    meta = ml.MetaLoss(QUAD, ml.optimizers.SGDM(), steps=50, divergence=None)
    got, _ = benettin(meta, {"lr": 0.5, "momentum": 0.9})
    assert got.dtype == jnp.float32
    want = finite_time(sgdm_matrix(QUAD.curvatures, 0.5, 0.9), 50, jnp.float32)
    np.testing.assert_allclose(float(got), want, rtol=1e-4)


def wavy_reference(lr: float, mom: float, steps: int, x0: float = -4.0) -> float:
    """Benettin's method for the study's SGDM on its 1-D loss, in float64 NumPy, with
    the Jacobian ``[[1 - lr f''(x), -lr m], [f''(x), m]]`` of the state ``(x, v)``."""
    x, v = x0, 0.0
    u = start(2)
    total = 0.0
    for _ in range(steps):
        s, c = np.sin(3 * x), np.cos(3 * x)
        q = x * x + 1 + s
        g = (2 * x + 3 * c) / q
        hess = (2 - 9 * s) / q - g * g
        u = np.array([[1 - lr * hess, -lr * mom], [hess, mom]]) @ u
        norm = np.linalg.norm(u)
        total += np.log(norm)
        u /= norm
        v = mom * v + g
        x = x - lr * v
    return total / steps


def test_a_grid_matches_a_float64_numpy_reference_pointwise(x64):
    steps = 20
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=steps)
    axes = {"lr": ml.logspace(-3, 0, 6), "momentum": 1 - ml.logspace(-2, 0, 5)}
    da = ml.lyapunov(meta, axes)
    assert da.name == "lyapunov" and da.dims == ("lr", "momentum")
    assert da.dtype == np.float64 and not bool(da["diverged"].any())
    want = np.array([[wavy_reference(lr, m, steps) for m in axes["momentum"]]
                     for lr in axes["lr"]])
    np.testing.assert_allclose(da.values, want, rtol=1e-9, atol=1e-12)


def test_the_study_plane_is_chaotic_in_places_and_stable_in_others():
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=50)
    da = ml.lyapunov(meta, {"lr": np.array([0.4, 10.0, 30.0]),
                            "momentum": np.array([0.2, 0.9])})
    values = da.values
    assert values[0, 0] < -0.1  # converges into the global minimum: contracting
    assert values[1, 1] > 0.1 and values[2, 1] > 0.1  # large steps: chaotic
    assert da.attrs["measure"] == "lyapunov"
    assert da.attrs["lyapunov_state"] == "parameters and optimizer state"


def test_gradnorm_is_the_norm_of_the_outer_gradient(x64):
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=15)
    axes = {"lr": ml.logspace(-2, 0, 3), "momentum": np.array([0.0, 0.5, 0.9])}
    da = ml.landscape(meta, axes, measure="gradnorm")
    assert da.name == "gradnorm" and da.attrs["gradnorm_wrt"] == "lr, momentum (raw values)"
    outer_grad = jax.jit(jax.grad(meta))
    for i, lr in enumerate(axes["lr"]):
        for j, m in enumerate(axes["momentum"]):
            grads = outer_grad({"lr": jnp.asarray(lr), "momentum": jnp.asarray(m)})
            want = jnp.linalg.norm(jnp.stack([grads["lr"], grads["momentum"]]))
            np.testing.assert_allclose(da.values[i, j], float(want), rtol=1e-10)


def test_gradnorm_counts_a_fixed_hyperparameter_too(x64):
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=10)
    da = ml.landscape(meta, {"lr": np.array([0.05]), "momentum": 0.5}, measure=GradNorm())
    grads = jax.grad(meta)({"lr": jnp.asarray(0.05), "momentum": jnp.asarray(0.5)})
    want = np.hypot(float(grads["lr"]), float(grads["momentum"]))
    assert abs(float(grads["momentum"])) > 0
    np.testing.assert_allclose(da.values[0], want, rtol=1e-10)


def test_diverged_points_keep_the_mask_and_hold_nan():
    meta = ml.MetaLoss(ml.problems.Quadratic(dim=2), ml.optimizers.SGD(), steps=30)
    axes = {"lr": np.array([0.5, 1.5, 2.5, 3.0])}
    da = ml.lyapunov(meta, axes)
    np.testing.assert_array_equal(da["diverged"].values, [False, False, True, True])
    assert np.isnan(da.values[2:]).all() and np.isfinite(da.values[:2]).all()
    loss = ml.landscape(meta, axes)
    np.testing.assert_array_equal(da["diverged"].values, loss["diverged"].values)
    grad = ml.landscape(meta, axes, measure="gradnorm")
    np.testing.assert_array_equal(grad["diverged"].values, loss["diverged"].values)


def test_a_store_records_the_measure_and_refuses_another(tmp_path):
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=10)
    axes = {"lr": ml.logspace(-2, 0, 8), "momentum": np.array([0.5, 0.9])}
    path = tmp_path / "lyap.zarr"
    stored = ml.lyapunov(meta, axes, store=path, renorm=2)
    assert stored.name == "lyapunov"
    np.testing.assert_array_equal(stored.values, ml.lyapunov(meta, axes, renorm=2).values)
    again = ml.lyapunov(meta, axes, store=path, renorm=2)  # finished: just opened
    np.testing.assert_array_equal(again.values, stored.values)
    with pytest.raises(InputError, match="measure"):
        ml.landscape(meta, axes, store=path, resume=True)


def test_bad_input_is_one_line():
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=5)
    axes = {"lr": np.array([0.1, 0.2])}
    for call in (lambda: ml.landscape(meta, axes, measure="chaos"),
                 lambda: ml.lyapunov(meta, axes, measure="loss"),
                 lambda: Lyapunov(renorm=0)):
        with pytest.raises(InputError) as err:
            call()
        assert "\n" not in str(err.value)


def test_a_lyapunov_heatmap_is_centred_at_zero():
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=20)
    da = ml.lyapunov(meta, {"lr": ml.logspace(-1, 1, 4), "momentum": np.array([0.2, 0.9])})
    fig = ml.plot.heatmap(da, vmax=None)
    image = fig.axes[0].images[0]
    low, high = image.norm.vmin, image.norm.vmax
    assert low == -high and high >= np.nanmax(np.abs(da.values))
    assert image.cmap.name.startswith("RdBu_r")
    assert "Lyapunov" in fig.axes[1].get_ylabel()


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_rescaling_by_half_the_exponent_is_exact(x64, dtype):
    square = jnp.asarray([1e-30, 0.3, 1.0, 3.0, 7.9, 1e30], dtype)
    scale, k = jax.vmap(halve_exponent)(square)
    np.testing.assert_array_equal(np.asarray(scale, np.float64), 2.0 ** -np.asarray(k, float))
    scaled = np.asarray(square * scale * scale)
    assert ((scaled >= 1) & (scaled < 4)).all()
