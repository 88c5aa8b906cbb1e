"""Landscapes: against pointwise calls, chunked against unchunked, NetCDF round trip."""

import os

import jax
import numpy as np
import pytest

import metaloss as ml
from metaloss._src.errors import InputError
from metaloss._src.grid import executor, points
from metaloss._src.measures import LOSS
from metaloss._src.meta import default_key


@pytest.fixture(scope="module")
def meta():
    return ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGDM(), steps=30)


def test_grid_matches_pointwise_calls(meta):
    lrs, moms = ml.logspace(-3, 1, 7), 1 - ml.logspace(-3, 0, 5)
    da = ml.landscape(meta, {"lr": lrs, "momentum": moms}, progress=False)
    assert da.dims == ("lr", "momentum") and da.shape == (7, 5)
    np.testing.assert_array_equal(da.lr.values, lrs)
    one = jax.jit(lambda lr, m: meta({"lr": lr, "momentum": m}))  # one compile, 35 calls
    for i, lr in enumerate(lrs):
        for j, m in enumerate(moms):
            want = float(one(lr, m))
            assert float(da.values[i, j]) == pytest.approx(want, rel=2e-5, abs=1e-5)


def test_dims_follow_the_given_order_and_scalars_are_fixed(meta):
    da = ml.landscape(meta, {"momentum": 1 - ml.logspace(-2, 0, 3), "lr": ml.logspace(-2, 0, 4)},
                      progress=False)
    assert da.dims == ("momentum", "lr")
    one = ml.landscape(meta, {"lr": ml.logspace(-2, 0, 4), "momentum": 0.5}, progress=False)
    assert one.dims == ("lr",)
    assert float(one.values[2]) == pytest.approx(float(meta({"lr": one.lr.values[2],
                                                              "momentum": 0.5})), rel=2e-5)
    assert '"fixed": {"momentum": 0.5}' in one.attrs["config"]


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_chunked_equals_unchunked(meta, chunk):
    axes = {"lr": ml.logspace(-3, 2, 23), "momentum": 1 - ml.logspace(-3, 0, 9)}
    whole = ml.landscape(meta, axes, chunk=1024, progress=False)
    parts = ml.landscape(meta, axes, chunk=chunk, progress=False)
    # XLA may vectorize a length-1 batch differently: allow float32 rounding, nothing more
    # (neighbouring grid points differ by far more, so any misplaced chunk fails)
    np.testing.assert_allclose(parts.values, whole.values, rtol=1e-6)
    np.testing.assert_array_equal(parts.diverged.values, whole.diverged.values)


def test_no_recompile_when_only_values_change(meta, compiles):
    axes = lambda a: {"lr": ml.logspace(a, a + 1, 16), "momentum": 0.5}
    assert compiles.during(lambda: ml.landscape(meta, axes(-3), progress=False)) > 0
    assert compiles.during(lambda: ml.landscape(meta, axes(-2), progress=False)) == 0
    other = {"lr": ml.logspace(-1, 0, 16), "momentum": 0.7}
    assert compiles.during(lambda: ml.landscape(meta, other, progress=False)) == 0


def test_netcdf_round_trip(meta, tmp_path):
    da = ml.landscape(meta, {"lr": ml.logspace(-3, 1, 6), "momentum": 1 - ml.logspace(-3, 0, 4)},
                      progress=False)
    path = ml.save_netcdf(da, tmp_path / "l.nc")
    back = ml.load_netcdf(path)
    np.testing.assert_array_equal(back.values, da.values)
    np.testing.assert_array_equal(back.diverged.values, da.diverged.values)
    assert back.attrs["config"] == da.attrs["config"]
    assert not list(tmp_path.glob("*.tmp"))  # atomic write left no temporary behind


def test_atomic_write_keeps_old_file_on_failure(meta, tmp_path):
    from metaloss._src.grid.io import atomic_path

    target = tmp_path / "x.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert not list(tmp_path.glob(".x.txt.*"))


@pytest.mark.parametrize("axes,msg", [
    ({"lr": np.array([0.1, -1.0])}, "lr must be positive"),
    ({"lr": np.array([0.1]), "momentum": np.array([0.5, 1.0])}, r"momentum must lie in \[0, 1\)"),
    ({"lr": np.array([])}, "grid size must be >= 1"),
    ({"rho": np.array([0.1])}, "unknown hyperparameter 'rho'"),
    ({"lr": 0.1}, "at least one axis with an array"),
])
def test_bad_axes(meta, axes, msg):
    with pytest.raises(ValueError, match=msg):
        ml.landscape(meta, axes, progress=False)


def test_unwritable_output(tmp_path):
    da = ml.landscape(ml.MetaLoss(ml.problems.Wavy1D(), ml.optimizers.SGD(), steps=3),
                      {"lr": ml.logspace(-2, 0, 3)}, progress=False)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ValueError, match="does not exist"):
        ml.save_netcdf(da, blocker / "sub" / "l.nc")
    with pytest.raises(ValueError, match="file' is not a directory"):
        ml.save_netcdf(da, blocker / "l.nc")


def test_nonfinite_values_are_kept(tmp_path):
    meta = ml.MetaLoss(ml.problems.Wavy1D(x0=1e30), ml.optimizers.SGD(), steps=3, divergence=None)
    da = ml.landscape(meta, {"lr": ml.logspace(-2, 0, 4)}, key=jax.random.key(1), progress=False)
    assert not np.isfinite(da.values).any()
    back = ml.load_netcdf(ml.save_netcdf(da, tmp_path / "nan.nc"))
    assert np.isnan(back.values).sum() + np.isinf(back.values).sum() == 4


