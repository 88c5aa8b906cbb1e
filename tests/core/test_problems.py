"""Inner problems: gradients against finite differences, known minima, digits data, specs."""

import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

import metaloss as ml
from metaloss import problems
from metaloss.problems import (
    FromFunction,
    LogisticDigits,
    MLPDigits,
    Quadratic,
    Rosenbrock,
    Wavy1D,
)


def _random_like(params, key, scale=0.5):
    leaves, treedef = jax.tree.flatten(params)
    keys = jax.random.split(key, len(leaves))
    noise = [scale * jax.random.normal(k, x.shape, x.dtype)
             for k, x in zip(keys, leaves, strict=True)]
    return jax.tree.unflatten(treedef, [x + n for x, n in zip(leaves, noise, strict=True)])


ALL = [
    Wavy1D(),
    Quadratic(dim=5, condition=30.0),
    Quadratic(dim=4, condition=10.0, rotate=True, seed=3),
    Rosenbrock(),
    Rosenbrock(dim=4),
    # The digits problems compile large graphs: they run with the end-to-end tests.
    pytest.param(LogisticDigits(batch_size=16), marks=pytest.mark.slow),
    pytest.param(MLPDigits(hidden=(6, 5), batch_size=16), marks=pytest.mark.slow),
]


@pytest.mark.parametrize("problem", ALL, ids=repr)
def test_gradient_matches_finite_differences(x64, problem):
    key = jax.random.key(1)
    params = _random_like(problem.init(jax.random.key(0)), jax.random.key(2))
    # One compiled function for both losses (the weights keep errors from cancelling).
    both = jax.jit(lambda p: problem.loss(p, key) + 0.37 * problem.val_loss(p))
    grad = jax.jit(jax.grad(both))(params)
    flat, unravel = ravel_pytree(params)
    g = ravel_pytree(grad)[0]
    # Central differences along random directions (what check_grads does, compiled once).
    for i in range(3):
        v = jax.random.normal(jax.random.key(10 + i), flat.shape, flat.dtype)
        v = v / jnp.linalg.norm(v)
        eps = 1e-4
        fd = (both(unravel(flat + eps * v)) - both(unravel(flat - eps * v))) / (2 * eps)
        np.testing.assert_allclose(float(fd), float(g @ v), rtol=1e-5, atol=1e-7)


@pytest.mark.slow  # digits data or a 20000-step unroll: runs in make test
def test_quadratic_minimum_and_curvatures(x64):
    prob = Quadratic(dim=6, condition=1e3, rotate=True, seed=1)
    zero = jnp.zeros(6)
    assert float(prob.loss(zero)) == 0.0
    np.testing.assert_array_equal(jax.grad(prob.loss)(zero), np.zeros(6))
    hess = np.asarray(jax.hessian(prob.loss)(prob.init()))
    eig = np.linalg.eigvalsh(hess)
    np.testing.assert_allclose(eig.max(), 1.0, rtol=1e-10)
    np.testing.assert_allclose(eig.max() / eig.min(), 1e3, rtol=1e-8)
    np.testing.assert_allclose(hess, prob.hessian(), atol=1e-12)
    # The closed-form minimum is also where gradient descent goes.
    meta = ml.MetaLoss(prob, ml.optimizers.SGD(), steps=20000, objective="final")
    assert float(meta({"lr": 1.5})) < 1e-12


def test_rosenbrock_minimum(x64):
    for prob in (Rosenbrock(), Rosenbrock(dim=5)):
        ones = jnp.ones(prob.dim)
        value, grad, hess = jax.jit(
            lambda x, f=prob.loss: (f(x), jax.grad(f)(x), jax.hessian(f)(x)))(ones)
        assert float(value) == 0.0
        np.testing.assert_array_equal(grad, np.zeros(prob.dim))
        assert np.all(np.linalg.eigvalsh(np.asarray(hess)) > 0)
        others = ones + jax.random.normal(jax.random.key(0), (50, prob.dim))
        assert np.all(np.asarray(jax.jit(jax.vmap(prob.loss))(others)) > 0)
    np.testing.assert_allclose(Rosenbrock(a=2.0).loss(jnp.array([2.0, 4.0])), 0.0)
    np.testing.assert_allclose(Rosenbrock().loss(Rosenbrock().init()), 24.2, rtol=1e-6)


