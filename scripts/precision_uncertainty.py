"""The uncertainty-exponent dimension beside box counting, on Liu's and
Sohl-Dickstein's boundaries (issue 24).

    .venv/bin/python scripts/precision_uncertainty.py [--samples 20000] [--quick]

Liu: cosine_quadratic (x0 = 10, SGD, 1000 steps, divergence factor 1e6 as the atlas),
learning rates in [0.98, 1.06], per roughness: ``uncertainty_dimension`` (float64) and
the box-counting dimension of a 2^15-point float64 row. Sohl-Dickstein: the width-8
tanh mean-field network (SGD, 200 steps, the Trainability criterion), the box
lr/layer0, lr/layer1 in [1e-3, 1e6] (log10-uniform): ``uncertainty_dimension`` and the
box dimension of a 128^2 grid over the same box.
"""

from __future__ import annotations

import argparse
import json

import jax
import numpy as np

import metaloss as ml
from metaloss._src.measures import Trainability
from metaloss._src.unroll import Divergence


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=20000)
    ap.add_argument("--roughness", type=float, nargs="+", default=[0.5, 1.5, 2.0, 3.0, 6.0])
    ap.add_argument("--sd-samples", type=int, default=2000)
    args = ap.parse_args()
    jax.config.update("jax_enable_x64", True)
    crit = ml.problems.CRITICAL_ROUGHNESS
    for r in args.roughness:
        meta = ml.MetaLoss(ml.problems.CosineQuadratic(delta=r * crit), "sgd", steps=1000,
                           divergence=Divergence(1e6))
        u = ml.analysis.uncertainty_dimension(meta, {"lr": (0.98, 1.06)},
                                              samples=args.samples)
        da = ml.landscape(meta, {"lr": np.linspace(0.98, 1.06, 1 << 15)})
        trained = ~np.asarray(da["diverged"])
        try:
            box = ml.analysis.boundary_dimension(trained)
            box_s = f"{box.dimension:.3f} [{box.ci[0]:.3f}, {box.ci[1]:.3f}]"
        except ml.InputError as e:
            box_s = f"n/a ({e})"
        print(json.dumps({"problem": "liu", "roughness": r,
                          "uncertainty_dimension": round(u.dimension, 3),
                          "ci": [round(c, 3) for c in u.ci],
                          "fractions": u.fractions.round(5).tolist(), "box": box_s}),
              flush=True)
    meta = ml.MetaLoss("meanfield_mlp(width=8)", "sgd", steps=200, divergence=None)
    box = {"lr/layer0": (1e-3, 1e6), "lr/layer1": (1e-3, 1e6)}
    u = ml.analysis.uncertainty_dimension(meta, box, samples=args.sd_samples,
                                          measure=Trainability(), log=list(box),
                                          eps=[10.0 ** -k for k in range(1, 7)])
    axes = {n: np.logspace(-3, 6, 128) for n in box}
    da = ml.landscape(meta, axes, measure=Trainability())
    bd = ml.analysis.boundary_dimension(np.asarray(da["diverged"]))
    print(json.dumps({"problem": "sohl-dickstein tanh width 8", "uncertainty_dimension":
                      round(u.dimension, 3), "ci": [round(c, 3) for c in u.ci],
                      "fractions": u.fractions.round(5).tolist(),
                      "box": f"{bd.dimension:.3f} [{bd.ci[0]:.3f}, {bd.ci[1]:.3f}]"}))


if __name__ == "__main__":
    main()
