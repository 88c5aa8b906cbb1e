"""Truncated backpropagation through time: gradients over windows of K inner steps.

Williams & Peng, "An Efficient Gradient-Based Algorithm for On-Line Training of
Recurrent Network Trajectories" (Neural Computation, 1990); for hyperparameters,
e.g. Shaban et al., "Truncated Back-propagation for Bilevel Optimization"
(AISTATS 2019). Each outer step continues the inner run for K steps from where
the last window stopped and differentiates only that window, treating its
starting state as a constant. Cheap (K inner steps and memory per outer step)
and well-behaved on long unrolls, but biased: it ignores how the hyperparameters
shaped the state the window starts from, which is exactly where long-horizon
effects (and exploding gradients) live. Wu et al., "Understanding Short-Horizon
Bias in Stochastic Meta-Optimization" (ICLR 2018) show where that bias misleads.

The helpers here are shared with :mod:`metaloss._src.estimators.pes`, which runs the
same windows with perturbed hyperparameters.
"""

from __future__ import annotations

import dataclasses

import jax

from metaloss._src.errors import InputError, check_int
from metaloss._src.estimators.base import Estimator
from metaloss._src.meta import MetaLoss
from metaloss._src.spec import register
from metaloss._src.unroll import InnerState, tree_where


def check_window(owner: str, K) -> None:
    check_int(f"{owner} window K", K)


def check_windows(name: str, meta: MetaLoss, K: int) -> str | None:
    """:class:`InputError` for a window longer than the unroll; a note when windows of
    ``K`` do not divide it (the last window of each run is then shorter)."""
    if meta.steps < K:
        raise InputError(f"{name}: window K={K} is longer than the unroll ({meta.steps} inner "
                         f"steps); use K <= {meta.steps}")
    last = meta.steps - (windows_per_run(meta, K) - 1) * K
    if last != K:
        return (f"{name}: windows of K={K} do not divide the {meta.steps}-step unroll; the "
                f"last window of each inner run has {last} step{'s' if last > 1 else ''}")
    return None


def windows_per_run(meta: MetaLoss, K: int) -> int:
    """Windows in one inner run of ``meta.horizon`` steps (the last may be shorter); a
    traced count under :meth:`MetaLoss.until`."""
    return -(-meta.horizon // K)


def run_window(meta: MetaLoss, hparams, state: InnerState, K: int, *, differentiable=True):
    """Continues ``state`` for one window: ``K`` steps, fewer if the horizon comes first.

    Returns ``(window loss, new state)``; differentiable in ``hparams``.
    """
    n = windows_per_run(meta, K)
    # Under a traced horizon (MetaLoss.until) the unroll cuts the last window short itself.
    last = meta.horizon - (n - 1) * K if isinstance(meta.horizon, int) else K

    def run(length):
        def f(hp, s):
            hp = meta.hparams(hp)
            s, rec = meta.run(hp, s, length, differentiable=differentiable)
            return meta.objective.window(meta.bound(hp), s, rec, n), s

        return f

    if last == K:
        return run(K)(hparams, state)
    # Window lengths must be static, so the shorter last window is its own branch.
    return jax.lax.cond(state.step + K > meta.horizon, run(last), run(K), hparams, state)


def restart_finished(meta: MetaLoss, state: InnerState, key: jax.Array) -> InnerState:
    """A fresh inner run (from ``key``) wherever ``state`` reached the horizon."""
    return tree_where(state.step >= meta.horizon, meta.init_state(key), state)


class Windowed:
    """What an estimator that advances one persistent inner run by ``K``-step windows
    (restarting it at the horizon) tells the outer loop: its windows are checked
    against the run, each costs ``K`` inner steps, and a run is ``windows_per_run``
    phases long. Mixed into :class:`TruncatedBackprop` and ``RTRL``."""

    def check(self, meta):
        return check_windows(self.name, meta, self.K)

    def inner_steps(self, meta):
        return meta.steps / windows_per_run(meta, self.K)

    def phases(self, meta):
        return windows_per_run(meta, self.K)

    def follows_horizon(self):
        return True


@register("estimator", "truncated")
@dataclasses.dataclass(frozen=True)
class TruncatedBackprop(Windowed, Estimator):
    """Reverse-mode gradient of the outer loss over the next ``K`` inner steps.

    The inner run persists across outer steps and restarts at the horizon
    (``meta.steps``). With ``K = meta.steps`` it is exactly :class:`Backprop`. Use it
    when full unrolls are too long or their gradients explode, and a biased but
    tame direction is acceptable; :class:`PES` removes the bias at the price of noise.

    State: the :class:`~metaloss.InnerState` of the current inner run.
    """

    K: int = 10

    label_fields = ("K",)

    def __post_init__(self):
        check_window("TruncatedBackprop", self.K)

    def init(self, meta, space, coords, key):
        return meta.init_state(key)

    def estimate(self, meta, space, coords, key, state):
        def f(c):
            return run_window(meta, space.to_hparams(c), state, self.K)

        (loss, new_state), grad = jax.value_and_grad(f, has_aux=True)(coords)
        return loss, grad, restart_finished(meta, new_state, key)

