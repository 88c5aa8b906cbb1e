"""metaloss: hyperparameter meta-loss landscapes of unrolled optimization, in JAX.

The library: problems, optimizers, the unroll, objectives, the meta-loss,
outer spaces, estimators, outer training, the grid engine (``ml.landscape``),
analysis, and the workflows built on them (``ml.workflows``). The applications
built on it (the study and its report, the command line) live in
:mod:`metaloss._src.study` and :mod:`metaloss.cli` and are not imported here.
"""

from metaloss import (
    analysis,
    estimators,
    objectives,
    optimizers,
    plot,
    problems,
    schedules,
    spec,
    systems,
    workflows,
)
from metaloss._src.errors import InputError
from metaloss._src.estimators.estimate import Estimate, estimate
from metaloss._src.measures import GradNorm, Loss, Lyapunov, Measure
from metaloss._src.meta import OBJECTIVES, MetaLoss, MetaResult
from metaloss._src.outer import OuterRun, outer_train
from metaloss._src.space import Linear, Log10, OneMinusLog10, Space, linspace, logspace
from metaloss._src.unroll import Divergence, InnerState
from metaloss._src.version import __version__
from metaloss.grid import export_netcdf, landscape, load_netcdf, lyapunov, open_store, save_netcdf

__all__ = [
    "OBJECTIVES",
    "Divergence",
    "Estimate",
    "GradNorm",
    "InnerState",
    "InputError",
    "Linear",
    "Log10",
    "Loss",
    "Lyapunov",
    "Measure",
    "MetaLoss",
    "MetaResult",
    "OneMinusLog10",
    "OuterRun",
    "Space",
    "__version__",
    "analysis",
    "estimate",
    "estimators",
    "export_netcdf",
    "landscape",
    "linspace",
    "load_netcdf",
    "logspace",
    "lyapunov",
    "objectives",
    "open_store",
    "optimizers",
    "outer_train",
    "plot",
    "problems",
    "save_netcdf",
    "schedules",
    "spec",
    "systems",
    "workflows",
]
