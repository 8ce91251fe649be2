"""The package's shape: imports run one way (no circle between modules), and every module names its public
surface in `__all__`, each name of which exists."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "infogan_edu"
MODULES = sorted(
    p for p in PACKAGE.rglob("*.py") if p.name not in ("__init__.py", "__main__.py") and "exercises" not in p.parts
)


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def _imports(path: Path, root: Path | None = None) -> set[str]:
    """The package modules `path` imports, at any depth of its code (a deferred import still runs one way)."""
    root = root or PACKAGE.parent
    here = ".".join(path.relative_to(root).with_suffix("").parts).split(".")
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[: len(here) - node.level]
            target = ".".join(base + ([node.module] if node.module else []))
            names = [f"{target}.{a.name}" for a in node.names]
            found |= {n for n in [target, *names] if (root / (n.replace(".", "/") + ".py")).exists()}
            if (root / target.replace(".", "/") / "__init__.py").exists():
                found.add(target)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("infogan_edu"):
            found.add(node.module)
    found.discard(".".join(here))
    return {n for n in found if n != "infogan_edu"}


def _circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of `graph` (module -> the modules it imports), as a path that ends where it starts."""
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> list[str] | None:
        if state.get(name) == "open":
            return path[path.index(name) :] + [name]
        if state.get(name) == "done":
            return None
        state[name] = "open"
        for dep in sorted(graph.get(name, ())):
            if found := visit(dep, [*path, name]):
                return found
        state[name] = "done"
        return None

    for name in sorted(graph):
        if found := visit(name, []):
            return found
    return None


def test_no_module_imports_a_module_that_imports_it_back() -> None:
    circle = _circle({_module_name(p): _imports(p) for p in MODULES})
    assert circle is None, "import circle: " + " -> ".join(circle or [])


def test_the_walk_finds_a_circle_written_by_hand(tmp_path: Path) -> None:
    pkg = tmp_path / "infogan_edu"
    pkg.mkdir()
    (pkg / "a.py").write_text("from .b import x\n")
    (pkg / "b.py").write_text("def f():\n    from .a import y\n")  # a deferred import counts
    (pkg / "c.py").write_text("from .a import z\n")
    graph = {f"infogan_edu.{m}": _imports(pkg / f"{m}.py", tmp_path) for m in "abc"}
    a, b = "infogan_edu.a", "infogan_edu.b"
    assert graph == {a: {b}, b: {a}, "infogan_edu.c": {a}}
    assert _circle(graph) == [a, b, a]
    assert _circle({"x": {"y"}, "y": {"z"}, "z": set()}) is None


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_every_module_names_its_public_surface(path: Path) -> None:
    module = importlib.import_module(_module_name(path))
    names = getattr(module, "__all__", None)
    assert names, f"{path.name} has no __all__"
    missing = [n for n in names if not hasattr(module, n)]
    assert not missing, f"{path.name}: __all__ names {missing}, which it does not define"
    assert len(set(names)) == len(names)
