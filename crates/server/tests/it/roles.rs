//! Role definitions and the operation catalogue, as `az role definition list` and the SDK
//! read them.

use reqwest::Method;
use serde_json::json;

use crate::harness::{assert_arm_error, Backend, Server};
use crate::on_both_backends;

const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

async fn built_in_roles_at_every_scope(backend: Backend) {
    let server = Server::start(backend).await;
    let sub = server.subscription("Roles");
    let (status, all) = server
        .call(Method::GET, &format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01&$top=1000"), None)
        .await;
    assert_eq!(status.as_u16(), 200, "{all}");
    assert_eq!(all["value"].as_array().unwrap().len(), 928);
    let (_, reader) = server
        .call(
            Method::GET,
            &format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-05-01-preview&$filter=roleName eq 'reader'"),
            None,
        )
        .await;
    let reader = &reader["value"][0];
    assert_eq!(
        reader["id"],
        json!(format!(
            "/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{READER}"
        ))
    );
    assert_eq!(
        reader["properties"]["permissions"][0]["actions"],
        json!(["*/read"])
    );
    assert_eq!(reader["properties"]["type"], json!("BuiltInRole"));
    let (status, by_id) = server
        .call(Method::GET, &format!("/providers/Microsoft.Management/managementGroups/{}/providers/Microsoft.Authorization/roleDefinitions/{READER}?api-version=2022-04-01", server.tenant), None)
        .await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(by_id["properties"]["roleName"], json!("Reader"));
    let (_, custom) = server
        .call(Method::GET, "/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01&$filter=type eq 'CustomRole'", None)
        .await;
    assert_eq!(custom["value"], json!([]));
    let missing = server
        .call(Method::GET, "/providers/Microsoft.Authorization/roleDefinitions/00000000-0000-0000-0000-000000000000?api-version=2022-04-01", None)
        .await;
    assert_arm_error(&missing, 404, "RoleDefinitionDoesNotExist");
    let no_group = server
        .call(Method::GET, "/providers/Microsoft.Management/managementGroups/nope/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01", None)
        .await;
    assert_arm_error(&no_group, 404, "NotFound");
    let (status, ops) = server.call(Method::GET, "/providers/Microsoft.Authorization/providerOperations/microsoft.management?api-version=2022-04-01", None).await;
    assert_eq!(status.as_u16(), 200);
    assert!(ops["operations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["name"] == "Microsoft.Management/managementGroups/write"));
}
on_both_backends!(built_in_roles_at_every_scope);

async fn custom_roles_are_checked_and_stored(backend: Backend) {
    let server = Server::start(backend).await;
    let sub = server.subscription("Custom");
    let other = server.subscription("Other");
    assert_eq!(
        server
            .call(Method::PUT, &crate::harness::mg("Sandbox"), Some(json!({})))
            .await
            .0
            .as_u16(),
        200
    );
    assert_eq!(
        server
            .call(Method::PUT, &crate::harness::mg("Corp"), Some(json!({})))
            .await
            .0
            .as_u16(),
        200
    );
    let id = "11111111-aaaa-4bbb-8ccc-000000000001";
    let path = |scope: &str, id: &str| {
        format!(
            "{scope}/providers/Microsoft.Authorization/roleDefinitions/{id}?api-version=2022-04-01"
        )
    };
    let role = |name: &str, scopes: serde_json::Value, data: serde_json::Value| {
        json!({ "properties": {
            "roleName": name, "description": "operators", "type": "CustomRole",
            "permissions": [{ "actions": ["Microsoft.Compute/*/read", "Microsoft.Nothing/foo/read"], "notActions": [], "dataActions": data }],
            "assignableScopes": scopes,
        }})
    };
    let created = server
        .call(
            Method::PUT,
            &path(&format!("/subscriptions/{sub}"), id),
            Some(role(
                "VM Operator",
                json!([format!("/subscriptions/{sub}")]),
                json!([]),
            )),
        )
        .await;
    assert_eq!(created.0.as_u16(), 201, "{}", created.1);
    assert_eq!(created.1["properties"]["type"], json!("CustomRole"));
    assert_eq!(
        created.1["properties"]["assignableScopes"],
        json!([format!("/subscriptions/{sub}")])
    );
    let warnings = created.1["properties"]["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("Microsoft.Nothing/foo/read")),
        "{warnings:?}"
    );
    assert!(!warnings
        .iter()
        .any(|w| w.as_str().unwrap().contains("Microsoft.Compute/*/read")));
    let (status, got) = server
        .call(
            Method::GET,
            &path(&format!("/subscriptions/{sub}"), id),
            None,
        )
        .await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(got["properties"]["roleName"], json!("VM Operator"));
    // Listed where it is assignable, and below; not elsewhere.
    let list = |scope: String| {
        format!("{scope}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01&$filter=type eq 'CustomRole'")
    };
    assert_eq!(
        server
            .call(Method::GET, &list(format!("/subscriptions/{sub}")), None)
            .await
            .1["value"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    server
        .call(
            Method::PUT,
            &format!("/subscriptions/{sub}/resourcegroups/rg?api-version=2024-03-01"),
            Some(json!({ "location": "westeurope" })),
        )
        .await;
    assert_eq!(
        server
            .call(
                Method::GET,
                &list(format!("/subscriptions/{sub}/resourceGroups/rg")),
                None
            )
            .await
            .1["value"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        server
            .call(Method::GET, &list(format!("/subscriptions/{other}")), None)
            .await
            .1["value"],
        json!([])
    );
    // Refusals, each naming what is wrong.
    let mg = |g: &str| format!("/providers/Microsoft.Management/managementGroups/{g}");
    let missing = server
        .call(
            Method::PUT,
            &path("", "11111111-aaaa-4bbb-8ccc-000000000002"),
            Some(role("Ghost", json!([mg("Nope")]), json!([]))),
        )
        .await;
    assert_arm_error(&missing, 404, "NotFound");
    assert_eq!(
        missing.1["error"]["target"],
        json!("properties.assignableScopes[0]")
    );
    let two_groups = server
        .call(
            Method::PUT,
            &path("", "11111111-aaaa-4bbb-8ccc-000000000003"),
            Some(role("Two", json!([mg("Sandbox"), mg("Corp")]), json!([]))),
        )
        .await;
    assert_arm_error(&two_groups, 400, "InvalidRoleDefinition");
    let data_at_group = server
        .call(
            Method::PUT,
            &path("", "11111111-aaaa-4bbb-8ccc-000000000004"),
            Some(role(
                "Data",
                json!([mg("Sandbox")]),
                json!(["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]),
            )),
        )
        .await;
    assert_arm_error(&data_at_group, 400, "InvalidRoleDefinition");
    let root = server
        .call(
            Method::PUT,
            &path("", "11111111-aaaa-4bbb-8ccc-000000000005"),
            Some(role("Everywhere", json!(["/"]), json!([]))),
        )
        .await;
    assert_arm_error(&root, 400, "InvalidRoleDefinition");
    let builtin_name = server
        .call(
            Method::PUT,
            &path("", "11111111-aaaa-4bbb-8ccc-000000000006"),
            Some(role("reader", json!([mg("Sandbox")]), json!([]))),
        )
        .await;
    assert_arm_error(&builtin_name, 409, "RoleDefinitionWithSameNameExists");
    let same_name = server
        .call(
            Method::PUT,
            &path("", "11111111-aaaa-4bbb-8ccc-000000000007"),
            Some(role("VM Operator", json!([mg("Sandbox")]), json!([]))),
        )
        .await;
    assert_arm_error(&same_name, 409, "RoleDefinitionWithSameNameExists");
    let bad_type = server
        .call(Method::PUT, &path("", "11111111-aaaa-4bbb-8ccc-000000000008"), Some(json!({ "properties": { "roleName": "T", "permissions": [{ "actions": [5] }], "assignableScopes": [mg("Sandbox")] } })))
        .await;
    assert_arm_error(&bad_type, 400, "InvalidRoleDefinition");
    assert_eq!(
        bad_type.1["error"]["target"],
        json!("properties.permissions[0].actions[0]")
    );
    let at_group = server
        .call(
            Method::PUT,
            &path("", "11111111-aaaa-4bbb-8ccc-000000000009"),
            Some(role("Group Role", json!([mg("Sandbox")]), json!([]))),
        )
        .await;
    assert_eq!(at_group.0.as_u16(), 201, "{}", at_group.1);
    // Delete: 200 with the definition, then 204.
    let deleted = server
        .call(
            Method::DELETE,
            &path(&format!("/subscriptions/{sub}"), id),
            None,
        )
        .await;
    assert_eq!(deleted.0.as_u16(), 200);
    assert_eq!(deleted.1["properties"]["roleName"], json!("VM Operator"));
    assert_eq!(
        server
            .call(
                Method::DELETE,
                &path(&format!("/subscriptions/{sub}"), id),
                None
            )
            .await
            .0
            .as_u16(),
        204
    );
    assert_arm_error(
        &server.call(Method::DELETE, &path("", READER), None).await,
        400,
        "BadRequest",
    );
    let export = server.cli_raw(&["audit", "export", "--tenant", &server.tenant]);
    let log = String::from_utf8_lossy(&export.stdout);
    assert!(
        log.contains("Microsoft.Authorization/roleDefinitions/write")
            && log.contains("Microsoft.Authorization/roleDefinitions/delete")
    );
}
on_both_backends!(custom_roles_are_checked_and_stored);

async fn role_assignments_are_checked_listed_and_inherited(backend: Backend) {
    let server = Server::start(backend).await;
    let sub = server.subscription("Assign");
    server
        .call(
            Method::PUT,
            &format!("/subscriptions/{sub}/resourcegroups/rg?api-version=2024-03-01"),
            Some(json!({ "location": "westeurope" })),
        )
        .await;
    let user = server.cli(&[
        "principal",
        "create",
        "--tenant",
        &server.tenant,
        "--type",
        "User",
        "--name",
        "alice",
    ])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let group = server.cli(&[
        "principal",
        "create",
        "--tenant",
        &server.tenant,
        "--type",
        "Group",
        "--name",
        "operators",
    ])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server.cli(&[
        "group",
        "add-member",
        "--tenant",
        &server.tenant,
        "--group",
        &group,
        "--member",
        &user,
    ]);
    let at = |scope: &str, name: &str| {
        format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01")
    };
    let body = |principal: &str, role: &str| json!({ "properties": { "roleDefinitionId": format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role}"), "principalId": principal } });
    let sub_scope = format!("/subscriptions/{sub}");
    let a1 = "22222222-aaaa-4bbb-8ccc-000000000001";
    let created = server
        .call(Method::PUT, &at(&sub_scope, a1), Some(body(&user, READER)))
        .await;
    assert_eq!(created.0.as_u16(), 201, "{}", created.1);
    assert_eq!(created.1["properties"]["scope"], json!(sub_scope));
    assert_eq!(created.1["properties"]["principalType"], json!("User"));
    assert_eq!(
        created.1["properties"]["createdBy"],
        json!(
            server
                .cli(&["principal", "list", "--tenant", &server.tenant])
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["displayName"] == "admin")
                .unwrap()["id"]
        )
    );
    assert_eq!(
        server
            .call(Method::PUT, &at(&sub_scope, a1), Some(body(&user, READER)))
            .await
            .0
            .as_u16(),
        200,
        "the same assignment again"
    );
    let dup = server
        .call(
            Method::PUT,
            &at(&sub_scope, "22222222-aaaa-4bbb-8ccc-000000000002"),
            Some(body(&user, READER)),
        )
        .await;
    assert_arm_error(&dup, 409, "RoleAssignmentExists");
    let group_assignment = server
        .call(
            Method::PUT,
            &at(
                &format!("{sub_scope}/resourceGroups/rg"),
                "22222222-aaaa-4bbb-8ccc-000000000003",
            ),
            Some(body(&group, "b24988ac-6180-42a0-ab88-20f7382dd24c")),
        )
        .await;
    assert_eq!(group_assignment.0.as_u16(), 201, "{}", group_assignment.1);
    // Inheritance in the listings.
    let list = |scope: String, filter: &str| {
        format!("{scope}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01{filter}")
    };
    // The harness's administrator holds its own assignments at `/`: left out here.
    let names = |v: &serde_json::Value| -> Vec<String> {
        v["value"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["properties"]["principalId"] != json!(server.object_id))
            .map(|a| a["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, at_rg) = server
        .call(
            Method::GET,
            &list(
                format!("{sub_scope}/resourceGroups/rg"),
                "&$filter=atScope()",
            ),
            None,
        )
        .await;
    assert_eq!(
        names(&at_rg).len(),
        2,
        "the subscription's assignment is inherited by the group: {at_rg}"
    );
    let (_, at_sub) = server
        .call(
            Method::GET,
            &list(sub_scope.clone(), "&$filter=atScope()"),
            None,
        )
        .await;
    assert_eq!(names(&at_sub), vec![a1.to_owned()]);
    let root = format!(
        "/providers/Microsoft.Management/managementGroups/{}",
        server.tenant
    );
    assert_eq!(
        names(
            &server
                .call(Method::GET, &list(root.clone(), ""), None)
                .await
                .1
        )
        .len(),
        2,
        "below the root group"
    );
    assert!(names(
        &server
            .call(Method::GET, &list(root, "&$filter=atScope()"), None)
            .await
            .1
    )
    .is_empty());
    let (_, assigned) = server
        .call(
            Method::GET,
            &list(sub_scope.clone(), &format!("&$filter=assignedTo('{user}')")),
            None,
        )
        .await;
    assert_eq!(names(&assigned).len(), 2, "alice's own and her group's");
    let (_, direct) = server
        .call(
            Method::GET,
            &list(
                sub_scope.clone(),
                &format!("&$filter=principalId eq '{user}'"),
            ),
            None,
        )
        .await;
    assert_eq!(names(&direct), vec![a1.to_owned()]);
    // Conditions are parsed on the way in; a bad one is refused with its position.
    let conditioned = json!({ "properties": {
        "roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{READER}"), "principalId": user,
        "condition": "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {acdd72a7-3385-48ef-bd42-f606fba81ae7}))",
        "conditionVersion": "2.0",
    }});
    let with_condition = server
        .call(
            Method::PUT,
            &at(
                &format!("{sub_scope}/resourceGroups/rg"),
                "22222222-aaaa-4bbb-8ccc-000000000007",
            ),
            Some(conditioned),
        )
        .await;
    assert_eq!(with_condition.0.as_u16(), 201, "{}", with_condition.1);
    assert_eq!(
        with_condition.1["properties"]["conditionVersion"],
        json!("2.0")
    );
    let broken = json!({ "properties": { "roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{READER}"), "principalId": user, "condition": "(@Request[x] StringEquals" } });
    let refused = server
        .call(
            Method::PUT,
            &at(
                &format!("{sub_scope}/resourceGroups/rg"),
                "22222222-aaaa-4bbb-8ccc-000000000008",
            ),
            Some(broken),
        )
        .await;
    assert_arm_error(&refused, 400, "InvalidRequestContent");
    assert_eq!(refused.1["error"]["target"], json!("properties.condition"));
    assert!(
        refused.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("column"),
        "{}",
        refused.1
    );
    // By id, refusals, and deletes.
    assert_eq!(server.call(Method::GET, &format!("/providers/Microsoft.Authorization/roleAssignments/{a1}?api-version=2022-04-01"), None).await.0.as_u16(), 200);
    let nobody = server
        .call(
            Method::PUT,
            &at(&sub_scope, "22222222-aaaa-4bbb-8ccc-000000000004"),
            Some(body("33333333-0000-0000-0000-000000000000", READER)),
        )
        .await;
    assert_arm_error(&nobody, 400, "PrincipalNotFound");
    let no_role = server
        .call(
            Method::PUT,
            &at(&sub_scope, "22222222-aaaa-4bbb-8ccc-000000000005"),
            Some(body(&user, "44444444-0000-0000-0000-000000000000")),
        )
        .await;
    assert_arm_error(&no_role, 404, "RoleDefinitionDoesNotExist");
    let custom = "11111111-aaaa-4bbb-8ccc-0000000000aa";
    let role = json!({ "properties": { "roleName": "Assigned", "permissions": [{ "actions": ["*/read"] }], "assignableScopes": [sub_scope] } });
    assert_eq!(server.call(Method::PUT, &format!("{sub_scope}/providers/Microsoft.Authorization/roleDefinitions/{custom}?api-version=2022-04-01"), Some(role)).await.0.as_u16(), 201);
    let a6 = "22222222-aaaa-4bbb-8ccc-000000000006";
    assert_eq!(
        server
            .call(Method::PUT, &at(&sub_scope, a6), Some(body(&user, custom)))
            .await
            .0
            .as_u16(),
        201
    );
    let in_use = server.call(Method::DELETE, &format!("{sub_scope}/providers/Microsoft.Authorization/roleDefinitions/{custom}?api-version=2022-04-01"), None).await;
    assert_arm_error(&in_use, 409, "RoleDefinitionHasAssignments");
    assert_eq!(
        server
            .call(Method::DELETE, &at(&sub_scope, a6), None)
            .await
            .0
            .as_u16(),
        200
    );
    assert_eq!(
        server
            .call(Method::DELETE, &at(&sub_scope, a6), None)
            .await
            .0
            .as_u16(),
        204
    );
    assert_eq!(server.call(Method::DELETE, &format!("{sub_scope}/providers/Microsoft.Authorization/roleDefinitions/{custom}?api-version=2022-04-01"), None).await.0.as_u16(), 200);
}
on_both_backends!(role_assignments_are_checked_listed_and_inherited);

/// The management-group page's example: a custom role defined at "Sandbox", assigned on a
/// subscription below it; moving the subscription to "Corp" would cut the assignment off.
async fn moves_that_cut_assignments_from_their_custom_role_are_refused(backend: Backend) {
    let server = Server::start(backend).await;
    for group in ["Sandbox", "Corp", "Inner"] {
        let parent = if group == "Inner" {
            "Sandbox"
        } else {
            server.tenant.as_str()
        };
        let body = json!({ "properties": { "details": { "parent": { "id": format!("/providers/Microsoft.Management/managementGroups/{parent}") } } } });
        assert_eq!(
            server
                .call(Method::PUT, &crate::harness::mg(group), Some(body))
                .await
                .0
                .as_u16(),
            200
        );
    }
    let sub = server.subscription("Sandbox sub");
    let mg_sub = |g: &str| {
        format!("/providers/Microsoft.Management/managementGroups/{g}/subscriptions/{sub}?api-version=2021-04-01")
    };
    assert_eq!(
        server
            .call(Method::PUT, &mg_sub("Inner"), None)
            .await
            .0
            .as_u16(),
        200
    );
    let role_id = "11111111-aaaa-4bbb-8ccc-0000000000bb";
    let role = json!({ "properties": { "roleName": "Sandbox Operator", "permissions": [{ "actions": ["*/read"] }], "assignableScopes": ["/providers/Microsoft.Management/managementGroups/Sandbox"] } });
    assert_eq!(server.call(Method::PUT, &format!("/providers/Microsoft.Authorization/roleDefinitions/{role_id}?api-version=2022-04-01"), Some(role)).await.0.as_u16(), 201);
    let user = server.cli(&[
        "principal",
        "create",
        "--tenant",
        &server.tenant,
        "--type",
        "User",
        "--name",
        "bob",
    ])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let assignment = "22222222-aaaa-4bbb-8ccc-0000000000bb";
    let body = json!({ "properties": { "roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{role_id}"), "principalId": user } });
    let created = server.call(Method::PUT, &format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments/{assignment}?api-version=2022-04-01"), Some(body)).await;
    assert_eq!(created.0.as_u16(), 201, "{}", created.1);
    // The preview names what a principal would lose: Reader inherited from Sandbox.
    let at_sandbox = json!({ "properties": { "roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{READER}"), "principalId": user } });
    let sandbox_assignment = "22222222-aaaa-4bbb-8ccc-0000000000bd";
    let put = server
        .call(Method::PUT, &format!("/providers/Microsoft.Management/managementGroups/Sandbox/providers/Microsoft.Authorization/roleAssignments/{sandbox_assignment}?api-version=2022-04-01"), Some(at_sandbox))
        .await;
    assert_eq!(put.0.as_u16(), 201, "{}", put.1);
    let (_, preview) = server
        .call(Method::POST, "/providers/Microsoft.Management/managementGroups/Corp/previewMove?api-version=2021-04-01", Some(json!({ "childId": format!("/subscriptions/{sub}") })))
        .await;
    assert_eq!(
        preview["roleAssignmentsLostByPrincipal"][&user][0]["roleName"],
        json!("Reader"),
        "{preview}"
    );
    assert_eq!(preview["roleAssignmentsGainedByPrincipal"], json!({}));
    // The subscription may move within Sandbox, not out of it.
    assert_eq!(
        server
            .call(Method::PUT, &mg_sub("Sandbox"), None)
            .await
            .0
            .as_u16(),
        200
    );
    let refused = server.call(Method::PUT, &mg_sub("Corp"), None).await;
    assert_arm_error(&refused, 400, "MoveBreaksRoleAssignment");
    let message = refused.1["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(assignment) && message.contains("Sandbox Operator"),
        "{message}"
    );
    // Moving a group that holds it out of Sandbox is refused too.
    assert_eq!(
        server
            .call(Method::PUT, &mg_sub("Inner"), None)
            .await
            .0
            .as_u16(),
        200
    );
    let group_move = server
        .call(
            Method::PATCH,
            &crate::harness::mg("Inner"),
            Some(json!({ "parentGroupId": "Corp" })),
        )
        .await;
    assert_arm_error(&group_move, 400, "MoveBreaksRoleAssignment");
    // Without the assignment the move is fine.
    server.call(Method::DELETE, &format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments/{assignment}?api-version=2022-04-01"), None).await;
    assert_eq!(
        server
            .call(Method::PUT, &mg_sub("Corp"), None)
            .await
            .0
            .as_u16(),
        200
    );
}
on_both_backends!(moves_that_cut_assignments_from_their_custom_role_are_refused);

async fn permissions_show_what_the_caller_is_granted(backend: Backend) {
    let server = Server::start(backend).await;
    let sub = server.subscription("Perms");
    server
        .call(
            Method::PUT,
            &format!("/subscriptions/{sub}/resourcegroups/rg?api-version=2024-03-01"),
            Some(json!({ "location": "westeurope" })),
        )
        .await;
    let permissions = format!("/subscriptions/{sub}/resourcegroups/rg/providers/Microsoft.Authorization/permissions?api-version=2022-04-01");
    let me = server.cli(&[
        "principal",
        "create",
        "--tenant",
        &server.tenant,
        "--type",
        "User",
        "--name",
        "operator",
    ])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = server.cli(&[
        "token",
        "issue",
        "--tenant",
        &server.tenant,
        "--principal",
        &me,
        "--ttl",
        "1h",
    ])["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        server
            .call_as(&token, Method::GET, &permissions, None)
            .await
            .1["value"],
        json!([]),
        "no assignment, no permission"
    );
    let group = server.cli(&[
        "principal",
        "create",
        "--tenant",
        &server.tenant,
        "--type",
        "Group",
        "--name",
        "ops",
    ])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server.cli(&[
        "group",
        "add-member",
        "--tenant",
        &server.tenant,
        "--group",
        &group,
        "--member",
        &me,
    ]);
    let assign = |principal: &str, role: &str, name: &str| {
        (
            format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01"),
            json!({ "properties": { "roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{role}"), "principalId": principal } }),
        )
    };
    let (path, body) = assign(&group, READER, "22222222-aaaa-4bbb-8ccc-0000000000cc");
    assert_eq!(
        server.call(Method::PUT, &path, Some(body)).await.0.as_u16(),
        201
    );
    let (_, granted) = server
        .call_as(&token, Method::GET, &permissions, None)
        .await;
    assert_eq!(
        granted["value"],
        json!([{ "actions": ["*/read"], "notActions": [], "dataActions": [], "notDataActions": [] }]),
        "inherited from the subscription through the group"
    );
}
on_both_backends!(permissions_show_what_the_caller_is_granted);

async fn a_global_admin_elevates_access_at_the_root(backend: Backend) {
    let server = Server::start(backend).await;
    let elevate = "/providers/Microsoft.Authorization/elevateAccess?api-version=2015-07-01";
    let (status, _) = server.call(Method::POST, elevate, None).await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(
        server.call(Method::POST, elevate, None).await.0.as_u16(),
        200,
        "idempotent"
    );
    let (_, at_root) = server.call(Method::GET, "/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()", None).await;
    // The harness elevated and made itself Owner at `/`: one User Access Administrator there.
    let assignments: Vec<&serde_json::Value> = at_root["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a["properties"]["roleDefinitionId"]
                .as_str()
                .unwrap()
                .ends_with("18d7d88d-d35e-4fb5-a5c3-7773c20a72d9")
        })
        .collect();
    assert_eq!(assignments.len(), 1, "{at_root}");
    assert_eq!(assignments[0]["properties"]["scope"], json!("/"));
    assert!(assignments[0]["properties"]["roleDefinitionId"]
        .as_str()
        .unwrap()
        .ends_with("18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"));
    let (_, at_group) = server
        .call(Method::GET, &format!("/providers/Microsoft.Management/managementGroups/{}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()", server.tenant), None)
        .await;
    assert_eq!(
        at_group["value"].as_array().unwrap().len(),
        3,
        "the root group's own and the two inherited from `/`"
    );
    let wrong_version = server
        .call(
            Method::POST,
            "/providers/Microsoft.Authorization/elevateAccess?api-version=2022-04-01",
            None,
        )
        .await;
    assert_arm_error(&wrong_version, 400, "InvalidApiVersionParameter");
    let export = server.cli_raw(&["audit", "export", "--tenant", &server.tenant]);
    assert!(String::from_utf8_lossy(&export.stdout)
        .contains("Microsoft.Authorization/elevateAccess/action"));
}
on_both_backends!(a_global_admin_elevates_access_at_the_root);
