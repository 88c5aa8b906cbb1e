"""The influence-balancing system (Vicol, Metz & Sohl-Dickstein, ICML 2021, Sec. 5.1)
through MetaLoss with no optimizer, and signed estimates at a point."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import metaloss as ml
from metaloss import estimators as E

STEPS = 200  # long past the transient (the chain mixes in ~100 steps); fast to compile


@pytest.fixture(scope="module")
def meta():
    return ml.MetaLoss(ml.systems.InfluenceBalancing(), steps=STEPS)


def test_fixed_point_and_optimum():
    system = ml.systems.InfluenceBalancing()
    assert system.optimum() == pytest.approx(-1 / 6)
    s = system.init()
    for t in range(400):
        s, _ = system.step(s, {"theta": jnp.asarray(0.5)}, t, None)
    # s[0] -> 2 theta * sum(sign) = -6 theta
    np.testing.assert_allclose(s[0], -3.0, rtol=1e-5)


def test_a_system_takes_no_optimizer(meta):
    assert meta.hparam_names == ("theta",)
    assert meta.default_space().names == ("theta",)
    with pytest.raises(ml.InputError, match="takes no optimizer"):
        ml.MetaLoss(ml.systems.InfluenceBalancing(), "sgd", steps=10)
    with pytest.raises(ml.InputError, match="pass one"):
        ml.MetaLoss("quadratic", steps=10)
    # the configuration record round-trips
    assert ml.MetaLoss.from_record(meta.describe()) == meta


def test_truncation_flips_the_sign_and_pes_does_not(meta):
    point = {"theta": 0.5}
    key = jax.random.key(0)
    full = ml.estimate(meta, E.Backprop(), point, key, samples=2)
    exact = float(full.exact["theta"])
    np.testing.assert_allclose(full.mean["theta"], exact, rtol=1e-5)
    assert exact > 20  # 6 (6 theta + 1) = 24 at the fixed point, plus the transient
    for K in (1, 10):
        r = ml.estimate(meta, E.TruncatedBackprop(K=K), point, key, samples=2)
        assert float(r.mean["theta"]) < 0, K  # the wrong sign
    r = ml.estimate(meta, E.TruncatedES(K=10, pairs=8), point, key, samples=8)
    assert float(r.mean["theta"]) + 3 * float(r.stderr["theta"]) < 0
    r = ml.estimate(meta, E.PES(K=10, pairs=8), point, key, samples=8)
    assert abs(float(r.mean["theta"]) - exact) < 3 * float(r.stderr["theta"])
    assert float(r.mean["theta"]) > 0
    assert r.samples["theta"].shape == (8,)


def test_loss_read_before_the_step_blinds_one_step_windows():
    meta = ml.MetaLoss(ml.systems.InfluenceBalancing(read="before"), steps=50)
    r = ml.estimate(meta, E.TruncatedBackprop(K=1), {"theta": 0.5}, jax.random.key(0),
                    samples=2)
    assert float(r.mean["theta"]) == 0.0
    assert float(r.exact["theta"]) != 0.0


def test_estimate_refuses_bad_input(meta):
    with pytest.raises(ml.InputError, match="samples"):
        ml.estimate(meta, E.Backprop(), {"theta": 0.5}, jax.random.key(0), samples=1)
    with pytest.raises(ml.InputError):
        ml.estimate(meta, E.Backprop(), {"lr": 0.5}, jax.random.key(0))
    with pytest.raises(ml.InputError, match="num_positive"):
        ml.systems.InfluenceBalancing(num_positive=30)
