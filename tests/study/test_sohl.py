"""Sohl-Dickstein (2024)'s six configurations: the vectorised trainer against a direct
transcription of the paper's notebook, the zoom rule, and the Table 1 rows."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from metaloss._src.errors import InputError
from metaloss._src.study import sohl, sohl_train
from metaloss._src.study.findings import Finding


def notebook_scores(nonlinearity, phase_space, dataset_param_multiple, minibatch_size,
                    width, opt_steps, hparams):
    """The notebook's net, init, loss, train_step, gen_img's data and
    convergence_measure, transcribed with its globals as arguments and run point by
    point, step by step (no vmap, no scan), as float64."""
    depth, target_dim = 2, 1

    def net(theta, X):
        for W in theta:
            Z = jnp.dot(X, W) / jnp.sqrt(W.shape[0])
            if nonlinearity == "tanh":
                X = jax.nn.tanh(Z * jnp.sqrt(2))
            elif nonlinearity == "relu":
                X = jax.nn.relu(Z) * jnp.sqrt(2)
            else:
                X = Z
        return Z / jnp.sqrt(W.shape[0])

    def init(rng):
        rng = jax.random.split(rng, depth)
        theta, out_width = [], width
        for i in range(depth):
            if i == depth - 1:
                out_width = target_dim
            theta.append(jax.random.normal(rng[i], (width, out_width)))
        return theta

    def loss(theta, X, Y):
        return jnp.mean((net(theta, X) - Y) ** 2)

    def train_step(rng, theta, hp, X, Y):
        if phase_space == "lr_vs_lr":
            lrs = [hp[i % len(hp)] for i in range(len(theta))]
        else:
            theta = [t + hp[0] if i == 0 else t for i, t in enumerate(theta)]
            lrs = [hp[1] for _ in theta]
        if minibatch_size is None:
            _loss, _grad = jax.value_and_grad(loss)(theta, X, Y)
        else:
            idx = jax.random.randint(rng, (minibatch_size,), 0, X.shape[0])
            _loss = loss(theta, X, Y)
            _grad = jax.grad(loss)(theta, X[idx], Y[idx])
        return jax.tree.map(lambda t, g, lr: t - lr * g, theta, _grad, lrs), _loss

    def convergence_measure(v, max_val=1e6):
        fin = jnp.isfinite(v)
        v = v * fin + max_val * (1 - fin)
        v /= v[0]
        exceeds = v > max_val
        v = v * (1 - exceeds) + max_val * exceeds
        converged = jnp.mean(v[-20:]) < 1
        return jnp.where(converged, -jnp.sum(v), jnp.sum(1 / v))

    with jax.enable_x64(True), jax.threefry_partitionable(False):
        rng = jax.random.PRNGKey(0)
        rng, srng = jax.random.split(rng)
        theta = init(srng)
        n_params = sum(t.size for t in theta)
        rng, srng = jax.random.split(rng)
        if dataset_param_multiple == "single_datapoint":
            batch_size = 1
        elif nonlinearity == "identity":
            batch_size = int(width * dataset_param_multiple)
        else:
            batch_size = int(n_params * dataset_param_multiple / target_dim)
        X = jax.random.normal(srng, (batch_size, width))
        rng, srng = jax.random.split(rng)
        Y = jax.random.normal(srng, (batch_size, target_dim))
        keys = jax.random.split(jax.random.PRNGKey(42), opt_steps)
        step = jax.jit(train_step)  # the notebook jits it too (vmapped over the grid)
        out = []
        for hp in np.asarray(hparams, np.float64):
            th, losses = theta, []
            for k in keys:
                th, value = step(k, th, jnp.asarray(hp), X, Y)
                losses.append(value)
            out.append(float(convergence_measure(jnp.stack(losses))))
    return np.asarray(out)


POINTS = np.array([[0.05, 0.05], [0.5, 2.0], [3.0, 1.0], [10.0, 30.0], [1.0, 200.0],
                   [0.3, 8.0]])


@pytest.mark.parametrize("name", ["tanh_minibatch", "tanh_paraminit_vs_lr", "relu"])
def test_vectorised_trainer_matches_the_notebook_point_by_point(name):
    cfg = sohl_train.BY_NAME[name]
    ours = sohl_train.scores(cfg, POINTS, width=4, steps=25)
    ref = notebook_scores(cfg.nonlinearity, cfg.phase_space, cfg.data, cfg.minibatch, 4, 25,
                          POINTS)
    assert np.array_equal(np.sign(ours), np.sign(ref))
    assert (ours < 0).any() and (ours > 0).any()  # both phases are exercised
    np.testing.assert_allclose(ours, ref, rtol=1e-9)


def test_data_sizes_are_the_notebooks():
    by = sohl_train.BY_NAME
    assert sohl_train.dataset_size(by["tanh"], 16) == 272
    assert sohl_train.dataset_size(by["identity"], 16) == 16
    assert sohl_train.dataset_size(by["identity"], 16, variant=sohl_train.Variant(
        points="params")) == 272
    assert sohl_train.dataset_size(by["tanh_single_datapoint"], 16) == 1
    _, x, y = sohl_train.problem_data(by["relu"], 8)
    assert x.shape == (72, 8) and y.shape == (72, 1)


def test_text_variants_change_the_runs_they_concern():
    cfg = sohl_train.BY_NAME["tanh_paraminit_vs_lr"]
    every = sohl_train.scores(cfg, POINTS, width=4, steps=25)
    once = sohl_train.scores(cfg, POINTS, width=4, steps=25,
                             variant=sohl_train.Variant(offset="init"))
    assert not np.allclose(every, once)
    full = sohl_train.scores(sohl_train.BY_NAME["tanh"], POINTS, width=4, steps=25)
    same = sohl_train.scores(sohl_train.BY_NAME["tanh"], POINTS, width=4, steps=25,
                             variant=sohl_train.Variant(offset="init",
                                                        minibatch_loss="minibatch"))
    np.testing.assert_array_equal(full, same)  # neither applies to full-batch lr_vs_lr
    with pytest.raises(InputError, match="offset"):
        sohl_train.Variant(offset="sometimes")


def test_overflowed_losses_count_as_the_cap_before_or_after_the_ratio():
    losses = np.array([[2.0, 1.0] + [0.5] * 20, [2.0, 10.0, np.inf] + [np.nan] * 19])
    with jax.enable_x64(True):
        nb = np.asarray(sohl_train.convergence_score(losses))
        ratio = np.asarray(sohl_train.convergence_score(losses, sohl_train.Variant(
            score="ratio")))
    assert nb[0] == ratio[0] == -(1 + 0.5 + 20 * 0.25)
    # notebook: a non-finite loss becomes 1e6, then / loss_0 = 5e5; ratio: the cap 1e6
    assert nb[1] == pytest.approx(1 + 0.2 + 20 / 5e5)
    assert ratio[1] == pytest.approx(1 + 0.2 + 20 / 1e6)


def test_edges_are_sign_changes_and_nan_neighbourhoods_are_not():
    img = np.ones((5, 5))
    img[:, :2] = -1.0
    img[4, 4] = np.nan
    e = sohl.edges(img)
    assert e.shape == (4, 4)
    assert e[:, 1].all() and not e[:, [0, 2, 3]].any()
    img[0, 1] = np.nan
    assert not sohl.edges(img)[0, 1]


def test_next_frame_is_centred_on_the_edge_nearest_the_middle():
    img = np.ones((33, 33))
    img[:, :5] = -1.0          # one vertical edge between columns 4 and 5
    b = sohl.next_bounds(img, (0.0, 32.0, 0.0, 32.0), 4.0)
    assert b == pytest.approx((16.5 - 4, 16.5 + 4, 4.5 - 4, 4.5 + 4)) or \
        b == pytest.approx((15.5 - 4, 15.5 + 4, 4.5 - 4, 4.5 + 4))
    assert sohl.next_bounds(np.ones((33, 33)), (0, 1, 0, 1), 2.0) is None


def test_table1_rows_and_findings_quick():
    settings = sohl.SohlSettings(width=4, steps=20, resolution=32, frames=2,
                                 configs=("identity", "tanh"))
    rows = sohl.table1(settings)
    assert [r["config"] for r in rows] == ["identity", "tanh"]
    for r in rows:
        assert r["paper_value"] == sohl.PAPER_TABLE1[r["config"]]
        assert 1 <= r["frames"] <= 2 and r["widths"][0] == 9.0
        assert math.isfinite(r["dimension"]) and r["iqr"][0] <= r["dimension"] <= r["iqr"][1]
        f = r["finding"]
        assert isinstance(f, Finding) and f.paper == "Sohl-Dickstein 2024"
        assert f.ci == r["iqr"] and f.agrees == (r["iqr"][0] <= f.paper_value <= r["iqr"][1])
        assert "width 4, 20 steps, 32^2 x 2 frames" in f.settings
    assert sohl.findings(rows) == [r["finding"] for r in rows]


def test_settings_refuse_bad_input():
    with pytest.raises(InputError, match="unknown configuration"):
        sohl.SohlSettings(configs=("tanh", "sigmoid"))
    with pytest.raises(InputError, match="factor"):
        sohl.SohlSettings(factor=1.0)
    assert set(sohl.PAPER_TABLE1) == {c.name for c in sohl_train.CONFIGS}
    assert sohl.PAPER_SCALE.width == 16 and sohl.PAPER_SCALE.resolution == 4096
