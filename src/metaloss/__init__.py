"""metaloss: hyperparameter meta-loss landscapes of unrolled optimization, in JAX."""

__version__ = "0.1.0"

from metaloss import analysis, estimators, optimizers, problems  # noqa: E402
from metaloss.landscape import export_netcdf, load_netcdf, open_store, save_netcdf  # noqa: E402
from metaloss.landscape import landscape as landscape  # noqa: E402  (the function)
from metaloss.meta import OBJECTIVES, MetaLoss, MetaResult  # noqa: E402
from metaloss.outer import OuterRun, outer_train  # noqa: E402
from metaloss.space import Linear, Log10, OneMinusLog10, Space, linspace, logspace  # noqa: E402
from metaloss.unroll import Divergence, InnerState  # noqa: E402

__all__ = [
    "OBJECTIVES",
    "Divergence",
    "InnerState",
    "Linear",
    "Log10",
    "MetaLoss",
    "MetaResult",
    "OneMinusLog10",
    "OuterRun",
    "Space",
    "analysis",
    "estimators",
    "export_netcdf",
    "landscape",
    "linspace",
    "load_netcdf",
    "logspace",
    "open_store",
    "optimizers",
    "outer_train",
    "problems",
    "save_netcdf",
]
