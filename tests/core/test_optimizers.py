"""Inner optimizers against optax's implementations of the same updates (float64)."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import metaloss as ml
from metaloss import optimizers
from metaloss.optimizers import SGD, SGDM, Adam, FromOptax, Nesterov, RMSProp
from metaloss.problems import LogisticDigits, Rosenbrock


def _grad_fn(params):
    # A gradient that depends on the parameters nonlinearly and per coordinate, so
    # that moments, bias corrections and look-aheads all show up in the trajectory.
    return jax.tree.map(lambda p: jnp.sin(3.0 * p) + p**3 - 0.5, params)


def _ours(opt, hparams, params, steps):
    state = opt.init(params)
    out = []
    for _ in range(steps):
        params, state = opt.update(_grad_fn(params), state, params, hparams)
        out.append(params)
    return out


def _optax(tx, params, steps):
    state = tx.init(params)
    out = []
    for _ in range(steps):
        updates, state = tx.update(_grad_fn(params), state, params)
        params = optax.apply_updates(params, updates)
        out.append(params)
    return out


CASES = [
    (SGD(), {"lr": 0.07}, lambda h: optax.sgd(h["lr"])),
    (SGDM(), {"lr": 0.05, "momentum": 0.8}, lambda h: optax.sgd(h["lr"], h["momentum"])),
    (Nesterov(), {"lr": 0.05, "momentum": 0.7},
     lambda h: optax.sgd(h["lr"], h["momentum"], nesterov=True)),
    (Adam(), {"lr": 0.03, "b1": 0.8, "b2": 0.95, "eps": 1e-3},
     lambda h: optax.adam(h["lr"], h["b1"], h["b2"], h["eps"])),
    (RMSProp(), {"lr": 0.02, "decay": 0.85, "eps": 1e-4, "momentum": 0.0},
     lambda h: optax.rmsprop(h["lr"], h["decay"], h["eps"])),
    (RMSProp(), {"lr": 0.02, "decay": 0.85, "eps": 1e-4, "momentum": 0.6},
     lambda h: optax.rmsprop(h["lr"], h["decay"], h["eps"], momentum=h["momentum"])),
    (RMSProp(eps_in_sqrt=False), {"lr": 0.02, "decay": 0.9, "eps": 1e-3, "momentum": 0.5},
     lambda h: optax.rmsprop(h["lr"], h["decay"], h["eps"], eps_in_sqrt=False,
                             momentum=h["momentum"])),
]


@pytest.mark.parametrize("opt, hparams, make", CASES,
                         ids=[f"{c[0]!r}-{i}" for i, c in enumerate(CASES)])
def test_matches_optax(x64, opt, hparams, make):
    params = {"a": jnp.array([0.3, -1.2, 0.0, 2.0]), "b": jnp.array(0.7)}
    hp = {k: jnp.asarray(v) for k, v in hparams.items()}
    ours = _ours(opt, hp, params, 12)
    ref = _optax(make(hparams), params, 12)
    for got, want in zip(ours, ref, strict=True):
        jax.tree.map(lambda g, w: np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14),
                     got, want)
    assert not np.allclose(ours[-1]["a"], params["a"])  # it moved


@pytest.mark.slow  # three compiled meta-losses: runs in make test
def test_optax_wrapper_matches_and_exposes_leaves(x64):
    tx = optax.inject_hyperparams(optax.adam)(learning_rate=0.02, b1=0.85)
    wrapped = FromOptax(tx)
    assert wrapped.defaults == {"lr": 0.02, "b1": 0.85, "b2": 0.999, "eps": 1e-8, "eps_root": 0.0}
    hp = {"lr": 0.01, "b1": 0.7, "b2": 0.9, "eps": 1e-3, "eps_root": 0.0}
    params = jnp.array([0.3, -1.2, 2.0])
    ours = _ours(wrapped, {k: jnp.asarray(v) for k, v in hp.items()}, params, 8)
    ref = _optax(optax.adam(0.01, 0.7, 0.9, 1e-3), params, 8)
    np.testing.assert_allclose(ours[-1], ref[-1], rtol=1e-12)
    # The hyperparameters are leaves: MetaLoss differentiates through them.
    meta = ml.MetaLoss(Rosenbrock(), wrapped, steps=20)
    grads = jax.grad(lambda h: meta(h))(meta.hparams({"lr": 0.01}))
    assert set(grads) == set(wrapped.defaults)
    assert all(np.isfinite(float(g)) for g in grads.values())
    assert float(grads["lr"]) != 0.0
    # Same meta-loss as the built-in Adam.
    builtin = ml.MetaLoss(Rosenbrock(), Adam(), steps=20)
    np.testing.assert_allclose(jax.jit(meta)(hp),
                               jax.jit(builtin)({k: hp[k] for k in Adam.defaults}), rtol=1e-10)


def test_optax_wrapper_rejects_plain_transformations():
    with pytest.raises(ValueError, match="inject_hyperparams"):
        FromOptax(optax.adam(1e-3))
    with pytest.raises(ValueError, match="optax transformation"):
        FromOptax("adam")


@pytest.mark.slow  # digits data: a large graph to compile
def test_adam_outer_gradients_finite_with_dead_parameters():
    # Constant border pixels give weights whose gradient is always exactly 0, so
    # nu stays 0: sqrt'(0) = inf would turn every outer gradient into NaN.
    meta = ml.MetaLoss(LogisticDigits(batch_size=32), Adam(), steps=5, objective="val_final")
    key = jax.random.key(0)
    grads = jax.jit(jax.grad(lambda h: meta(h, key)))(meta.hparams({"lr": 0.01}))
    assert all(np.isfinite(float(g)) for g in grads.values())
    assert float(grads["lr"]) != 0.0


@pytest.mark.parametrize("name", ["sgd", "sgdm", "nesterov", "adam", "rmsprop"])
def test_every_hyperparameter_is_differentiable(x64, name):
    opt = optimizers.get(name)
    meta = ml.MetaLoss(Rosenbrock(), opt, steps=15)
    # eps well above its default and momentum inside (0, 1), so that a central
    # difference with a small relative step stays inside the valid range.
    extra = {"eps": 1e-3, "momentum": 0.5}
    hp = meta.hparams({"lr": 1e-3, **{k: v for k, v in extra.items() if k in opt.defaults}})
    grads = jax.grad(lambda h: meta(h))(hp)
    assert set(grads) == set(opt.defaults)
    value = jax.jit(meta)
    for k, g in grads.items():
        v = float(hp[k])
        eps = 1e-3 * v if v < 0.5 else 1e-5  # b1, b2, momentum: stay below 1
        up = value({**hp, k: hp[k] + eps})
        down = value({**hp, k: hp[k] - eps})
        np.testing.assert_allclose(g, (up - down) / (2 * eps), rtol=1e-3, atol=1e-9, err_msg=k)


def test_registry():
    from metaloss._src.systems.base import Dynamics

    classes = {"sgd": SGD, "sgdm": SGDM, "nesterov": Nesterov, "adam": Adam, "rmsprop": RMSProp,
               "dynamics": Dynamics}  # a system's own step (metaloss.systems)
    assert set(optimizers.names()) == set(classes)
    for name, cls in classes.items():
        assert type(optimizers.get(name)) is cls
    assert optimizers.get("Adam") == Adam()
    assert optimizers.get("rmsprop(eps_in_sqrt=False)") == RMSProp(eps_in_sqrt=False)
    opt = Nesterov()
    assert optimizers.get(opt) is opt
    with pytest.raises(ValueError, match="not an inner optimizer"):
        optimizers.get("optax:sgd")  # a factory, not a transformation
    with pytest.raises(ValueError, match="unknown optimizer 'lion'"):
        optimizers.get("lion")


@pytest.mark.parametrize(
    "opt, bad",
    [(Adam(), {"b1": 1.0}), (Adam(), {"eps": 0.0}), (RMSProp(), {"decay": -0.1}),
     (Nesterov(), {"momentum": 1.5}), (Adam(), {"lr": -1.0})],
)
def test_validation(opt, bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        ml.MetaLoss(Rosenbrock(), opt).hparams(bad)
