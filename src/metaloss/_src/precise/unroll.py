"""The unroll in double-double: the outer loss and divergence flag of SGD or momentum
SGD on a problem with a double-double rule (:mod:`.rules`), every hyperparameter a
double-double value, so that windows far narrower than float64 resolves keep distinct
points.

The same rules as :mod:`metaloss._src.unroll` with ``guard=False``: each step's loss is
taken at the parameters before the update; once it is not finite or exceeds
``factor * (|L0| + 1)`` the run is diverged, frozen, and records that threshold. The
``mean`` objective sums the recorded losses in double-double; ``final`` takes the
training loss after the last step, capped the same way.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from metaloss._src import hyper
from metaloss._src.errors import InputError
from metaloss._src.optimizers.groups import split_name
from metaloss._src.optimizers.sgd import SGD, SGDM
from metaloss._src.precise.rules import RULES
from metaloss._src.precision import dd
from metaloss._src.precision.dd import DD
from metaloss._src.spec import REGISTRY

OPTIMIZERS = (SGD, SGDM)
OBJECTIVES = ("mean", "final")
SUPPORTED = (f"problems {', '.join(REGISTRY.entry_of_class(c).name for c in RULES)} "
             f"(meanfield_mlp with tanh, relu or identity) with optimizers "
             f"{', '.join(REGISTRY.entry_of_class(c).name for c in OPTIMIZERS)} and objectives "
             f"{', '.join(OBJECTIVES)}")


def check(meta) -> None:
    """Raise :class:`InputError` unless ``meta`` has a double-double route."""
    problem, opt = meta.problem, meta.optimizer
    bad = None
    if type(problem) not in RULES:
        bad = f"problem {problem.name}"
    elif type(opt) not in OPTIMIZERS:
        bad = f"optimizer {opt.name}"
    elif meta.objective.name not in OBJECTIVES:
        bad = f"objective {meta.objective.name}"
    if bad is not None:
        raise InputError(f"precision 'double-double' supports {SUPPORTED}; got {bad}")


def _lr(hp: Mapping[str, DD], name: str, index: int) -> DD:
    return hp.get(f"{name}/layer{index}", hp[name])


def run(meta, hp: Mapping[str, DD]) -> tuple[DD, jax.Array]:
    """``(outer loss, diverged)`` of one run at ``hp`` (name -> DD scalar, every
    hyperparameter :meth:`MetaLoss.hparams` fills, per-group names included).
    Needs x64 mode; vmap it over points."""
    check(meta)
    rule = RULES[type(meta.problem)](meta.problem)
    heavy = type(meta.optimizer) is SGDM
    params = rule.init(hp)
    loss0 = rule.loss(params, hp)
    factor = None if meta.divergence is None else meta.divergence.factor
    threshold = jnp.inf if factor is None else factor * (jnp.abs(loss0.hi) + 1.0)

    def bad(loss):
        if factor is None:
            return jnp.zeros((), bool)
        return ~jnp.isfinite(loss.hi) | (jnp.abs(loss.hi) > threshold)

    def step(carry, _):
        params, vel, diverged, total = carry
        loss, grads = rule.loss_grad(params, hp)
        diverged = diverged | bad(loss)
        recorded = dd.where(diverged, dd.lift(threshold), loss)
        total = dd.add(total, recorded)
        new_p, new_v = [], []
        for i, (p, g, v) in enumerate(zip(params, grads, vel, strict=True)):
            v = dd.add(dd.mul(_lr(hp, "momentum", i), v), g) if heavy else g
            p_new = dd.sub(p, dd.mul(_lr(hp, "lr", i), v))
            new_p.append(dd.where(diverged, p, p_new))
            new_v.append(dd.where(diverged, carry[1][i], v))
        return (new_p, new_v, diverged, total), None

    zeros = [dd.lift(jnp.zeros_like(p.hi)) for p in params]
    init = (params, zeros, jnp.zeros((), bool), dd.lift(jnp.float64(0.0)))
    (params, _, diverged, total), _ = jax.lax.scan(step, init, None, length=meta.steps)
    if meta.objective.name == "mean":
        return dd.div(total, dd.lift(jnp.float64(meta.steps))), diverged
    value = rule.loss(params, hp)
    capped = diverged | bad(value) | (value.hi >= threshold)
    return dd.where(capped, dd.lift(threshold), value), capped


@functools.lru_cache(maxsize=16)
def _compiled(meta, names: tuple[str, ...]):
    def point(hi, lo):
        hp = {n: DD(hi[i], lo[i]) for i, n in enumerate(names)}
        loss, div = run(meta, hp)
        return loss.hi, loss.lo, div

    return jax.jit(jax.vmap(point, in_axes=(1, 1)))


def default_chunk(meta) -> int:
    """Points per compiled call: fewer for problems whose state is large."""
    size = sum(math.prod(s.shape) for s in jax.tree.leaves(
        jax.eval_shape(meta.problem.init, jax.random.key(0))))
    return int(max(16, min(4096, 2**22 // max(1, size * 64))))


def evaluate(meta, points: Mapping[str, tuple[np.ndarray, np.ndarray]], *,
             chunk: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(loss hi, loss lo, diverged)`` at every point: ``points`` maps each hyperparameter
    the caller sets to ``(hi, lo)`` arrays of one shape (the rest are filled from
    ``meta``'s fixed values, with the residues of those given exactly, ``fixed_lo``,
    and its defaults)."""
    check(meta)
    shape = np.broadcast_shapes(*(np.shape(h) for h, _ in points.values()))
    with jax.enable_x64(True):
        meta.check({n: np.asarray(h) for n, (h, _) in points.items()})
        filled = meta.hparams({})
        exact = hyper.residues(meta.fixed_lo)  # fixed values given as decimals, Fractions
        names = tuple(sorted(set(filled) | set(points)))
        cols_hi, cols_lo = [], []
        for n in names:
            if n in points:
                hi, lo = points[n]
            else:
                own = n if n in filled else split_name(n)[0]
                hi, lo = float(filled[own]), exact.get(own, 0.0)
            cols_hi.append(np.broadcast_to(np.asarray(hi, np.float64), shape).ravel())
            cols_lo.append(np.broadcast_to(np.asarray(lo, np.float64), shape).ravel())
        hi, lo = np.stack(cols_hi), np.stack(cols_lo)
        total = hi.shape[1]
        chunk = chunk or default_chunk(meta)
        chunk = min(chunk, max(total, 1))
        fn = _compiled(meta.without_fixed()[0], names)  # fixed values are inputs
        out = [np.empty(total), np.empty(total), np.empty(total, bool)]
        for start in range(0, total, chunk):
            stop = min(start + chunk, total)
            pad = chunk - (stop - start)
            h = np.pad(hi[:, start:stop], ((0, 0), (0, pad)), mode="edge")
            low = np.pad(lo[:, start:stop], ((0, 0), (0, pad)), mode="edge")
            res = fn(jnp.asarray(h), jnp.asarray(low))
            for o, r in zip(out, res, strict=True):
                o[start:stop] = np.asarray(r)[: stop - start]
    return tuple(o.reshape(shape) for o in out)
