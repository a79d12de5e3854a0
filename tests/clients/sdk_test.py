#!/usr/bin/env python3
"""Drives a running Leitstand server with Microsoft's own Python SDKs.

Run it with the interpreter of the `.venv-sdk` virtual environment (`$LEITSTAND_SDK_PYTHON`,
set up by `./test.sh` from `tests/clients/requirements-sdk.txt`):

    LEITSTAND_URL=https://127.0.0.1:PORT            # no trailing slash
    LEITSTAND_TENANT=<tenant GUID>                   # also the name of the tenant root group
    LEITSTAND_CLIENT_ID=<service principal app id>
    LEITSTAND_CLIENT_SECRET=<its secret>
    LEITSTAND_SUBSCRIPTIONS=<sub GUID>,<sub GUID>    # two subscriptions under the root group
    LEITSTAND_OTHER_CLIENT_ID=<app id of a second service principal without any assignment>
    LEITSTAND_OTHER_CLIENT_SECRET=<its secret>
    LEITSTAND_OTHER_OBJECT_ID=<its object id>
    REQUESTS_CA_BUNDLE=<the server's certificate (PEM)>
    $LEITSTAND_SDK_PYTHON tests/clients/sdk_test.py

The first service principal must be Owner at `/`; the second one must hold no role assignment
(the script grants it roles at one of its groups and deletes them again).

Optional: LEITSTAND_RESOURCE_API_VERSION (api-version for the generic resource,
default 2023-05-01).

It prints one line per check and exits 1 at the first failed check (2 on a usage error).
Every name carries a random suffix, so the script can run again against the same server; at the
end it deletes what it created and moves subscription 1 back under the root group.

Client facts this script relies on (azure-mgmt-managementgroups 2.0.0, azure-mgmt-resource 26,
azure-mgmt-monitor 7, azure-mgmt-authorization 4.0.0, azure-identity 1.27):
- management groups use api-version 2023-04-01; `get(expand=..., recurse=True)` sends
  `$expand=children&$recurse=true`;
- the management-group PUT is a long-running operation: it accepts 200 or 202 only, and the
  DELETE accepts 202 or 204 only (a 200 on DELETE is an error for this SDK);
- resource groups use api-version 2025-04-01, activity logs 2015-04-01;
- AuthorizationManagementClient (multi-api, default profile) sends 2022-04-01 for role
  definitions, role assignments, permissions and deny assignments, 2015-07-01 for
  elevateAccess; `{scope}` is put into the path as is, so a scope starting with `/` gives a
  doubled slash (`//providers/Microsoft.Management/...`) and `$filter` is not percent-encoded by
  the SDK;
- a role-definition PUT must answer 201 (200 is an error for this SDK, even on update); a
  role-assignment PUT 200 or 201; both DELETEs 200 or 204;
- RoleAssignmentCreateParameters defaults principal_type to `User`: pass it.
"""

import datetime
import logging
import os
import sys
import time
import uuid

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.identity import ClientSecretCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.authorization.v2022_04_01 import models as authz_models
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
# Azure's built-in Reader role.
READER_ID = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
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


def expect_http_error(what, statuses, call, code=None):
    """Checks that call() raises an HttpResponseError with one of the given statuses (and,
    when given, the ARM error code `code`)."""
    expected_code = code
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
        if expected_code is not None and code != expected_code:
            raise CheckFailed(f"{what}: expected error code {expected_code}, got {code}: {error.message}")
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


