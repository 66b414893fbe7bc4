"""The hash functions iamlint uses, without importing :mod:`hashlib` on the paths that
do not need it (start-up time, issue 17): importing hashlib loads OpenSSL's bindings
(``_hashlib``, ~4 ms and ~11 million instructions: a tenth of a one-file run's own work),
while BLAKE2 and SHA-256 are also CPython's own modules -- ``hashlib.blake2b`` *is*
``_blake2.blake2b``, and SHA-256 gives the same digest whoever computes it. On a Python
built without them, hashlib's are used.
"""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - a Python built without its own BLAKE2
    from hashlib import blake2b

try:
    from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]  # Python <= 3.11 (3.12: _sha2)
except ImportError:
    try:
        from _sha2 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
    except ImportError:  # pragma: no cover - a Python built without its own SHA-2
        from hashlib import sha256  # type: ignore[no-redef,unused-ignore]

__all__ = ["blake2b", "sha256"]
