#!/usr/bin/env python3
"""Rebuild iamlint's risk catalogue ``iamlint/data/risks.json`` (maintainers only).

Input: the PyPI package ``cloudsplaining`` (Salesforce; it keeps Rhino Security Labs'
privilege-escalation methods and, since 0.9, the paths of DataDog's pathfinding.cloud,
with a link to each path's page), which must be installed where this script runs. It
is *not* a runtime dependency of iamlint. From ``cloudsplaining.shared.constants``:

* ``PRIVILEGE_ESCALATION_METHODS`` (method name -> the actions that together allow it)
  and ``PRIVILEGE_ESCALATION_PATHFINDING_PATHS`` (method name -> its pathfinding.cloud
  page, or None: then the reference is cloudsplaining's glossary page);
* ``READ_ONLY_DATA_EXFILTRATION_ACTIONS`` (data exfiltration);
* ``ACTIONS_THAT_RETURN_CREDENTIALS`` (credentials exposure).

Action names there are lower case; each is written in the canonical case of iamlint's
action catalogue (``iamlint/data/actions.bin``, rebuild it first with
``tools/update_managed_policies.py`` when updating both). Names the catalogue does not
know (typos upstream, retired actions) are kept under ``"unresolved"`` and never used.

pathfinding.cloud itself is published neither on PyPI nor on npm (looked up on both
registries); its paths enter through cloudsplaining's copy only, so paths added there
after cloudsplaining's release are missing until cloudsplaining picks them up.

``unscopable`` lists actions whose only catalogued resource types are never named by an
ordinary request (curated here, ``UNSCOPABLE``, with the reason), so ``"*"`` is no
finding for them.

The output also holds ``documented_policies``: the AWS managed policies that AWS documents
for a workload's role (EC2 instance roles above all; Lambda and ECS task execution
roles), each with the page that documents it, curated here (``DOCUMENTED_POLICIES``;
each must exist in the managed policy snapshot), and ``documented_writes``: the Write,
Permissions management and Tagging actions that the policies of agents running on the
workload (``AGENT_POLICIES``: SSM Agent, CloudWatch agent, ECS agent, VPC CNI, Lambda log
delivery) grant on every resource (``logs:PutLogEvents``,
``ssm:UpdateInstanceInformation``), derived from the snapshot.

Resource exposure and infrastructure modification are not lists: as in cloudsplaining,
they are the *Permissions management* actions, and the *Write* and *Tagging* actions,
that can be scoped to a resource type but are granted on every resource (the access
levels and resource types come from the action catalogue).

Usage::

    pip install -U cloudsplaining
    python tools/update_risks.py
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from importlib.metadata import metadata, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "iamlint" / "data"
RHINO_URL = "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/"

INSTANCE = "EC2 instance roles"
DOCUMENTED_POLICIES = {  # name -> (the roles AWS documents it for, the page that does)
    "AmazonSSMManagedInstanceCore":
        (INSTANCE, "https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-instance-permissions.html"),
    "AmazonSSMManagedEC2InstanceDefaultPolicy":
        (INSTANCE, "https://docs.aws.amazon.com/systems-manager/latest/userguide/fleet-manager-default-host-management-configuration.html"),
    "AmazonSSMPatchAssociation":
        (INSTANCE, "https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-instance-permissions.html"),
    "AmazonSSMDirectoryServiceAccess":
        (INSTANCE, "https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-instance-permissions.html"),
    "CloudWatchAgentServerPolicy":
        (INSTANCE, "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/create-iam-roles-for-cloudwatch-agent.html"),
    "AWSXrayWriteOnlyAccess":
        (INSTANCE, "https://docs.aws.amazon.com/xray/latest/devguide/xray-daemon-ec2.html"),
    "AmazonEC2ContainerServiceforEC2Role":
        (INSTANCE, "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/instance_IAM_role.html"),
    "AmazonEKSWorkerNodePolicy": (INSTANCE, "https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html"),
    "AmazonEKSWorkerNodeMinimalPolicy": (INSTANCE, "https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html"),
    "AmazonEKS_CNI_Policy": (INSTANCE, "https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html"),
    "AmazonEC2ContainerRegistryReadOnly": (INSTANCE, "https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html"),
    "AmazonEC2ContainerRegistryPullOnly": (INSTANCE, "https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html"),
    "AmazonEC2RoleforAWSCodeDeploy":
        (INSTANCE, "https://docs.aws.amazon.com/codedeploy/latest/userguide/getting-started-create-iam-instance-profile.html"),
    "AWSElasticBeanstalkWebTier": (INSTANCE, "https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/iam-instanceprofile.html"),
    "AWSElasticBeanstalkWorkerTier": (INSTANCE, "https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/iam-instanceprofile.html"),
    "AWSElasticBeanstalkMulticontainerDocker":
        (INSTANCE, "https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/iam-instanceprofile.html"),
    "AWSLambdaBasicExecutionRole":
        ("Lambda execution roles", "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html"),
    "AWSLambdaVPCAccessExecutionRole":
        ("Lambda execution roles", "https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html"),
    "AmazonECSTaskExecutionRolePolicy":
        ("ECS task execution roles", "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html"),
}


# Actions the catalogue gives a resource type that ordinary requests never name, so that
# "*" is the only way to grant them in practice (curated here; each with the reason).
UNSCOPABLE = {
    "cloudwatch:PutMetricData": "its only resource type, dataset (optional), applies to requests that name a "
                                "CloudWatch dataset; publishing metrics names none, so only \"*\" grants it",
}

# the documented policies of agents that run on the workload itself and report about it
# (SSM Agent, CloudWatch agent, X-Ray daemon, ECS agent, VPC CNI, Lambda's log delivery):
# their writes on "*" are AWS's guidance for that agent, written inline or attached
AGENT_POLICIES = (
    "AmazonSSMManagedInstanceCore",
    "AmazonSSMManagedEC2InstanceDefaultPolicy",
    "CloudWatchAgentServerPolicy",
    "AWSXrayWriteOnlyAccess",
    "AmazonEC2ContainerServiceforEC2Role",
    "AmazonEKS_CNI_Policy",
    "AWSLambdaBasicExecutionRole",
    "AWSLambdaVPCAccessExecutionRole",
    "AmazonECSTaskExecutionRolePolicy",
)


def canonical(actions: list[str], unresolved: list[str]) -> list[str]:
    """The catalogue's spelling of each action (order kept); unknown ones go to ``unresolved``."""
    from iamlint.knowledge.catalog import catalogue

    found = []
    for action in actions:
        info = catalogue().lookup(action)
        if info is None:
            unresolved.append(action)
        else:
            found.append(info.full_name)
    return found


