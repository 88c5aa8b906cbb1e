"""Sohl-Dickstein (2024)'s six trainability configurations, trained as the paper's
notebook trains them (J. Sohl-Dickstein, "The boundary of neural network trainability
is fractal", arXiv:2402.06184; notebook
``the_boundary_of_neural_network_trainability_is_fractal.ipynb`` in the
``Sohl-Dickstein/fractal`` repository).

The network is the notebook's ``net``: ``depth`` weight matrices in the mean-field
parameterisation, ``Z = X W / sqrt(fan_in)`` with ``tanh(sqrt(2) Z)``,
``sqrt(2) relu(Z)`` or ``Z`` between layers, and output ``Z / sqrt(width)``. The loss is
the mean squared error. Weights, inputs and targets are standard normal, drawn from
``PRNGKey(0)`` in the notebook's order with JAX's original (non-partitionable)
threefry, so the data and the initial weights are the notebook's own.

This module trains a whole grid of hyperparameter pairs at once (``vmap`` over the
points, ``lax.scan`` over the steps, float64) and turns each run's losses into the
notebook's signed convergence score. :class:`metaloss._src.problems.MeanFieldMLP`
is not used: it draws its data with NumPy, adds the offset once, and has no
minibatches, so it cannot express the notebook's runs exactly.

Where the notebook and the paper's description differ, :class:`Variant` follows the
notebook by default and offers the other reading as an option.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from metaloss._src.errors import InputError

MAX_VAL = 1e6
"""The notebook's cap on loss ratios (``convergence_measure``'s ``max_val``)."""
WINDOW = 20
"""Final steps averaged by the convergence test (the notebook: ``v[-20:]``)."""


@dataclasses.dataclass(frozen=True)
class SohlConfig:
    """One of the paper's experimental configurations (a cell at the bottom of the
    notebook). ``data`` is the notebook's ``dataset_param_multiple``: a float (points
    = multiple x parameters / target_dim; multiple x width for the linear network) or
    ``"single_datapoint"`` (one point). ``minibatch`` is ``None`` for full batch.
    ``phase_space`` is ``"lr_vs_lr"`` (x: input-layer learning rate, y: output-layer
    learning rate) or ``"paraminit_vs_lr"`` (x: offset added to the input layer's
    weights, y: the learning rate of both layers); both axes are log10."""

    name: str
    title: str
    nonlinearity: str = "tanh"
    phase_space: str = "lr_vs_lr"
    data: float | str = 1.0
    minibatch: int | None = None


CONFIGS = (
    SohlConfig("tanh_single_datapoint", "tanh, a single training point",
               data="single_datapoint"),
    SohlConfig("tanh_paraminit_vs_lr", "tanh, input-layer weight offset vs learning rate",
               phase_space="paraminit_vs_lr"),
    SohlConfig("identity", "linear (identity) network, full batch", nonlinearity="identity"),
    SohlConfig("relu", "ReLU, full batch", nonlinearity="relu"),
    SohlConfig("tanh", "tanh, full batch"),
    SohlConfig("tanh_minibatch", "tanh, minibatches of 16", minibatch=16),
)
"""The six configurations, in the notebook's order."""
BY_NAME = {c.name: c for c in CONFIGS}


@dataclasses.dataclass(frozen=True)
class Variant:
    """How to read the places where the paper's text and its notebook differ. The
    defaults are the notebook's, which made the paper's numbers.

    Attributes:
      offset: ``"every_step"`` (notebook: ``train_step`` adds the offset to the
        input layer's weights inside every step, so after ``t`` steps it has been added
        ``t`` times) or ``"init"`` (the text: added once, to the initial weights).
      minibatch_loss: ``"full"`` (notebook: indices drawn per step from
        ``split(PRNGKey(42), steps)``, shared by all grid points; the gradient is the
        minibatch's, the loss the score reads is the full batch's) or ``"minibatch"``
        (the score reads the minibatch loss the step trained on).
      score: ``"notebook"`` (``convergence_measure`` verbatim: a non-finite *loss* is
        set to 1e6 before the losses are divided by the first, so an overflowed run's
        ratio is ``1e6 / loss_0``; ratios are then capped at 1e6) or ``"ratio"`` (the
        description, as :class:`metaloss._src.measures.Trainability` implements it:
        divide first, then set non-finite ratios and ratios above 1e6 to 1e6). In JAX
        the notebook's ``v * isfinite(v)`` is compiled to a select, so an infinite
        loss does not become NaN there (NumPy would make it NaN); we do the same.
      points: ``"notebook"`` (the linear network gets ``width`` points, the others one
        per parameter) or ``"params"`` (one per parameter for all three).
    """

    offset: str = "every_step"
    minibatch_loss: str = "full"
    score: str = "notebook"
    points: str = "notebook"

    def __post_init__(self):
        allowed = {"offset": ("every_step", "init"), "minibatch_loss": ("full", "minibatch"),
                   "score": ("notebook", "ratio"), "points": ("notebook", "params")}
        for name, options in allowed.items():
            if getattr(self, name) not in options:
                raise InputError(f"variant {name} must be one of {', '.join(options)}, "
                                 f"got {getattr(self, name)!r}")


