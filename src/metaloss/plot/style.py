"""Shared figure helpers: headless backend, atomic saving, masking."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")  # figures are files; never needs a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from metaloss.landscape.io import atomic_path  # noqa: E402

DIVERGED_COLOR = "#d62728"
NONFINITE_COLOR = "#bbbbbb"


def new_figure(width: float = 6.0, height: float = 4.0):
    fig, ax = plt.subplots(figsize=(width, height), constrained_layout=True)
    return fig, ax


def save(fig, path: str | os.PathLike, dpi: int = 120) -> None:
    """Writes ``fig`` as PNG atomically and closes it."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    plt.close(fig)


def finite_masked(values) -> np.ma.MaskedArray:
    """Masks inf and NaN so they are left out of lines and drawn as 'bad' in images."""
    arr = np.asarray(values, dtype=float)
    return np.ma.masked_invalid(arr)
