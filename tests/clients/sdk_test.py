#!/usr/bin/env python3
"""Drives a running Leitstand server with Microsoft's own Python SDKs.

Run it with the interpreter of the `.venv-sdk` virtual environment (`$LEITSTAND_SDK_PYTHON`,
set up by `./test.sh` from `tests/clients/requirements-sdk.txt`):

    LEITSTAND_URL=https://127.0.0.1:PORT            # no trailing slash
    LEITSTAND_TENANT=<tenant GUID>                   # also the name of the tenant root group
    LEITSTAND_CLIENT_ID=<service principal app id>
    LEITSTAND_CLIENT_SECRET=<its secret>
    LEITSTAND_SUBSCRIPTIONS=<sub GUID>,<sub GUID>    # two subscriptions under the root group
    REQUESTS_CA_BUNDLE=<the server's certificate (PEM)>
    $LEITSTAND_SDK_PYTHON tests/clients/sdk_test.py

Optional: LEITSTAND_RESOURCE_API_VERSION (api-version for the generic resource,
default 2023-05-01).

It prints one line per check and exits 1 at the first failed check (2 on a usage error).
Every name carries a random suffix, so the script can run again against the same server; at the
end it deletes what it created and moves subscription 1 back under the root group.

Client facts this script relies on (azure-mgmt-managementgroups 2.0.0, azure-mgmt-resource 26,
azure-mgmt-monitor 7, azure-identity 1.27):
- management groups use api-version 2023-04-01; `get(expand=..., recurse=True)` sends
  `$expand=children&$recurse=true`;
- the management-group PUT is a long-running operation: it accepts 200 or 202 only, and the
  DELETE accepts 202 or 204 only (a 200 on DELETE is an error for this SDK);
- resource groups use api-version 2025-04-01, activity logs 2015-04-01.
"""

import datetime
import logging
import os
import sys
import time
import uuid

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.identity import ClientSecretCredential
from azure.mgmt.managementgroups import ManagementGroupsMgmtClient
from azure.mgmt.managementgroups import models as mg_models
from azure.mgmt.monitor import MonitorManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.resources import models as res_models

MG_TYPE = "Microsoft.Management/managementGroups"
SUBSCRIPTION_CHILD_TYPE = "/subscriptions"
LOCATION = "westeurope"
# Azure allows six levels of management groups below the tenant root group.
MAX_DEPTH = 6
# Polling interval for long-running operations. The SDK default is 30 s when the server sends
# no Retry-After header; a server that answers 200 at once never polls.
POLLING_INTERVAL = 1


class CheckFailed(Exception):
    pass


def ok(what):
    print(f"ok    {what}", flush=True)


def check(condition, what, detail=""):
    if not condition:
        raise CheckFailed(f"{what}: {detail}" if detail else what)
    ok(what)


def same(a, b):
    """Compares ARM names and ids, which are case-insensitive."""
    return a is not None and b is not None and a.lower() == b.lower()


def last_segment(resource_id):
    return (resource_id or "").rstrip("/").rsplit("/", 1)[-1]


def mg_id(name):
    return f"/providers/Microsoft.Management/managementGroups/{name}"


def expect_http_error(what, statuses, call):
    """Checks that call() raises an HttpResponseError with one of the given statuses."""
    try:
        call()
    except HttpResponseError as error:
        code = getattr(getattr(error, "error", None), "code", None)
        if error.status_code not in statuses:
            raise CheckFailed(
                f"{what}: expected HTTP {' or '.join(map(str, statuses))}, "
                f"got {error.status_code} ({code}): {error.message}"
            ) from error
        if not code:
            raise CheckFailed(f"{what}: HTTP {error.status_code} without an ARM error code")
        ok(f"{what} (HTTP {error.status_code} {code})")
        return error
    raise CheckFailed(f"{what}: the request succeeded, expected HTTP {' or '.join(map(str, statuses))}")


def env(name):
    value = os.environ.get(name, "").strip()
    if not value:
        print(f"sdk_test.py: environment variable {name} is not set", file=sys.stderr)
        sys.exit(2)
    return value


def child_names(group, child_type):
    return [child.name for child in (group.properties.children or []) if same(child.type, child_type)]