NOTEBOOK = Variant()


def dataset_size(cfg: SohlConfig, width: int, depth: int = 2, variant: Variant = NOTEBOOK
                 ) -> int:
    """Training points, as the notebook's ``gen_img`` sizes them (target_dim 1)."""
    if cfg.data == "single_datapoint":
        return 1
    n_params = width * width * (depth - 1) + width
    if cfg.nonlinearity == "identity" and variant.points == "notebook":
        return int(width * cfg.data)
    return int(n_params * cfg.data)


def problem_data(cfg: SohlConfig, width: int, depth: int = 2, variant: Variant = NOTEBOOK):
    """``(theta, X, Y)`` as the notebook's ``gen_img`` draws them from ``PRNGKey(0)``
    (float64 when x64 is on)."""
    with jax.threefry_partitionable(False):
        rng, srng = jax.random.split(jax.random.PRNGKey(0))
        keys = jax.random.split(srng, depth)
        theta = [jax.random.normal(keys[i], (width, 1 if i == depth - 1 else width))
                 for i in range(depth)]
        rng, srng = jax.random.split(rng)
        n = dataset_size(cfg, width, depth, variant)
        x = jax.random.normal(srng, (n, width))
        rng, srng = jax.random.split(rng)
        y = jax.random.normal(srng, (n, 1))
    return theta, x, y


def minibatch_indices(cfg: SohlConfig, n: int, steps: int) -> jnp.ndarray:
    """``(steps, minibatch)`` indices, the notebook's: step ``t`` draws
    ``randint(split(PRNGKey(42), steps)[t], (minibatch,), 0, n)``."""
    with jax.threefry_partitionable(False):
        keys = jax.random.split(jax.random.PRNGKey(42), steps)
        return jax.vmap(lambda k: jax.random.randint(k, (cfg.minibatch,), 0, n))(keys)


def net(theta, x, nonlinearity: str):
    """The notebook's mean-field network."""
    for w in theta:
        z = x @ w / math.sqrt(w.shape[0])
        if nonlinearity == "tanh":
            x = jnp.tanh(z * math.sqrt(2.0))
        elif nonlinearity == "relu":
            x = jax.nn.relu(z) * math.sqrt(2.0)
        else:
            x = z
    return z / math.sqrt(theta[-1].shape[0])


def _loss(theta, x, y, nonlinearity):
    return jnp.mean((net(theta, x, nonlinearity) - y) ** 2)


def convergence_score(losses, variant: Variant = NOTEBOOK):
    """The notebook's ``convergence_measure`` of ``(..., steps)`` losses: negative
    (``-sum(v)``) where the mean of the last 20 loss ratios is below 1, else
    ``sum(1 / v)``; see :attr:`Variant.score` for the non-finite losses."""
    v = jnp.asarray(losses)
    if variant.score == "notebook":
        v = jnp.where(jnp.isfinite(v), v, MAX_VAL)
        v = v / v[..., :1]
    else:
        v = v / v[..., :1]
        v = jnp.where(jnp.isfinite(v), v, MAX_VAL)
    v = jnp.minimum(v, MAX_VAL)
    converged = jnp.mean(v[..., -WINDOW:], axis=-1) < 1
    return jnp.where(converged, -jnp.sum(v, axis=-1), jnp.sum(1 / v, axis=-1))


