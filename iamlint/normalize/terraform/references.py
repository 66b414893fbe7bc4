"""References and the steps after them.

``var.x``, ``local.x``, ``data.<type>.<name>``, ``module.<name>``, ``path.*``,
``terraform.workspace``, and ``<type>.<name>`` for a resource, followed by attribute and
index steps. A resource is a :class:`Ref` (its attributes are known only after apply)
whose address carries the module instance (``module.web.``) and, for count/for_each,
the instance the reference names. Resources, data sources and module calls select their
instance one way (:func:`_through_instances`, :meth:`Expansion.select`).
"""

from __future__ import annotations

import os
from typing import Any, Callable

from iamlint.model.span import Span
from iamlint.model.values import Encoded, Known, Ref, SourceText, Unknown, Value, respan
from iamlint.normalize.terraform.instances import Beyond, Expansion, Instance
from iamlint.normalize.terraform.scope import Scope
from iamlint.parsers.terraform import syntax as s

Steps = list  # [("attr", name) | ("index", expr)]
Member = Callable[[Instance, Steps], "tuple[Value, Steps]"]


def flatten(expr: s.Expr) -> tuple[s.Expr, Steps]:
    """``a.b[0].c`` -> (``a``, [attr b, index 0, attr c])."""
    steps: list = []
    while isinstance(expr, (s.GetAttr, s.Index)):
        if isinstance(expr, s.GetAttr):
            steps.append(("attr", expr.name))
        else:
            steps.append(("index", expr.key))
        expr = expr.source
    steps.reverse()
    return expr, steps


