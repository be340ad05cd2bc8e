"""Print the import graph between the package's own modules, and check it has no cycle.

Run from the repository root: ``python tools/import_graph.py [CHECKOUT]``. Each
line is a module and the package modules it imports (at module level or inside
functions, since a function-level import closes a cycle just the same at run time).
A package's ``__init__.py`` counts as a module of its own: ``from . import name``
is an edge to the submodule ``name`` when there is one, else to the ``__init__``
that defines ``name``, and an edge from a submodule up to its package's
``__init__`` counts like any other. Exits with status 1 and names the cycle if
there is one; ``tests/test_architecture.py`` runs the same check.
"""

import ast
import sys
from pathlib import Path

PACKAGE = "sklearn_twolayer"


def module_name(path, root):
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path, name, is_package, modules=()):
    """The package modules that the module ``name`` (file ``path``) imports.

    ``modules`` are the package's module names: ``from X import y`` is an edge to
    ``X.y`` when that is one of them (a submodule), else to ``X``.
    """
    base = name.split(".") if is_package else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith(PACKAGE))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - node.level + 1]
                target = ".".join(anchor + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith(PACKAGE):
                continue
            for alias in node.names:  # `from . import x` may name a submodule
                submodule = f"{target}.{alias.name}"
                found.add(submodule if submodule in modules else target)
    return found


def import_graph(root):
    """{module: sorted package modules it imports}, over every module under root."""
    files = {
        module_name(path, root): path for path in sorted((root / PACKAGE).rglob("*.py"))
    }
    graph = {}
    for name, path in files.items():
        targets = imports_of(path, name, path.name == "__init__.py", files)
        graph[name] = sorted(t for t in targets if t in files and t != name)
    return graph


def find_cycle(graph):
    """A list of modules forming a cycle, or None.

    Every edge counts, an edge from a submodule up to its package's ``__init__``
    (``from . import helper`` where ``__init__`` defines ``helper``) included: that
    ``__init__`` importing the submodule back is a cycle.
    """
    state = {}

    def visit(node, path):
        state[node] = "open"
        for target in graph[node]:
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state:
                cycle = visit(target, [*path, target])
                if cycle:
                    return cycle
        state[node] = "done"
        return None

    for node in graph:
        if node not in state:
            cycle = visit(node, [node])
            if cycle:
                return cycle
    return None


def main(argv):
    # The checkout to read: this one, or another given as the first argument.
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent
    graph = import_graph(root)
    for name, targets in graph.items():
        print(f"{name} -> {', '.join(targets) or '(none)'}")
    cycle = find_cycle(graph)
    if cycle:
        print("import cycle: " + " -> ".join(cycle))
        return 1
    print("no import cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
