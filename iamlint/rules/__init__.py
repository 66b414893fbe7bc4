"""Built-in rules: one module per rule, each registered in the ``iamlint.rules``
entry-point group exactly like a third-party plugin.

A rule module imports only from :mod:`iamlint.plugin`, defines ``RULE`` and a
``check(graph, ctx)`` generator, and its module docstring is its documentation
(sections: What it checks, Why it matters, Bad, Good, How to fix, References).
"""
