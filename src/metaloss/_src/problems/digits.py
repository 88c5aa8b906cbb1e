"""Classifiers on scikit-learn's bundled 8x8 digits: real data, no download.

The data set (1797 images, 64 pixels, 10 classes; Alpaydin & Kaynak, UCI 1998)
ships inside scikit-learn, so these problems work offline. A fixed shuffle splits
it into training and validation parts; features are standardized with the
training statistics. The training loss is the cross-entropy of a minibatch drawn
from the key passed to ``loss`` (a stochastic inner loss: SGD noise is part of the
landscape), or of the whole training set when ``batch_size`` is ``None``.
``val_loss`` is the full validation cross-entropy, for the ``val_*`` objectives.

The arrays live in a module-level cache, not in the dataclasses, so the problems
stay small, hashable by value and cheap to use as keys of compiled functions.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from metaloss._src.errors import InputError, check_int, check_range
from metaloss._src.problems.base import Problem
from metaloss._src.spec import register

NUM_FEATURES = 64
NUM_CLASSES = 10


class DigitsSplit(NamedTuple):
    """Standardized float64 features ``(n, 64)`` and int32 labels ``(n,)``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


@functools.lru_cache(maxsize=8)
def digits_split(val_fraction: float = 0.2, seed: int = 0) -> DigitsSplit:
    """The fixed train/validation split (same arrays for the same arguments)."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(y))
    n_val = int(round(val_fraction * len(y)))
    val, train = order[:n_val], order[n_val:]
    mean = x[train].mean(axis=0)
    # Border pixels are always 0 in the training part: divide by 1, not 0.
    std = np.where(x[train].std(axis=0) > 0, x[train].std(axis=0), 1.0)

    def standardize(idx):
        return (x[idx] - mean) / std

    return DigitsSplit(standardize(train), y[train].astype(np.int32),
                       standardize(val), y[val].astype(np.int32))


def cross_entropy(logits: jax.Array, labels: np.ndarray) -> jax.Array:
    """Mean softmax cross-entropy; ``labels`` are integer classes."""
    logp = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(logp, jnp.asarray(labels)[:, None], axis=1))


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Digits(Problem):
    """Shared data handling; subclasses define ``init`` and ``logits``."""

    batch_size: int | None = 128
    val_fraction: float = 0.2
    seed: int = 0

    def __post_init__(self):
        if self.batch_size is not None:
            check_int("batch_size", self.batch_size)
        check_range("val_fraction", self.val_fraction, 0.0, 1.0, closed=(False, False))

    @property
    def stochastic(self) -> bool:  # type: ignore[override]
        return self.batch_size is not None

    @property
    def data(self) -> DigitsSplit:
        return digits_split(self.val_fraction, self.seed)

    def logits(self, params, x: jax.Array) -> jax.Array:
        raise NotImplementedError

    def _loss_on(self, params, x: np.ndarray, y: np.ndarray) -> jax.Array:
        dtype = jax.tree.leaves(params)[0].dtype
        return cross_entropy(self.logits(params, jnp.asarray(x, dtype)), y)

    def loss(self, params, key=None):
        d = self.data
        if key is None or self.batch_size is None:
            return self._loss_on(params, d.x_train, d.y_train)
        # Sampling with replacement: cheap, and the same indices for every grid
        # point that shares the key (common random numbers).
        idx = jax.random.randint(key, (self.batch_size,), 0, len(d.y_train))
        dtype = jax.tree.leaves(params)[0].dtype
        x = jnp.asarray(d.x_train, dtype)[idx]
        y = jnp.asarray(d.y_train)[idx]
        return cross_entropy(self.logits(params, x), y)

    def val_loss(self, params):
        d = self.data
        return self._loss_on(params, d.x_val, d.y_val)

    def accuracy(self, params, validation: bool = True) -> jax.Array:
        """Fraction of correctly classified validation (or training) examples."""
        d = self.data
        x, y = (d.x_val, d.y_val) if validation else (d.x_train, d.y_train)
        dtype = jax.tree.leaves(params)[0].dtype
        pred = jnp.argmax(self.logits(params, jnp.asarray(x, dtype)), axis=-1)
        return jnp.mean(pred == jnp.asarray(y))


@register("problem", "logistic_digits")
@dataclasses.dataclass(frozen=True)
class LogisticDigits(_Digits):
    """Multinomial logistic regression on the digits: a convex, stochastic problem.

    Parameters ``{"w": (64, 10), "b": (10,)}`` start at zero (loss ``log 10``).
    Use it as a convex baseline beside :class:`MLPDigits`.

    Args:
      batch_size: minibatch size (sampled with replacement), or ``None`` for the
        full-batch (deterministic) loss.
      val_fraction: fraction of the 1797 examples held out for validation.
      seed: the split's shuffle seed.
    """

    def init(self, key=None):
        dtype = jnp.result_type(float)
        return {"w": jnp.zeros((NUM_FEATURES, NUM_CLASSES), dtype),
                "b": jnp.zeros((NUM_CLASSES,), dtype)}

    def logits(self, params, x):
        return x @ params["w"] + params["b"]


@register("problem", "mlp_digits")
@dataclasses.dataclass(frozen=True)
class MLPDigits(_Digits):
    """A tanh multilayer perceptron on the digits: the non-convex, stochastic problem.

    ``hidden`` gives the hidden widths (an int for one layer). Weights start
    LeCun-normal from the ``init`` key (LeCun et al., "Efficient BackProp", 1998),
    biases at zero. tanh, not ReLU, keeps the loss smooth, so outer gradients and
    finite differences agree. Parameters: a list of ``{"w", "b"}`` layers.

    Args:
      hidden: hidden-layer widths, e.g. ``32`` or ``(64, 32)`` (the only positional
        argument: ``MLPDigits(64)``).
      batch_size: as for :class:`LogisticDigits`.
      val_fraction: as for :class:`LogisticDigits`.
      seed: as for :class:`LogisticDigits`.
    """

    hidden: int | tuple[int, ...] = 32
    random_init = True  # LeCun-normal weights from the init key

    def __post_init__(self):
        super().__post_init__()
        widths = (self.hidden,) if isinstance(self.hidden, int) else tuple(self.hidden)
        if not widths:
            raise InputError("hidden must give at least one width")
        for w in widths:
            check_int("hidden width", w)
        object.__setattr__(self, "hidden", widths)  # a tuple: hashable

    def init(self, key=None):
        if key is None:
            raise InputError("MLPDigits draws its initial weights from a key: pass one")
        dtype = jnp.result_type(float)
        sizes = (NUM_FEATURES, *self.hidden, NUM_CLASSES)
        layers = []
        for k, (n_in, n_out) in zip(jax.random.split(key, len(sizes) - 1),
                                    zip(sizes[:-1], sizes[1:], strict=True), strict=True):
            w = jax.random.normal(k, (n_in, n_out), dtype) / math.sqrt(n_in)
            layers.append({"w": w, "b": jnp.zeros((n_out,), dtype)})
        return layers

    def logits(self, params, x):
        for layer in params[:-1]:
            x = jnp.tanh(x @ layer["w"] + layer["b"])
        return x @ params[-1]["w"] + params[-1]["b"]
