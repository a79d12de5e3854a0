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
