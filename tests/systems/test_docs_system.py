"""docs/systems.md: the system written from scratch runs, in under 30 lines, as printed."""

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "systems.md"


def test_docs_system_from_scratch_runs():
    text = DOC.read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert len(code.strip().splitlines()) < 30
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {"__name__": "docs_example"})
    rows = {line.rsplit(" ", 3)[0]: [float(v) for v in line.rsplit(" ", 3)[1:]]
            for line in out.getvalue().strip().splitlines()}
    mean, se, exact = rows["rtrl(K=10)"]
    assert abs(mean - exact) < 1e-4 * abs(exact) and se == 0.0
    mean, se, exact = rows["pes(K=10, pairs=50, std=0.01)"]
    assert abs(mean - exact) < 3 * se  # unbiased: within 3 standard errors
    # the numbers the page prints are the ones this run gives
    assert f"{rows['truncated(K=10)'][0]:.3f}" in text and f"{exact:.4f}" in text
