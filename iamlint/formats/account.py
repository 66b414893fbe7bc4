"""AWS account snapshots: the JSON the AWS CLI prints for
``aws iam get-account-authorization-details``, ``aws ec2 describe-instances`` and
``aws ec2 describe-launch-template-versions`` (see docs/account.md), told apart from
templates and plans by their shape: the first key of the top-level object (or of the
first page of a top-level array) is one of the snapshot lists.

The snapshot files of one folder form one unit, so an account's IAM dump, its
instances and the pages of a paginated dump are judged together (an instance's
profile is found in the IAM dump). The unit is named after the folder's first snapshot
file, so a folder holding Terraform files too keeps both units.
"""

from __future__ import annotations

import os
import re
from typing import Any, Sequence

from iamlint.formats.base import JSON, BaseFormat, FolderClaim, Shape, Syntax
from iamlint.formats.plan import json_name
from iamlint.model.units import Unit, UnitResult
from iamlint.sources import read_head

HEAD = 64 * 1024  # how much of a file detection reads
_SHAPE = re.compile(
    rb'\A(?:\xef\xbb\xbf)?\s*(?:\[\s*)?\{\s*"(?:UserDetailList|GroupDetailList|RoleDetailList|Policies|Reservations|'
    rb'LaunchTemplateVersions|Exports)"\s*:'
)


def is_snapshot_file(path: str) -> bool:
    """Whether a JSON file has the shape of an account snapshot (from its first bytes)."""
    data = read_head(path, HEAD)
    return data is not None and _SHAPE.match(data) is not None


class AccountFormat(BaseFormat):
    __slots__ = ()
    name = "aws-account"
    kind = "account"
    shape = Shape.DIRECTORY
    description = "AWS account snapshot (AWS CLI JSON: IAM authorization details, EC2 instances, launch templates)"
    before: tuple[str, ...] = ("terraform-plan", "cloudformation-json")

    def member(self, name: str) -> bool:
        """Never by name alone: a ``.json`` file is a snapshot only by its content, and
        editors and ``--base`` must keep seeing a JSON template as a file of its own."""
        return False

    def claim(self, folder: str, names: Sequence[str]) -> FolderClaim:
        files = [n for n in names if json_name(n) and is_snapshot_file(os.path.join(folder, n))]
        if not files:
            return FolderClaim()
        return FolderClaim((self.unit(folder, files),), frozenset(files))

    def claim_file(self, path: str) -> Unit | None:
        if not json_name(os.path.basename(path)) or not is_snapshot_file(path):
            return None
        folder = os.path.dirname(path)
        names = sorted(n for n in os.listdir(folder or ".") if json_name(n)
                       and os.path.isfile(os.path.join(folder, n)) and is_snapshot_file(os.path.join(folder, n)))
        unit = self.unit(folder, names or [os.path.basename(path)])
        unit.only = {os.path.normpath(path)}
        return unit

    def claim_buffer(self, path: str) -> Unit | None:
        return self.claim_file(path)

    def unit(self, folder: str, names: Sequence[str]) -> Unit:
        files = [(os.path.join(folder, n), os.path.join(folder, n)) for n in names]
        return Unit(self.kind, files[0][0], files, format=self)

    def syntax(self, path: str) -> Syntax | None:
        return JSON if path.lower().endswith(".json") else None

    def load(self, unit: Unit, options: Any) -> UnitResult | None:
        # start-up: the snapshot normaliser is imported only when a snapshot is loaded
        from iamlint.normalize.account import load_snapshot

        return load_snapshot(unit.files, getattr(options, "partition", "aws"))


FORMAT = AccountFormat()
