"""``metaloss reproduce``: the study end to end -> figures, landscape, report.md/.html.

The pipeline is a list of sections; each computes with the library, draws with
:mod:`metaloss._src.plot`, and adds figures, text and key numbers to a
:class:`~metaloss._src.study.report.document.Report`. Each section lives in its own
module of this package.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from metaloss._src.grid.io import check_writable_dir
from metaloss._src.study.console import Console
from metaloss._src.study.report.chaos import section_chaos
from metaloss._src.study.report.compare import section_compare
from metaloss._src.study.report.digits import section_mlp_digits
from metaloss._src.study.report.document import Report
from metaloss._src.study.report.es import section_es, section_improvements
from metaloss._src.study.report.gradient import section_gradient
from metaloss._src.study.report.inner import section_inner, section_landscape, section_sweep
from metaloss._src.study.settings import StudySettings

STUDY_SECTIONS: list[Callable[[Report, StudySettings], None]] = [
    section_inner,
    section_sweep,
    section_landscape,
    section_gradient,
    section_es,
    section_improvements,
    section_compare,
    section_mlp_digits,
    section_chaos,
]
"""Sections of ``metaloss reproduce``, in order. Later work appends its own."""


def section_title(section: Callable) -> str:
    """A section's name for the console: its docstring's first line, else its name."""
    doc = (section.__doc__ or "").strip().splitlines()
    return doc[0].rstrip(".") if doc else section.__name__.removeprefix("section_")


def reproduce(out: str | Path, *, quick: bool = False, console: Console | None = None) -> Report:
    """Runs the study (and every registered section) and writes the report into ``out``."""
    out = check_writable_dir(out)
    rep = Report(out, quick, console=console or Console(quiet=True))
    cfg = StudySettings.quick() if quick else StudySettings()
    t0 = time.perf_counter()
    for i, section in enumerate(STUDY_SECTIONS, 1):
        rep.console.part_begins(i, len(STUDY_SECTIONS), section_title(section))
        section(rep, cfg)
    rep.timings["total"] = time.perf_counter() - t0
    rep.write()
    return rep
