"""How much work XLA's compiled double-double programs do: fused instructions per
element, read from the optimized HLO (every instruction inside a fusion weighted by
its elements / the batch; parameters and constants not counted).

    .venv/bin/python scripts/dd_work.py

Prints the count for jit(dd.sincos), jit(dd.sin) and jit(dd.exp) on 4096 arguments,
then for one step of benchmarks/precision.py's cosine_quadratic unroll (4096 learning
rates): the while-loop body's kernels and the largest ones. A proxy for CPU time that
does not depend on the machine's load.
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np

import metaloss as ml
from metaloss._src.precise import unroll
from metaloss._src.precision import dd

N = 4096


def computations(text: str) -> dict[str, str]:
    out = {}
    for block in re.split(r"\n(?=%|ENTRY)", text):
        m = re.match(r"(?:ENTRY )?%([^\s(]+)", block)
        if m:
            out[m.group(1)] = block
    return out


def work(block: str) -> float:
    total = 0.0
    for line in block.split("\n")[1:]:
        m = re.match(r"\s*(ROOT )?%\S+ = \(?(\w+)\[([\d,]*)\]", line)
        if not m or " parameter(" in line or " constant(" in line:
            continue
        dims = [int(d) for d in m.group(3).split(",") if d]
        total += (np.prod(dims) if dims else 1) / N
    return total


def fused(text: str) -> float:
    return sum(work(c) for name, c in computations(text).items() if name.startswith("fused"))


def main() -> None:
    with jax.enable_x64(True):
        x = dd.DD(jnp.linspace(-50.0, 50.0, N), jnp.zeros(N))
        for name in ("sincos", "sin", "exp"):
            text = jax.jit(getattr(dd, name)).lower(x).compile().as_text()
            print(f"dd.{name}: {fused(text):.0f} fused instructions per element")
        meta = ml.MetaLoss(ml.problems.CosineQuadratic(delta=1.5 * ml.problems.CRITICAL_ROUGHNESS),
                           "sgd", steps=300)
        names = tuple(sorted(meta.hparams({})))
        args = np.ones((len(names), N)), np.zeros((len(names), N))
        text = unroll._compiled(meta, names).lower(*args).compile().as_text()
    comps = computations(text)
    for body in sorted(set(re.findall(r"while\(.*?body=%?([\w.\-]+)", text))):
        called = [k for k in re.findall(r"calls=%?([\w.\-]+)", comps[body]) if k in comps]
        sizes = sorted((work(comps[k]) for k in called), reverse=True)
        print(f"cosine_quadratic step: {len(called)} kernels, {sum(sizes):.0f} fused instructions "
              f"per point; largest " + ", ".join(f"{s:.0f}" for s in sizes[:4]))


if __name__ == "__main__":
    main()
