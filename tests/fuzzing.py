"""Inputs and checks for fuzzing every parser and the whole pipeline (issue 12).

Shared by ``tests/test_fuzz.py`` (a fixed small budget, derandomized, in every test run)
and ``tools/fuzz.py`` (a longer run: ``python tools/fuzz.py --minutes 10``).

Inputs are drawn with hypothesis: the repository's fixtures of each format, mutated
(spans deleted, duplicated or moved, tokens of the syntax inserted, truncations, odd
characters, deep nesting), and Terraform text generated from a small grammar. The
property: no exception escapes, and every failure is a located error (the parsers'
syntax errors with a line and column inside the text; the pipeline's ``SourceError``
with a path that was checked and a line in the file).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
MAX_SEED = 6000  # characters of a seed file kept (keeps an example fast)


def _seeds(pattern: str, keep: Callable[[Path], bool] = lambda p: True) -> list[str]:
    found = []
    for path in sorted(FIXTURES.rglob(pattern)):
        if keep(path):
            try:
                found.append(path.read_text(encoding="utf-8")[:MAX_SEED])
            except (OSError, UnicodeDecodeError):
                continue
    return found or ["{}"]


def _is_plan(path: Path) -> bool:
    return path.parent.parent.name == "plan" or path.name == "plan.json"


SEEDS: dict[str, list[str]] = {
    "hcl": _seeds("*.tf"),
    "tf.json": _seeds("*.tf.json"),
    "plan": _seeds("*.json", _is_plan),
    "yaml": _seeds("*.yaml"),
    "cfn.json": _seeds("*.json", lambda p: not _is_plan(p) and not p.name.endswith(".tf.json")),
}

TOKENS: dict[str, list[str]] = {
    "hcl": ["{", "}", "[", "]", "(", ")", "=", "\"", "${", "%{", "<<EOT\n", "<<-EOT\n", "\nEOT\n", "#", "//", "/*", "*/",
            "\\", "\n", "?", ":", "...", "for x in y :", "=>", "count.index", "each.key", "var.x", "null", "true",
            "resource \"aws_iam_role\" \"r\" {\n", "module \"m\" {\n  source = \"./m\"\n}\n", "dynamic \"s\" {\n",
            "jsonencode(", "file(\"x\")", "\ufeff", "\x00", "\u2028", "\U0001F600", "AKIAZ7V4QGLKX3WMP2RT"],
    "json": ["{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "null", "1e999", "-0", "\"Fn::If\"", "\"Ref\"",
             "\"${x}\"", "\"Statement\"", "\"Effect\"", "\"Action\"", "\ufeff", "\x00", "\"\\ud800\""],
    "yaml": ["{", "}", "[", "]", ":", "- ", "!Ref ", "!Sub ", "!If ", "!GetAtt ", "&a ", "*a ", "<<: ", "|\n", ">\n",
             "? ", "'", "\"", "\t", "\n  ", "%YAML 1.1\n", "---\n", "...\n", "!!python/object:os.system ", "\ufeff",
             "\x00", "AWS::NoValue", "Fn::Join"],
}
_TOKENS_OF = {"hcl": "hcl", "tf.json": "json", "plan": "json", "yaml": "yaml", "cfn.json": "json"}


@st.composite
def mutated(draw, kind: str) -> str:
    """A seed of ``kind`` with a few mutations."""
    text = draw(st.sampled_from(SEEDS[kind]))
    tokens = TOKENS[_TOKENS_OF[kind]]
    for _ in range(draw(st.integers(0, 6))):
        if not text:
            text = draw(st.sampled_from(tokens))
            continue
        at = draw(st.integers(0, len(text)))
        end = min(len(text), at + draw(st.integers(0, 40)))
        op = draw(st.sampled_from(["delete", "duplicate", "insert", "move", "truncate", "char", "nest", "repeat"]))
        if op == "delete":
            text = text[:at] + text[end:]
        elif op == "duplicate":
            text = text[:end] + text[at:end] + text[end:]
        elif op == "insert":
            text = text[:at] + draw(st.sampled_from(tokens)) + text[at:]
        elif op == "move":
            piece, rest = text[at:end], text[:at] + text[end:]
            where = draw(st.integers(0, len(rest)))
            text = rest[:where] + piece + rest[where:]
        elif op == "truncate":
            text = text[:at]
        elif op == "char":
            text = text[:at] + draw(st.characters(codec="utf-8")) + text[at + 1:]
        elif op == "nest":
            depth = draw(st.integers(1, 60))
            opener, closer = draw(st.sampled_from([("[", "]"), ("{", "}"), ("(", ")"), ("[{", "}]")]))
            text = text[:at] + opener * depth + text[at:end] + closer * draw(st.integers(0, depth)) + text[end:]
        else:
            text = text[:end] + text[at:end] * draw(st.integers(2, 20)) + text[end:]
    return text


IDENT = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)


def _expressions() -> st.SearchStrategy[str]:
    leaves = st.one_of(
        st.integers(-5, 10**6).map(str),
        st.sampled_from(["true", "false", "null", "var.x", "local.y", "count.index", "each.key", "each.value",
                         "aws_iam_role.r.arn", "aws_iam_role.r[0].name", "data.aws_iam_policy_document.d.json",
                         "module.m.out", "path.module", "\"*\"", "\"s3:Put*\"", "\"arn:aws:s3:::b/*\"",
                         "\"${var.x}-y\"", "\"%{ if true }a%{ endif }\""]),
        st.text(st.characters(codec="utf-8", exclude_characters="\"\\\n$%"), max_size=12).map(lambda t: f"\"{t}\""),
    )

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
            st.lists(st.tuples(IDENT, inner), max_size=4).map(lambda kv: "{" + ", ".join(f"{k} = {v}" for k, v in kv) + "}"),
            st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} ? {t[1]} : {t[2]}"),
            st.tuples(st.sampled_from(["jsonencode", "concat", "merge", "length", "lookup", "element", "try", "coalesce",
                                       "format", "join", "toset", "flatten", "file", "templatefile", "base64encode",
                                       "range", "cidrsubnet", "unknownfn"]),
                      st.lists(inner, max_size=3)).map(lambda f: f"{f[0]}({', '.join(f[1])})"),
            st.tuples(inner, inner).map(lambda t: f"[for k, v in {t[0]} : {t[1]}]"),
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "%", "==", "!=", "&&", "||", "<", ">="]), inner)
              .map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda e: f"{e}[*].id"),
            inner.map(lambda e: f"<<EOT\n${{{e}}}\nEOT\n"),
        )

    return st.recursive(leaves, extend, max_leaves=12)


EXPR = _expressions()
RESOURCE_TYPES = ["aws_instance", "aws_launch_template", "aws_iam_role", "aws_iam_instance_profile", "aws_iam_policy",
                  "aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_s3_bucket"]
NESTED = ["metadata_options", "statement", "inline_policy", 'dynamic "statement"']
ATTRIBUTES = ["count", "for_each", "name", "role", "policy", "assume_role_policy", "iam_instance_profile", "ami",
              "user_data", "managed_policy_arns", "policy_arn", "roles", "tags"]


@st.composite
def generated_hcl(draw) -> str:
    """A Terraform file from a small grammar: variables, locals, resources, data sources,
    modules, with generated expressions (valid or not for the evaluator)."""
    parts = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["resource", "variable", "locals", "data", "module", "output"]))
        attributes = "".join(f"  {draw(st.sampled_from(ATTRIBUTES))} = {draw(EXPR)}\n" for _ in range(draw(st.integers(0, 4))))
        nested = ""
        if draw(st.booleans()):
            block = draw(st.sampled_from(NESTED))
            nested = f"  {block} {{\n    {draw(IDENT)} = {draw(EXPR)}\n  }}\n"
        if kind == "resource":
            head = f'resource "{draw(st.sampled_from(RESOURCE_TYPES))}" "{draw(IDENT)}"'
        elif kind == "data":
            head = f'data "{draw(st.sampled_from(["aws_iam_policy_document", "aws_ami", "aws_iam_policy", "aws_caller_identity"]))}" "{draw(IDENT)}"'
        elif kind == "module":
            head = f'module "{draw(IDENT)}"'
            attributes += f'  source = "{draw(st.sampled_from(["./", "./m", "git::x", "."]))}"\n'
        elif kind == "locals":
            head = "locals"
        else:
            head = f'{kind} "{draw(IDENT)}"'
        parts.append(f"{head} {{\n{attributes}{nested}}}\n")
    return "\n".join(parts)


# -- checks -------------------------------------------------------------------------

@dataclass
class Failure(AssertionError):
    """What the property found: the target, the input and what went wrong."""

    target: str
    text: str
    problem: str

    def __str__(self) -> str:
        return f"{self.target}: {self.problem}\n--- input ({len(self.text)} chars) ---\n{self.text[:3000]!r}"


def _lines(text: str) -> int:
    return text.count("\n") + 1


def _located(target: str, text: str, exc: BaseException) -> None:
    """A syntax error must carry a line and column inside the text (one past its end at most)."""
    line, column = getattr(exc, "line", None), getattr(exc, "column", None)
    if not isinstance(line, int) or not isinstance(column, int):
        raise Failure(target, text, f"an error without a location escaped: {exc!r}")
    if not 1 <= line <= _lines(text) + 1 or column < 1:
        raise Failure(target, text, f"an error located outside the text (line {line}, column {column}): {exc!r}")


def _syntax_errors() -> tuple[type[BaseException], ...]:
    from iamlint.parsers.cloudformation.reader import TemplateSyntaxError
    from iamlint.parsers.terraform.hcl import HclSyntaxError

    return (HclSyntaxError, TemplateSyntaxError)


def check_parser(target: str, text: str) -> None:
    """Run one parser on ``text``: it returns, or raises its located syntax error."""
    parse = PARSERS[target]
    try:
        parse(text)
    except _syntax_errors() as exc:
        _located(target, text, exc)
    except Exception as exc:
        raise Failure(target, text, f"{type(exc).__name__} escaped: {exc!r}") from exc


def _lark_hcl(text: str) -> object:
    from iamlint.parsers.terraform.hcl import parse_hcl

    return parse_hcl(text, "main.tf")


def _treesitter_hcl(text: str) -> object:
    from iamlint.parsers.terraform.treesitter import parse_hcl

    return parse_hcl(text, "main.tf")


def _tf_json(text: str) -> object:
    from iamlint.parsers.terraform.json_syntax import parse_tf_json

    return parse_tf_json(text, "main.tf.json")


def _template(text: str) -> object:
    from iamlint.parsers.cloudformation.reader import parse

    return parse(text, "template")


def _plan(text: str) -> object:
    """The plan loader reports its problems as SourceErrors (checked like the pipeline's)."""
    from iamlint.normalize.terraform.plan import load_plan

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "plan.json")
        with open(path, "w", encoding="utf-8", errors="surrogatepass") as handle:
            handle.write(text)
        result = load_plan(path, path, None)
        _check_errors("plan", {"plan.json": text}, folder, result.errors)
    return result


