"""CloudFormation and SAM templates (YAML or JSON) -> value trees with spans.

:func:`parse` reads the text of one file; :func:`looks_like_template` is the cheap
text test run before it, :func:`is_template` the structural test run after it.
"""

from iamlint.parsers.cloudformation.detect import is_template, looks_like_template
from iamlint.parsers.cloudformation.reader import TemplateSyntaxError, is_json_text, parse

__all__ = ["TemplateSyntaxError", "is_json_text", "is_template", "looks_like_template", "parse"]
