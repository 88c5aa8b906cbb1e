"""Figures make their choices visible: cuts stated, minimum marked, paths readable,
one colour bar for a panel grid, each value drawn once, axes in the grid's own values."""

import numpy as np
import pytest
import xarray as xr
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba

import metaloss as ml
from metaloss import plot
from metaloss._src import plot as _plot
from metaloss._src.plot import heatmaps as _heatmaps
from metaloss._src.space import Linear, Log10, OneMinusLog10
from metaloss.cli import main


def _landscape(n=24, momentum=None):
    lr = ml.logspace(-3, 2, n)
    mom = 1 - ml.logspace(-3, 0, n) if momentum is None else momentum
    u, v = np.meshgrid(np.log10(lr), np.arange(len(mom)), indexing="ij")
    values = 3 + np.sin(3 * u) + 0.1 * (v - 7) ** 2 / len(mom)
    values[n // 3, 5] = 0.5  # the minimum
    return xr.DataArray(values, dims=("lr", "momentum"), coords={"lr": lr, "momentum": mom},
                        name="loss")


SPACE = ml.Space({"lr": Log10(), "momentum": OneMinusLog10()})


def _colorbars(fig):
    return [a for a in fig.axes if a.get_label() == "<colorbar>"]


def test_sweep_states_its_cut_and_marks_clipped_points():
    lr = ml.logspace(-3, 2, 50)
    values = np.linspace(1, 9, 50)
    da = xr.DataArray(values, dims=("lr",), coords={"lr": lr})
    ax = plot.sweep(da, ylim=(0, 5)).axes[0]
    assert "cut" in ax.get_ylabel() and "5" in ax.get_ylabel()
    above = int((values > 5).sum())
    marks = [ln for ln in ax.lines if ln.get_marker() == "^"]
    assert len(marks) == 1 and len(marks[0].get_xdata()) == above
    assert np.all(np.asarray(marks[0].get_ydata()) == 5)
    assert f"{above} of 50 points above 5" in ax.get_legend().get_texts()[0].get_text()
    line = [ln for ln in ax.lines if ln.get_marker() in ("None", "")][0]
    assert np.ma.max(line.get_ydata()) <= 5


def test_heatmap_marks_its_minimum():
    da = _landscape()
    ax = plot.heatmap(da, params=SPACE).axes[0]
    (mark,) = [ln for ln in ax.lines if ln.get_marker() == "X"]
    i, j = np.unravel_index(np.argmin(da.values), da.shape)
    assert mark.get_xdata()[0] == pytest.approx(np.log10(float(da.lr[i])))
    assert mark.get_ydata()[0] == pytest.approx(np.log10(1 - float(da.momentum[j])))
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("minimum 0.5 at lr") for t in texts)


def test_heatmap_names_the_ceiling_nicely():
    fig = plot.heatmap(_landscape(), params=SPACE, vmax=float(np.log(10)),
                       vmax_label="ln 10 = 2.30, the chance level")
    (cbar,) = _colorbars(fig)
    assert "ln 10 = 2.30" in cbar.get_ylabel() and "2.30259" not in cbar.get_ylabel()
    (plain,) = _colorbars(plot.heatmap(_landscape(), params=SPACE, vmax=float(np.log(10))))
    assert "2.3)" in plain.get_ylabel() and "2.30259" not in plain.get_ylabel()


def test_lin_axis_is_drawn_in_its_own_values():
    b1 = np.linspace(0.0, 0.99, 12)
    da = _landscape(momentum=b1).rename(momentum="b1")
    ax = plot.heatmap(da, params={"lr": Log10(), "b1": OneMinusLog10()}).axes[0]
    assert ax.get_ylabel() == "b1"
    lo, hi = sorted(ax.get_ylim())
    assert lo == pytest.approx(-0.045) and hi == pytest.approx(1.035)
    # an axis whose grid is even in the given parametrization keeps it
    ax = plot.heatmap(_landscape(), params=SPACE).axes[0]
    assert ax.get_ylabel() == "log10(1 - momentum)" and ax.get_xlabel() == "log10(lr)"
    assert _heatmaps.drawn_param(da, "lr", {}) == Log10()
    assert _heatmaps.drawn_param(da, "b1", {"b1": Linear()}) == Linear()


