"""Progress bars of the grid engine (points for in-memory grids, tiles for stores)."""

from __future__ import annotations

import sys
import time

import jax


def _delay(enabled: bool | None) -> float:
    """Automatic bars (``None``) wait a second, so sub-second work shows none; a bar
    asked for explicitly shows at once."""
    return 1.0 if enabled is None else 0.0


def points_bar(total_points: int, enabled: bool | None, desc: str):
    """tqdm over grid points; ``None`` shows it only when stderr is a terminal."""
    from tqdm.auto import tqdm

    disable = (not sys.stderr.isatty()) if enabled is None else (not enabled)
    # Whole counts, and no bar at all for work that ends within a second.
    return tqdm(total=total_points, desc=desc, unit=" points", disable=disable,
                delay=_delay(enabled), leave=False, file=sys.stderr, dynamic_ncols=True)


class TileBar:
    """tqdm over tiles; in a multi-process run, process 0 polls the shared mask."""

    def __init__(self, total: int, done: int, enabled: bool | None, desc: str = "landscape"):
        from tqdm.auto import tqdm

        lead = jax.process_index() == 0
        show = (lead and sys.stderr.isatty()) if enabled is None else enabled
        self.tqdm = tqdm(total=total, initial=done, desc=desc, unit=" tiles",
                         disable=not show, file=sys.stderr, delay=_delay(enabled),
                         dynamic_ncols=True)
        self.multi = jax.process_count() > 1
        self.polled = time.monotonic()

    def tile_done(self, store) -> None:
        if self.multi and time.monotonic() - self.polled > 2.0:
            self.polled = time.monotonic()
            self.tqdm.update(max(int(store.done().sum()) - self.tqdm.n, 0))
        else:
            self.tqdm.update(1)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.tqdm.close()
