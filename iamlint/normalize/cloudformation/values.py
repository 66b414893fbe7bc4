"""Values produced while evaluating intrinsics, beyond the model's Known/Unknown/Ref."""

from __future__ import annotations

from dataclasses import dataclass

from iamlint.model.values import Unknown


class NoValue:
    """``AWS::NoValue``: the property (or list item) is removed."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE = NoValue()


@dataclass(frozen=True, slots=True)
class DeployTime(Unknown):
    """A pseudo parameter known only at deploy time (AWS::AccountId, AWS::Region...).

    Inside a longer string (``arn:aws:iam::${AWS::AccountId}:root``) it is kept as the
    literal ``${AWS::AccountId}``: the rest of the string is still known."""

    name: str = ""

    @property
    def placeholder(self) -> str:
        return "${" + self.name + "}"
