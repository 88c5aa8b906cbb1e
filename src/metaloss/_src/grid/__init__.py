"""The grid engine: a measure (the outer loss by default) over grids of hyperparameters.

``points`` enumerates grid points on the device, ``executor`` runs the compiled
chunk program over devices and cores, ``store``/``fill`` write a resumable Zarr
store tile by tile, ``distributed`` shares a store's tiles among processes, and
``compute`` holds the public functions, :func:`landscape` (``ml.landscape``) and
:func:`lyapunov` (``ml.lyapunov``, the Lyapunov measure).
"""

from metaloss._src.grid.compute import landscape, lyapunov
from metaloss._src.grid.doubled import exact_coordinates
from metaloss._src.grid.executor import iter_chunks
from metaloss._src.grid.io import atomic_path, load_netcdf, save_netcdf, write_text
from metaloss._src.grid.points import split_axes
from metaloss._src.grid.store import export_netcdf, open_store

__all__ = [
    "atomic_path",
    "exact_coordinates",
    "export_netcdf",
    "iter_chunks",
    "landscape",
    "load_netcdf",
    "lyapunov",
    "open_store",
    "save_netcdf",
    "split_axes",
    "write_text",
]