@pytest.mark.parametrize("origin, box, flat, size", [
    ((0, 0, 0), (5, 3, 4), 0, 64),      # the whole grid and padding past its end
    ((1, 2, 0), (3, 1, 4), 5, 4),       # a sub-box, starting mid-row
    ((2, 0, 1), (2, 3, 3), 17, 9),      # starts on the box's last point
])
def test_grid_points_enumerate_a_box_in_c_order(origin, box, flat, size):
    axes = [np.linspace(0, 1, 5), np.array([10.0, 20.0, 30.0]), np.arange(4.0) - 7]
    table, layout = points.axis_table(axes, np.float32)
    assert table.size == points.TABLE_MIN and layout.tolist() == [[0, 5, 8], [5, 3, 4]]
    desc = points.box_start(origin, box, flat)
    got = jax.jit(points.grid_points, static_argnums=3)(desc, table, layout, size)
    sub = [np.asarray(a, np.float32)[o : o + b] for a, o, b in zip(axes, origin, box, strict=True)]
    want = [m.ravel() for m in np.meshgrid(*sub, indexing="ij")]
    n = min(size, max(want[0].size - flat, 0))
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(np.asarray(g)[:n], w[flat : flat + n])
    for g, a in zip(got, axes, strict=True):  # padding stays on grid values, never out of bounds
        assert np.isin(np.asarray(g), np.asarray(a, np.float32)).all()


def test_axis_table_grows_in_powers_of_two():
    table, layout = points.axis_table([np.arange(5000.0), np.arange(3.0)], np.float32)
    assert table.size == 8192 and layout.tolist() == [[0, 5000], [5000, 3]]
    np.testing.assert_array_equal(table[5000:5003], [0, 1, 2])


def test_blocks_give_the_values_of_one_whole_batch(meta):
    axes = [ml.logspace(-3, 2, 48), 1 - ml.logspace(-3, 0, 40)]
    table, layout = points.axis_table(axes, np.float32)
    desc = points.box_start([0, 0], [48, 40], 0)[None]
    key = default_key()
    def run(block):
        return executor._chunk_program(desc, table, layout, {}, key, meta=meta, measure=LOSS,
                                       names=("lr", "momentum"), size=1920, block=block,
                                       devices=(jax.devices()[0],))

    whole = run(None)
    for block in (512, 256, 100):  # 100: a partial last block
        got = run(block)
        np.testing.assert_array_equal(got[0], whole[0])
        np.testing.assert_array_equal(got[1], whole[1])
    assert np.isfinite(whole[0]).all() and np.ptp(whole[0]) > 0.1


@pytest.mark.parametrize("workers", [1, 3])
def test_in_order_keeps_order_and_stops_cleanly(workers):
    import threading
    import time

    started = []
    lock = threading.Lock()

    def launch(i):
        with lock:
            started.append(i)
        time.sleep(0.002 * ((7 * i) % 5))  # calls finish out of order
        return np.full(3, i)

    items = list(range(20))
    got = [(i, out.tolist()) for i, out in executor.in_order(launch, items, workers)]
    assert got == [(i, [i] * 3) for i in items]
    started.clear()
    gen = executor.in_order(launch, items, workers)
    assert next(gen)[0] == 0 and next(gen)[0] == 1
    gen.close()  # a consumer that stops early: no call beyond the look-ahead starts
    assert len(started) <= 2 + workers + 1


def test_written_files_follow_the_umask(meta, tmp_path):
    from metaloss._src.grid.io import write_text

    old = os.umask(0o022)
    try:
        mode = write_text(tmp_path / "a.txt", "x").stat().st_mode & 0o777
        os.umask(0o077)
        private = write_text(tmp_path / "b.txt", "x").stat().st_mode & 0o777
    finally:
        os.umask(old)
    assert (mode, private) == (0o644, 0o600)


def test_missing_parent_directories_are_an_error_not_created(meta, tmp_path):
    from metaloss._src.grid.io import check_writable_dir

    target = tmp_path / "no" / "such" / "l.nc"
    with pytest.raises(InputError, match=r"directory '.*no/such' does not exist"):
        ml.save_netcdf(ml.landscape(meta, {"lr": [0.1, 0.2]}, progress=False), target)
    with pytest.raises(InputError, match=r"directory '.*no' does not exist"):
        check_writable_dir(tmp_path / "no" / "out")
    assert not (tmp_path / "no").exists()
    assert check_writable_dir(tmp_path / "out").is_dir()  # the directory itself is made


def test_write_errors_name_the_users_path_not_a_temporary_file(tmp_path):
    from metaloss._src.grid.io import write_text

    target = tmp_path / "d"
    target.mkdir()
    with pytest.raises(OSError) as e:
        write_text(target, "x")  # renaming a file onto a directory fails
    assert str(target) in str(e.value) and ".tmp" not in str(e.value)


def test_a_grid_that_would_not_fit_in_memory_is_refused_before_allocating(meta):
    huge = {"lr": ml.logspace(-3, 2, 1_000_000), "momentum": np.linspace(0, 0.9, 1_000_000)}
    with pytest.raises(InputError, match=r"1000000 x 1000000 grid needs .* GiB .*store="):
        ml.landscape(meta, huge, progress=False)
