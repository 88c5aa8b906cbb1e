"""The one-hidden-layer mean-field network of Sohl-Dickstein (2024)."""

from __future__ import annotations

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from metaloss._src.errors import MAX_DIM, InputError, check_int
from metaloss._src.problems.base import Problem
from metaloss._src.spec import register

NONLINEARITIES = ("tanh", "relu", "identity")


@functools.lru_cache(maxsize=8)
def _draw(width: int, points: int, seed: int) -> tuple[np.ndarray, ...]:
    """``(W0, W1, X, Y)`` in float64, all standard normal, from ``seed``."""
    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal((width, width))
    w1 = rng.standard_normal((width, 1))
    x = rng.standard_normal((points, width))
    y = rng.standard_normal((points, 1))
    return w0, w1, x, y


@register("problem", "meanfield_mlp")
@dataclasses.dataclass(frozen=True)
class MeanFieldMLP(Problem):
    """Full-batch regression with a one-hidden-layer network in the mean-field
    parameterisation: the setup of J. Sohl-Dickstein, "The boundary of neural network
    trainability is fractal" (2024, arXiv:2402.06184; notebook in the
    ``Sohl-Dickstein/fractal`` repository).

    Inputs ``x`` of dimension ``width``, ``width`` hidden units, one output:
    ``h = phi(x W0 / sqrt(width))``, ``y_hat = h W1 / width``, with
    ``phi(z) = tanh(sqrt(2) z)``, ``sqrt(2) relu(z)`` or ``z``. The loss is the mean
    squared error over a fixed data set of standard-normal inputs and targets with
    as many points as the network has parameters (``width^2 + width``; ``width``
    points for the linear network, which has no more independent directions).
    Weights start standard normal. Everything is drawn from ``seed`` (NumPy), so
    the problem is deterministic and the run's key is ignored.

    Parameters are the list ``[W0, W1]``: the groups ``layer0`` and ``layer1``, so
    ``lr/layer0`` and ``lr/layer1`` are the paper's per-layer learning rates. The
    problem hyperparameter ``offset`` is added to every entry of ``W0`` at the start,
    the paper's initialisation offset. (The paper's notebook adds it inside each
    training step instead; we follow the paper's description.) The paper trains
    in float64; enable JAX's x64 mode for that (``metaloss atlas`` does).

    Args:
      width: input and hidden width (the paper: 16).
      nonlinearity: ``"tanh"`` (the paper's main case), ``"relu"`` or ``"identity"``.
      seed: seed of the weights and the data.
      offset: the initialisation offset (default 0).
    """

    width: int = 16
    nonlinearity: str = "tanh"
    seed: int = 0
    offset: float = 0.0

    hparam_fields = ("offset",)
    init_fields = ("offset",)

    def __post_init__(self):
        check_int("width", self.width)
        if self.points * self.width > 10 * MAX_DIM:  # the data set, drawn in float64
            raise InputError(f"meanfield_mlp width {self.width} needs a data set of "
                             f"{self.points} x {self.width} values, above the limit of "
                             f"{10 * MAX_DIM}: use a smaller width (the paper: 16)")
        if self.nonlinearity not in NONLINEARITIES:
            raise InputError(f"nonlinearity must be one of {', '.join(NONLINEARITIES)}, "
                             f"got {self.nonlinearity!r}")

    @property
    def points(self) -> int:
        """Size of the data set: the number of parameters (``width`` if linear)."""
        if self.nonlinearity == "identity":
            return self.width
        return self.width * self.width + self.width

    def _arrays(self):
        dtype = jnp.result_type(float)
        return [jnp.asarray(a, dtype) for a in _draw(self.width, self.points, self.seed)]

    def init(self, key=None):
        w0, w1, _, _ = self._arrays()
        return [w0 + self.offset, w1]

    def predict(self, params, x):
        w0, w1 = params
        z = x @ w0 / math.sqrt(self.width)
        if self.nonlinearity == "tanh":
            h = jnp.tanh(math.sqrt(2.0) * z)
        elif self.nonlinearity == "relu":
            h = math.sqrt(2.0) * jax.nn.relu(z)
        else:
            h = z
        return h @ w1 / self.width

    def loss(self, params, key=None):
        _, _, x, y = self._arrays()
        return jnp.mean((self.predict(params, x) - y) ** 2)
