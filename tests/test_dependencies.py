"""Dependencies: every third-party module iamlint imports is declared, every declared
runtime dependency is imported, and the python-hcl2 / lark internals the Terraform parser
builds on are still where iamlint expects them (an upgrade that moves them fails here,
loudly, not as a parse error on users' files)."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "iamlint"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
OPTIONAL = {"iamlint/lsp": "lsp"}  # parts of the package that need an extra


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def _third_party(modules: set[str]) -> set[str]:
    return {m for m in modules if m not in sys.stdlib_module_names and m not in ("iamlint", "__future__", *OTHER_PYTHONS)}


# standard modules of other Python versions than the one running (iamlint.digests: 3.12 renamed _sha256 to _sha2)
OTHER_PYTHONS = ("_sha2",)


def _distributions(module: str) -> set[str]:
    return {name.lower().replace("_", "-") for name in packages_distributions().get(module, [])}


def _by_part() -> dict[str, set[str]]:
    parts: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        part = next((extra for prefix, extra in OPTIONAL.items() if relative.startswith(prefix)), "runtime")
        parts.setdefault(part, set()).update(_third_party(_imports(path)))
    return parts


def test_every_imported_third_party_module_is_declared():
    runtime = {_name(r) for r in PROJECT["dependencies"]}
    declared = {"runtime": runtime, **{extra: runtime | {_name(r) for r in PROJECT["optional-dependencies"][extra]}
                                       for extra in OPTIONAL.values()}}
    missing = []
    for part, modules in _by_part().items():
        for module in sorted(modules):
            if module == "tomli":  # the Python 3.10 fallback of tomllib, declared with a marker
                continue
            distributions = _distributions(module)
            assert distributions, f"{module} is imported but no installed distribution provides it"
            if not distributions & declared[part]:
                missing.append(f"{module} ({', '.join(sorted(distributions))}) imported by the {part} code")
    assert not missing, "imported but not declared in pyproject.toml: " + "; ".join(missing)


def test_every_runtime_dependency_is_imported():
    imported = set().union(*_by_part().values())
    provided = {dist for module in imported for dist in _distributions(module)} | {"tomli"}
    unused = [_name(r) for r in PROJECT["dependencies"] if _name(r) not in provided]
    assert not unused, f"declared at runtime but never imported (move to an extra): {unused}"


def test_cfn_flip_is_not_a_runtime_dependency_nor_in_the_cache_key():
    from iamlint import cache

    assert "cfn-flip" not in {_name(r) for r in PROJECT["dependencies"]}
    assert "cfn-flip" in {_name(r) for r in PROJECT["optional-dependencies"]["test"]}
    assert "cfn_flip" not in cache._LIBRARIES


# ---------------------------------------------------------------- python-hcl2 / lark internals


def test_the_hcl2_grammar_and_post_lexer_are_where_the_parser_reads_them():
    import hcl2
    from hcl2.postlexer import PostLexer  # iamlint.parsers.terraform.grammar builds the parser with it

    grammar = Path(hcl2.__file__).resolve().parent / "hcl2.lark"
    assert grammar.is_file(), f"python-hcl2 {getattr(hcl2, '__version__', '?')} no longer ships hcl2.lark"
    assert callable(PostLexer)
    assert getattr(hcl2, "__version__", None), "python-hcl2 no longer exposes __version__ (the parser snapshot key)"


def test_lark_still_has_the_lalr_actions_the_snapshot_pickles():
    import lark
    from lark.parsers import lalr_analysis

    assert isinstance(lark.__version__, str)
    assert {"Shift", "Reduce"} <= {name for name in dir(lalr_analysis) if isinstance(getattr(lalr_analysis, name),
                                                                                     lalr_analysis.Action)}
    from lark import Token, Tree  # noqa: F401  (the converter walks lark's own tree)
    from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput  # noqa: F401


def _tree_names() -> set[str]:
    """The node names iamlint's converter dispatches on or compares with."""
    names: set[str] = set()
    for path in (PACKAGE / "parsers" / "terraform").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict) and node.values and all(
                    isinstance(v, ast.Attribute) and isinstance(v.value, ast.Name) and v.value.id == "self" for v in node.values):
                names |= {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if isinstance(node, ast.Compare) and (
                    (isinstance(node.left, ast.Attribute) and node.left.attr == "data")
                    or (path.name == "convert.py" and isinstance(node.left, ast.Name) and node.left.id == "kind")):
                names |= {c.value for comparator in node.comparators for c in ast.walk(comparator)
                          if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return names


def test_every_tree_node_the_converter_knows_is_still_produced_by_the_grammar():
    from iamlint.parsers.terraform.grammar import parser

    built = parser()
    produced = {str(rule.origin.name) for rule in built.rules} | {str(rule.alias) for rule in built.rules if rule.alias}
    known = _tree_names()
    assert len(known) >= 25, sorted(known)  # the walk above still finds the dispatch table
    assert not known - produced, f"python-hcl2's grammar no longer produces {sorted(known - produced)}"


@pytest.mark.parametrize("requirement", ["python-hcl2", "lark"])
def test_the_installed_versions_are_within_the_declared_ranges(requirement):
    from importlib.metadata import version

    spec = next(r for r in PROJECT["dependencies"] if _name(r) == requirement)
    lower, upper = re.search(r">=([\d.]+)", spec).group(1), re.search(r"<([\d.]+)", spec).group(1)

    def key(text: str) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", text)[:3])

    installed = version(requirement)
    assert key(lower) <= key(installed) < key(upper), f"{requirement} {installed} is outside {spec}"
