"""Landscapes over several processes (hosts) with JAX's distributed runtime.

No scheduler of our own: each process of a ``jax.distributed`` run takes every
``count``-th missing tile of a shared store (a path on a file system all hosts
see), computes it on its local devices and writes it there. Tiles are disjoint,
so processes never write the same chunk; the store's completion mask lets any
later run, with any number of processes, finish what an earlier one left.

Start it with :func:`initialize` before any JAX computation, from flags
(coordinator address, number of processes, process id) or, with none of them,
from a Slurm or Open MPI job's environment as :func:`jax.distributed.initialize`
detects it. ``metaloss landscape --distributed`` does this for you.
"""

from __future__ import annotations

import os

import jax
import numpy as np

from metaloss._src.errors import InputError, check_int

_SLURM = ("SLURM_JOB_ID", "SLURM_STEP_NODELIST", "SLURM_NTASKS", "SLURM_PROCID", "SLURM_LOCALID")
_OMPI = "OMPI_MCA_orte_hnp_uri"  # set by Open MPI's mpirun / mpiexec


def cluster_environment() -> str | None:
    """``"Slurm"`` or ``"Open MPI"`` when this process runs under one (as JAX detects them)."""
    if all(v in os.environ for v in _SLURM):
        return "Slurm"
    if _OMPI in os.environ:
        return "Open MPI"
    return None


def _check_flags(coordinator, num_processes, process_id) -> None:
    if coordinator is not None:
        host, _, port = str(coordinator).rpartition(":")
        if not host or not port.isdigit():
            raise InputError(f"coordinator must be HOST:PORT, got {coordinator!r}")
    if num_processes is not None:
        check_int("num_processes", num_processes)
    if process_id is not None:
        check_int("process_id", process_id, minimum=0,
                  maximum=None if num_processes is None else num_processes - 1)


def initialize(
    coordinator: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
    *,
    timeout: int = 300,
) -> tuple[int, int]:
    """Joins the ``jax.distributed`` run; returns ``(process_index, process_count)``.

    Args:
      coordinator: ``HOST:PORT`` of process 0's coordinator service.
      num_processes: how many processes take part.
      process_id: this process's index in ``[0, num_processes)``.
      timeout: seconds to wait for every process to connect.

    Give all three, or none of them inside a Slurm job step (``srun``) or an Open
    MPI launch (``mpirun``), which supply them. Call it before any JAX computation.
    """
    if jax.distributed.is_initialized():
        return jax.process_index(), jax.process_count()
    _check_flags(coordinator, num_processes, process_id)
    given = [v is not None for v in (coordinator, num_processes, process_id)]
    env = cluster_environment()
    if not all(given) and env is None:
        raise InputError(
            "a distributed run outside Slurm or Open MPI needs coordinator=HOST:PORT, "
            "num_processes=N and process_id=I",
            arguments={"coordinator": "coordinator=HOST:PORT", "num_processes": "num_processes=N",
                       "process_id": "process_id=I"},
        )
    try:
        jax.distributed.initialize(
            coordinator_address=coordinator,
            num_processes=num_processes,
            process_id=process_id,
            initialization_timeout=timeout,
        )
    except (RuntimeError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputError(f"cannot start jax.distributed: {first}") from None
    return jax.process_index(), jax.process_count()


def share(
    tiles: np.ndarray, index: int | None = None, count: int | None = None
) -> np.ndarray:
    """This process's tiles: every ``count``-th of ``tiles``, starting at ``index``.

    Every process must pass the same ``tiles`` (they read the mask between two
    barriers). Interleaving spreads small edge tiles and any region that an
    earlier run left unfinished evenly over the processes.
    """
    index = jax.process_index() if index is None else index
    count = jax.process_count() if count is None else count
    return np.asarray(tiles)[index::count]


def barrier(name: str) -> None:
    """Waits until every process gets here (a no-op in a single process)."""
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        try:
            multihost_utils.sync_global_devices(name)
        except Exception as e:  # a collective fails when a peer is gone
            from metaloss._src.grid.watchdog import collective_failed

            collective_failed(e)
