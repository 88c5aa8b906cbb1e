"""Grid chunks evaluated on every local device at once.

A landscape is embarrassingly parallel: each grid point is an independent inner
run. A call gives every device its own run of grid points, described by one row
of a small integer array (see :func:`metaloss._src.grid.points.box_start`); we split
those rows along one mesh axis with :func:`jax.shard_map`, so each device
generates and evaluates its own points with the same program and no device ever
talks to another. The per-point arithmetic is unchanged, which is
why a sharded landscape equals the single-device one.

Use it through :func:`metaloss.landscape` (``devices=``), which shards
by default over ``jax.local_devices()``; on a CPU, ask XLA for several devices
with ``JAX_NUM_CPU_DEVICES=4`` before JAX starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from metaloss._src.errors import InputError

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
        raise InputError(f"devices must be an integer >= 1 or a list of devices, got {devices!r}")
    if isinstance(devices, int):
        if not 1 <= devices <= len(local):
            raise InputError(
                f"devices must lie in [1, {len(local)}] (this process has {len(local)}), "
                f"got {devices}"
            )
        return tuple(local[:devices])
    chosen = tuple(devices)
    if not chosen:
        raise InputError("devices must not be empty")
    foreign = [d for d in chosen if d not in local]
    if foreign:
        raise InputError(f"device {foreign[0]} does not belong to this process")
    return chosen


def mesh(devices: Sequence[jax.Device]) -> Mesh:
    return Mesh(np.asarray(devices, dtype=object), (AXIS,))


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
