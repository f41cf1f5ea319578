"""The packages of orgscan form layers: no package imports, at any depth, one that imports it.

A package is the first name under ``orgscan/`` (``scan``, ``reports``, ...); a module at the
root (``model.py``, ``rule.py``, ...) is one too. Every ``import`` counts, those inside
functions and under ``TYPE_CHECKING`` included: an import put off until a function runs still
makes the lower layer depend on the higher one.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "orgscan"

#: Where an edge comes from: "file:line".
Edges = Mapping[str, Mapping[str, list[str]]]


def _node(module: str) -> str | None:
    """The package (or root module) ``module`` belongs to; None outside orgscan."""
    parts = module.split(".")
    if parts[0] != "orgscan":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def _imported(tree: ast.AST, package: list[str]) -> Iterator[tuple[str, int]]:
    """Every module ``tree`` imports, with its line; ``package`` is the importing module's."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            if module == "orgscan":  # from orgscan import model: the module is the name
                for alias in node.names:
                    named = ROOT / f"{alias.name}.py"
                    yield (f"orgscan.{alias.name}" if named.exists() else module), node.lineno
            else:
                yield module, node.lineno


def import_graph(root: Path = ROOT) -> dict[str, dict[str, list[str]]]:
    """Package -> the packages it imports -> where."""
    edges: dict[str, dict[str, list[str]]] = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        parts = ["orgscan", *relative.with_suffix("").parts]
        package = parts[:-1]  # a module's package; __init__ is its own package's
        # orgscan/scan/ledger.py is "scan"; orgscan/model.py is "model".
        source = relative.parts[0] if len(relative.parts) > 1 else relative.stem
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for module, line in _imported(tree, package):
            target = _node(module)
            if target is not None and target != source:
                edges.setdefault(source, {}).setdefault(target, []).append(f"{relative}:{line}")
    return edges


def find_cycle(edges: Edges) -> list[str] | None:
    """One cycle of ``edges`` as its nodes, first repeated at the end; None when acyclic."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for target in sorted(edges.get(node, {})):
            cycle = visit(target)
            if cycle is not None:
                return cycle
        path.pop()
        done.add(node)
        return None

    for node in sorted(edges):
        cycle = visit(node)
        if cycle is not None:
            return cycle
    return None


def describe(cycle: list[str], edges: Edges) -> str:
    """The cycle, one edge a line, each with the imports that make it."""
    return "\n".join(
        f"{source} -> {target}: {', '.join(edges[source][target])}"
        for source, target in itertools.pairwise(cycle)
    )


def test_no_package_imports_one_that_imports_it() -> None:
    edges = import_graph()
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle between packages:\n" + describe(cycle or [], edges)


def test_the_command_line_is_the_top_layer() -> None:
    # The core is driven by the CLI, never the other way; `python -m orgscan` enters it.
    edges = import_graph()
    assert sorted(source for source, targets in edges.items() if "cli" in targets) == ["__main__"]


def test_a_cycle_is_found_and_named(tmp_path: Path) -> None:
    # The check itself: a function-local import that closes a loop is caught and printed.
    (tmp_path / "low").mkdir()
    (tmp_path / "low" / "__init__.py").write_text(
        "def f():\n    from orgscan.high import thing\n", encoding="utf-8"
    )
    (tmp_path / "high.py").write_text("from orgscan.low import f\n", encoding="utf-8")
    edges = import_graph(tmp_path)
    cycle = find_cycle(edges)
    assert cycle == ["high", "low", "high"]
    assert describe(cycle, edges) == "high -> low: high.py:1\nlow -> high: low/__init__.py:2"
