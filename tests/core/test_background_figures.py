"""Figures saved by a worker process (metaloss.plot.in_background) come out as inline
saves make them, failures reach the caller, and unpicklable figures still get saved."""

import time

import numpy as np
import pytest
from matplotlib.image import imread
from matplotlib.ticker import FuncFormatter

from metaloss import plot
from metaloss._src.plot import pool, style

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
        while bg._workers[0]._queue.qsize():  # the worker has it, not the caller
            time.sleep(0.01)
        with plot.in_background(1) as inner:  # nested: the outer pool serves
            assert inner is bg
            plot.save(_figure("b"), tmp_path / "b.png")
        assert len(bg.pending) == 2
    assert (tmp_path / "worker.png").read_bytes() == (tmp_path / "inline.png").read_bytes()
    assert (tmp_path / "b.png").stat().st_size > 0
    assert bg._workers[0].done[0] is None  # drawn by the worker


def test_the_caller_draws_what_the_worker_has_not_started(tmp_path):
    titles = "pqrs"
    for t in titles:
        plot.save(_figure(t), tmp_path / f"inline-{t}.png")
    slow, ax = style.new_figure(8, 8)  # keeps the worker busy while the others queue
    ax.imshow(np.random.default_rng(0).random((1500, 1500)), interpolation="bicubic")
    with plot.in_background(1) as bg:
        plot.save(slow, tmp_path / "slow.png", dpi=300)
        for t in titles:
            plot.save(_figure(t), tmp_path / f"{t}.png")
    by_worker = set(bg._workers[0].done)
    assert 0 in by_worker and len(by_worker) < 1 + len(titles)  # the caller took the rest
    for t in titles:
        assert (tmp_path / f"{t}.png").read_bytes() == (tmp_path / f"inline-{t}.png").read_bytes()
    assert pool._background is None
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_unpicklable_figure_is_saved_inline(tmp_path):
    fig = _figure("c")
    fig.axes[0].xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}!"))
    with plot.in_background(1) as bg:
        plot.save(fig, tmp_path / "c.png")
        assert bg.inline == 1 and not bg.pending
        assert (tmp_path / "c.png").exists()  # written before save returned


def _broken(title):
    """Pickles fine, fails when drawn (bad mathtext)."""
    fig = _figure(title)
    fig.axes[0].set_xlabel(r"$\frac{$")
    return fig


def test_worker_failure_is_raised_at_the_end(tmp_path):
    with pytest.raises(ValueError), plot.in_background(1):
        plot.save(_broken("d"), tmp_path / "x.png")
        plot.save(_figure("e"), tmp_path / "ok.png")
    assert (tmp_path / "ok.png").exists()  # the other saves finished first
    assert not (tmp_path / "x.png").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["ok.png"]  # no temporary file left
    assert pool._background is None


def test_missing_directory_is_refused_at_once_naming_the_users_path(tmp_path):
    from metaloss._src.errors import InputError

    with plot.in_background(1) as bg:
        with pytest.raises(InputError, match="gone"):
            plot.save(_figure("d"), tmp_path / "gone" / "x.png")
        assert not bg.pending


def test_the_blocks_own_error_wins(tmp_path):
    with pytest.raises(KeyError, match="mine"), plot.in_background(1):
        plot.save(_broken("g"), tmp_path / "x.png")
        raise KeyError("mine")
    assert pool._background is None
    assert list(tmp_path.iterdir()) == []


def test_a_dead_worker_s_saves_are_redone_by_the_caller(tmp_path):
    with plot.in_background(1) as bg:
        bg._workers[0].proc.kill()
        bg._workers[0].proc.wait()
        plot.save(_figure("h"), tmp_path / "h.png")
        plot.save(_figure("i"), tmp_path / "i.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.png", "i.png"]
    for name in ("h.png", "i.png"):  # whole images of the figure's size
        assert imread(tmp_path / name).shape == (360, 480, 4)


def test_the_worker_imports_matplotlib_but_not_metaloss_or_jax(tmp_path):
    import subprocess
    import sys

    probe = pool._WORKER.replace(
        "jobs, results =",
        "print(sorted(m for m in ('jax', 'metaloss', 'matplotlib') if m in sys.modules))\n"
        "jobs, results =")
    out = subprocess.run([sys.executable, "-c", probe, "1"], input=b"", capture_output=True,
                         check=True).stdout.decode()
    assert out.strip() == "['matplotlib']"


def test_zero_workers_saves_inline(tmp_path, monkeypatch):
    monkeypatch.setenv(pool.WORKERS_ENV, "0")
    with plot.in_background() as bg:
        assert bg is None
        plot.save(_figure("f"), tmp_path / "f.png")
        assert (tmp_path / "f.png").exists()
