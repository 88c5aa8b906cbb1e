"""Landscapes: the outer loss over grids of hyperparameters."""

from metaloss.landscape.grid import iter_chunks, landscape, split_axes
from metaloss.landscape.io import atomic_path, load_netcdf, save_netcdf
from metaloss.landscape.store import export_netcdf, open_store

__all__ = [
    "atomic_path",
    "export_netcdf",
    "iter_chunks",
    "landscape",
    "load_netcdf",
    "open_store",
    "save_netcdf",
    "split_axes",
]
