"""The settings of the study metaloss starts from, in one place.

Wavy1D trained by 50 steps of SGD with momentum, the mean inner loss as the
outer loss, (log10 lr, log10(1 - momentum)) as outer coordinates, outer SGD with
gradients clipped to [-10, 10], and the two starting points of gradient training;
and the sizes of ``metaloss reproduce`` (full and ``--quick``).
"""

from __future__ import annotations

import dataclasses

from metaloss._src.meta import MetaLoss
from metaloss._src.optimizers import SGDM
from metaloss._src.problems import Wavy1D
from metaloss._src.space import Log10, OneMinusLog10, Space
from metaloss._src.workflows.compare_settings import clipped_sgd

BOX = {"lr": (-3.0, 2.0), "momentum": (-3.0, 0.0)}
"""The study's box in outer coordinates (log10 lr, log10(1 - momentum))."""

STUDY_START = {"lr": -2.0, "momentum": -0.5}
"""Where the study's gradient training starts."""

UNSTABLE_START = {"lr": 0.0, "momentum": -1.5}
"""The study's second start, in an unstable region."""

STUDY_STARTS = (STUDY_START, UNSTABLE_START)

NAMED_STARTS = {"(-2, -0.5)": STUDY_START, "(0, -1.5)": UNSTABLE_START}
"""The study's two starts by the label tables and figures give them."""


def study_setup(steps: int = 50) -> tuple[MetaLoss, Space]:
    """The study's meta-loss (Wavy1D, SGDM, mean over ``steps``) and outer space."""
    meta = MetaLoss(Wavy1D(), SGDM(), steps=steps)
    return meta, Space({"lr": Log10(), "momentum": OneMinusLog10()})


STUDY_OPTIMIZER = clipped_sgd(0.01)
"""The study's outer optimizer: clip to [-10, 10], SGD step 0.01."""


@dataclasses.dataclass(frozen=True)
class StudySettings:
    """The study's sizes, and the reduced ones ``--quick`` uses."""

    sweep_n: int = 5000
    grid_n: int = 2000
    grad_steps: int = 100
    es_steps: int = 3000
    seeds: int = 32
    slice_n: int = 201
    chaos_n: int = 256

    @classmethod
    def quick(cls) -> StudySettings:
        return cls(sweep_n=500, grid_n=120, grad_steps=40, es_steps=300, seeds=8, slice_n=51,
                   chaos_n=64)