def check_authorization(tenant, credential, other, other_object_id, client_options, sub1, sub2, groups, rg_name,
                        resource_name):
    """Role definitions, role assignments, permissions and AuthorizationFailed with
    azure-mgmt-authorization, as the admin (`credential`, Owner at `/`) and as the second
    service principal (`other`, no assignment at first). `groups` is the chain of management
    groups below the root, `groups[0]` the topmost; subscription `sub1` sits under `groups[1]`
    and holds the resource group `rg_name` with the storage account `resource_name`; `sub2`
    sits under the root group."""
    authz = AuthorizationManagementClient(credential, sub1, **client_options)
    other_authz = AuthorizationManagementClient(other, sub1, **client_options)
    other_mg = ManagementGroupsMgmtClient(other, **client_options)
    other_rm = ResourceManagementClient(other, sub1, **client_options)
    top = mg_id(groups[0])
    suffix = groups[0].rsplit("-", 1)[-1]
    reader_at_group = f"/providers/Microsoft.Authorization/roleDefinitions/{READER_ID}"

    # --- role definitions ------------------------------------------------------------------
    readers = list(authz.role_definitions.list(top, filter="roleName eq 'Reader'"))
    check(
        len(readers) == 1 and same(readers[0].name, READER_ID) and readers[0].role_type == "BuiltInRole"
        and same(readers[0].id, reader_at_group),
        f"role definitions at {groups[0]} with roleName eq 'Reader' give the built-in Reader",
        f"got {[(r.id, r.role_name, r.role_type) for r in readers]}",
    )
    role_id = str(uuid.uuid4())
    role_name = f"SDK group reader {suffix}"
    custom = authz.role_definitions.create_or_update(
        top,
        role_id,
        authz_models.RoleDefinition(
            role_name=role_name,
            description="reads management groups and resource groups",
            role_type="CustomRole",
            permissions=[authz_models.Permission(actions=[
                "Microsoft.Management/managementGroups/read",
                "Microsoft.Resources/subscriptions/resourceGroups/read",
            ])],
            assignable_scopes=[top],
        ),
    )
    check(
        same(custom.name, role_id) and custom.role_name == role_name and custom.role_type == "CustomRole"
        and [s.lower() for s in custom.assignable_scopes or []] == [top.lower()]
        and same(custom.id, f"/providers/Microsoft.Authorization/roleDefinitions/{role_id}"),
        f"create custom role {role_name!r} assignable at {groups[0]} (HTTP 201)",
        f"got {custom!r}",
    )
    again = authz.role_definitions.get(top, role_id)
    check(
        again.role_name == role_name and sorted(again.permissions[0].actions) == sorted(custom.permissions[0].actions),
        "get the custom role back",
        f"got {again!r}",
    )
    below = [r.name.lower() for r in authz.role_definitions.list(mg_id(groups[2]), filter="type eq 'CustomRole'")]
    check(role_id in below, f"the custom role is listed at {groups[2]}, below its assignable scope", f"got {below}")
    elsewhere = [r.name.lower() for r in authz.role_definitions.list(f"/subscriptions/{sub2}", filter="type eq 'CustomRole'")]
    check(role_id not in elsewhere, f"the custom role is not listed at subscription {sub2}, outside its assignable scope",
          f"got {elsewhere}")

    # --- the second principal has no access ------------------------------------------------
    expect_http_error(
        f"the second principal may not read {groups[0]}",
        [403],
        lambda: other_mg.management_groups.get(groups[0]),
        code="AuthorizationFailed",
    )
    refused = expect_http_error(
        f"the second principal may not create a role assignment at {groups[0]}",
        [403],
        lambda: other_authz.role_assignments.create(
            top,
            str(uuid.uuid4()),
            authz_models.RoleAssignmentCreateParameters(
                role_definition_id=reader_at_group, principal_id=other_object_id, principal_type="ServicePrincipal"
            ),
        ),
        code="AuthorizationFailed",
    )
    check(
        "Microsoft.Authorization/roleAssignments/write" in refused.message and other_object_id.lower() in refused.message.lower()
        and top.lower() in refused.message.lower(),
        "AuthorizationFailed names the caller's object id, the action and the scope",
        refused.message,
    )
    expect_http_error(
        f"the second principal may not read resource group {rg_name}",
        [403],
        lambda: other_rm.resource_groups.get(rg_name),
        code="AuthorizationFailed",
    )
    visible = [g.name.lower() for g in other_mg.management_groups.list()]
    check(not visible, "the second principal lists no management groups", f"got {visible}")
    expect_http_error(
        "the second principal, no global administrator, may not elevate access",
        [403],
        lambda: other_authz.global_administrator.elevate_access(),
        code="AuthorizationFailed",
    )

    # --- role assignments at the management group ------------------------------------------
    custom_name = str(uuid.uuid4())
    custom_assignment = authz.role_assignments.create(
        top,
        custom_name,
        authz_models.RoleAssignmentCreateParameters(
            role_definition_id=custom.id, principal_id=other_object_id, principal_type="ServicePrincipal",
            description="sdk_test.py",
        ),
    )
    check(
        same(custom_assignment.name, custom_name) and same(custom_assignment.scope, top)
        and same(custom_assignment.principal_id, other_object_id)
        and custom_assignment.principal_type == "ServicePrincipal"
        and same(last_segment(custom_assignment.role_definition_id), role_id)
        and same(custom_assignment.id, f"{top}/providers/Microsoft.Authorization/roleAssignments/{custom_name}"),
        f"assign the custom role to the second principal at {groups[0]}",
        f"got {custom_assignment!r}",
    )
    reader_name = str(uuid.uuid4())
    reader_assignment = authz.role_assignments.create(
        top,
        reader_name,
        authz_models.RoleAssignmentCreateParameters(
            role_definition_id=readers[0].id, principal_id=other_object_id, principal_type="ServicePrincipal"
        ),
    )
    check(
        same(reader_assignment.name, reader_name) and same(last_segment(reader_assignment.role_definition_id), READER_ID),
        f"assign Reader to the second principal at {groups[0]}",
        f"got {reader_assignment!r}",
    )
    duplicate = expect_http_error(
        "the same role, principal and scope under another name is refused",
        [409],
        lambda: authz.role_assignments.create(
            top,
            str(uuid.uuid4()),
            authz_models.RoleAssignmentCreateParameters(
                role_definition_id=f"/subscriptions/{sub1}/providers/Microsoft.Authorization/roleDefinitions/{READER_ID}",
                principal_id=other_object_id, principal_type="ServicePrincipal",
            ),
        ),
        code="RoleAssignmentExists",
    )
    check(reader_name.lower() in duplicate.message.lower(), "RoleAssignmentExists names the existing assignment",
          duplicate.message)
    same_again = authz.role_assignments.create(
        top,
        reader_name,
        authz_models.RoleAssignmentCreateParameters(
            role_definition_id=readers[0].id, principal_id=other_object_id, principal_type="ServicePrincipal"
        ),
    )
    check(same(same_again.name, reader_name), "PUT of the same assignment again is idempotent", f"got {same_again!r}")
    expect_http_error(
        "assigning the custom role outside its assignable scope is refused",
        [400],
        lambda: authz.role_assignments.create(
            f"/subscriptions/{sub2}",
            str(uuid.uuid4()),
            authz_models.RoleAssignmentCreateParameters(
                role_definition_id=custom.id, principal_id=other_object_id, principal_type="ServicePrincipal"
            ),
        ),
    )

    got = authz.role_assignments.get(top, custom_name)
    check(same(got.id, custom_assignment.id) and same(got.principal_id, other_object_id), "get the role assignment",
          f"got {got!r}")
    got = authz.role_assignments.get_by_id(reader_assignment.id)
    check(same(got.name, reader_name), "get the role assignment by id", f"got {got!r}")

    def listed(scope, odata_filter):
        return {a.name.lower(): a for a in authz.role_assignments.list_for_scope(scope, filter=odata_filter)}

    ours = {custom_name, reader_name}
    at_top = listed(top, "atScope()")
    check(
        ours <= set(at_top) and all(a.scope in ("/", top) or same(a.scope, top) for a in at_top.values()),
        f"list at {groups[0]} with atScope() shows both, and only assignments at or above it",
        f"got {[(a.scope, a.principal_id) for a in at_top.values()]}",
    )
    check(
        any(a.scope == "/" for a in at_top.values()),
        "atScope() includes the admin's Owner at `/`",
        f"scopes {sorted({a.scope for a in at_top.values()})}",
    )
    at_sub = listed(f"/subscriptions/{sub1}", "atScope()")
    check(ours <= set(at_sub), f"list at subscription {sub1} (under {groups[1]}) with atScope() inherits both",
          f"got {sorted(at_sub)}")
    at_sub2 = listed(f"/subscriptions/{sub2}", "atScope()")
    check(not (ours & set(at_sub2)), f"list at subscription {sub2} (not under {groups[0]}) shows neither",
          f"got {sorted(at_sub2)}")
    by_principal = listed(top, f"principalId eq '{other_object_id}'")
    check(set(by_principal) == ours, f"list at {groups[0]} with principalId eq shows exactly both",
          f"got {sorted(by_principal)}")
    from_root = listed(mg_id(tenant), f"principalId eq '{other_object_id}'")
    check(set(from_root) == ours, "list at the root group with principalId eq includes assignments below it",
          f"got {sorted(from_root)}")
    assigned_to = listed(top, f"assignedTo('{other_object_id}')")
    check(set(assigned_to) == ours, f"list at {groups[0]} with assignedTo() shows exactly both",
          f"got {sorted(assigned_to)}")
    unfiltered = listed(top, None)
    check(ours <= set(unfiltered), f"list at {groups[0]} without a filter shows both", f"got {sorted(unfiltered)}")
    denies = list(authz.deny_assignments.list_for_scope(top))
    check(not denies, f"no deny assignments at {groups[0]}", f"got {denies!r}")

    # --- the second principal, granted: no new token needed ----------------------------------
    group = other_mg.management_groups.get(groups[0])
    check(same(group.name, groups[0]), f"the second principal now reads {groups[0]} (same token, no re-login)")
    group = other_mg.management_groups.get(groups[3])
    check(same(group.name, groups[3]), f"the second principal reads {groups[3]}, below it (inherited)")
    expect_http_error(
        "the second principal still may not read the root group, above its assignment",
        [403],
        lambda: other_mg.management_groups.get(tenant),
        code="AuthorizationFailed",
    )
    rg = other_rm.resource_groups.get(rg_name)
    check(same(rg.name, rg_name), f"the second principal reads resource group {rg_name} through the hierarchy")
    expect_http_error(
        "the second principal, a Reader, may not create a resource group",
        [403],
        lambda: other_rm.resource_groups.create_or_update(f"{rg_name}-other", res_models.ResourceGroup(location=LOCATION)),
        code="AuthorizationFailed",
    )
    expect_http_error(
        "the second principal, a Reader, may not create a role assignment",
        [403],
        lambda: other_authz.role_assignments.create(
            top,
            str(uuid.uuid4()),
            authz_models.RoleAssignmentCreateParameters(
                role_definition_id=reader_at_group, principal_id=other_object_id, principal_type="ServicePrincipal"
            ),
        ),
        code="AuthorizationFailed",
    )
    own = [a.name.lower() for a in other_authz.role_assignments.list_for_scope(top, filter="atScope()")]
    check(ours <= set(own), f"the second principal lists the assignments at {groups[0]}", f"got {own}")

    # --- permissions -------------------------------------------------------------------------
    blocks = list(other_authz.permissions.list_for_resource_group(rg_name))
    actions = sorted({action for block in blocks for action in (block.actions or [])})
    check(
        "*/read" in actions and "Microsoft.Management/managementGroups/read" in actions
        and "Microsoft.Resources/subscriptions/resourceGroups/read" in actions,
        f"permissions of the second principal on {rg_name}: Reader's and the custom role's actions",
        f"actions {actions}",
    )
    blocks = list(other_authz.permissions.list_for_resource(
        rg_name, "Microsoft.Storage", "", "storageAccounts", resource_name
    ))
    check("*/read" in {a for block in blocks for a in (block.actions or [])},
          f"permissions of the second principal on the storage account {resource_name}",
          f"blocks {[b.actions for b in blocks]}")
    blocks = list(authz.permissions.list_for_resource_group(rg_name))
    check(any("*" in (block.actions or []) for block in blocks), f"permissions of the admin on {rg_name} include `*`",
          f"blocks {[b.actions for b in blocks]}")

    # --- deleting ---------------------------------------------------------------------------
    expect_http_error(
        "delete the custom role while it is assigned is refused",
        [400, 409],
        lambda: authz.role_definitions.delete(top, role_id),
        code="RoleDefinitionHasAssignments",
    )
    deleted = authz.role_assignments.delete(top, custom_name)
    check(deleted is not None and same(deleted.name, custom_name), "delete the custom-role assignment (HTTP 200)",
          f"got {deleted!r}")
    try:
        authz.role_assignments.get(top, custom_name)
    except ResourceNotFoundError:
        ok("the deleted assignment answers 404")
    else:
        raise CheckFailed("the deleted assignment still exists")
    check(authz.role_assignments.delete(top, custom_name) is None, "delete it again answers 204")
    deleted = authz.role_assignments.delete_by_id(reader_assignment.id)
    check(deleted is not None and same(deleted.name, reader_name), "delete the Reader assignment by id",
          f"got {deleted!r}")
    left = listed(top, f"principalId eq '{other_object_id}'")
    check(not left, "no assignment of the second principal is left", f"got {sorted(left)}")
    expect_http_error(
        f"the second principal may not read {groups[0]} again",
        [403],
        lambda: other_mg.management_groups.get(groups[0]),
        code="AuthorizationFailed",
    )
    deleted = authz.role_definitions.delete(top, role_id)
    check(deleted is not None and same(deleted.name, role_id), f"delete custom role {role_name!r}", f"got {deleted!r}")
    try:
        authz.role_definitions.get(top, role_id)
    except ResourceNotFoundError:
        ok("the deleted custom role answers 404")
    else:
        raise CheckFailed("the deleted custom role still exists")


def run():
    url = env("LEITSTAND_URL").rstrip("/")
    tenant = env("LEITSTAND_TENANT")
    client_id = env("LEITSTAND_CLIENT_ID")
    client_secret = env("LEITSTAND_CLIENT_SECRET")
    other_client_id = env("LEITSTAND_OTHER_CLIENT_ID")
    other_client_secret = env("LEITSTAND_OTHER_CLIENT_SECRET")
    other_object_id = env("LEITSTAND_OTHER_OBJECT_ID")
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

    # --- role-based access control ------------------------------------------------------------
    other = ClientSecretCredential(
        tenant, other_client_id, other_client_secret, authority=url, disable_instance_discovery=True
    )
    check_authorization(tenant, credential, other, other_object_id, client_options, sub1, subscriptions[1],
                        names, rg_name, resource_name)

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
