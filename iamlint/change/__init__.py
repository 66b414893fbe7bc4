"""What a change adds: the findings and the access a git revision did not have.

* :mod:`~iamlint.change.git` -- a revision's tree read from git objects (``git ls-tree``
  and ``git cat-file``) into a private temporary folder; the working tree, the index and
  the repository are never written.
* :mod:`~iamlint.change.compare` -- ``iamlint check --base REV``: the findings of the
  working tree whose fingerprint (:mod:`iamlint.fingerprint`) REV's tree does not have,
  at the same or a higher severity.

``iamlint access --base REV`` (:mod:`iamlint.access.diff`) builds on the same export.
"""
