"""docs/architecture.md describes the layout the layout test enforces: its layer table is
tests/core/test_layout.py's LAYERS, and every path it names exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "architecture.md").read_text()
CORE = ROOT / "src" / "metaloss" / "_src"


def _layout_layers():
    import importlib.util

    spec = importlib.util.spec_from_file_location("layout", ROOT / "tests/core/test_layout.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.LAYERS


def _room(cell: str) -> str:
    return cell.strip("`").removesuffix("/").removesuffix(".py").replace("/", ".")


def test_the_layer_table_is_the_layout_tests():
    table = PAGE.split("| Layer |", 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    rows = []
    for line in table:
        name, rooms = (c.strip() for c in line.strip("|").split("|"))
        rows.append((name, tuple(_room(r.strip()) for r in rooms.split(","))))
    assert tuple(rows) == _layout_layers()


def test_paths_it_names_exist():
    paths = set(re.findall(r"`(src/metaloss/_src/[\w/.]*)`", PAGE))
    assert len(paths) >= 10
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert missing == []
    rooms = {r for _, group in _layout_layers() for r in group}
    assert all((CORE / r.replace(".", "/")).is_dir() or (CORE / (r.replace(".", "/") + ".py"))
               .is_file() for r in rooms)
