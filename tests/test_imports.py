"""The import graph of the project's packages has no cycle, counting imports inside functions.

Imports under `if TYPE_CHECKING:` are left out (they never run). Run as a script to print the graph.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("sim", "experiments", "dashboard")


def _runtime_nodes(tree: ast.AST):
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def import_graph() -> dict[str, set[str]]:
    """module -> the project modules it imports (anywhere in the file)."""
    files = {
        ".".join(p.relative_to(REPO).with_suffix("").parts): p for pkg in PACKAGES for p in (REPO / pkg).glob("*.py")
    }
    graph: dict[str, set[str]] = {}
    for mod, path in files.items():
        deps = set()
        for node in _runtime_nodes(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            deps |= {n for n in names if n in files and n != mod}
        graph[mod] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], dict.fromkeys(graph, 0)  # 0 new, 1 on the stack, 2 done

    def visit(mod: str, stack: list[str]) -> None:
        state[mod] = 1
        for dep in sorted(graph[mod]):
            if state[dep] == 1:
                found.append([*stack[stack.index(dep) :], dep])
            elif state[dep] == 0:
                visit(dep, [*stack, dep])
        state[mod] = 2

    for mod in sorted(graph):
        if state[mod] == 0:
            visit(mod, [mod])
    return found


def test_the_import_graph_has_no_cycle():
    graph = import_graph()
    assert "experiments.designs" in graph["experiments.plan"]
    assert cycles(graph) == []


if __name__ == "__main__":
    g = import_graph()
    for m in sorted(g):
        print(f"{m} -> {', '.join(sorted(g[m])) or '-'}")
    print("cycles:", cycles(g) or "none")
