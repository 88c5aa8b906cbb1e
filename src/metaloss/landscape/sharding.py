"""Grid chunks evaluated on every local device at once.

A landscape is embarrassingly parallel: each grid point is an independent inner
run. A call gives every device its own run of grid points, described by one row
of a small integer array (see :func:`metaloss.landscape.grid.box_start`); we split
those rows along one mesh axis with :func:`jax.shard_map`, so each device
generates and evaluates its own points with the same program and no device ever
talks to another. The per-point arithmetic is unchanged, which is
why a sharded landscape equals the single-device one.

Use it through :func:`metaloss.landscape.landscape` (``devices=``), which shards
by default over ``jax.local_devices()``; on a CPU, ask XLA for several devices
with ``JAX_NUM_CPU_DEVICES=4`` before JAX starts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

AXIS = "points"
"""The mesh axis the grid points are split along."""

Devices = int | Sequence[jax.Device] | None


def local_devices(devices: Devices = None) -> tuple[jax.Device, ...]:
    """The devices a landscape runs on.

    Args:
      devices: ``None`` for all of this process's devices, an ``int`` n for the
        first n of them, or an explicit sequence of devices.
    """
    local = jax.local_devices()
    if devices is None:
        return tuple(local)
    if isinstance(devices, bool):
        raise ValueError(f"devices must be an integer >= 1 or a list of devices, got {devices!r}")
    if isinstance(devices, int):
        if not 1 <= devices <= len(local):
            raise ValueError(
                f"devices must lie in [1, {len(local)}] (this process has {len(local)}), "
                f"got {devices}"
            )
        return tuple(local[:devices])
    chosen = tuple(devices)
    if not chosen:
        raise ValueError("devices must not be empty")
    foreign = [d for d in chosen if d not in local]
    if foreign:
        raise ValueError(f"device {foreign[0]} does not belong to this process")
    return chosen


def mesh(devices: Sequence[jax.Device]) -> Mesh:
    return Mesh(np.asarray(devices, dtype=object), (AXIS,))


@functools.lru_cache(maxsize=64)
def over_devices(fn: Callable[..., Any], devices: tuple[jax.Device, ...]) -> Callable[..., Any]:
    """Wraps a chunk function ``(points, *replicated) -> outputs`` to run sharded.

    ``points`` (any pytree of arrays with a leading points axis) is split along
    that axis over ``devices``; every other argument is replicated; the outputs
    come back split the same way, in order. The leading length must be a
    multiple of ``len(devices)``. One device returns
    ``fn`` itself, so the single-device path has no extra layer.
    """
    if len(devices) == 1:
        return fn
    m = mesh(devices)

    def call(points, *rest):
        specs = (P(AXIS),) + (P(),) * len(rest)
        # No collectives inside, so the varying-axis check has nothing to protect;
        # it would reject the inner scan whose carry starts replicated.
        sharded = jax.shard_map(fn, mesh=m, in_specs=specs, out_specs=P(AXIS), check_vma=False)
        return sharded(points, *rest)

    return jax.jit(call)


def put_points(points: Any, devices: tuple[jax.Device, ...]) -> Any:
    """Transfers host arrays whose leading axis is split over ``devices`` (async)."""
    if len(devices) == 1:
        return jax.device_put(points, devices[0])
    sharding = NamedSharding(mesh(devices), P(AXIS))
    return jax.device_put(points, sharding)


def put_replicated(value: Any, devices: tuple[jax.Device, ...]) -> Any:
    """Transfers host arrays once, whole, to every one of ``devices``."""
    if len(devices) == 1:
        return jax.device_put(value, devices[0])
    return jax.device_put(value, NamedSharding(mesh(devices), P()))
