"""The chaos figures on synthetic maps: diverged and non-finite cells are counted apart,
Lyapunov exponents are centred at 0, and the box-count plot shows the fitted slope."""

import numpy as np
import xarray as xr

import metaloss as ml
from metaloss import plot
from metaloss._src.space import Log10, OneMinusLog10

SPACE = ml.Space({"lr": Log10(), "momentum": OneMinusLog10()})


def _maps(n=32):
    lr, mom = ml.logspace(-3, 2, n), 1 - ml.logspace(-3, 0, n)
    u, v = np.meshgrid(np.linspace(-1, 1, n), np.linspace(-1, 1, n), indexing="ij")
    div = u + 0.3 * np.sin(9 * v) > 0.4
    coords = {"lr": lr, "momentum": mom, "diverged": (("lr", "momentum"), div)}
    loss = np.where(div, 9.0, 2 + u)
    lyap = np.where(div, np.nan, u - v)
    grad = np.where(div, 1.0, 10.0 ** (5 * (u + 1)))
    grad[0, :3] = np.inf  # overflowed, not diverged
    return [xr.DataArray(a, dims=("lr", "momentum"), coords=coords, name=name,
                         attrs={"description": what})
            for a, name, what in ((loss, "outer_loss", "outer loss"),
                                  (lyap, "lyapunov", "Lyapunov exponent (per step)"),
                                  (grad, "gradnorm", "outer-gradient norm"))], div


def test_measure_panels_count_diverged_and_non_finite_cells_apart():
    maps, div = _maps()
    fig = plot.measure_panels(maps, params=SPACE, vmax={"outer_loss": 5.0})
    panels = [a for a in fig.axes if a.get_label() != "<colorbar>"]
    assert len(panels) == 3 and len(fig.axes) == 6
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[0] == f"diverged ({int(div.sum())} of {div.size} cells)"
    # the Lyapunov map's NaNs are its diverged cells: only the overflowed norms are grey
    assert labels[1:] == ["outer-gradient norm: non-finite, not diverged (3)"]
    lyap = panels[1].images[0]
    assert lyap.norm.vmin == -lyap.norm.vmax and lyap.cmap.name.startswith("RdBu_r")


def test_box_count_plot_draws_the_fitted_slope_and_its_interval():
    maps, div = _maps()
    mask = xr.DataArray(div, dims=("lr", "momentum"),
                        coords={d: maps[0][d] for d in ("lr", "momentum")})
    est = ml.analysis.boundary_dimension(div)
    coarse = ml.analysis.boundary_dimension(div[::2, ::2])
    fig = plot.boundary_box_counts(mask, est, params=SPACE, coarse=coarse)
    right = fig.axes[1]
    fitted = right.lines[1]
    x, y = fitted.get_xdata(), fitted.get_ydata()
    assert np.isclose((y[-1] - y[0]) / (x[-1] - x[0]), est.dimension)
    texts = [t.get_text() for t in right.get_legend().get_texts()]
    assert f"slope {est.dimension:.3f} [{est.ci[0]:.3f}, {est.ci[1]:.3f}]" in texts[1]
    # both resolutions: counts and fit, plus a mark for each one's left-out sizes
    assert len(right.lines) == 4 + sum(not e.fitted.all() for e in (est, coarse))
