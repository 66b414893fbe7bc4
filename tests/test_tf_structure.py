"""The structure of the Terraform normaliser (issue 11): its modules import each other
without cycles, the package ``__init__`` exposes only its entry point, imports inside
functions say why (start-up), and no module grows past 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "iamlint.normalize.terraform"
ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "iamlint" / "normalize" / "terraform"
OWN = sorted(FOLDER.rglob("*.py")) + [ROOT / "iamlint" / "normalize" / "cloudformation" / name
                                      for name in ("intrinsics.py", "sub.py")]


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_name(path): path for path in FOLDER.rglob("*.py")}


def _imports(path: Path) -> list[tuple[ast.stmt, str, bool]]:
    """(statement, imported module, inside a function) for every import of ``path``."""
    tree = ast.parse(path.read_text())
    found: list[tuple[ast.stmt, str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                found.extend((child, alias.name, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                for alias in child.names:
                    target = f"{child.module}.{alias.name}"
                    found.append((child, target if target in MODULES else child.module, in_function))
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, False)
    return found


def _graph() -> dict[str, set[str]]:
    return {name: {target for _, target, _ in _imports(path) if target in MODULES and target != name}
            for name, path in MODULES.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_terraform_modules_import_each_other_without_cycles():
    assert _cycle(_graph()) is None, " -> ".join(_cycle(_graph()) or [])


def test_the_cycle_check_finds_a_cycle():
    graph = _graph()
    graph[f"{PACKAGE}.config"] = graph[f"{PACKAGE}.config"] | {f"{PACKAGE}.evaluate"}  # an upward import
    assert _cycle(graph) is not None


def test_no_module_takes_helpers_from_the_package_init():
    for name, path in MODULES.items():
        for statement, target, _ in _imports(path):
            assert target != PACKAGE or name == PACKAGE, f"{path.name}:{statement.lineno} imports from the package __init__"


def test_the_package_init_exposes_only_the_entry_point():
    import iamlint.normalize.terraform as package

    assert package.__all__ == ["load_module"]
    public = {name for name in vars(package) if not name.startswith("_") and not isinstance(
        getattr(package, name), type(package))}
    assert public <= {"load_module", "annotations", "Any", "UnitResult"}


def test_imports_inside_functions_say_why():
    for path in OWN:
        lines = path.read_text().splitlines()
        for statement, _, inside in _imports(path):
            if not inside:
                continue
            index = statement.lineno - 2
            while index >= 0 and lines[index].strip().startswith(("from ", "import ")):
                index -= 1  # one comment serves a group of imports
            above = lines[index].strip()
            reason = above if above.startswith("#") else lines[statement.lineno - 1].partition("#")[2]
            assert reason, f"{path.relative_to(ROOT)}:{statement.lineno}: an import inside a function needs a comment saying why"


def test_no_module_is_over_400_lines():
    for path in OWN:
        count = len(path.read_text().splitlines())
        assert count <= 400, f"{path.relative_to(ROOT)} has {count} lines"