@functools.lru_cache(maxsize=32)
def _trainer(cfg: SohlConfig, steps: int, variant: Variant):
    """A jitted ``(theta, X, Y, idx, hparams (P, 2)) -> scores (P,)``."""
    nl = cfg.nonlinearity
    offset_each = cfg.phase_space == "paraminit_vs_lr" and variant.offset == "every_step"

    def step(theta, h, x, y, idx):
        if offset_each:
            theta = [theta[0] + h[0]] + theta[1:]
        if cfg.phase_space == "lr_vs_lr":
            lrs = [h[i % 2] for i in range(len(theta))]
        else:
            lrs = [h[1]] * len(theta)
        if cfg.minibatch is None:
            value, grad = jax.value_and_grad(_loss)(theta, x, y, nl)
        else:
            xb, yb = x[idx], y[idx]
            grad = jax.grad(_loss)(theta, xb, yb, nl)
            value = _loss(theta, x, y, nl) if variant.minibatch_loss == "full" \
                else _loss(theta, xb, yb, nl)
        return [t - lr * g for t, g, lr in zip(theta, grad, lrs, strict=True)], value

    def run(theta, x, y, idx, hparams):
        p = hparams.shape[0]
        batch = [jnp.broadcast_to(t, (p,) + t.shape) for t in theta]
        if cfg.phase_space == "paraminit_vs_lr" and not offset_each:
            batch[0] = batch[0] + hparams[:, 0, None, None]
        vstep = jax.vmap(step, in_axes=(0, 0, None, None, None))

        def body(th, idx_t):
            th, value = vstep(th, hparams, x, y, idx_t)
            return th, value

        _, losses = jax.lax.scan(body, batch, idx)
        return convergence_score(losses.T, variant)

    return jax.jit(run)


def scores(cfg: SohlConfig, hparams, *, width: int, steps: int, depth: int = 2,
           variant: Variant = NOTEBOOK, chunk: int = 4096) -> np.ndarray:
    """Signed convergence scores of ``hparams`` ``(P, 2)`` (linear values: learning
    rates, or offset and learning rate), float64, ``chunk`` points at a time."""
    if steps < 1 or width < 1 or depth < 2 or chunk < 1:
        raise InputError("steps, width and chunk must be >= 1 and depth >= 2")
    with jax.enable_x64(True):
        theta, x, y = problem_data(cfg, width, depth, variant)
        idx = (jnp.zeros((steps, 0), jnp.int32) if cfg.minibatch is None
               else minibatch_indices(cfg, x.shape[0], steps))
        h = np.asarray(hparams, np.float64).reshape(-1, 2)
        run = _trainer(cfg, steps, variant)
        out = np.empty(h.shape[0])
        size = min(chunk, h.shape[0])
        for start in range(0, h.shape[0], size):
            part = h[start:start + size]
            pad = size - part.shape[0]
            padded = np.concatenate([part, np.repeat(part[-1:], pad, axis=0)]) if pad else part
            out[start:start + part.shape[0]] = np.asarray(
                run(theta, x, y, idx, jnp.asarray(padded)))[:part.shape[0]]
    return out


def image(cfg: SohlConfig, bounds, resolution: int, *, width: int, steps: int,
          variant: Variant = NOTEBOOK, chunk: int = 4096) -> np.ndarray:
    """The notebook's ``gen_img``: ``bounds = (mn1, mx1, mn2, mx2)`` in log10; row ``i``
    is ``10**linspace(mn1, mx1)[i]`` (output-layer learning rate, or the learning
    rate), column ``j`` is ``10**linspace(mn2, mx2)[j]`` (input-layer learning rate, or
    the offset). Returns the ``(resolution, resolution)`` scores."""
    mn1, mx1, mn2, mx2 = (float(b) for b in bounds)
    with jax.enable_x64(True):
        g1 = np.asarray(jnp.logspace(mn1, mx1, resolution))
        g2 = np.asarray(jnp.logspace(mn2, mx2, resolution))
    a, b = np.meshgrid(g2, g1)
    h = np.stack([a.ravel(), b.ravel()], axis=-1)
    return scores(cfg, h, width=width, steps=steps, variant=variant,
                  chunk=chunk).reshape(resolution, resolution)