def test_digits_split_is_fixed_and_standardized():
    d = problems.digits_split()
    assert d.x_train.shape == (1438, 64) and d.x_val.shape == (359, 64)
    assert set(np.unique(d.y_val)) == set(range(10))
    again = problems.digits_split.__wrapped__()  # recomputed, not the cached arrays
    np.testing.assert_array_equal(again.x_val, d.x_val)
    np.testing.assert_allclose(d.x_train.mean(axis=0), 0.0, atol=1e-12)
    std = d.x_train.std(axis=0)
    assert np.all(np.isclose(std, 1.0) | (std == 0.0))
    # The two parts are disjoint: no validation image appears among training images.
    train_rows = {row.tobytes() for row in d.x_train}
    assert sum(row.tobytes() in train_rows for row in d.x_val) < 5  # the data has duplicates


@pytest.mark.slow  # digits data or a 20000-step unroll: runs in make test
def test_digits_minibatches_come_from_the_key():
    prob, full = LogisticDigits(batch_size=32), LogisticDigits(batch_size=None)
    assert prob.stochastic and not full.stochastic
    params = _random_like(prob.init(), jax.random.key(0), 0.1)
    mini = jax.jit(prob.loss)
    a = mini(params, jax.random.key(1))
    assert float(a) == float(mini(params, jax.random.key(1)))
    assert float(a) != float(mini(params, jax.random.key(2)))
    whole = jax.jit(full.loss)(params, jax.random.key(1))
    assert float(whole) == float(jax.jit(full.loss)(params, None))
    assert float(whole) != float(jax.jit(full.val_loss)(params))
    np.testing.assert_allclose(mini(prob.init(), jax.random.key(3)), np.log(10), rtol=1e-6)


@pytest.mark.slow
def test_mlp_learns_digits():
    prob = MLPDigits(32)
    assert prob.hidden == (32,) and hash(prob) == hash(MLPDigits(hidden=32))
    meta = ml.MetaLoss(prob, ml.optimizers.SGDM(), steps=150, objective="val_final")

    @jax.jit
    def train(hp):
        key = jax.random.key(0)
        state, _ = meta.run(hp, meta.init_state(key), meta.steps, differentiable=False)
        return prob.accuracy(state.params), meta.evaluate(hp, key, differentiable=False).loss

    acc, val = train({"lr": 0.05, "momentum": 0.9})
    assert float(acc) > 0.9
    assert float(val) < 0.5 < np.log(10)


def test_from_function_matches_builtin():
    custom = FromFunction(problems.wavy_loss, init=-4.0)
    hp = {"lr": 0.1, "momentum": 0.9}
    ref = ml.MetaLoss(Wavy1D(fast=False), ml.optimizers.SGDM(), steps=30)
    got = ml.MetaLoss(custom, ml.optimizers.SGDM(), steps=30)
    np.testing.assert_allclose(jax.jit(got)(hp), jax.jit(ref)(hp), rtol=1e-6)
    assert custom.name == "wavy_loss"

    def noisy(p, key):
        return jnp.sum((p - jax.random.normal(key, p.shape)) ** 2)

    stoch = FromFunction(noisy, init=lambda key: jnp.zeros(3), val_loss_fn=jnp.sum,
                         stochastic=True, name="noisy")
    meta = jax.jit(ml.MetaLoss(stoch, ml.optimizers.SGD(), steps=5, objective="val_final"))
    a, b = meta({"lr": 0.1}, jax.random.key(0)), meta({"lr": 0.1}, jax.random.key(1))
    assert np.isfinite(float(a)) and float(a) != float(b)
    with pytest.raises(ValueError, match="callable"):
        FromFunction(3.0, init=0.0)


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    src = textwrap.dedent("""
        import jax.numpy as jnp
        import metaloss as ml
        problem = ml.problems.FromFunction(lambda p: jnp.sum(p ** 2), init=jnp.ones(2))
        def make():
            return ml.problems.Quadratic(dim=3)
        Cls = ml.problems.Rosenbrock
        not_a_problem = 42
        def needs_args(x):
            return x
    """)
    (tmp_path / "mlusermod.py").write_text(src)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("mlusermod", None)


