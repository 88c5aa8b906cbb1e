"""Renders a :class:`~metaloss._src.study.report.document.Report` as Markdown and as one
self-contained HTML page (:mod:`metaloss._src.study.report.html`).

Both follow the order of :mod:`metaloss._src.study.report.contents`: the headline numbers,
the sections (text, figures, then tables), then all numbers, timings and configuration.
"""

from __future__ import annotations

from metaloss._src.study.report.contents import config_rows, headline, intro, timing_rows
from metaloss._src.study.report.html import TITLE, render_html

__all__ = ["render_html", "render_markdown"]


def _md_table(header, rows) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return lines + [""]


def render_markdown(rep) -> str:
    key = headline(rep.numbers)
    out = [f"# {TITLE}", "", intro(rep), ""]
    out += ["## Key numbers", ""] + _md_table(["quantity", "value"], key)
    out += [f"All {len(rep.numbers)} numbers follow the sections.", ""]
    for sec in rep.sections:
        out += [f"## {sec.title}", ""]
        for p in sec.paragraphs:
            out += [p, ""]
        for name, caption in sec.figures:
            out += [f"![{caption}]({name})", "", f"*{caption}*", ""]
        for header, rows in sec.tables:
            out += _md_table(header, rows)
    out += ["## All numbers", ""] + _md_table(["quantity", "value"], rep.numbers)
    out += ["## Wall time per stage (s)", ""] + _md_table(["stage", "seconds"], timing_rows(rep))
    if rep.config:
        out += ["## Configuration", ""] + _md_table(["computation", "record"],
                                                    [[n, f"`{r}`"] for n, r in config_rows(rep)])
    return "\n".join(out)