def run():
    url = env("LEITSTAND_URL").rstrip("/")
    tenant = env("LEITSTAND_TENANT")
    client_id = env("LEITSTAND_CLIENT_ID")
    client_secret = env("LEITSTAND_CLIENT_SECRET")
    subscriptions = [s.strip() for s in env("LEITSTAND_SUBSCRIPTIONS").split(",") if s.strip()]
    if len(subscriptions) < 2:
        print("sdk_test.py: LEITSTAND_SUBSCRIPTIONS needs two subscription ids", file=sys.stderr)
        sys.exit(2)
    env("REQUESTS_CA_BUNDLE")
    resource_api_version = os.environ.get("LEITSTAND_RESOURCE_API_VERSION", "2023-05-01")
    sub1 = subscriptions[0]
    suffix = uuid.uuid4().hex[:8]
    started_at = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
    print(f"sdk_test.py against {url}, tenant {tenant}, suffix {suffix}", flush=True)

    credential = ClientSecretCredential(
        tenant, client_id, client_secret, authority=url, disable_instance_discovery=True
    )
    scope = url + "/.default"
    token = credential.get_token(scope)
    check(bool(token.token) and token.expires_on > time.time(), "token issued for client credentials")

    wrong = ClientSecretCredential(
        tenant, client_id, client_secret + "-wrong", authority=url, disable_instance_discovery=True
    )
    # azure.identity logs the expected failure as a warning; keep the output to one line.
    logging.getLogger("azure.identity").setLevel(logging.ERROR)
    try:
        wrong.get_token(scope)
    except ClientAuthenticationError:
        ok("token refused for a wrong secret")
    else:
        raise CheckFailed("token refused for a wrong secret: a token was issued")

    client_options = dict(base_url=url, credential_scopes=[scope], polling_interval=POLLING_INTERVAL)
    mg = ManagementGroupsMgmtClient(credential, **client_options)
    rm = ResourceManagementClient(credential, sub1, **client_options)
    monitor = MonitorManagementClient(credential, sub1, **client_options)

    # --- the tenant root group ------------------------------------------------------------
    root = mg.management_groups.get(tenant)
    check(same(root.name, tenant), "tenant root group exists", f"name {root.name!r}")
    check(same(root.type, MG_TYPE), "root group type", f"type {root.type!r}")

    # --- a hierarchy six levels deep ---------------------------------------------------------
    names = [f"sdk-{letter}-{suffix}" for letter in "abcdef"]
    assert len(names) == MAX_DEPTH
    parent = tenant
    for depth, name in enumerate(names, start=1):
        request = mg_models.CreateManagementGroupRequest(
            name=name,
            properties=mg_models.CreateManagementGroupProperties(
                display_name=f"SDK {name}",
                details=mg_models.CreateManagementGroupDetails(
                    parent=mg_models.CreateParentGroupInfo(id=mg_id(parent))
                ),
            ),
        )
        group = mg.management_groups.begin_create_or_update(name, request).result()
        check(
            group is not None
            and same(group.name, name)
            and same(group.id, mg_id(name))
            and group.properties.display_name == f"SDK {name}"
            and same(last_segment(group.properties.details.parent.id), parent),
            f"create {name} (depth {depth}) under {parent}",
            f"got {group!r}",
        )
        parent = name

    too_deep = f"sdk-g-{suffix}"
    expect_http_error(
        f"create {too_deep} at depth {MAX_DEPTH + 1} is refused",
        [400],
        lambda: mg.management_groups.begin_create_or_update(
            too_deep,
            {"properties": {"displayName": too_deep, "details": {"parent": {"id": mg_id(names[-1])}}}},
        ).result(),
    )
    try:
        mg.management_groups.get(too_deep)
    except ResourceNotFoundError:
        ok(f"{too_deep} does not exist after the refused create")
    else:
        raise CheckFailed(f"{too_deep} exists although its create was refused")

    listed = {group.name.lower() for group in mg.management_groups.list()}
    check(
        all(name.lower() in listed for name in names) and tenant.lower() in listed,
        "list management groups shows the root and the new groups",
        f"missing {[n for n in names if n.lower() not in listed]}",
    )

    # --- read the tree back ------------------------------------------------------------------
    top = mg.management_groups.get(names[0], expand="children", recurse=True)
    children = top.properties.children or []
    for depth, name in enumerate(names[1:], start=2):
        check(
            len(children) == 1 and same(children[0].name, name) and same(children[0].type, MG_TYPE),
            f"$expand=children&$recurse=true: level {depth} is {name}",
            f"children {[(c.name, c.type) for c in children]}",
        )
        check(same(children[0].id, mg_id(name)), f"child id of {name}", f"id {children[0].id!r}")
        children = children[0].children or []
    check(not children, f"{names[-1]} has no children", f"children {children!r}")

    shallow = mg.management_groups.get(names[0], expand="children")
    first_level = shallow.properties.children or []
    check(
        len(first_level) == 1 and same(first_level[0].name, names[1]),
        "$expand=children without $recurse lists the first level",
        f"children {[c.name for c in first_level]}",
    )
    check(
        not first_level[0].children,
        "$expand=children without $recurse does not list grandchildren",
        f"grandchildren {first_level[0].children!r}",
    )

    deepest = mg.management_groups.get(names[-1], expand="path")
    path = [element.name.lower() for element in (deepest.properties.details.path or [])]
    expected_path = [tenant.lower()] + [n.lower() for n in names[:-1]]
    # The spec says "the path from the root to the current group": accept it with or without
    # the group itself at the end.
    check(
        path in (expected_path, expected_path + [names[-1].lower()]),
        f"$expand=path of {names[-1]} runs from the root",
        f"path {path}",
    )

    deepest = mg.management_groups.get(names[-1], expand="ancestors")
    chain = [element.name.lower() for element in (deepest.properties.details.management_group_ancestors_chain or [])]
    check(
        chain == list(reversed(expected_path)),
        f"$expand=ancestors of {names[-1]} runs from the parent to the root",
        f"managementGroupAncestorsChain {chain}",
    )

    # --- update ------------------------------------------------------------------------------
    new_display_name = f"Renamed {names[1]}"
    updated = mg.management_groups.update(
        names[1], mg_models.PatchManagementGroupRequest(display_name=new_display_name)
    )
    check(updated.properties.display_name == new_display_name, f"update display name of {names[1]}",
          f"display name {updated.properties.display_name!r}")
    again = mg.management_groups.get(names[1])
    check(again.properties.display_name == new_display_name, "updated display name is persisted",
          f"display name {again.properties.display_name!r}")
    check(
        same(last_segment(again.properties.details.parent.id), names[0]),
        "update of the display name keeps the parent",
        f"parent {again.properties.details.parent.id!r}",
    )

    # --- move a subscription -----------------------------------------------------------------
    moved = mg.management_group_subscriptions.create(names[1], sub1)
    check(
        same(last_segment(moved.id), sub1) and same(last_segment(moved.properties.parent.id), names[1]),
        f"move subscription {sub1} under {names[1]}",
        f"got {moved!r}",
    )
    group = mg.management_groups.get(names[1], expand="children")
    check(
        any(same(n, sub1) for n in child_names(group, SUBSCRIPTION_CHILD_TYPE)),
        f"{names[1]} lists subscription {sub1} among its children",
        f"children {[(c.name, c.type) for c in group.properties.children or []]}",
    )
    shown = mg.management_group_subscriptions.get_subscription(names[1], sub1)
    check(same(last_segment(shown.properties.parent.id), names[1]), "get the subscription under the group",
          f"parent {shown.properties.parent.id!r}")
    under = [last_segment(s.id) for s in mg.management_group_subscriptions.get_subscriptions_under_management_group(names[1])]
    check(any(same(s, sub1) for s in under), f"subscriptions under {names[1]} include {sub1}", f"got {under}")
    root = mg.management_groups.get(tenant, expand="children")
    check(
        not any(same(n, sub1) for n in child_names(root, SUBSCRIPTION_CHILD_TYPE)),
        f"the root group no longer lists {sub1} directly",
    )

    # --- resource group and generic resource -------------------------------------------------
    rg_name = f"sdk-rg-{suffix}"
    rg = rm.resource_groups.create_or_update(
        rg_name, res_models.ResourceGroup(location=LOCATION, tags={"suite": "sdk"})
    )
    check(same(rg.name, rg_name) and same(rg.id, f"/subscriptions/{sub1}/resourceGroups/{rg_name}"),
          f"create resource group {rg_name}", f"got {rg!r}")
    rg = rm.resource_groups.get(rg_name)
    check(same(rg.location, LOCATION) and (rg.tags or {}).get("suite") == "sdk", "get resource group",
          f"location {rg.location!r}, tags {rg.tags!r}")
    check(rm.resource_groups.check_existence(rg_name), "resource group exists (HEAD)")
    listed = [g.name.lower() for g in rm.resource_groups.list()]
    check(rg_name.lower() in listed, "list resource groups includes it", f"got {listed}")

    resource_name = f"sdkst{suffix}"
    resource_id = (
        f"/subscriptions/{sub1}/resourceGroups/{rg_name}/providers/Microsoft.Storage/storageAccounts/{resource_name}"
    )
    resource = rm.resources.begin_create_or_update_by_id(
        resource_id,
        res_models.GenericResource(
            location=LOCATION,
            kind="StorageV2",
            sku=res_models.Sku(name="Standard_LRS"),
            tags={"suite": "sdk"},
            properties={"minimumTlsVersion": "TLS1_2"},
        ),
        api_version=resource_api_version,
    ).result()
    check(resource is not None and same(resource.id, resource_id), f"create generic resource {resource_name}",
          f"got {resource!r}")
    resource = rm.resources.get_by_id(resource_id, api_version=resource_api_version)
    check(
        same(resource.type, "Microsoft.Storage/storageAccounts")
        and same(resource.name, resource_name)
        and (resource.properties or {}).get("minimumTlsVersion") == "TLS1_2",
        "get generic resource by id",
        f"got {resource!r}",
    )
    in_group = [r.id.lower() for r in rm.resources.list_by_resource_group(rg_name)]
    check(resource_id.lower() in in_group, "list resources of the resource group includes it", f"got {in_group}")

    # --- Azure's errors ----------------------------------------------------------------------
    expect_http_error(
        f"delete {names[0]}, which has a child group, is refused",
        [400],
        lambda: mg.management_groups.begin_delete(names[0]).result(),
    )
    expect_http_error(
        "delete the tenant root group is refused",
        [400, 403],
        lambda: mg.management_groups.begin_delete(tenant).result(),
    )
    try:
        mg.management_groups.get(f"sdk-missing-{suffix}")
    except ResourceNotFoundError:
        ok("get of a missing group answers 404")
    else:
        raise CheckFailed("get of a missing group succeeded")

    # --- activity log ------------------------------------------------------------------------
    ended_at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=1)
    odata_filter = (
        f"eventTimestamp ge '{started_at.strftime('%Y-%m-%dT%H:%M:%SZ')}' and "
        f"eventTimestamp le '{ended_at.strftime('%Y-%m-%dT%H:%M:%SZ')}' and "
        f"resourceGroupName eq '{rg_name}'"
    )
    operations = []
    for _ in range(10):
        operations = [
            (event.operation_name.value if event.operation_name else "")
            for event in monitor.activity_logs.list(filter=odata_filter)
        ]
        if any(same(op, "Microsoft.Resources/subscriptions/resourceGroups/write") for op in operations):
            break
        time.sleep(1)
    check(
        any(same(op, "Microsoft.Resources/subscriptions/resourceGroups/write") for op in operations),
        f"activity log of {rg_name} has its resourceGroups/write event",
        f"operations {operations}",
    )

    # --- clean up ----------------------------------------------------------------------------
    rm.resources.begin_delete_by_id(resource_id, api_version=resource_api_version).result()
    check(not rm.resources.check_existence_by_id(resource_id, api_version=resource_api_version),
          f"delete generic resource {resource_name}")
    rm.resource_groups.begin_delete(rg_name).result()
    check(not rm.resource_groups.check_existence(rg_name), f"delete resource group {rg_name}")

    back = mg.management_group_subscriptions.create(tenant, sub1)
    check(same(last_segment(back.properties.parent.id), tenant), f"move subscription {sub1} back to the root")
    for name in reversed(names):
        mg.management_groups.begin_delete(name).result()
        try:
            mg.management_groups.get(name)
        except ResourceNotFoundError:
            ok(f"delete {name}")
        else:
            raise CheckFailed(f"delete {name}: the group still exists")


def main():
    try:
        run()
    except CheckFailed as failure:
        print(f"FAIL  {failure}", file=sys.stderr, flush=True)
        sys.exit(1)
    except HttpResponseError as error:
        request = getattr(error.response, "request", None)
        where = f" on {request.method} {request.url}" if request is not None else ""
        print(f"FAIL  unexpected HTTP {error.status_code}{where}: {error.message}", file=sys.stderr, flush=True)
        sys.exit(1)
    print("sdk_test.py: all checks passed", flush=True)


if __name__ == "__main__":
    main()
