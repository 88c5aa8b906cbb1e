"""``metaloss reproduce``: the study end to end -> figures, landscape, report.md/.html.

The pipeline is a list of sections; each computes with the library, draws with
:mod:`metaloss.plot`, and adds figures, text and key numbers to a :class:`Report`.
The sections live in :mod:`metaloss.report_study`, :mod:`metaloss.report_compare`
and :mod:`metaloss.report_digits`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from metaloss import plot
from metaloss.landscape.io import check_writable_dir, write_text
from metaloss.report_compare import section_compare
from metaloss.report_digits import section_mlp_digits
from metaloss.report_study import (
    section_es,
    section_gradient,
    section_improvements,
    section_inner,
    section_landscape,
    section_sweep,
)


@dataclasses.dataclass
class Section:
    title: str
    paragraphs: list[str] = dataclasses.field(default_factory=list)
    figures: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    tables: list[tuple[list[str], list[list[str]]]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Report:
    """Collects what the sections produce and writes it out."""

    out: Path
    quick: bool
    sections: list[Section] = dataclasses.field(default_factory=list)
    numbers: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    timings: dict[str, float] = dataclasses.field(default_factory=dict)
    state: dict[str, Any] = dataclasses.field(default_factory=dict)

    def section(self, title: str) -> Section:
        s = Section(title)
        self.sections.append(s)
        return s

    def figure(self, section: Section, name: str, fig, caption: str) -> None:
        plot.save(fig, self.out / name)
        section.figures.append((name, caption))

    def number(self, name: str, value: Any) -> None:
        self.numbers.append((name, value if isinstance(value, str) else f"{value:.4g}"))

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = time.perf_counter() - t0

    def write(self) -> None:
        from metaloss.report_render import render_html, render_markdown

        for name, render in (("report.md", render_markdown), ("report.html", render_html)):
            write_text(self.out / name, render(self))


@dataclasses.dataclass(frozen=True)
class StudySettings:
    """The study's sizes, and the reduced ones ``--quick`` uses."""

    sweep_n: int = 5000
    grid_n: int = 2000
    grad_steps: int = 100
    es_steps: int = 3000
    seeds: int = 32
    slice_n: int = 201

    @classmethod
    def quick(cls) -> StudySettings:
        return cls(sweep_n=500, grid_n=120, grad_steps=40, es_steps=300, seeds=8, slice_n=51)

STUDY_SECTIONS: list[Callable[[Report, StudySettings], None]] = [
    section_inner,
    section_sweep,
    section_landscape,
    section_gradient,
    section_es,
    section_improvements,
    section_compare,
    section_mlp_digits,
]
"""Sections of ``metaloss reproduce``, in order. Later work appends its own."""


def reproduce(out: str | Path, *, quick: bool = False) -> Report:
    """Runs the study (and every registered section) and writes the report into ``out``."""
    out = check_writable_dir(out)
    rep = Report(out, quick)
    cfg = StudySettings.quick() if quick else StudySettings()
    t0 = time.perf_counter()
    for section in STUDY_SECTIONS:
        section(rep, cfg)
    rep.timings["total"] = time.perf_counter() - t0
    rep.write()
    return rep


__all__ = ["STUDY_SECTIONS", "Report", "Section", "StudySettings", "reproduce"]
