"""metaloss: hyperparameter meta-loss landscapes of unrolled optimization, in JAX.

The library: problems, optimizers, the unroll, objectives, the meta-loss,
outer spaces, estimators, outer training, the grid engine (``ml.landscape``)
and analysis. The applications built on it (the study and its report, the
command line) live in :mod:`metaloss.study` and :mod:`metaloss.cli` and are not
imported here.
"""

from metaloss import analysis, estimators, objectives, optimizers, plot, problems, schedules, spec
from metaloss.errors import InputError
from metaloss.grid import export_netcdf, landscape, load_netcdf, lyapunov, open_store, save_netcdf
from metaloss.measures import GradNorm, Loss, Lyapunov, Measure
from metaloss.meta import OBJECTIVES, MetaLoss, MetaResult
from metaloss.outer import OuterRun, outer_train
from metaloss.space import Linear, Log10, OneMinusLog10, Space, linspace, logspace
from metaloss.unroll import Divergence, InnerState
from metaloss.version import __version__

__all__ = [
    "OBJECTIVES",
    "Divergence",
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
]
