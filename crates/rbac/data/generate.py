#!/usr/bin/env python3
"""Generates the data that `leitstand-rbac` embeds, from the Azure role archive in `../shared`.

Reads, at development time only:

- `<source>/azure-roles/*.json`: one built-in role definition per file, as `az role definition list` prints it.
- `<source>/azure-provider-operations/*.json`: one resource provider per file, as `az provider operation show` prints it.

Writes, next to this script:

- `builtin-roles.json`: a minified array of the 928 built-in roles, sorted by lowercased role name.
  Each role is `{"id", "roleName", "description", "assignableScopes", "permissions"}`; `id` is the bare lowercase GUID.
  Each permission block is `{"actions", "notActions", "dataActions", "notDataActions"}`, plus `condition` and `conditionVersion` where the block has a condition.
  Dropped: `name` (same GUID as `id`), `type`, `roleType` (always `BuiltInRole`), `createdOn`, `updatedOn`, `createdBy`, `updatedBy`, `systemData`.
- `provider-operations.json`: a minified array of `[name, displayName, isDataAction]` triples, one per distinct (case-insensitive name, isDataAction) pair, sorted by lowercased name and then isDataAction.
  `displayName` is null where the source has none. Dropped: the provider and resource-type grouping (the provider is the name's first segment), `description`, `origin`, `properties`.
- `LICENSE`: the archive's MIT licence, copied unchanged.

Usage (from anywhere): `python3 crates/rbac/data/generate.py [--source DIR] [--check]`.
`--source` defaults to `../shared/data/azure-roles` beside the repository root.
`--check` writes nothing and exits 1 if a generated file differs from what is committed.
The Rust crate never reads `../shared`; it embeds the generated files with `include_str!`.
"""

import argparse
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[2].parent / "shared" / "data" / "azure-roles"
ROLE_PREFIX = "/providers/Microsoft.Authorization/roleDefinitions/"


def minified(value):
    """Returns `value` as minified JSON text with a trailing newline."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False) + "\n"


def load_json(path):
    with path.open(encoding="utf-8") as file:
        return json.load(file)


def permission_block(block):
    """Returns the kept fields of one permission block."""
    kept = {
        "actions": block.get("actions") or [],
        "notActions": block.get("notActions") or [],
        "dataActions": block.get("dataActions") or [],
        "notDataActions": block.get("notDataActions") or [],
    }
    if block.get("condition") is not None:
        kept["condition"] = block["condition"]
        kept["conditionVersion"] = block.get("conditionVersion")
    return kept


def builtin_roles(source):
    roles = []
    for path in sorted((source / "azure-roles").glob("*.json")):
        role = load_json(path)
        role_id = role["id"]
        if not role_id.startswith(ROLE_PREFIX) or role_id[len(ROLE_PREFIX):] != role["name"]:
            sys.exit(f"{path}: id `{role_id}` does not end in name `{role['name']}`")
        if role.get("roleType") != "BuiltInRole":
            sys.exit(f"{path}: roleType is `{role.get('roleType')}`, expected `BuiltInRole`")
        roles.append(
            {
                "id": role["name"].lower(),
                "roleName": role["roleName"],
                "description": role.get("description") or "",
                "assignableScopes": role.get("assignableScopes") or [],
                "permissions": [permission_block(block) for block in role.get("permissions") or []],
            }
        )
    roles.sort(key=lambda role: (role["roleName"].lower(), role["id"]))
    return roles


def operations_of(provider):
    yield from provider.get("operations") or []
    for resource_type in provider.get("resourceTypes") or []:
        yield from resource_type.get("operations") or []


def provider_operations(source):
    seen = {}
    for path in sorted((source / "azure-provider-operations").glob("*.json")):
        for operation in operations_of(load_json(path)):
            is_data_action = bool(operation.get("isDataAction"))
            key = (operation["name"].lower(), is_data_action)
            # The first spelling wins; a name listed twice with the same flag is one operation.
            seen.setdefault(key, [operation["name"], operation.get("displayName"), is_data_action])
    return [seen[key] for key in sorted(seen)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=pathlib.Path, default=DEFAULT_SOURCE)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()

    outputs = {
        "builtin-roles.json": minified(builtin_roles(args.source)),
        "provider-operations.json": minified(provider_operations(args.source)),
        "LICENSE": (args.source / "LICENSE").read_text(encoding="utf-8"),
    }
    stale = []
    for name, text in outputs.items():
        target = HERE / name
        if args.check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target} ({len(text.encode('utf-8'))} bytes)")
    if stale:
        sys.exit(f"out of date: {', '.join(stale)}; run {pathlib.Path(__file__).name}")


if __name__ == "__main__":
    main()
