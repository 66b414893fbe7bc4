"""iamlint: prove that EC2 instances run with least-privilege IAM roles."""

from iamlint.precompiled import install as _install_precompiled_methods

__version__ = "0.1.0"

# start-up: iamlint's dataclass methods come precompiled (iamlint/precompiled/__init__.py)
_install_precompiled_methods()
