"""Shared fixtures, and the split between unit tests and end-to-end tests.

Tests under ``tests/cli`` and ``tests/study`` run whole commands and pipelines, and
tests marked ``slow`` start processes, measure against the benchmark's baselines,
check statistics over many samples, or compile large programs (digits networks, long
unrolls): together with the end-to-end tests they run in ``make test`` only.
``make test-fast`` runs the rest (``-m "not slow"``); ``make test`` runs everything.
"""

import os
from pathlib import Path

import jax
import pytest
from jax import monitoring

from metaloss._src.fastrng import straight_threefry_on_cpu

END_TO_END = ("cli", "study")

# Commands keep a persistent compilation cache (metaloss._src.cli.app.compilation_cache);
# tests count compilations, so they run without it unless a test turns it on.
os.environ.setdefault("METALOSS_CACHE_DIR", "off")
# Reports draw their figures inline in tests (a worker process per report would cost more
# than it saves with every core busy); tests/core/test_background_figures.py covers workers.
os.environ.setdefault("METALOSS_FIGURE_WORKERS", "0")
# As the command line does: random numbers compile 3-4x faster, the same bit for bit
# (tests/core/test_fastrng.py checks that in a process of its own).
straight_threefry_on_cpu()


def pytest_collection_modifyitems(config, items):
    root = Path(__file__).parent
    for item in items:
        parts = Path(item.fspath).resolve().relative_to(root).parts
        if parts and parts[0] in END_TO_END:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def x64():
    """Float64 for the duration of one test (JAX's x64 mode is process-global)."""
    with jax.enable_x64(True):
        yield


class CompileCounter:
    """Counts XLA backend compilations while active (a JAX monitoring listener)."""

    def __init__(self):
        self.count, self.active = 0, False
        monitoring.register_event_duration_secs_listener(self)

    def __call__(self, event, duration, **kwargs):
        if self.active and event == "/jax/core/compile/backend_compile_duration":
            self.count += 1

    def during(self, fn) -> int:
        """Backend compilations while ``fn()`` runs."""
        self.count, self.active = 0, True
        try:
            fn()
        finally:
            self.active = False
        return self.count


@pytest.fixture(scope="module")
def compiles():
    counter = CompileCounter()
    yield counter
    monitoring.unregister_event_duration_listener(counter)
