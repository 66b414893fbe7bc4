"""iamlint: prove that EC2 instances run with least-privilege IAM roles."""

from iamlint.precompiled import defer_named_tuple_annotations as _defer_named_tuple_annotations
from iamlint.precompiled import import_pathlib as _import_pathlib
from iamlint.precompiled import install as _install_precompiled_methods
from iamlint.precompiled import install_patterns as _install_precompiled_patterns

__version__ = "0.1.0"

# start-up (iamlint/precompiled/__init__.py): the constant regular expressions and
# iamlint's records come precompiled (patterns first: dataclasses compiles one); pathlib
# and NamedTuple annotations wait for their first use
_install_precompiled_patterns()
_install_precompiled_methods()
_import_pathlib()  # without urllib.parse until Path.as_uri is called
_defer_named_tuple_annotations()  # records' field annotations kept as text until evaluated
