"""Outer training, Backprop and ES estimators, slices."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import metaloss as ml


@pytest.fixture(scope="module")
def setup():
    meta = ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=20)
    space = ml.Space({"lr": ml.Log10(), "momentum": ml.OneMinusLog10()})
    return meta, space


SMOOTH = {"lr": -3.0, "momentum": -0.3}  # lr 0.001, momentum 0.5: far from the chaotic region


def test_backprop_matches_finite_differences(x64, setup):
    meta, space = setup
    coords = {k: jnp.asarray(v) for k, v in SMOOTH.items()}
    loss, grad, _ = ml.estimators.Backprop().estimate(meta, space, coords, jax.random.key(0), None)
    f = ml.estimators.outer_fn(meta, space)
    h = 1e-6
    for name in coords:
        up = dict(coords, **{name: coords[name] + h})
        dn = dict(coords, **{name: coords[name] - h})
        fd = (f(up, None) - f(dn, None)) / (2 * h)
        assert float(grad[name]) == pytest.approx(float(fd), rel=1e-5, abs=1e-9)
    assert float(loss) == pytest.approx(float(f(coords, None)))


@pytest.mark.slow  # statistical: many samples
def test_es_converges_to_exact_gradient_as_pairs_grow(x64, setup):
    meta, space = setup
    coords = {k: jnp.asarray(v) for k, v in SMOOTH.items()}
    _, exact, _ = ml.estimators.Backprop().estimate(meta, space, coords, jax.random.key(0), None)
    exact = np.array([float(exact[k]) for k in coords])
    errors = []
    for pairs in (4, 64, 1024):
        # a small std: the Gaussian-smoothed gradient is then close to the exact one
        es = ml.estimators.ES(std=1e-3, pairs=pairs)
        _, g, _ = jax.jit(lambda k, es=es: es.estimate(meta, space, coords, k, None))(
            jax.random.key(pairs))
        errors.append(np.linalg.norm(np.array([float(g[k]) for k in coords]) - exact))
    rel = np.array(errors) / np.linalg.norm(exact)
    assert rel[-1] < 0.1
    assert rel[-1] < rel[0]


def test_es_rejects_bad_settings():
    with pytest.raises(ValueError, match="std"):
        ml.estimators.ES(std=0.0)
    with pytest.raises(ValueError, match="pairs"):
        ml.estimators.ES(pairs=0)


def _train(setup, est, steps, key):
    meta, space = setup
    return ml.outer_train(meta, space, est, {"lr": -2.0, "momentum": -0.5}, steps,
                          optax.chain(optax.clip(10.0), optax.sgd(0.01)), key)


@pytest.mark.slow  # several compiled loops: runs in make test
def test_trajectory_shapes_and_same_key_same_run(setup):
    es = ml.estimators.ES(std=0.1, pairs=2)
    a = _train(setup, es, 30, jax.random.key(3))
    b = _train(setup, es, 30, jax.random.key(3))
    c = _train(setup, es, 30, jax.random.key(4))
    assert a.params["lr"].shape == (31,) and a.losses.shape == (30,)
    assert float(a.params["lr"][0]) == -2.0
    np.testing.assert_array_equal(a.params["lr"], b.params["lr"])
    assert not np.array_equal(a.params["lr"], c.params["lr"])


def test_backprop_training_follows_clipped_sgd(setup):
    meta, space = setup
    run = _train(setup, ml.estimators.Backprop(), 3, jax.random.key(0))
    g = run.grads
    for t in range(3):
        for k in ("lr", "momentum"):
            step = -0.01 * np.clip(float(g[k][t]), -10, 10)
            assert float(run.params[k][t + 1]) == pytest.approx(float(run.params[k][t]) + step,
                                                                 abs=1e-6)


@pytest.mark.slow
def test_batch_of_keys_equals_separate_runs(setup):
    es = ml.estimators.ES(std=0.1, pairs=1)
    keys = jax.random.split(jax.random.key(7), 3)
    batch = _train(setup, es, 20, keys)
    assert batch.params["lr"].shape == (3, 21)
    for i in range(3):
        single = _train(setup, es, 20, keys[i])
        np.testing.assert_allclose(batch.params["lr"][i], single.params["lr"], rtol=1e-5)


def test_outer_train_bad_input(setup):
    meta, space = setup
    opt = optax.sgd(0.01)
    with pytest.raises(ValueError, match="outer steps"):
        ml.outer_train(meta, space, ml.estimators.ES(), {"lr": -2.0, "momentum": -0.5}, 0, opt,
                       jax.random.key(0))
    with pytest.raises(ValueError, match="outer parameters must be exactly"):
        ml.outer_train(meta, space, ml.estimators.ES(), {"lr": -2.0}, 5, opt, jax.random.key(0))
    with pytest.raises(ValueError, match="estimator"):
        ml.outer_train(meta, space, "es", {"lr": -2.0, "momentum": -0.5}, 5, opt,
                       jax.random.key(0))


def test_slices_center_equals_point(setup):
    meta, space = setup
    point = {"lr": -1.5, "momentum": -1.0}
    ds = ml.analysis.slices(meta, space, point, 0.05, 11, progress=False)
    center = float(meta(space.to_hparams(point)))
    for name in ("lr", "momentum"):
        assert ds[name].shape == (11,)
        assert float(ds[name].values[5]) == pytest.approx(center, rel=1e-4)
    with pytest.raises(ValueError, match="width"):
        ml.analysis.slices(meta, space, point, 0.0, 11)


def test_evaluate_points_matches_meta(setup):
    meta, space = setup
    pts = {"lr": np.array([-2.0, -1.0]), "momentum": np.array([-0.5, -1.0])}
    vals = ml.analysis.evaluate_points(meta, space, pts)
    for i in range(2):
        want = float(meta(space.to_hparams({k: v[i] for k, v in pts.items()})))
        assert vals[i] == pytest.approx(want, rel=1e-5)


@pytest.mark.parametrize("steps", [1, 7, 18, 37, 200])
def test_blocked_scan_equals_scan(steps):
    from metaloss._src.outer import _block_length, blocked_scan

    def step(carry, x):
        a, k = carry
        k, sub = jax.random.split(k)
        a = 0.9 * a + jnp.sin(x["u"]) + jax.random.normal(sub)
        return (a, k), {"a": a, "twice": 2 * x["u"], "int": x["i"] + 1}

    xs = {"u": jnp.linspace(0.0, 3.0, steps), "i": jnp.arange(steps)}
    init = (jnp.float32(0.5), jax.random.key(3))
    want_carry, want = jax.lax.scan(step, init, xs)
    got_carry, got = jax.jit(blocked_scan, static_argnums=0)(step, init, xs)
    np.testing.assert_array_equal(got_carry[0], want_carry[0])
    np.testing.assert_array_equal(jax.random.key_data(got_carry[1]),
                                  jax.random.key_data(want_carry[1]))
    for name in want:
        np.testing.assert_array_equal(got[name], want[name])
    block = _block_length(step, init, xs, steps)
    assert 1 <= block <= steps
    # Shapes given instead of traced size the blocks alike.
    ys = {"a": jnp.float32(0), "twice": jnp.float32(0), "int": jnp.int32(0)}
    assert _block_length(step, init, xs, steps, ys) == block
    if steps >= 37:  # small per-step outputs: several steps per block, not one
        assert block > 1
    if steps == 200:  # a divisor that long fits: no tail, the step is compiled once
        assert steps % block == 0


def test_compiled_loops_are_reused_per_configuration(setup, compiles):
    """jit's own cache, keyed by the static arguments, is the one cache of compiled loops:
    the same configuration compiles once, a new optimizer object compiles anew."""
    meta, space = setup
    opt = optax.sgd(0.1)
    run = lambda o, k: ml.outer_train(meta, space, ml.estimators.ES(), SMOOTH, 2, o,
                                      jax.random.key(k))
    run(opt, 0)
    assert compiles.during(lambda: run(opt, 1)) == 0
    assert compiles.during(lambda: run(optax.sgd(0.2), 0)) >= 1