def escalation_methods(constants, unresolved: list[str]) -> list[dict]:
    methods = []
    for name, actions in constants.PRIVILEGE_ESCALATION_METHODS.items():
        missing: list[str] = []
        names = canonical(actions, missing)
        unresolved.extend(missing)
        if missing:  # a method with an action the catalogue does not know can never be complete
            continue
        url = constants.PRIVILEGE_ESCALATION_PATHFINDING_PATHS.get(name)
        reference = url.rstrip("/").rsplit("/", 1)[-1] if url else name
        methods.append({
            "name": name,
            "id": reference,
            "url": url or getattr(constants, "PRIVILEGE_ESCALATION_GLOSSARY_URL", RHINO_URL),
            "actions": names,
        })
    return methods


def documented_policies() -> tuple[list[dict], dict[str, str]]:
    """The documented policies found in the snapshot, and the Write, Permissions management
    and Tagging actions the agents' policies (AGENT_POLICIES) grant on every resource
    without a condition (action -> the first policy granting it): written, the same grant
    is AWS's own guidance for that agent."""
    from iamlint.knowledge.catalog import catalogue
    from iamlint.knowledge.managed import snapshot

    known = snapshot()
    entries, writes = [], {}
    for name, (purpose, url) in DOCUMENTED_POLICIES.items():
        entry = known.get(name)
        if entry is None:
            print(f"warning: {name} is not in the managed policy snapshot; left out", file=sys.stderr)
            continue
        entries.append({"name": name, "path": entry["path"], "for": purpose, "url": url})
        if name not in AGENT_POLICIES:
            continue
        for statement in _statements(entry["document"]):
            if statement.get("Effect") != "Allow" or "Condition" in statement or "*" not in _list(statement.get("Resource")):
                continue
            for pattern in _list(statement.get("Action")):
                for info in catalogue().expand(pattern) or ():
                    if info.scopable and set(info.levels) & set("WPT"):
                        writes.setdefault(info.full_name, name)
    return entries, dict(sorted(writes.items()))


def _statements(document: dict) -> list[dict]:
    return [s for s in _list(document.get("Statement")) if isinstance(s, dict)]


def _list(value) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def build() -> tuple[dict, dict]:
    from cloudsplaining.shared import constants  # maintainer-time only

    unresolved: list[str] = []
    documented = documented_policies()
    data = {
        "privilege_escalation": escalation_methods(constants, unresolved),
        "data_exfiltration": canonical(constants.READ_ONLY_DATA_EXFILTRATION_ACTIONS, unresolved),
        "credentials_exposure": canonical(constants.ACTIONS_THAT_RETURN_CREDENTIALS, unresolved),
        "documented_policies": documented[0],
        "documented_writes": documented[1],
        "unscopable": {canonical([name], unresolved)[0]: why for name, why in UNSCOPABLE.items()},
        "unresolved": sorted(set(unresolved)),
    }
    info = metadata("cloudsplaining")
    meta = {
        "source": "cloudsplaining",
        "version": version("cloudsplaining"),
        "license": info.get("License-Expression") or info.get("License") or "unknown",
        "date": datetime.date.today().isoformat(),
        "methods": len(data["privilege_escalation"]),
        "pathfinding_paths": sum(1 for m in data["privilege_escalation"] if "pathfinding.cloud" in m["url"]),
        "pathfinding_cloud": "not published on PyPI or npm; paths taken from cloudsplaining's copy",
    }
    return {"meta": meta, **data}, meta


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    sys.path.insert(0, str(ROOT))
    document, meta = build()
    (DATA_DIR / "risks.json").write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    knowledge = DATA_DIR / "knowledge.json"
    current = json.loads(knowledge.read_text(encoding="utf-8")) if knowledge.exists() else {}
    current["risks"] = meta
    knowledge.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(meta, indent=2, sort_keys=True))
    if document["unresolved"]:
        print(f"not in the action catalogue (left out): {', '.join(document['unresolved'])}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
