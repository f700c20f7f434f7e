"""The import structure: no cycles among the project's modules, and every import that is not at
the top of its module says why (the layering itself is import-linter's, in pyproject.toml)."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("catalog_service", "catalog", "categories", "loadtests")


def strongly_connected(graph: grimp.ImportGraph) -> list[set[str]]:
    """Tarjan's algorithm over the direct imports; components of more than one module are cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == module:
                    break
            components.append(component)

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return components


def test_no_import_cycles_among_the_projects_modules():
    # TYPE_CHECKING imports count: a cycle drawn for the type checker is still a cycle to read.
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=False, cache_dir=None)
    cycles = [sorted(c) for c in strongly_connected(graph) if len(c) > 1]
    assert cycles == []


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for name in ("a", "b", "c"):
        graph.add_module(name)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="a")
    graph.add_import(importer="b", imported="c")
    assert sorted(map(sorted, strongly_connected(graph))) == [["a", "b"], ["c"]]


def _local_imports_without_a_reason(path: Path) -> list[int]:
    source = path.read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    top_level = {id(node) for node in tree.body}
    for node in tree.body:  # imports under a module-level `if TYPE_CHECKING:` or `try:` are top level
        if isinstance(node, ast.If | ast.Try):
            top_level.update(id(child) for child in ast.walk(node))
    missing = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom) or id(node) in top_level:
            continue
        if "#" not in lines[node.lineno - 1] and not _comment_above(lines, node.lineno - 1):
            missing.append(node.lineno)
    return missing


def _comment_above(lines: list[str], index: int) -> bool:
    """Whether a comment heads the block of imports that line ``index`` belongs to."""
    for line in reversed(lines[:index]):
        text = line.strip()
        if text.startswith(("from ", "import ")) or not text:
            continue
        return text.startswith("#")
    return False


def test_every_local_import_says_why():
    missing = {}
    for package in (*PACKAGES, "config"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            lines = _local_imports_without_a_reason(path)
            if lines:
                missing[str(path.relative_to(ROOT))] = lines
    assert missing == {}