PARSERS: dict[str, Callable[[str], object]] = {
    "hcl (lark)": _lark_hcl,
    "hcl (tree-sitter)": _treesitter_hcl,
    "tf.json": _tf_json,
    "cloudformation yaml": _template,
    "cloudformation json": _template,
    "plan json": _plan,
}
INPUTS: dict[str, st.SearchStrategy[str]] = {
    "hcl (lark)": st.one_of(mutated("hcl"), generated_hcl()),
    "hcl (tree-sitter)": st.one_of(mutated("hcl"), generated_hcl()),
    "tf.json": mutated("tf.json"),
    "cloudformation yaml": mutated("yaml"),
    "cloudformation json": mutated("cfn.json"),
    "plan json": mutated("plan"),
}

FILE_NAMES = {"hcl": "main.tf", "tf.json": "extra.tf.json", "plan": "plan.json", "yaml": "template.yaml",
              "cfn.json": "template.json"}


@st.composite
def repository(draw) -> dict[str, str]:
    """A small repository of generated files: a root module (with a child module), a
    plan, templates."""
    files: dict[str, str] = {}
    for kind in draw(st.lists(st.sampled_from(list(FILE_NAMES)), min_size=1, max_size=4, unique=True)):
        text = draw(st.one_of(mutated(kind), generated_hcl()) if kind == "hcl" else mutated(kind))
        files[FILE_NAMES[kind]] = text
    if draw(st.booleans()):
        files["m/main.tf"] = draw(st.one_of(mutated("hcl"), generated_hcl()))
    return files


