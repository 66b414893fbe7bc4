"""Read one template text, JSON or YAML (decided by its first character), with spans."""

from __future__ import annotations

from iamlint.model.values import Known
from iamlint.parsers.cloudformation.yamlspans import YamlError, load as load_yaml
from iamlint.parsers.jsonpos import JsonError, parse_document


class TemplateSyntaxError(ValueError):
    """The text is not valid YAML/JSON, or not acceptable to CloudFormation (duplicate
    keys, alias bombs); ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{message} at line {line}, column {column}")
        self.message = message
        self.line = line
        self.column = column


def is_json_text(text: str) -> bool:
    """JSON templates start with '{' (after a BOM and whitespace); YAML ones do not."""
    return text.lstrip("\ufeff \t\r\n").startswith("{")


def parse(text: str, file: str) -> Known:
    """Parse a template text found in ``file``; raises :class:`TemplateSyntaxError`."""
    if is_json_text(text):
        return _parse_json(text, file)
    try:
        return load_yaml(text, file)
    except YamlError as exc:
        raise TemplateSyntaxError(exc.message, exc.line, exc.column) from None


def _parse_json(text: str, file: str) -> Known:
    try:
        tree, duplicates = parse_document(text, file)
    except JsonError as exc:
        try:  # YAML flow style ({Resources: ...}) also starts with '{'
            return load_yaml(text, file)
        except YamlError:
            raise TemplateSyntaxError(f"invalid JSON: {exc.message}", exc.line, exc.column) from None
    if duplicates:
        name, span = duplicates[0]
        raise TemplateSyntaxError(f"duplicate key {name!r}", span.line, span.column)
    return tree