def key_text(key: Any) -> str:
    """The member name a key stands for (``true``, ``1`` for 1.0)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


def apply(ev: Scope, value: Value, steps: Steps, env: dict, span: Span) -> Value:
    """Take the attribute and index steps of a traversal; a scalar result is reported
    where it is used, an Unknown too."""
    for kind, step in steps:
        if isinstance(value, Ref) and not value.attribute and kind == "attr":
            value = Ref(f"{value.address}.{step} is known only after apply", span, value.address, step)
            continue
        if isinstance(value, Unknown):
            return respan(value, span, unknowns=True)
        key: Any = step
        if kind == "index":
            index = ev.eval(step, env)
            if not isinstance(index, Known):
                return Unknown(f"an index cannot be evaluated ({index.reason})", span)
            key = index.value
        value = get(value, key, span)
    if isinstance(value, Unknown):
        return respan(value, span, unknowns=True)
    if not isinstance(value, SourceText) and not isinstance(value.value, (list, dict, Encoded)):
        return Known(value.value, span)  # a scalar is reported where it is used
    return value


def get(value: Value, key: Any, span: Span) -> Value:
    """One member of a value: an object attribute or a list item."""
    if not isinstance(value, Known):
        return value
    inner = value.value
    if isinstance(inner, Encoded):
        return Unknown("attribute access on an encoded JSON string", span)
    if isinstance(inner, dict):
        found = inner.get(key_text(key))
        return found if found is not None else Unknown(f"no attribute or key {key!r}", span)
    if isinstance(inner, list) and isinstance(key, (int, float)) and not isinstance(key, bool):
        index = int(key)
        if 0 <= index < len(inner):
            return inner[index]
        return Unknown(f"index {index} is out of range", span)
    if isinstance(inner, list) and isinstance(key, str) and key.isdigit():
        return get(value, int(key), span)
    return Unknown(f"cannot take {key!r} of this value", span)


def reference(ev: Scope, root: str, steps: Steps, env: dict, span: Span, splat: bool = False) -> Value:
    """What ``root.steps`` refers to. ``splat``: the traversal is the source of ``[*]``,
    so a counted block stands for the list of its instances."""
    resolver = _ROOTS.get(root)
    if resolver is not None:
        return resolver(ev, steps, env, span, splat)
    return _resource(ev, root, steps, env, span, splat)


def _through_instances(ev: Scope, expansion: Expansion, what: str, rest: Steps, env: dict, span: Span,
                       splat: bool, member: Member, undecided: Value) -> Value:
    """The one way a reference to a block selects its instance: an index step names one
    (``member`` gives that instance's value and the steps it consumed); a counted block
    without an index is every instance; an index that cannot be evaluated is ``undecided``."""
    indexed = bool(rest) and rest[0][0] == "index"
    if expansion.counted and not indexed:
        objects = [member(item, [])[0] for item in expansion.items]
        return apply(ev, expansion.whole(objects, span, splat), rest, env, span)
    key: Value | None = None
    if indexed:
        key = _index_key(ev, rest[0][1], env) if expansion.counted else None
        rest = rest[1:]
    chosen = expansion.select(key, what, span)
    if chosen is None:
        return apply(ev, undecided, rest, env, span)
    if isinstance(chosen, Unknown):
        return chosen
    value, rest = member(chosen, rest)
    return apply(ev, value, rest, env, span)


def _index_key(ev: Scope, expr: s.Expr, env: dict) -> Value:
    """The key of an index step. ``[count.index]`` / ``[each.key]`` written in the
    ``[*]`` stand-in of another block's instances beyond the cap stays that block's
    :class:`Beyond` key, so it selects the ``[*]`` stand-in here when it covers them."""
    root, steps = flatten(expr)
    if isinstance(root, s.Variable) and len(steps) == 1 and steps[0][0] == "attr":
        holder = env.get(root.name)
        if isinstance(holder, Known) and isinstance(holder.value, dict):
            found = holder.value.get(steps[0][1])
            if isinstance(found, Beyond):
                return found
    return ev.eval(expr, env)


def _resource(ev: Scope, type_: str, steps: Steps, env: dict, span: Span, splat: bool) -> Value:
    if not steps or steps[0][0] != "attr":
        return Unknown(f"unknown reference {type_}", span)
    address = f"{type_}.{steps[0][1]}"
    block = ev.config.resources.get(address)
    if block is None:
        return Unknown(f"{address} is not defined in this module", span)
    full = ev.prefix + address

    expansion = ev.instances(block, address)
    why = f" ({expansion.unknown.reason})" if expansion.unknown is not None else ""

    def member(item: Instance, rest: Steps) -> tuple[Value, Steps]:
        # the stand-in of unknown keys, not named by an index, says why there is one node
        reason = f"{full}{item.suffix} is computed" + (why if not item.suffix else "")
        return Ref(reason, span, full + item.suffix, ""), rest

    undecided = Ref(f"which instance of {full} is meant cannot be evaluated", span, full, "")
    return _through_instances(ev, expansion, full, steps[1:], env, span, splat, member, undecided)


def _root_data(ev: Scope, steps: Steps, env: dict, span: Span, splat: bool) -> Value:
    if len(steps) < 2 or steps[0][0] != "attr" or steps[1][0] != "attr":
        return Unknown("incomplete data source reference", span)
    address = f"{steps[0][1]}.{steps[1][1]}"
    block = ev.config.data.get(address)
    if block is None:
        return Unknown(f"data.{address} is not defined in this module", span)

    def member(item: Instance, rest: Steps) -> tuple[Value, Steps]:
        if rest and rest[0][0] == "attr":
            return ev.data_attribute(block, address, item, rest[0][1], span), rest[1:]
        return ev.data_object(block, address, item, span), rest

    what = f"data.{address}"
    undecided = Unknown(f"which instance of {what} is meant cannot be evaluated", span)
    return _through_instances(ev, ev.instances(block, what), what, steps[2:], env, span, splat, member, undecided)


def _root_module(ev: Scope, steps: Steps, env: dict, span: Span, splat: bool) -> Value:
    """``module.<name>...``: an output of the (right instance of the) call."""
    if not steps or steps[0][0] != "attr":
        return Unknown("module needs a name", span)
    name = steps[0][1]
    call = ev.module_call(name)
    if call is None:
        return Unknown(f"module.{name} is not defined in this module", span)
    if call.reason is not None:
        return Unknown(call.reason, span)

    def member(item: Instance, rest: Steps) -> tuple[Value, Steps]:
        child = call.child(item)
        if rest and rest[0][0] == "attr":
            return child.output(rest[0][1], span), rest[1:]
        return child.outputs_object(span), rest

    what = f"module.{name}"
    undecided = Unknown(f"which instance of {what} is meant cannot be evaluated", span)
    return _through_instances(ev, call.expansion, what, steps[1:], env, span, splat, member, undecided)


def _named(kind: str, lookup: Callable[[Scope, str, Span], Value]) -> Callable[..., Value]:
    """``var.<name>`` / ``local.<name>`` followed by steps."""

    def resolve(ev: Scope, steps: Steps, env: dict, span: Span, splat: bool) -> Value:
        if not steps or steps[0][0] != "attr":
            return Unknown(f"{kind} needs a name", span)
        return apply(ev, lookup(ev, steps[0][1], span), steps[1:], env, span)

    return resolve


def _root_path(ev: Scope, steps: Steps, env: dict, span: Span, splat: bool) -> Value:
    if steps and steps[0][0] == "attr":
        which = steps[0][1]
        if which == "module":
            return Known(ev.config.directory, span)
        if which == "root":
            return Known(ev.root_directory, span)
        if which == "cwd":
            return Known(os.getcwd(), span)
    return Unknown("unknown path attribute", span)


def _root_terraform(ev: Scope, steps: Steps, env: dict, span: Span, splat: bool) -> Value:
    if steps and steps[0] == ("attr", "workspace"):
        return Known(os.environ.get("TF_WORKSPACE") or "default", span)
    return Unknown("unknown terraform attribute", span)


def _fixed(reason: str) -> Callable[..., Value]:
    """A root that has no value in this position (``each`` outside a for_each)."""
    return lambda ev, steps, env, span, splat: Unknown(reason, span)


_ROOTS: dict[str, Callable[[Scope, Steps, dict, Span, bool], Value]] = {
    "var": _named("var", Scope.variable),
    "local": _named("local", Scope.local),
    "data": _root_data,
    "path": _root_path,
    "terraform": _root_terraform,
    "module": _root_module,
    "each": _fixed("each.key/each.value outside a for_each"),
    "count": _fixed("count.index outside a counted block"),
    "self": _fixed("self refers to the resource being created"),
}
