"""The findings table: every reproduced number beside the paper's, one row per finding.

``metaloss atlas`` writes the rows to ``atlas.json`` (a list under the key
``findings``) and as a table in ``atlas.md``. A row says which paper and finding it
reproduces, the paper's value, ours with its interval, the method that measured it
and the settings, whether the two agree within the stated uncertainty, and, where
they do not, what measurement explains the difference.

Rows are built where the numbers are computed (each part of the atlas returns its
own) and only collected and written here.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

Value = float | int | str | None


@dataclasses.dataclass(frozen=True)
class Finding:
    """One reproduced finding.

    Attributes:
      paper: the source, short (``"Liu 2024"``, ``"Sohl-Dickstein 2024"``,
        ``"Vicol et al. 2021"``, ``"seed study"``).
      finding: what is reproduced, in a few words (``"Fig. 2a dimension"``).
      paper_value: the paper's number (or a short text where it states no number,
        ``None`` where it gives nothing to compare).
      value: ours, in the same units.
      ci: ``(low, high)``, the uncertainty of ``value`` that :attr:`agrees` is judged
        with, or ``None``.
      method: how ``value`` was measured (the estimator, the procedure).
      settings: the settings it was measured at, short.
      agrees: whether ``value`` agrees with ``paper_value`` within the stated
        uncertainty; ``None`` where there is nothing to compare.
      explanation: for a disagreement, what measurement explains it; a note otherwise.
    """

    paper: str
    finding: str
    paper_value: Value
    value: Value
    ci: tuple[float, float] | None
    method: str
    settings: str
    agrees: bool | None
    explanation: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (non-finite numbers become ``None``)."""
        out = dataclasses.asdict(self)
        out["paper_value"] = _finite(self.paper_value)
        out["value"] = _finite(self.value)
        out["ci"] = None if self.ci is None else [_finite(float(c)) for c in self.ci]
        return out


def _finite(v: Value) -> Value:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def within(paper_value: float, value: float, ci: tuple[float, float] | None,
           tolerance: float = 0.0) -> bool:
    """Whether ``paper_value`` lies in ``ci`` widened by ``tolerance`` on each side (or,
    without an interval, within ``tolerance`` of ``value``). Non-finite values never
    agree."""
    if not (math.isfinite(paper_value) and math.isfinite(value)):
        return False
    low, high = (value, value) if ci is None else ci
    return low - tolerance <= paper_value <= high + tolerance


def _cell(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.{digits}g}" if abs(v) >= 1e4 or (v != 0 and abs(v) < 1e-3) \
            else f"{v:.{digits}f}"
    return str(v).replace("|", "\\|").replace("\n", " ")


def markdown(rows: Sequence[Finding]) -> list[str]:
    """The rows as a Markdown table, then each disagreement's explanation as a list."""
    lines = ["| paper | finding | paper | ours | interval | method | settings | agrees |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ci = "-" if r.ci is None else f"[{_cell(r.ci[0])}, {_cell(r.ci[1])}]"
        agrees = "-" if r.agrees is None else _cell(r.agrees)
        lines.append(f"| {_cell(r.paper)} | {_cell(r.finding)} | {_cell(r.paper_value)} | "
                     f"{_cell(r.value)} | {ci} | {_cell(r.method)} | {_cell(r.settings)} | "
                     f"{agrees} |")
    notes = [r for r in rows if r.explanation]
    if notes:
        lines += ["", "Explanations and notes:", ""]
        status = {True: "agrees", False: "differs", None: "nothing to compare"}
        lines += [f"- **{r.paper}, {r.finding}** ({status[r.agrees]}): {r.explanation}"
                  for r in notes]
    return lines
