//! Authorization of every call, as a user of an MSP's Leitstand meets it: delegated role
//! assignment with conditions, deny assignments, the move rules, hierarchy protection, the
//! batch check and the what-if, and the move preview's effective permissions.

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{assert_arm_error, mg, Backend, Server, OWNER, READER};
use crate::on_both_backends;

const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const BACKUP_OPERATOR: &str = "00c29273-979b-4161-815c-10b084fb9324";
const RBAC_ADMINISTRATOR: &str = "f58310d9-a9f6-439a-9e8d-f62e7b41a168";
const MG_CONTRIBUTOR: &str = "5d58bcaf-24a5-4b20-bdb6-eed9f69fbe4c";
const BLOB_DATA_READER: &str = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";
const API: &str = "api-version=2022-04-01";

/// A principal of the server's tenant and a token for it.
struct Who {
    id: String,
    token: String,
}

fn principal(server: &Server, kind: &str, name: &str) -> String {
    server.cli(&[
        "principal",
        "create",
        "--tenant",
        &server.tenant,
        "--type",
        kind,
        "--name",
        name,
    ])["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn user(server: &Server, name: &str) -> Who {
    let id = principal(server, "User", name);
    let token = server.cli(&[
        "token",
        "issue",
        "--tenant",
        &server.tenant,
        "--principal",
        &id,
        "--ttl",
        "1h",
    ])["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    Who { id, token }
}

fn group_scope(id: &str) -> String {
    format!("/providers/Microsoft.Management/managementGroups/{id}")
}

fn assignment_path(scope: &str) -> String {
    format!(
        "{scope}/providers/Microsoft.Authorization/roleAssignments/{}?{API}",
        uuid::Uuid::new_v4()
    )
}

fn assignment_body(role: &str, principal: &str, condition: Option<&str>) -> Value {
    let mut body = json!({ "properties": {
        "roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{role}"),
        "principalId": principal,
    }});
    if let Some(c) = condition {
        body["properties"]["condition"] = json!(c);
        body["properties"]["conditionVersion"] = json!("2.0");
    }
    body
}

/// Assigns as the harness's administrator; returns the assignment's path (with api-version).
async fn grant(server: &Server, scope: &str, role: &str, principal: &str) -> String {
    let path = assignment_path(scope);
    let got = server
        .call(
            Method::PUT,
            &path,
            Some(assignment_body(role, principal, None)),
        )
        .await;
    assert_eq!(got.0.as_u16(), 201, "grant {role} at {scope}: {}", got.1);
    path
}

fn new_group_body(parent: &str) -> Value {
    json!({ "properties": { "details": { "parent": { "id": group_scope(parent) } } } })
}

async fn a_customer_admin_assigns_only_what_the_msp_delegated(backend: Backend) {
    let server = Server::start(backend).await;
    let sub = server.subscription("Customer");
    let sub_scope = format!("/subscriptions/{sub}");
    let admin = user(&server, "customer-admin");
    let ops = principal(&server, "Group", "customer-ops");
    let auditors = principal(&server, "Group", "customer-auditors");
    let stranger = principal(&server, "User", "stranger");
    // The MSP's delegation: the customer's admin may assign (and remove) only Reader and
    // Backup Operator, and only to the two named groups.
    let condition = format!(
        "((!(ActionMatches{{'Microsoft.Authorization/roleAssignments/write'}})) OR \
         (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{READER}, {BACKUP_OPERATOR}}} \
         AND @Request[Microsoft.Authorization/roleAssignments:PrincipalId] ForAnyOfAnyValues:GuidEquals {{{ops}, {auditors}}})) \
         AND ((!(ActionMatches{{'Microsoft.Authorization/roleAssignments/delete'}})) OR \
         (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{READER}, {BACKUP_OPERATOR}}}))"
    );
    let delegated = server
        .call(
            Method::PUT,
            &assignment_path(&sub_scope),
            Some(assignment_body(
                RBAC_ADMINISTRATOR,
                &admin.id,
                Some(&condition),
            )),
        )
        .await;
    assert_eq!(delegated.0.as_u16(), 201, "{}", delegated.1);
    let assign_as_admin = |role: &'static str, to: String| {
        let server = &server;
        let token = admin.token.clone();
        let scope = sub_scope.clone();
        async move {
            let path = assignment_path(&scope);
            let got = server
                .call_as(
                    &token,
                    Method::PUT,
                    &path,
                    Some(assignment_body(role, &to, None)),
                )
                .await;
            (path, got)
        }
    };
    let (reader_path, reader) = assign_as_admin(READER, ops.clone()).await;
    assert_eq!(
        reader.0.as_u16(),
        201,
        "Reader to a named group: {}",
        reader.1
    );
    let (_, backup) = assign_as_admin(BACKUP_OPERATOR, auditors.clone()).await;
    assert_eq!(
        backup.0.as_u16(),
        201,
        "Backup Operator to a named group: {}",
        backup.1
    );
    let (_, owner) = assign_as_admin(OWNER, ops.clone()).await;
    assert_arm_error(&owner, 403, "AuthorizationFailed");
    assert!(owner.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Microsoft.Authorization/roleAssignments/write"));
    let (_, elsewhere) = assign_as_admin(READER, stranger.clone()).await;
    assert_arm_error(&elsewhere, 403, "AuthorizationFailed");
    // Removing: the Reader assignment yes; the admin's own (not Reader or Backup Operator) no.
    let removed = server
        .call_as(&admin.token, Method::DELETE, &reader_path, None)
        .await;
    assert_eq!(removed.0.as_u16(), 200, "{}", removed.1);
    let own_path = format!(
        "{sub_scope}/providers/Microsoft.Authorization/roleAssignments/{}?{API}",
        delegated.1["name"].as_str().unwrap()
    );
    let own = server
        .call_as(&admin.token, Method::DELETE, &own_path, None)
        .await;
    assert_arm_error(&own, 403, "AuthorizationFailed");
    // It reads what it administers (its role carries `*/read`), and nothing outside.
    let (status, _) = server
        .call_as(
            &admin.token,
            Method::GET,
            &format!("{sub_scope}?api-version=2022-12-01"),
            None,
        )
        .await;
    assert_eq!(status.as_u16(), 200);
    let outside = server
        .call_as(&admin.token, Method::GET, &mg(&server.tenant), None)
        .await;
    assert_arm_error(&outside, 403, "AuthorizationFailed");
    // Refusals land in the activity log.
    let export = server.cli_raw(&["audit", "export", "--tenant", &server.tenant]);
    let log = String::from_utf8_lossy(&export.stdout);
    assert!(
        log.lines()
            .filter(|l| l.contains("AuthorizationFailed"))
            .count()
            >= 4,
        "every refusal is logged"
    );
}
on_both_backends!(a_customer_admin_assigns_only_what_the_msp_delegated);

async fn deny_assignments_win_over_owner(backend: Backend) {
    let server = Server::start(backend).await;
    let sub = server.subscription("Fenced");
    let sub_scope = format!("/subscriptions/{sub}");
    for rg in ["rg1", "rg2"] {
        server
            .call(
                Method::PUT,
                &format!("{sub_scope}/resourcegroups/{rg}?api-version=2024-03-01"),
                Some(json!({ "location": "westeurope" })),
            )
            .await;
    }
    let operator = user(&server, "operator");
    grant(&server, &sub_scope, OWNER, &operator.id).await;
    // Nobody deletes resource groups in this subscription, except the harness's admin.
    server.cli(&[
        "deny",
        "create",
        "--tenant",
        &server.tenant,
        "--name",
        "no deletes",
        "--scope",
        &sub_scope,
        "--action",
        "Microsoft.Resources/subscriptions/resourceGroups/delete",
        "--principal",
        "everyone",
        "--exclude",
        &server.object_id,
    ]);
    let rg = |name: &str| format!("{sub_scope}/resourcegroups/{name}?api-version=2024-03-01");
    let refused = server
        .call_as(&operator.token, Method::DELETE, &rg("rg1"), None)
        .await;
    assert_arm_error(&refused, 403, "AuthorizationFailed");
    assert!(
        refused.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no deletes"),
        "the refusal names the deny assignment: {}",
        refused.1
    );
    // What the deny does not name, Owner still may.
    let (written, _) = server
        .call_as(
            &operator.token,
            Method::PATCH,
            &rg("rg1"),
            Some(json!({ "tags": { "owner": "ops" } })),
        )
        .await;
    assert_eq!(written.as_u16(), 200);
    // The excluded principal is not denied.
    let (deleted, _) = server.call(Method::DELETE, &rg("rg2"), None).await;
    assert!(deleted.is_success(), "{deleted}");
    // Listed at the subscription and inherited below it; not writable through the API.
    let (_, listed) = server
        .call(
            Method::GET,
            &format!("{sub_scope}/resourcegroups/rg1/providers/Microsoft.Authorization/denyAssignments?{API}"),
            None,
        )
        .await;
    let items = listed["value"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    assert_eq!(
        items[0]["properties"]["denyAssignmentName"],
        json!("no deletes")
    );
    assert_eq!(items[0]["properties"]["scope"], json!(sub_scope));
    let id = items[0]["name"].as_str().unwrap();
    let (status, by_id) = server
        .call(
            Method::GET,
            &format!("/providers/Microsoft.Authorization/denyAssignments/{id}?{API}"),
            None,
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{by_id}");
    // doNotApplyToChildScopes: a deny at the subscription only fences the subscription.
    server.cli(&[
        "deny",
        "create",
        "--tenant",
        &server.tenant,
        "--id",
        id,
        "--name",
        "no deletes",
        "--scope",
        &sub_scope,
        "--action",
        "Microsoft.Resources/subscriptions/resourceGroups/delete",
        "--principal",
        "everyone",
        "--do-not-apply-to-child-scopes",
    ]);
    let (deleted, body) = server
        .call_as(&operator.token, Method::DELETE, &rg("rg1"), None)
        .await;
    assert!(deleted.is_success(), "{deleted} {body}");
}
on_both_backends!(deny_assignments_win_over_owner);

async fn moves_follow_the_documented_permission_rules(backend: Backend) {
    let server = Server::start(backend).await;
    for (id, parent) in [
        ("customer", server.tenant.clone()),
        ("prod", "customer".to_owned()),
        ("test", "customer".to_owned()),
        ("sandbox", "customer".to_owned()),
    ] {
        let (status, body) = server
            .call(Method::PUT, &mg(id), Some(new_group_body(&parent)))
            .await;
        assert_eq!(status.as_u16(), 200, "{body}");
    }
    let direct = server.cli(&[
        "subscription",
        "create",
        "--tenant",
        &server.tenant,
        "--display-name",
        "direct",
        "--management-group",
        "prod",
    ])["subscriptionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let inherited = server.cli(&[
        "subscription",
        "create",
        "--tenant",
        &server.tenant,
        "--display-name",
        "inherited",
        "--management-group",
        "prod",
    ])["subscriptionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let engineer = user(&server, "engineer");
    // Owner on `direct` itself; Owner on `prod` (so on `inherited` only by inheritance);
    // Management Group Contributor on `test`; Owner on `sandbox`.
    grant(
        &server,
        &format!("/subscriptions/{direct}"),
        OWNER,
        &engineer.id,
    )
    .await;
    grant(&server, &group_scope("prod"), OWNER, &engineer.id).await;
    grant(&server, &group_scope("test"), MG_CONTRIBUTOR, &engineer.id).await;
    grant(&server, &group_scope("sandbox"), OWNER, &engineer.id).await;
    let move_sub = |sub: String, to: &'static str| {
        let server = &server;
        let token = engineer.token.clone();
        async move {
            server
                .call_as(
                    &token,
                    Method::PUT,
                    &format!("/providers/Microsoft.Management/managementGroups/{to}/subscriptions/{sub}?api-version=2021-04-01"),
                    None,
                )
                .await
        }
    };
    // Directly Owner: any group where it may write groups.
    let moved = move_sub(direct.clone(), "test").await;
    assert_eq!(moved.0.as_u16(), 200, "{}", moved.1);
    // Owner only through `prod`: not to a group where it is merely a contributor...
    let refused = move_sub(inherited.clone(), "test").await;
    assert_arm_error(&refused, 403, "AuthorizationFailed");
    assert!(refused.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("inherited"));
    // ...but to one where it is Owner.
    let moved = move_sub(inherited.clone(), "sandbox").await;
    assert_eq!(moved.0.as_u16(), 200, "{}", moved.1);
    // Moving a group needs write on the old parent too (`customer`, not the root): refused.
    let (status, body) = server
        .call_as(
            &engineer.token,
            Method::PATCH,
            &mg("sandbox"),
            Some(json!({ "parentGroupId": group_scope("test") })),
        )
        .await;
    assert_eq!(status.as_u16(), 403, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("/managementGroups/customer"));
    // With Management Group Contributor on `customer`, it may.
    grant(
        &server,
        &group_scope("customer"),
        MG_CONTRIBUTOR,
        &engineer.id,
    )
    .await;
    let (status, body) = server
        .call_as(
            &engineer.token,
            Method::PATCH,
            &mg("sandbox"),
            Some(json!({ "parentGroupId": group_scope("test") })),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
}
on_both_backends!(moves_follow_the_documented_permission_rules);

async fn group_creation_honours_hierarchy_protection(backend: Backend) {
    let server = Server::start(backend).await;
    let maker = user(&server, "maker");
    // Protection off: anyone creates a group under the root group and becomes its Owner.
    let (status, body) = server
        .call_as(&maker.token, Method::PUT, &mg("team"), Some(json!({})))
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    let (status, body) = server
        .call_as(
            &maker.token,
            Method::PUT,
            &mg("team-child"),
            Some(new_group_body("team")),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "the creator owns its group: {body}");
    // But not under a group it has no rights on.
    server
        .call(Method::PUT, &mg("finance"), Some(json!({})))
        .await;
    let refused = server
        .call_as(
            &maker.token,
            Method::PUT,
            &mg("sneaky"),
            Some(new_group_body("finance")),
        )
        .await;
    assert_arm_error(&refused, 403, "AuthorizationFailed");
    // Protection on: creating under the root (default) group needs write there.
    let settings = format!(
        "/providers/Microsoft.Management/managementGroups/{}/settings/default?api-version=2021-04-01",
        server.tenant
    );
    let (status, _) = server
        .call(
            Method::PUT,
            &settings,
            Some(json!({ "properties": { "requireAuthorizationForGroupCreation": true } })),
        )
        .await;
    assert_eq!(status.as_u16(), 200);
    let refused = server
        .call_as(&maker.token, Method::PUT, &mg("team2"), Some(json!({})))
        .await;
    assert_arm_error(&refused, 403, "AuthorizationFailed");
    let (status, _) = server
        .call(Method::PUT, &mg("team2"), Some(json!({})))
        .await;
    assert_eq!(status.as_u16(), 200, "with write on the root group it may");
}
on_both_backends!(group_creation_honours_hierarchy_protection);

async fn batch_checks_what_if_and_tag_conditions(backend: Backend) {
    let server = Server::start(backend).await;
    let sub = server.subscription("Data");
    let rg_scope = format!("/subscriptions/{sub}/resourceGroups/data");
    server
        .call(
            Method::PUT,
            &format!("{rg_scope}?api-version=2024-03-01"),
            Some(json!({ "location": "westeurope" })),
        )
        .await;
    let analyst = user(&server, "analyst");
    let team = principal(&server, "Group", "platform-team");
    let member = user(&server, "member");
    server.cli(&[
        "group",
        "add-member",
        "--tenant",
        &server.tenant,
        "--group",
        &team,
        "--member",
        &member.id,
    ]);
    grant(&server, &rg_scope, CONTRIBUTOR, &team).await;
    // Blobs tagged Project=Cascade only (Microsoft's documented example condition).
    let tag = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project<$key_case_sensitive$>";
    let condition = format!(
        "((!(ActionMatches{{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'}} AND NOT SubOperationMatches{{'Blob.List'}})) OR (@Resource[{tag}] StringEquals 'Cascade'))"
    );
    let (status, body) = server
        .call(
            Method::PUT,
            &assignment_path(&rg_scope),
            Some(assignment_body(
                BLOB_DATA_READER,
                &analyst.id,
                Some(&condition),
            )),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{body}");
    let blob_read = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read";
    let checks = json!({ "checks": [
        { "principalId": analyst.id, "action": blob_read, "dataAction": true, "scope": rg_scope, "attributes": { format!("@Resource[{tag}]"): "Cascade" } },
        { "principalId": analyst.id, "action": blob_read, "dataAction": true, "scope": rg_scope, "attributes": { format!("@Resource[{tag}]"): "Baker" } },
        { "principalId": analyst.id, "action": "Microsoft.Resources/subscriptions/resourceGroups/delete", "scope": rg_scope },
        { "principalId": member.id, "action": "Microsoft.Resources/subscriptions/resourceGroups/delete", "scope": rg_scope },
        { "principalId": member.id, "action": "Microsoft.Authorization/roleAssignments/write", "scope": rg_scope },
        { "action": "Microsoft.Management/managementGroups/write", "scope": group_scope(&server.tenant) },
    ]});
    let (status, answers) = server
        .call(
            Method::POST,
            &format!("/providers/Microsoft.Authorization/checkAccess?{API}"),
            Some(checks),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{answers}");
    let decisions: Vec<&str> = answers["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["decision"].as_str().unwrap())
        .collect();
    assert_eq!(
        decisions,
        [
            "Allowed",
            "NotGranted",
            "NotGranted",
            "Allowed",
            "NotGranted",
            "Allowed"
        ],
        "{answers}"
    );
    // Asking about others needs role-assignment read: the member cannot ask about the analyst
    // at the subscription, but may ask about itself.
    let (status, answers) = server
        .call_as(
            &member.token,
            Method::POST,
            &format!("/providers/Microsoft.Authorization/checkAccess?{API}"),
            Some(json!({ "checks": [
                { "principalId": analyst.id, "action": blob_read, "dataAction": true, "scope": format!("/subscriptions/{sub}") },
                { "action": "Microsoft.Resources/subscriptions/resourceGroups/write", "scope": rg_scope },
            ]})),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{answers}");
    assert_eq!(
        answers["value"][0]["error"]["code"],
        json!("AuthorizationFailed")
    );
    assert_eq!(answers["value"][1]["decision"], json!("Allowed"));
    // Bad input names the bad part.
    let bad = server
        .call(
            Method::POST,
            &format!("/providers/Microsoft.Authorization/checkAccess?{API}"),
            Some(json!({ "checks": [{ "action": "x", "scope": "/nowhere/at/all" }] })),
        )
        .await;
    assert_arm_error(&bad, 400, "InvalidRequestContent");
    assert_eq!(bad.1["error"]["target"], json!("checks[0].scope"));
    // Who can delete the resource group: the admin (Owner at /), the team and its member.
    let (status, who) = server
        .call(
            Method::POST,
            &format!("/providers/Microsoft.Authorization/whoCan?{API}"),
            Some(json!({ "action": "Microsoft.Resources/subscriptions/resourceGroups/delete", "scope": rg_scope })),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{who}");
    let holders: Vec<(String, Value)> = who["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["principalId"].as_str().unwrap().to_owned(),
                h["viaGroupId"].clone(),
            )
        })
        .collect();
    assert!(
        holders.contains(&(server.object_id.clone(), Value::Null)),
        "{who}"
    );
    assert!(holders.contains(&(team.clone(), Value::Null)), "{who}");
    assert!(holders.contains(&(member.id.clone(), json!(team))), "{who}");
    assert!(!holders.iter().any(|(p, _)| *p == analyst.id), "{who}");
    // Leaving the group is in force for the member's next request.
    let rg_delete = format!("{rg_scope}?api-version=2024-03-01");
    let tags = json!({ "tags": { "k": "v" } });
    let (status, _) = server
        .call_as(&member.token, Method::PATCH, &rg_delete, Some(tags.clone()))
        .await;
    assert_eq!(status.as_u16(), 200);
    server.cli(&[
        "group",
        "remove-member",
        "--tenant",
        &server.tenant,
        "--group",
        &team,
        "--member",
        &member.id,
    ]);
    let refused = server
        .call_as(&member.token, Method::PATCH, &rg_delete, Some(tags))
        .await;
    assert_arm_error(&refused, 403, "AuthorizationFailed");
}
on_both_backends!(batch_checks_what_if_and_tag_conditions);

async fn move_preview_lists_effective_permissions_per_principal(backend: Backend) {
    let server = Server::start(backend).await;
    for id in ["old", "new"] {
        server.call(Method::PUT, &mg(id), Some(json!({}))).await;
    }
    let sub = server.cli(&[
        "subscription",
        "create",
        "--tenant",
        &server.tenant,
        "--display-name",
        "moving",
        "--management-group",
        "old",
    ])["subscriptionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let leaving = principal(&server, "User", "leaving");
    let arriving = principal(&server, "User", "arriving");
    grant(&server, &group_scope("old"), CONTRIBUTOR, &leaving).await;
    grant(&server, &group_scope("new"), READER, &arriving).await;
    let (status, preview) = server
        .call(
            Method::POST,
            "/providers/Microsoft.Management/managementGroups/new/previewMove?api-version=2021-04-01",
            Some(json!({ "childId": format!("/subscriptions/{sub}") })),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{preview}");
    let effective = &preview["effectivePermissionsByPrincipal"];
    let lost = &effective[&leaving];
    assert!(lost["lostCount"].as_u64().unwrap() > 1000, "{lost}");
    assert_eq!(lost["gainedCount"], json!(0));
    assert!(lost["lost"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a.as_str().is_some()));
    let gained = &effective[&arriving];
    assert!(gained["gainedCount"].as_u64().unwrap() > 100, "{gained}");
    assert_eq!(gained["lostCount"], json!(0));
    assert!(gained["gained"].as_array().unwrap().iter().all(|a| a
        .as_str()
        .unwrap()
        .to_ascii_lowercase()
        .ends_with("/read")));
}
on_both_backends!(move_preview_lists_effective_permissions_per_principal);
