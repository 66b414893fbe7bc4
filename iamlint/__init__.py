"""iamlint: prove that EC2 instances run with least-privilege IAM roles."""

from iamlint.precompiled import import_pathlib as _import_pathlib
from iamlint.precompiled import install as _install_precompiled_methods
from iamlint.precompiled import install_patterns as _install_precompiled_patterns

__version__ = "0.1.0"

# start-up: the constant regular expressions and iamlint's dataclass methods come
# precompiled (iamlint/precompiled/__init__.py); patterns first: dataclasses compiles one
_install_precompiled_patterns()
_install_precompiled_methods()
_import_pathlib()  # without urllib.parse until Path.as_uri is called