def _alphas(lc: LineCollection) -> np.ndarray:
    return np.asarray(lc.get_colors())[:, 3]


def test_trajectories_distinct_faded_thinned_and_cropped():
    da = _landscape(48)
    t = np.linspace(0, 1, 3001)
    runs = {"gradient": {"lr": -2 + 0.3 * t[:101], "momentum": -0.5 - 0.2 * t[:101]},
            "unstable": {"lr": np.zeros(101), "momentum": np.full(101, -1.5)},
            "ES": {"lr": -2 + 0.8 * t + 0.02 * np.sin(300 * t),
                   "momentum": -0.5 - 0.3 * t}}
    fig = plot.trajectories(da, runs, params=SPACE, most=120)
    ax = fig.axes[0]
    top = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_zorder() == 3]
    assert len(top) == 3
    colors = {tuple(np.round(np.asarray(c.get_colors())[0, :3], 3)) for c in top}
    assert len(colors) == 3  # one colour per run
    for c in top:
        a = _alphas(c)
        assert len(a) <= 119 and a[-1] > a[0] and np.all(np.diff(a) >= 0)
    # the stationary (0, -1.5) run is still drawn: its start and end markers
    starts = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert any(ln.get_xdata()[0] == 0.0 and ln.get_ydata()[0] == -1.5 for ln in starts)
    x0, x1 = ax.get_xlim()
    assert x0 > -3 and x1 < 2 and x1 - x0 < 4  # cropped to the paths and the minimum
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("1 in 25 shown" in s for s in labels)


def test_trajectory_panels_share_one_colour_bar_and_thin_paths():
    da = _landscape(32)
    rng = np.random.default_rng(0)

    def walk(lo, hi):
        return rng.uniform(lo, hi, (5, 1)) + np.cumsum(rng.normal(0, 0.05, (5, 501)), 1)

    runs = {f"estimator {k}": {"lr": walk(-3, 2), "momentum": walk(-3, 0)} for k in range(4)}
    fig = plot.trajectory_panels(da, runs, params=SPACE, most=60, ncols=3)
    assert len(_colorbars(fig)) == 1
    for ax in [a for a in fig.axes if a.get_label() != "<colorbar>" and a.get_visible()]:
        paths = [c for c in ax.collections if isinstance(c, LineCollection)]
        # the random starts' paths share one collection, each path 59 segments fading in
        assert paths and all(len(c.get_segments()) % 59 == 0 for c in paths)
        assert any(len(c.get_segments()) == 3 * 59 for c in paths)  # 5 runs, 2 named starts
        for c in paths:
            a = _alphas(c).reshape(-1, 59)
            assert np.all(a[:, -1] > a[:, 0])
        assert ax.get_legend() is None
    assert len(fig.legends) == 1


def test_gradient_norms_zero_variance_at_a_labelled_floor_and_legends_outside():
    ds = xr.Dataset(
        {"norm": (("estimator", "point", "length"), np.array([[[1.0, 10.0]], [[0.5, 0.6]]])),
         "variance": (("estimator", "point", "length"), np.array([[[0.0, 0.0]], [[1e-2, 1.0]]]))},
        coords={"estimator": ["backprop", "es"], "length": [10, 100],
                "point_lr": ("point", [-2.0]), "point_momentum": ("point", [-0.5])})
    fig = plot.gradient_norms(ds)
    ax_n, ax_v = fig.axes[:2]
    floor = [ln for ln in ax_v.lines if ln.get_marker() == "v"]
    assert len(floor) == 1 and np.all(np.asarray(floor[0].get_ydata()) == 1e-3)
    assert any("zero (backprop)" in t.get_text() for t in ax_v.texts)
    assert ax_n.get_legend() is None and ax_v.get_legend() is None and len(fig.legends) == 2


