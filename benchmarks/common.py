"""Timing helpers, the machine's description and fresh-process runs for the benchmark."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


@dataclasses.dataclass
class Timing:
    """Wall-clock seconds of repeated runs; ``median`` is what tables report."""

    runs: list[float]

    @property
    def median(self) -> float:
        return float(np.median(self.runs))

    def __str__(self) -> str:
        return fmt_seconds(self.median)


def fmt_seconds(s: float) -> str:
    if not np.isfinite(s):
        return "n/a"
    if s < 1e-3:
        return f"{s * 1e6:.0f} us"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """Seconds for one call of ``fn`` (which must block until its result is ready)."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def repeat(fn: Callable[[], object], n: int) -> Timing:
    return Timing([timed(fn)[0] for _ in range(n)])


def fresh_process(task: str, args: dict, timeout: float = 900) -> dict:
    """Runs ``child.py task`` in a new interpreter; returns the JSON it prints last."""
    env = dict(os.environ)
    env.pop("JAX_ENABLE_X64", None)
    proc = subprocess.run(
        [sys.executable, str(HERE / "child.py"), task, json.dumps(args)],
        capture_output=True, text=True, timeout=timeout, env=env, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child {task} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                have = set(line.split(":", 1)[1].split())
                return " ".join(f for f in ("avx2", "fma", "avx512f") if f in have)
    except OSError:
        pass
    return ""


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def machine() -> dict[str, str]:
    """CPU, cores, accelerator, versions: the header of RESULTS.md."""
    import jax

    import metaloss

    dev = jax.devices()[0]
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": f"{cpu_model()} ({cpu_flags()}), {os.cpu_count()} cores, {mem}",
        "device": f"{jax.default_backend()}: {dev.device_kind} x {jax.device_count()}",
        "versions": f"Python {platform.python_version()}, JAX {jax.__version__}, "
        f"NumPy {np.__version__}, metaloss {metaloss.__version__}",
    }
