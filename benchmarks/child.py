"""Measurements that need a fresh interpreter: first calls (compilation included) and
peak memory. Run by ``common.fresh_process``: ``python child.py TASK JSON_ARGS``;
prints one JSON line.

Every task imports JAX and metaloss and initializes the backend before its timer
starts, so "first result" means tracing + compilation + the run + the copy back.
"""

from __future__ import annotations

import inspect
import json
import resource
import sys
import time
from pathlib import Path

import jax
import numpy as np

import metaloss as ml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import baselines  # noqa: E402


def rss_now() -> int:
    """Current resident set size in bytes (Linux), else 0."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def peak_rss() -> int:
    """Peak resident set size of this process in bytes.

    Linux's ``VmHWM`` belongs to this program's address space; ``ru_maxrss`` is
    not used where ``VmHWM`` exists, because it keeps the parent's high-water mark
    across fork and exec (a benchmark parent holding 2 GB would be reported).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def study_meta(fast: bool = True) -> ml.MetaLoss:
    return ml.MetaLoss(ml.problems.Wavy1D(fast=fast), ml.optimizers.SGDM(), steps=50)


def axes_2d(n_lr: int, n_mom: int) -> dict:
    return {"lr": ml.logspace(-3, 2, n_lr), "momentum": 1 - ml.logspace(-3, 0, n_mom)}


def task_landscape_cold(args):
    meta = study_meta(args.get("fast", True))
    t0 = time.perf_counter()
    da = ml.landscape(meta, axes_2d(args["n"], args["n"]), chunk=args.get("chunk"),
                      progress=False)
    return {"seconds": time.perf_counter() - t0, "checksum": float(np.nansum(da.values))}


def task_sweep_cold(args):
    meta = study_meta(args.get("fast", True))
    t0 = time.perf_counter()
    da = ml.landscape(meta, {"lr": ml.logspace(-3, 2, args["n"]), "momentum": 0.9},
                      progress=False)
    return {"seconds": time.perf_counter() - t0, "checksum": float(np.nansum(da.values))}


def task_study_sweep_cold(args):
    lrs = jax.numpy.asarray(ml.logspace(-3, 2, args["n"]), jax.numpy.float32)
    t0 = time.perf_counter()
    out = np.asarray(baselines.study_sweep_fn()(lrs, 0.9))
    return {"seconds": time.perf_counter() - t0, "checksum": float(np.nansum(out))}


def task_stream(args):
    """The landscape streamed into a Zarr store; wall time and peak RSS."""
    meta = study_meta()
    axes = axes_2d(args["n"], args["n"])
    path = Path(args["path"])
    before = rss_now()
    t0 = time.perf_counter()
    if "store" in inspect.signature(ml.landscape).parameters:
        da = ml.landscape(meta, axes, store=str(path), chunk=args.get("chunk"), progress=False)
        how = "metaloss.landscape(..., store=path.zarr)"
        corner = float(da.isel(lr=slice(0, 4), momentum=slice(0, 4)).values.sum())
    else:
        corner = _stream_by_hand(meta, axes, path, args.get("chunk"))
        how = "iter_chunks -> zarr array, written by the benchmark"
    seconds = time.perf_counter() - t0
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return {"seconds": seconds, "peak_rss": peak_rss(), "rss_before": before, "how": how,
            "store_bytes": size, "corner": corner}


def _stream_by_hand(meta, axes, path, chunk):
    import zarr

    from metaloss._src.grid.executor import chunk_size_for
    from metaloss.grid import iter_chunks, split_axes

    grid, fixed = split_axes(meta, axes)
    total = int(np.prod([len(v) for v in grid.values()]))
    size = chunk_size_for(total, chunk)  # zarr chunks = compute chunks: no partial writes
    flat = zarr.open_array(str(path), mode="w", shape=(total,), chunks=(size,),
                           dtype="float32")
    for offset, loss, _ in iter_chunks(meta.with_fixed(fixed), grid, jax.random.key(0),
                                       chunk=size):
        flat[offset : offset + len(loss)] = loss
    return float(flat[:4].sum())


TASKS = {
    "landscape_cold": task_landscape_cold,
    "sweep_cold": task_sweep_cold,
    "study_sweep_cold": task_study_sweep_cold,
    "stream": task_stream,
}


def main() -> None:
    task, args = sys.argv[1], json.loads(sys.argv[2])
    jax.devices()  # backend initialization is not part of any measurement
    print(json.dumps(TASKS[task](args)))


if __name__ == "__main__":
    main()
