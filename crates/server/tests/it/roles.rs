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