def check_pipeline(files: dict[str, str], **options: object) -> None:
    """``iamlint.engine.run`` over a temporary folder holding ``files``."""
    from iamlint.engine import Options, run

    with tempfile.TemporaryDirectory() as folder:
        for name, text in files.items():
            target = Path(folder, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            report = run([folder], Options(cache=False, jobs=1, **options))  # type: ignore[arg-type]
        except Exception as exc:
            raise Failure("pipeline", _shown(files), f"{type(exc).__name__} escaped: {exc!r}") from exc
        _check_errors("pipeline", files, folder, report.errors)


def _shown(files: dict[str, str]) -> str:
    return "\n".join(f"=== {name}\n{text}" for name, text in files.items())


def _check_errors(target: str, files: dict[str, str], folder: str, errors: list) -> None:
    """Every error names a checked file (or its folder) and a line of it (0: the whole file)."""
    root = os.path.realpath(folder)
    for error in errors:
        path = os.path.realpath(error.path) if error.path else ""
        if not path.startswith(root):
            raise Failure(target, _shown(files), f"an error names no checked path: {error!r}")
        if "internal error" in error.message or " failed: " in error.message:
            raise Failure(target, _shown(files), f"an internal error: {error!r}")
        relative = os.path.relpath(path, root).replace(os.sep, "/")
        text = files.get(relative)
        limit = _lines(text) + 1 if text is not None else 10**9
        if not 0 <= error.line <= limit:
            raise Failure(target, _shown(files), f"an error located outside its file: {error!r}")
