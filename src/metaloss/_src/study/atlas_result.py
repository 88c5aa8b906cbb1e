"""What the atlas measured: the findings rows, the numbers behind them, the figures, and
:meth:`Atlas.save` for the files ``metaloss atlas`` writes."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

from metaloss._src.study.findings import Finding


@dataclasses.dataclass(frozen=True)
class Atlas:
    """What :func:`~metaloss.study.atlas` measured.

    Attributes:
      findings: one :class:`Finding` per reproduced number (paper, finding,
        paper_value, value, ci, method, settings, agrees, explanation).
      numbers: everything else ``atlas.json`` holds: ``settings``, ``seed``, each part's
        numbers (``liu``, ``sohl_dickstein``, ``seed_study``, ``pes_paper``,
        ``precision_depth`` and ``precision_findings``) and ``seconds`` per part.
      figures: file name in the output directory -> matplotlib figure.
      texts: file name in the output directory -> text (the PES paper's files).
    """

    findings: list[Finding]
    numbers: dict[str, Any]
    figures: dict[str, Any]
    texts: dict[str, str]

    def table(self) -> list[dict[str, Any]]:
        """The findings as JSON-able rows (``atlas.json``'s ``findings``)."""
        return [f.to_json() for f in self.findings]

    @property
    def agree(self) -> int:
        """How many findings agree with their paper within the stated uncertainty."""
        return sum(f.agrees is True for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        """``atlas.json``'s content: :attr:`numbers` with the ``findings`` rows."""
        n = self.numbers
        return {"settings": n["settings"], "seed": n["seed"], "findings": self.table(),
                **{k: v for k, v in n.items() if k not in ("settings", "seed")}}

    def save(self, out) -> dict[str, Path]:
        """Writes the atlas into the directory ``out`` (created if missing; its parent
        must exist).

        Files: the figures (``liu_counts.png``, ``liu_sweep.png``, ``sd_frames.png``,
        ``precision_depth.png``, for the parts that ran), ``atlas.json`` (:meth:`to_json`),
        ``atlas.md`` (the findings table, then each paper's numbers and procedure) and,
        with the PES paper, ``pes/pes_paper.json``, ``pes/pes_paper.md`` and
        ``pes/toy_regression.png``.

        Returns:
          file name (relative to ``out``) -> path, in the order written.
        """
        from metaloss._src import plot
        from metaloss._src.grid.io import check_writable_dir, write_text
        from metaloss._src.study.atlas_report import write_report

        out = check_writable_dir(out)
        for name in [*self.figures, *self.texts]:
            (out / name).parent.mkdir(exist_ok=True)  # pes/
        paths: dict[str, Path] = {}
        for name, fig in self.figures.items():
            plot.save(fig, out / name)
            paths[name] = out / name
        for name, text in self.texts.items():
            paths[name] = write_text(out / name, text)
        paths["atlas.json"] = write_text(out / "atlas.json", json.dumps(
            self.to_json(), indent=1, default=_jsonable))
        paths["atlas.md"] = write_report(self.numbers, self.findings, out)
        return paths


def _jsonable(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    return str(value)
