//! Unit tests of `role_body::parse_role_definition`: what a custom role body parses to, and
//! that each refusal names the bad part. The HTTP behaviour is tested in
//! `crates/server/tests/it/roles.rs`.

use leitstand_core::resource_id::Scope;
use leitstand_core::ErrorCode;
use serde_json::{json, Value};

use crate::body::Body;
use crate::error::ApiError;
use crate::handlers::role_body::parse_role_definition;

const ID: &str = "11111111-AAAA-4bbb-8ccc-000000000001";

/// Returns the refusal of `body` for the role `id`, with its code and target.
fn refusal(id: &str, body: Value) -> (ErrorCode, Option<String>) {
    let body = Body::parse(body.to_string().as_bytes()).unwrap();
    let ApiError { code, target, .. } = parse_role_definition(id, &body).unwrap_err();
    (code, target)
}

#[test]
fn a_valid_body_parses_to_the_row_pieces() {
    let body = Body::parse(
        json!({ "Properties": {
            "roleName": "VM Operator", "description": "operators", "type": "customrole",
            "permissions": [{
                "actions": ["Microsoft.Compute/*/read", "Microsoft.Nothing/foo/read"],
                "notActions": null,
                "dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
            }],
            "assignableScopes": ["/SUBSCRIPTIONS/00000000-0000-4000-8000-000000000001"],
        }})
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    let role = parse_role_definition(ID, &body).unwrap();
    assert_eq!(role.id, "11111111-aaaa-4bbb-8ccc-000000000001");
    assert_eq!(role.role_name, "VM Operator");
    assert_eq!(role.description, "operators");
    assert_eq!(
        role.permissions,
        vec![json!({
            "actions": ["Microsoft.Compute/*/read", "Microsoft.Nothing/foo/read"],
            "notActions": [],
            "dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
            "notDataActions": [],
        })]
    );
    assert_eq!(
        role.assignable_scopes,
        vec![Scope::parse("/subscriptions/00000000-0000-4000-8000-000000000001").unwrap()]
    );
    assert_eq!(
        role.warnings,
        vec!["`properties.permissions[0].actions`: `Microsoft.Nothing/foo/read` matches no known operation"]
    );
}

#[test]
fn refusals_name_the_bad_part() {
    let mg = |g: &str| format!("/providers/Microsoft.Management/managementGroups/{g}");
    let role = |permissions: Value, scopes: Value| {
        json!({ "properties": {
            "roleName": "Custom", "permissions": permissions, "assignableScopes": scopes,
        }})
    };
    let read = json!([{ "actions": ["*/read"] }]);
    let invalid = |target: &str| (ErrorCode::InvalidRoleDefinition, Some(target.to_owned()));
    assert_eq!(
        refusal(
            ID,
            role(json!([{ "actions": ["*/read", 5] }]), json!([mg("a")]))
        ),
        invalid("properties.permissions[0].actions[1]")
    );
    assert_eq!(
        refusal(
            ID,
            role(json!([{}, { "notDataActions": "x" }]), json!([mg("a")]))
        ),
        invalid("properties.permissions[1].notDataActions")
    );
    assert_eq!(
        refusal(ID, role(json!([]), json!([mg("a")]))),
        invalid("properties.permissions")
    );
    assert_eq!(
        refusal(ID, role(read.clone(), json!([mg("a"), "not a scope"]))),
        invalid("properties.assignableScopes[1]")
    );
    assert_eq!(
        refusal(ID, role(read.clone(), json!(["/"]))),
        invalid("properties.assignableScopes[0]")
    );
    assert_eq!(
        refusal(ID, role(read.clone(), json!([mg("a"), mg("b")]))),
        invalid("properties.assignableScopes")
    );
    assert_eq!(
        refusal(
            ID,
            role(json!([{ "dataActions": ["*"] }]), json!([mg("a")]))
        ),
        invalid("properties.assignableScopes")
    );
    assert_eq!(
        refusal(ID, json!({ "properties": { "roleName": 7 } })),
        (
            ErrorCode::InvalidRequestContent,
            Some("properties.roleName".to_owned())
        )
    );
    assert_eq!(
        refusal(ID, json!({ "properties": { "roleName": " " } })),
        invalid("properties.roleName")
    );
    assert_eq!(
        refusal(ID, json!({ "properties": { "roleName": "Reader" } })),
        (
            ErrorCode::RoleDefinitionWithSameNameExists,
            Some("properties.roleName".to_owned())
        )
    );
    assert_eq!(
        refusal("not-a-guid", role(read.clone(), json!([mg("a")]))),
        (
            ErrorCode::InvalidParameter,
            Some("roleDefinitionId".to_owned())
        )
    );
    // Reader's id: a built-in role cannot be changed.
    assert_eq!(
        refusal(
            "acdd72a7-3385-48ef-bd42-f606fba81ae7",
            role(read, json!([mg("a")]))
        ),
        (ErrorCode::BadRequest, Some("roleDefinitionId".to_owned()))
    );
}

/// Every pattern is matched against the operation catalogue for warnings: the count is capped.
#[test]
fn too_many_patterns_are_refused() {
    let actions: Vec<String> = (0..=crate::handlers::role_body::MAX_PATTERNS)
        .map(|i| format!("Microsoft.Compute/x{i}/*"))
        .collect();
    let body = json!({ "properties": {
        "roleName": "huge",
        "permissions": [{ "actions": actions }],
        "assignableScopes": ["/subscriptions/00000000-0000-0000-0000-000000000001"],
    }});
    let got = refusal("11111111-aaaa-4bbb-8ccc-000000000001", body);
    assert_eq!(
        got,
        (
            ErrorCode::InvalidRoleDefinition,
            Some("properties.permissions[0].actions".to_owned())
        )
    );
}
