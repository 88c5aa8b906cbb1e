"""The layout DESIGN.md asks for, checked on the source: no import circles, no upward
edge between the private core's rooms, the library never imports the applications, the
core never imports the public surface, small modules, and a library that loads without
the command line or the report."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import metaloss as ml

SRC = Path(ml.__file__).resolve().parent
APPLICATIONS = ("metaloss._src.study", "metaloss._src.cli", "metaloss._src.explore",
                "metaloss.cli", "metaloss.explore", "metaloss.study", "metaloss.__main__")
CORE = "metaloss._src"
LAYERS = (
    ("base", ("errors", "version", "userload", "fastmath", "fastrng", "spec", "precision")),
    ("parts", ("problems", "optimizers", "schedules", "systems")),
    ("core", ("hyper", "unroll", "objectives", "space", "meta", "measures", "precise")),
    ("estimators", ("estimators", "outer")),
    ("grid", ("grid",)),
    ("analysis", ("analysis",)),
    ("figure pool", ("plot.pool",)),
    ("plot", ("plot",)),
    ("workflows", ("workflows",)),
    ("study", ("study",)),
    ("applications", ("cli", "explore")),
)
"""The core's rooms, lowest first: a module may import its own layer and those below,
never one above. A room is a package or module under ``metaloss._src``, or a module
inside one (``plot.pool``: saving figures in worker processes, below the figures).
The public surface (``metaloss``, ``metaloss.problems``, ...) sits above them all and
only re-exports."""
MAX_LINES = 300


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in SRC.rglob("*.py")}


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(name: str) -> set[str]:
    """The metaloss modules ``name`` imports anywhere (functions included), except under
    ``if TYPE_CHECKING:``; ``from pkg import mod`` counts as importing ``pkg.mod``."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    up = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join(up + ([base] if base else []))
                for alias in child.names:
                    sub = f"{base}.{alias.name}"
                    found.add(sub if sub in MODULES else base)
            visit(child)

    visit(ast.parse(path.read_text()))
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imports(name) for name in MODULES}


def cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def strong(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in sorted(GRAPH):
        if v not in index:
            strong(v)
    return out


def is_application(name: str) -> bool:
    return any(name == a or name.startswith(a + ".") for a in APPLICATIONS)


def layer(name: str) -> int:
    """The layer of a module of the core; the public surface is above every layer."""
    if not name.startswith(CORE + "."):
        return len(LAYERS)
    parts = name.split(".")[2:]
    for depth in range(len(parts), 0, -1):  # the most specific room first
        room = ".".join(parts[:depth])
        for i, (_, rooms) in enumerate(LAYERS):
            if room in rooms:
                return i
    raise AssertionError(f"{name} is in no layer of LAYERS: give its room one")


def test_every_core_module_has_a_layer():
    assert all(layer(n) < len(LAYERS) for n in MODULES if n.startswith(CORE + "."))


def test_no_upward_edges():
    up = sorted((a, b) for a, deps in GRAPH.items() if a != CORE for b in deps
                if b != CORE and layer(b) > layer(a))
    assert up == []


def test_the_public_surface_is_outside_the_core():
    """Public modules re-export from the core; nothing public lives inside it."""
    public = sorted(n for n in MODULES if not n.startswith(CORE))
    assert "metaloss.problems" in public and "metaloss._src.meta" in MODULES
    assert all(n.count(".") <= 1 or n == "metaloss.cli.__main__" for n in public), public


def test_no_import_circles():
    assert cycles() == []


def test_the_walk_sees_the_imports_it_should():
    """A guard on the checker itself: known edges are found, TYPE_CHECKING ones are not."""
    assert "metaloss._src.meta" in GRAPH["metaloss._src.estimators.base"]
    assert "metaloss._src.study.report.render" in GRAPH["metaloss._src.study.report.document"]
    assert "metaloss._src.meta" not in GRAPH["metaloss.objectives"]  # type-only import
    assert layer("metaloss._src.plot.pool") < layer("metaloss._src.plot.style")
    assert layer("metaloss._src.plot") == layer("metaloss._src.plot.style")


def test_library_never_imports_the_applications():
    bad = sorted((a, b) for a, deps in GRAPH.items() if not is_application(a)
                 for b in deps if is_application(b))
    assert bad == []


def test_modules_are_small():
    sizes = {n: len(p.read_text().splitlines()) for n, p in MODULES.items()}
    assert {n: s for n, s in sizes.items() if s > MAX_LINES} == {}


def test_no_package_shadows_the_landscape_function():
    assert importlib.util.find_spec("metaloss.landscape") is None
    assert callable(ml.landscape) and ml.landscape is ml.grid.landscape


@pytest.mark.slow  # starts a fresh interpreter: runs in make test
def test_library_loads_without_click_or_the_report():
    code = ("import sys; import metaloss._src.unroll, metaloss._src.meta, metaloss.estimators, "
            "metaloss.grid, metaloss.analysis, metaloss.plot; "
            "print(sorted(m for m in sys.modules if m == 'click' or m.startswith("
            "('metaloss._src.study', 'metaloss._src.cli', 'metaloss._src.explore', "
            "'metaloss.cli', 'metaloss.explore'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "[]"
