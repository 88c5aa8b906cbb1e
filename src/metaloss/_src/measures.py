"""What a grid computes at each point: measures, as small strategy objects.

A landscape evaluates one measure at every grid point, with the same engine
(chunks, devices, stores, resume, several processes) whatever the measure. A
measure turns one point's hyperparameters into ``(value, diverged)``; the value
is stored under the measure's :attr:`~Measure.variable` name, the divergence flag
as the ``diverged`` coordinate.

Registered: ``loss`` (:class:`Loss`, the default), ``lyapunov`` (:class:`Lyapunov`,
the finite-time maximal Lyapunov exponent of inner training), ``gradnorm``
(:class:`GradNorm`, the norm of the exact outer gradient) and ``trainability``
(:class:`Trainability`, converged or not by Sohl-Dickstein's criterion).
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from metaloss._src.errors import check_int
from metaloss._src.spec import REGISTRY, name_of, parse, register

if TYPE_CHECKING:
    from metaloss._src.meta import MetaLoss
    from metaloss._src.unroll import InnerState


class Measure(abc.ABC):
    """Abstract measure; subclasses are frozen, hashable dataclasses."""

    variable: ClassVar[str]
    """The name of the computed array (``outer_loss``, ``lyapunov``, ...)."""
    description: ClassVar[str] = ""
    """A few words for axis and colour-bar labels."""

    @abc.abstractmethod
    def point(self, meta: MetaLoss, hparams: Mapping[str, Any],
              key: jax.Array) -> tuple[jax.Array, jax.Array]:
        """``(value, diverged)`` at one point; pure, vmapped by the grid engine."""

    def details(self, meta: MetaLoss) -> dict[str, Any]:
        """Extra NetCDF-safe attributes that say what exactly was computed."""
        return {}

    def live_states(self, steps: int) -> int:
        """Inner states one point holds at once, by which the grid sizes its batches."""
        return 4  # state, initial state, gradient, temporaries: 4 measured for the loss

    @property
    def name(self) -> str:
        return name_of(self)  # the spec that builds it back


@register("measure", "loss")
@dataclasses.dataclass(frozen=True)
class Loss(Measure):
    """The outer loss (the default): the meta-loss's objective of one inner run."""

    variable: ClassVar[str] = "outer_loss"
    description: ClassVar[str] = "outer loss"

    def point(self, meta, hparams, key):
        res = meta.evaluate(hparams, key, differentiable=False, losses=False)
        return res.loss, res.diverged


def _is_float(x) -> bool:
    return jnp.issubdtype(jnp.result_type(x), jnp.inexact)


def dynamic_leaves(state: InnerState) -> list[jax.Array]:
    """The floating-point leaves of ``(params, opt_state)``: the inner state a step maps
    (integer leaves such as a step count are left out)."""
    return [x for x in jax.tree.leaves((state.params, state.opt_state)) if _is_float(x)]


def with_dynamic_leaves(state: InnerState, leaves: list[jax.Array]) -> InnerState:
    """``state`` with its floating-point parameter and optimizer leaves replaced."""
    flat, treedef = jax.tree.flatten((state.params, state.opt_state))
    it = iter(leaves)
    params, opt_state = jax.tree.unflatten(treedef, [next(it) if _is_float(x) else x
                                                     for x in flat])
    return state._replace(params=params, opt_state=opt_state)


TANGENT_STREAM = 0x1A9
"""What :func:`start_tangent` folds into the run's key: its own stream, so the run's
random numbers (initialisation, minibatches) are the loss landscape's."""


def start_tangent(key: jax.Array, size: int, dtype) -> jax.Array:
    """The starting tangent: a unit vector of ``size`` in a direction drawn from ``key``
    (standard normal, normalised). Every point of a grid shares the key, so every point
    starts from the same direction. A random direction, unlike ``(1, ..., 1)``, is
    orthogonal to the most expanding one only with probability zero: for momentum SGD
    on a quadratic ``(1, ..., 1)`` can be exactly orthogonal to it."""
    u = jax.random.normal(jax.random.fold_in(key, TANGENT_STREAM), (size,), dtype)
    return u / jnp.linalg.norm(u)


