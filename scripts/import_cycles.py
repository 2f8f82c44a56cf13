"""Measure how knotted the imports of webapp/ are (stdlib only: ast).

    python scripts/import_cycles.py            # the figures
    python scripts/import_cycles.py --verbose  # and the files of each cycle, and every local import

Every import counts, at module level or inside a function: a function-local import is still a
dependency, only hidden from a reader of the module's head. Prints the largest import cycle
(strongly connected set of modules) and the number of function-local imports outside the factory
(webapp/__init__.py) and the CLI (webapp/cli.py).
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
from collections.abc import Iterator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "webapp"
EXEMPT = {"webapp", "webapp.cli"}  # the factory and the CLI wire everything: local imports are their job


def modules() -> dict[str, str]:
    found = {}
    for folder, _dirs, files in os.walk(os.path.join(ROOT, PACKAGE)):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
            found[rel.removesuffix(".__init__")] = path
    return found


def _resolve(target: str, known: dict[str, str]) -> str | None:
    """The webapp module an import names (`from webapp.x import y` may name module webapp.x.y)."""
    while target:
        if target in known:
            return target
        target = target.rpartition(".")[0]
    return None


def imports(module: str, path: str, known: dict[str, str]) -> Iterator[tuple[str | None, bool, int]]:
    """(imported webapp module or None for another package's, is function-local, line) for each
    import in the file."""
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]

    def walk(node: ast.AST, local: bool) -> Iterator[tuple[str | None, bool, int]]:
        for child in ast.iter_child_nodes(node):
            inside = local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield _resolve(alias.name, known), local, child.lineno
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - (child.level - 1)]
                    base = ".".join(parts + ([base] if base else []))
                targets = {_resolve(f"{base}.{alias.name}", known) or _resolve(base, known) for alias in child.names}
                for found in targets:
                    yield found, local, child.lineno
            yield from walk(child, inside)

    yield from walk(tree, False)


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative), components of two or more modules, largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            advanced = False
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    comp.append(member)
                    if member == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return sorted(out, key=len, reverse=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    known = modules()
    graph: dict[str, set[str]] = {m: set() for m in known}
    local: dict[tuple[str, int], str] = {}  # one per import statement
    for module, path in sorted(known.items()):
        for target, is_local, line in imports(module, path, known):
            if target is not None and target != module:
                graph[module].add(target)
            if is_local and module not in EXEMPT:
                local[(module, line)] = target or "(another package)"
    cycles = strongly_connected(graph)
    print(f"largest import cycle: {len(cycles[0]) if cycles else 0} files ({len(cycles)} cycles)")
    print(f"function-local import statements outside the factory and the CLI: {len(local)}")
    if args.verbose:
        for comp in cycles:
            print(f"cycle of {len(comp)}: {', '.join(comp)}")
        for (module, line), target in local.items():
            print(f"local import: {module}:{line} -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
