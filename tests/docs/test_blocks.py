"""Every ```python block in README.md and in the user guide runs as written (the blocks keep
their grids tiny). Blocks of one page run in order in one namespace, as a reader would."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# docs/fractal-dimension.md is the lead's page; its blocks are checked with it when it lands.
PAGES = [ROOT / "README.md"] + sorted(
    p for p in (ROOT / "docs").glob("*.md") if p.name != "fractal-dimension.md")


def blocks(page: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(), flags=re.S | re.M)


def test_readme_has_python_blocks():
    assert len(blocks(ROOT / "README.md")) >= 2


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p)], ids=lambda p: p.name)
def test_python_blocks_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for i, block in enumerate(blocks(page)):
        exec(compile(block, f"{page.name} python block {i}", "exec"), namespace)