def halve_exponent(square: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(2**-k, k)`` with ``k`` half the binary exponent of ``square`` (rounded down):
    multiplying a vector whose squared norm is ``square`` by ``2**-k`` brings that to
    [1, 4) exactly (zero, subnormal, infinite and NaN inputs give a bounded ``k``).
    A few integer operations on the bits (cheaper than ``frexp``/``ldexp``)."""
    info = jnp.finfo(square.dtype)
    bits = info.bits
    ints = jnp.int64 if bits == 64 else jnp.int32
    mant = info.nmant
    bias = info.maxexp - 1
    exponent = (jax.lax.bitcast_convert_type(square, ints) >> mant) & (2 * bias + 1)
    k = (exponent - bias) >> 1
    scale = jax.lax.bitcast_convert_type((bias - k) << mant, square.dtype)
    return scale, k.astype(jnp.int32)


def benettin(meta: MetaLoss, hparams: Mapping[str, Any], key: jax.Array | None = None, *,
             renorm: int = 1) -> tuple[jax.Array, jax.Array]:
    """``(exponent, diverged)``: the finite-time maximal Lyapunov exponent of one run.

    The inner training map ``z_{t+1} = F(z_t)`` acts on ``z``, the floating-point
    leaves of the parameters and the optimizer state, flattened
    (:func:`jax.flatten_util.ravel_pytree`). A tangent vector ``u``, starting as
    :func:`start_tangent` (a random unit direction from ``key``, the same at every
    point of a grid, since they share the key), is pushed through blocks of
    ``renorm`` steps with :func:`jax.jvp` of :meth:`MetaLoss.run` (the one unroll,
    divergence policy included, the Jacobian never formed) and rescaled after each
    block (Benettin et al., Meccanica 15, 1980). The exponent is the logarithm of
    the total growth over the number of steps: ``log |J_T ... J_1 u| / T``, per
    step, natural log.

    The rescaling is by a power of two, ``2**-k`` with ``k`` half the binary
    exponent of ``|u|^2`` (:func:`halve_exponent`), which keeps ``|u|^2`` in
    [1, 4): it is exact (no rounding), needs no square root, division or
    logarithm per block, and the growth is ``k`` summed times ``log 2``, plus
    ``log |u|`` at the end.

    Positive where nearby runs separate exponentially (chaos, or instability),
    negative where they contract. A map that sends the tangent exactly to zero gives
    ``-inf``. The map may change from step to step (minibatches, Adam's step count):
    the exponent is that of their composition. Over a short unroll it includes the
    transient, and it depends on the scale of the state's coordinates (parameters
    against optimizer moments) the way any finite-time exponent does; only its
    limit does not.

    A diverged run's exponent is NaN (its divergence flag says why).
    """
    key = meta.key_or_default(key)
    state = meta.init_state(key, hparams)  # the start drawn now: its coordinates are z_0
    flat0, unravel = ravel_pytree(dynamic_leaves(state))
    tangent = start_tangent(key, flat0.size, flat0.dtype)

    def block(n):
        def advance(carry, _):
            s, u, total = carry

            def step(z):
                nxt, _ = meta.run(hparams, with_dynamic_leaves(s, unravel(z)), n,
                                  differentiable=False, record_loss=False)
                return ravel_pytree(dynamic_leaves(nxt))[0], nxt

            _, du, nxt = jax.jvp(step, (ravel_pytree(dynamic_leaves(s))[0],), (u,),
                                 has_aux=True)
            scale, k = halve_exponent(jnp.vdot(du, du))
            return (nxt, du * scale, total + k), None

        return advance

    carry = (state, tangent, jnp.zeros((), jnp.int32))
    blocks, rest = divmod(meta.steps, renorm)
    carry, _ = jax.lax.scan(block(renorm), carry, None, length=blocks)
    if rest:
        carry, _ = block(rest)(carry, None)
    state, u, total = carry
    log_growth = total.astype(u.dtype) * jnp.log(2.0).astype(u.dtype) + jnp.log(
        jnp.linalg.norm(u))
    return jnp.where(state.diverged, jnp.nan, log_growth / meta.steps), state.diverged


@register("measure", "lyapunov")
@dataclasses.dataclass(frozen=True)
class Lyapunov(Measure):
    """The finite-time maximal Lyapunov exponent of the inner training map, per step.

    Computed by :func:`benettin` over the whole inner state (parameters and
    optimizer state, e.g. the momentum buffer), with the same unroll as the loss.
    Positive where training is chaotic (or unstable), negative where nearby runs
    converge. Diverged runs give NaN, with their divergence flag set.

    Args:
      renorm: steps between rescalings of the tangent vector, >= 1. 1 is the
        safest: ``|u|^2`` overflows only where one step stretches a tangent by more
        than about 1e19 in float32; larger values save a few operations per step
        (10-15% on the study's problem) but multiply that stretch over the block.
    """

    variable: ClassVar[str] = "lyapunov"
    description: ClassVar[str] = "Lyapunov exponent (per step)"
    renorm: int = 1

    def __post_init__(self):
        check_int("Lyapunov renorm", self.renorm)

    def point(self, meta, hparams, key):
        return benettin(meta, hparams, key, renorm=min(self.renorm, meta.steps))

    def details(self, meta):
        return {"lyapunov_state": "parameters and optimizer state",
                "lyapunov_tangent": "random unit vector from the key",
                "lyapunov_renorm": min(self.renorm, meta.steps)}

    def live_states(self, steps):  # the tangent and its image too (5.4 measured)
        return 6


@register("measure", "gradnorm")
@dataclasses.dataclass(frozen=True)
class GradNorm(Measure):
    """The Euclidean norm of the exact outer gradient (backpropagation through the
    whole unroll) with respect to every hyperparameter (the optimizer's and the
    problem's, per-group values included), in raw values (``lr``, not ``log10 lr``),
    whether it is a grid axis or held fixed.

    This is the quantity that explodes with the unroll length where training is
    chaotic. Diverged runs keep their (finite) guarded gradient, that of the capped
    loss an outer optimizer would see, with the divergence flag set.
    """

    variable: ClassVar[str] = "gradnorm"
    description: ClassVar[str] = "outer-gradient norm"

    def point(self, meta, hparams, key):
        def outer(h):
            res = meta.evaluate(h, key, differentiable=True, losses=False)
            return res.loss, res.diverged

        grads, diverged = jax.grad(outer, has_aux=True)(meta.hparams(hparams))
        norm = jnp.sqrt(sum(jnp.sum(g**2) for g in jax.tree.leaves(grads)))
        return norm, diverged

    def details(self, meta):
        return {"gradnorm_wrt": ", ".join(meta.hparam_names) + " (raw values)"}

    def live_states(self, steps):  # backprop keeps each step's state (15 at 5 steps)
        return 4 + 2 * steps


@register("measure", "trainability")
@dataclasses.dataclass(frozen=True)
class Trainability(Measure):
    """Whether training converged, as a signed score: negative where it did.

    The criterion of Sohl-Dickstein, "The boundary of neural network trainability
    is fractal" (2024, arXiv:2402.06184): with ``v_t`` the training losses divided
    by the first (non-finite ones and ratios above ``cap`` set to ``cap``), a run
    converged when the mean of the last ``window`` ratios is below 1. The score is
    ``-sum(v)`` then and ``sum(1 / v)`` otherwise, so its sign is the verdict and
    its size says how fast training converged or blew up. ``diverged`` is set for
    runs that did not converge. Meant for non-negative losses. (For the boundedness
    criterion of Liu 2024, use the divergence flag of any measure.)

    Args:
      window: final steps averaged, >= 1 (the paper: 20).
      cap: largest loss ratio kept (the paper: 1e6).
    """

    variable: ClassVar[str] = "trainability"
    description: ClassVar[str] = "trainability (< 0: converged)"
    window: int = 20
    cap: float = 1e6

    def __post_init__(self):
        check_int("trainability window", self.window)

    def point(self, meta, hparams, key):
        res = meta.evaluate(hparams, key, differentiable=False, losses=True)
        v = res.losses / res.losses[0]
        v = jnp.where(jnp.isfinite(v), jnp.minimum(v, self.cap), self.cap)
        converged = jnp.mean(v[-min(self.window, meta.steps):]) < 1.0
        return jnp.where(converged, -jnp.sum(v), jnp.sum(1.0 / v)), ~converged

    def details(self, meta):
        return {"trainability_window": min(self.window, meta.steps),
                "trainability_cap": self.cap}


REGISTRY.define("measure", Measure)

LOSS = Loss()


def get(spec: Any) -> Measure:
    """The measure a name gives (a :class:`Measure` is returned as is)."""
    return parse("measure", spec)
