"""A contract type for import-linter (configured in pyproject.toml): no import cycles
between modules, package ``__init__`` modules included.

import-linter's own ``acyclic_siblings`` checks siblings (with their descendants
squashed), so it cannot see a package ``__init__`` and one of its submodules importing
each other. This contract looks at the module graph itself: every strongly connected
component of two or more modules under ``packages`` is a cycle (``ignore`` skips
components inside the given packages; another contract can check those).
"""

from __future__ import annotations

from typing import Any

from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


class AcyclicModulesContract(Contract):
    type_name = "acyclic_modules"

    packages = fields.ListField(subfield=fields.StringField())
    ignore = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        packages = list(self.packages)  # type: ignore[call-overload]
        ignored = list(self.ignore or [])  # type: ignore[call-overload]
        modules = sorted(m for m in graph.modules if _under(m, packages))
        edges = {m: sorted(i for i in graph.find_modules_directly_imported_by(m) if _under(i, packages)) for m in modules}
        cycles = [c for c in _components(modules, edges) if len(c) > 1 and not all(_under(m, ignored) for m in c)]
        return ContractCheck(kept=not cycles, warnings=[], metadata={"cycles": cycles, "edges": edges})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for cycle in check.metadata["cycles"]:
            members = set(cycle)
            output.print_error(f"Import cycle of {len(cycle)} modules:")
            for module in cycle:
                inside = [m for m in check.metadata["edges"][module] if m in members]
                output.print_error(f"- {module} -> {', '.join(inside)}", bold=False)
            output.new_line()


def _under(module: str, packages: list[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _components(modules: list[str], edges: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(sorted(component))
    return found
