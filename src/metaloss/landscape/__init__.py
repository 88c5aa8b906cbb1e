"""Landscapes: the outer loss over grids of hyperparameters."""

from metaloss.landscape.grid import iter_chunks, landscape, split_axes
from metaloss.landscape.io import atomic_path, load_netcdf, save_netcdf

__all__ = ["atomic_path", "iter_chunks", "landscape", "load_netcdf", "save_netcdf", "split_axes"]
