"""Figures saved by a worker process (metaloss.plot.in_background) come out as inline
saves make them, failures reach the caller, and unpicklable figures still get saved."""

import numpy as np
import pytest
from matplotlib.ticker import FuncFormatter

from metaloss import plot
from metaloss.plot import style

pytestmark = pytest.mark.slow  # starts a worker process (a fresh interpreter)


def _figure(title):
    fig, ax = style.new_figure(4, 3)
    x = np.linspace(0, 6, 200)
    ax.plot(x, np.sin(x))
    ax.imshow(np.outer(np.arange(8), np.arange(8)), extent=(0, 6, -1, 1), aspect="auto")
    ax.set_title(title)
    return fig


def test_background_saves_equal_inline_saves(tmp_path):
    plot.save(_figure("a"), tmp_path / "inline.png")
    with plot.in_background(1) as bg:
        plot.save(_figure("a"), tmp_path / "worker.png")
        assert len(bg.pending) == 1 and bg.inline == 0
        with plot.in_background(1) as inner:  # nested: the outer pool serves
            assert inner is bg
            plot.save(_figure("b"), tmp_path / "b.png")
        assert len(bg.pending) == 2
    assert (tmp_path / "worker.png").read_bytes() == (tmp_path / "inline.png").read_bytes()
    assert (tmp_path / "b.png").stat().st_size > 0
    assert style._background is None
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_unpicklable_figure_is_saved_inline(tmp_path):
    fig = _figure("c")
    fig.axes[0].xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}!"))
    with plot.in_background(1) as bg:
        plot.save(fig, tmp_path / "c.png")
        assert bg.inline == 1 and not bg.pending
        assert (tmp_path / "c.png").exists()  # written before save returned


def test_worker_failure_is_raised_at_the_end_naming_the_users_path(tmp_path):
    from metaloss.errors import InputError

    with pytest.raises(InputError, match="gone"), plot.in_background(1):
        plot.save(_figure("d"), tmp_path / "gone" / "x.png")
        plot.save(_figure("e"), tmp_path / "ok.png")
    assert (tmp_path / "ok.png").exists()  # the other saves finished first
    assert style._background is None


def test_the_blocks_own_error_wins(tmp_path):
    with pytest.raises(KeyError, match="mine"), plot.in_background(1):
        plot.save(_figure("g"), tmp_path / "gone" / "x.png")
        raise KeyError("mine")
    assert style._background is None


def test_zero_workers_saves_inline(tmp_path, monkeypatch):
    monkeypatch.setenv(style.WORKERS_ENV, "0")
    with plot.in_background() as bg:
        assert bg is None
        plot.save(_figure("f"), tmp_path / "f.png")
        assert (tmp_path / "f.png").exists()