def test_module_attribute_specs(user_module):
    assert isinstance(problems.get("mlusermod:problem"), FromFunction)
    assert problems.get("mlusermod:make") == Quadratic(dim=3)
    assert problems.get("mlusermod:Cls") == Rosenbrock()
    path = str(user_module / "mlusermod.py")
    assert problems.get(f"{path}:make") == Quadratic(dim=3)


@pytest.mark.parametrize(
    "spec, match",
    [
        ("nope", "unknown problem 'nope'"),
        ("mlusermod:missing", "has no attribute"),
        ("mlusermod:not_a_problem", "not a metaloss Problem"),
        ("mlusermod:needs_args", "no arguments"),
        ("no_such_module_xyz:thing", "no module named"),
        ("/no/such/file.py:thing", "no such file"),
        ("quadratic(dim=0)", "dim must be"),
        ("quadratic(foo=1)", "unknown option 'foo'; quadratic takes dim, condition"),
        ("quadratic(dim=n)", "dim must be an integer"),
        ("quadratic(dim=[1][0])", "literals"),
        ("", "non-empty"),
        (":x", "module:attribute"),
    ],
)
def test_bad_specs_give_one_line_errors(user_module, spec, match):
    with pytest.raises(ValueError, match=match) as info:
        problems.get(spec)
    assert "\n" not in str(info.value)


def test_registry_names_and_arguments():
    classes = {"wavy1d": Wavy1D, "quadratic": Quadratic, "rosenbrock": Rosenbrock,
               "logistic_digits": LogisticDigits, "mlp_digits": MLPDigits,
               "cosine_quadratic": problems.CosineQuadratic,
               "modulated_quadratic": problems.ModulatedQuadratic,
               "meanfield_mlp": problems.MeanFieldMLP,
               "influence_balancing": ml.systems.InfluenceBalancing,
               "toy_regression": ml.systems.ToyRegression}
    assert set(problems.names()) == set(classes)
    for name, cls in classes.items():
        assert type(problems.get(name)) is cls
    assert problems.get("quadratic(dim=20, condition=1e3)") == Quadratic(20, 1e3)
    assert problems.get("mlp_digits(hidden=[8, 4], batch_size=None)").hidden == (8, 4)
    assert problems.get("Rosenbrock(dim=3)") == Rosenbrock(dim=3)
    prob = Wavy1D()
    assert problems.get(prob) is prob


def test_modulated_quadratic_is_liu_s_multiplicative_family():
    import jax

    p = problems.ModulatedQuadratic(delta=0.2, lam=0.1, x0=1.0)
    with jax.enable_x64(True):
        for x in (0.0, 0.37, -2.5, 13.1):
            want = x**2 * (1 + 0.2 * np.cos(2 * np.pi * x / 0.1))
            assert float(p.loss(jnp.asarray(x))) == pytest.approx(want, rel=1e-12, abs=1e-15)
            slope = 2 * x * (1 + 0.2 * np.cos(20 * np.pi * x)) \
                - 2 * np.pi * x**2 * 0.2 * np.sin(20 * np.pi * x) / 0.1
            g = float(jax.grad(p.loss)(jnp.asarray(x)))
            assert g == pytest.approx(slope, rel=1e-9, abs=1e-12)
    with pytest.raises(ValueError, match="lam"):
        problems.ModulatedQuadratic(lam=0.0)
