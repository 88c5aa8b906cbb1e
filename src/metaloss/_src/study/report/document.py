"""The report document: sections of text, tables and figures, plus key numbers and
stage timings. Sections add to it; :mod:`metaloss._src.study.report.render` writes it."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from metaloss._src import plot
from metaloss._src.grid.io import write_text
from metaloss._src.study.console import Console, Stage
from metaloss._src.study.report.render import render_html, render_markdown

if TYPE_CHECKING:
    import xarray as xr


@dataclasses.dataclass
class Section:
    title: str
    paragraphs: list[str] = dataclasses.field(default_factory=list)
    figures: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    tables: list[tuple[list[str], list[list[str]]]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(slots=True)
class SharedResults:
    """What one section computes and a later one reuses. A field keeps its empty value
    until the section that fills it has run (a later section then goes without it).
    Slots: a misspelt field is an ``AttributeError``, not a silent new entry."""

    landscape: xr.DataArray | None = None
    """The 2-D landscape over (lr, momentum) (``section_landscape``)."""
    gradient_runs: dict[str, dict[str, np.ndarray]] = dataclasses.field(default_factory=dict)
    """Run label -> outer coordinate name -> the path, shape ``(steps + 1,)``
    (``section_gradient``)."""
    es_finals: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    """Run label (``"ES from (-2, -0.5)"``) -> the final true outer loss of each seed,
    shape ``(seeds,)`` (``section_es``)."""


@dataclasses.dataclass
class Report:
    """Collects what the sections produce and writes it out.

    ``state`` carries results from one section to a later one
    (:class:`SharedResults`); ``config`` holds the configuration records
    (:meth:`metaloss.MetaLoss.describe`) of what the sections computed.
    """

    out: Path
    quick: bool
    sections: list[Section] = dataclasses.field(default_factory=list)
    numbers: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    timings: dict[str, float] = dataclasses.field(default_factory=dict)
    state: SharedResults = dataclasses.field(default_factory=SharedResults)
    config: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    console: Console = dataclasses.field(default_factory=lambda: Console(quiet=True))

    def section(self, title: str) -> Section:
        s = Section(title)
        self.sections.append(s)
        return s

    def figure(self, section: Section, name: str, fig, caption: str) -> None:
        plot.save(fig, self.out / name)
        section.figures.append((name, caption))

    def number(self, name: str, value: Any) -> None:
        self.numbers.append((name, value if isinstance(value, str) else f"{value:.4g}"))

    def record(self, name: str, meta) -> None:
        """Notes the configuration record of a meta-loss a section used."""
        self.config[name] = meta.describe()

    @contextlib.contextmanager
    def stage(self, name: str, total: int | None = None, unit: str = "") -> Iterator[Stage]:
        """Times a named stage (for the report) and shows it on the console; ``total``
        items of ``unit`` when it has a count (advance the yielded :class:`Stage`)."""
        t0 = time.perf_counter()
        try:
            with self.console.stage(name, total, unit) as st:
                yield st
        finally:
            self.timings[name] = time.perf_counter() - t0

    def files(self) -> list[str]:
        """The files this report's directory holds (what the run wrote)."""
        return sorted(p.name for p in self.out.iterdir() if p.is_file()
                      and not p.name.startswith("."))

    def write(self) -> None:
        for name, render in (("report.md", render_markdown), ("report.html", render_html)):
            write_text(self.out / name, render(self))
