"""Inner optimizers whose hyperparameters are explicit pytree leaves. Each registers
its spec name where it is defined; :func:`get` builds one from a spec.
"""

from metaloss._src.optimizers import (
    SGD,
    SGDM,
    Adam,
    FromOptax,
    InnerOptimizer,
    Nesterov,
    RMSProp,
    get,
    names,
    wrap,
)

__all__ = [
    "SGD",
    "SGDM",
    "Adam",
    "FromOptax",
    "InnerOptimizer",
    "Nesterov",
    "RMSProp",
    "get",
    "names",
    "wrap",
]
