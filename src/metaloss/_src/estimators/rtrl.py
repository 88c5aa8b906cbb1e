"""Real-time recurrent learning: online forward-mode gradients over windows.

Williams & Zipser, "A Learning Algorithm for Continually Running Fully Recurrent
Neural Networks" (Neural Computation, 1989); one of the online estimators the PES
paper compares (Vicol, Metz & Sohl-Dickstein, ICML 2021). Like
:class:`~metaloss._src.estimators.truncated.TruncatedBackprop` it continues one inner
run for a window of ``K`` steps per call, but it also carries the tangent
``d state / d theta`` across windows (forward mode, one tangent per outer
coordinate), so each window's gradient includes how ``theta`` shaped the state the
window starts from. Summed over the windows of one run at a fixed ``theta`` it is the
exact outer gradient; along outer training (``theta`` changing between windows) it
is the usual online approximation. It costs one forward-mode pass per outer
coordinate and memory ``coordinates x state size``: exact and cheap for small
systems, impractical for large networks.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from metaloss._src.estimators.base import Estimator
from metaloss._src.estimators.truncated import (
    Windowed,
    check_window,
    run_window,
)
from metaloss._src.measures import dynamic_leaves, with_dynamic_leaves
from metaloss._src.spec import register
from metaloss._src.unroll import InnerState, tree_where


class RTRLState(NamedTuple):
    """The inner run and its tangents.

    Attributes:
      inner: :class:`~metaloss.InnerState` of the current run.
      tangent: ``(d, n)``: the derivative of the run's floating-point parameter and
        optimizer leaves (flattened, ``n`` numbers) with respect to each of the ``d``
        outer coordinates.
    """

    inner: InnerState
    tangent: jax.Array


@register("estimator", "rtrl")
@dataclasses.dataclass(frozen=True)
class RTRL(Windowed, Estimator):
    """Forward-mode gradient of each ``K``-step window, the tangent carried across windows.

    Use it on small systems (the PES paper's influence balancing, a 2-D regression)
    for the exact unbiased online gradient; the outer dimension multiplies its cost.

    Args:
      K: window length in inner steps.

    State: :class:`RTRLState`.
    """

    K: int = 1

    label_fields = ("K",)

    def __post_init__(self):
        check_window("RTRL", self.K)

    def _fresh(self, meta, key, d):
        inner = meta.init_state(key)
        n = ravel_pytree(dynamic_leaves(inner))[0].size
        return RTRLState(inner, jnp.zeros((d, n), jnp.result_type(float)))

    def init(self, meta, space, coords, key):
        return self._fresh(meta, key, ravel_pytree(coords)[0].size)

    def estimate(self, meta, space, coords, key, state):
        theta, rebuild = ravel_pytree(coords)
        z0, unravel = ravel_pytree(dynamic_leaves(state.inner))

        def window(th, z):
            start = with_dynamic_leaves(state.inner, unravel(z))
            loss, new = run_window(meta, space.to_hparams(rebuild(th)), start, self.K)
            return (loss, ravel_pytree(dynamic_leaves(new))[0]), new

        def along(e, dz):
            (loss, _), (dloss, dz_new), new = jax.jvp(window, (theta, z0), (e, dz),
                                                      has_aux=True)
            return loss, dloss, dz_new, new

        eye = jnp.eye(theta.size, dtype=theta.dtype)
        loss, grad, tangent, new = jax.vmap(along)(eye, state.tangent.astype(z0.dtype))
        new = jax.tree.map(lambda x: x[0], new)
        done = new.step >= meta.horizon
        fresh = self._fresh(meta, key, theta.size)
        out = tree_where(done, fresh, RTRLState(new, tangent.astype(fresh.tangent.dtype)))
        return loss[0], rebuild(grad), out

