"""``iamlint access``: the picture of each EC2 compute resource's access.

For every instance, launch template, launch configuration and spot request (and the
auto scaling groups and services launching from them): the chain compute -> instance
profile -> role -> policies with file:line of each link, the role's effective
permissions summarised by service and access level, and the risks found (privilege-
escalation methods, categories). :mod:`~iamlint.access.model` builds it from the graph
and the effective-permissions model; one module per output format renders it
(``text``, ``json`` -- documented in docs/access.md with a JSON Schema --, ``markdown``
with a Mermaid graph, ``dot`` for Graphviz); :mod:`~iamlint.access.command` runs it.
"""