@pytest.mark.parametrize("draw", ["distributions", "final_losses"])
def test_each_value_drawn_once(draw):
    rng = np.random.default_rng(1)
    finals = {"a": np.r_[rng.normal(2, 0.1, 20), 5.0], "b": rng.normal(1.9, 0.2, 21)}
    fig = (plot.distributions(finals) if draw == "distributions"
           else plot.final_losses(finals, 2.5, starts=("s1",)))
    ax = fig.axes[0]
    holding = [ln for ln in ax.lines if np.any(np.asarray(ln.get_ydata(), float) == 5.0)]
    assert len(holding) == (1 if draw == "distributions" else 2)  # points (+ the start marker)


def test_slice_plot_overlays_the_smoothed_loss():
    shift = np.linspace(-0.05, 0.05, 21)
    raw = xr.Dataset({"lr": ("shift", np.sin(200 * shift)), "momentum": ("shift", shift)},
                     coords={"shift": shift})
    smooth = xr.Dataset({"lr": ("shift", 0 * shift), "momentum": ("shift", shift)},
                        coords={"shift": shift})
    fig = plot.slice_plot([raw, raw], [smooth, None], smoothed_label="smoothed at sigma 0.1")
    left, right = fig.axes
    dashed = [ln for ln in left.lines if ln.get_linestyle() == "--"]
    assert len(dashed) == 2 and all("smoothed at sigma 0.1" in ln.get_label() for ln in dashed)
    for ln in dashed:  # each smoothed curve in its raw slice's colour
        name = ln.get_label().split(",")[0]
        raw_line = [r for r in left.lines if r.get_label() == f"{name} shift"][0]
        assert to_rgba(raw_line.get_color()) == to_rgba(ln.get_color())
    assert not [ln for ln in right.lines if ln.get_linestyle() == "--"]


def test_train_figure_title_and_labels(tmp_path, monkeypatch):
    saved = {}
    monkeypatch.setattr(_plot, "save", lambda fig, path: saved.setdefault(path.name, fig))
    assert main(["train", "--estimator", "es(std=0.1, pairs=2)", "--outer-steps", "4",
                 "--steps", "10", "--out", str(tmp_path)]) == 0
    ax = saved["outer_loss.png"].axes[0]
    assert ax.get_title() == "Outer training with es(std=0.1, pairs=2)"
    assert ax.get_xlabel() == "outer step" and ax.get_ylabel() == "outer loss"
    assert len(ax.lines[0].get_xdata()) == 4


def test_smoothed_slices_agree_with_monte_carlo():
    from metaloss._src.study.report.smoothing import smoothed_slices
    from metaloss._src.study.settings import study_setup

    meta, space = study_setup(steps=20)
    end = {"lr": -1.5, "momentum": -0.8}
    sets = [ml.analysis.slices(meta, space, end, 0.05, 5)]
    (sm,) = smoothed_slices(meta, space, end, sets, 0.1, step=0.01)
    rng = np.random.default_rng(0)
    n = 20000
    samples = ml.analysis.evaluate_points(
        meta, space, {k: v + 0.1 * rng.standard_normal(n) for k, v in end.items()})
    se = float(np.std(samples)) / np.sqrt(n)
    for name in space.names:
        assert float(sm[name][2]) == pytest.approx(float(np.mean(samples)), abs=4 * se + 1e-3)
    assert sm["lr"].shape == (5,) and np.all(np.isfinite(sm["lr"]))


def test_paths_leaving_the_box_do_not_widen_the_view():
    da = _landscape(16)
    far = {"lr": np.linspace(0, 6, 50)[None, :], "momentum": np.linspace(-1, -7, 50)[None, :]}
    for fig in (plot.trajectory_panels(da, {"a": far}, params=SPACE, starts=0),
                plot.trajectories(da, {"a": far}, params=SPACE, crop_view=False)):
        ax = fig.axes[0]
        assert max(ax.get_xlim()) < 2.2 and min(ax.get_ylim()) > -3.2
