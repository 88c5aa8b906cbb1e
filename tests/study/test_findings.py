"""The findings table's rows: agreement, JSON and Markdown."""

import json
import math

from metaloss._src.study.findings import Finding, markdown, within


def test_within_uses_the_interval_and_the_tolerance():
    assert within(0.98, 0.95, (0.93, 0.99))
    assert not within(0.98, 0.95, (0.93, 0.97))
    assert within(0.98, 0.95, (0.93, 0.97), tolerance=0.02)
    assert within(1.0, 1.04, None, tolerance=0.05)
    assert not within(1.0, 1.06, None, tolerance=0.05)
    assert not within(1.0, math.nan, None, tolerance=10)


def test_rows_serialise_without_non_finite_numbers():
    row = Finding("Liu 2024", "Fig. 2a", 0.98, math.nan, (math.inf, 1.0), "crossings",
                  "2^20 points", False, "the run diverged")
    out = json.loads(json.dumps(row.to_json(), allow_nan=False))
    assert out["value"] is None and out["ci"] == [None, 1.0]
    assert set(out) == {"paper", "finding", "paper_value", "value", "ci", "method",
                        "settings", "agrees", "explanation"}


def test_markdown_lists_every_row_and_explains_disagreements():
    rows = [Finding("Liu 2024", "Fig. 2a", 0.98, 0.97, (0.95, 0.99), "crossings", "x", True),
            Finding("SD 2024", "tanh | full batch", 1.66, 1.2, None, "box", "y", False,
                    "the zoom stopped at 1e-3"),
            Finding("seed study", "ES better", None, "yes", None, "-", "z", None, "a note")]
    text = "\n".join(markdown(rows))
    assert sum(line.startswith("| ") for line in text.splitlines()) == 4  # header + 3 rows
    assert "tanh \\| full batch" in text
    assert "(differs): the zoom stopped at 1e-3" in text
    assert "(nothing to compare): a note" in text
    assert "Fig. 2a** (agrees)" not in text  # rows without an explanation get no note
