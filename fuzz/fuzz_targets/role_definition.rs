//! Fuzzes the reading of a custom role PUT body, `Body::parse` then
//! `leitstand_api::handlers::role_body::parse_role_definition`, on arbitrary bytes.
//!
//! Each input is parsed for a fixed custom role id, and again for a fuzzed id: the body's
//! top-level `name` when it is a string (where ARM bodies carry the role's GUID), so that the
//! mutator edits it in place.
//! Parsing never panics. A refusal is a 4xx; once the body is a JSON object, it names the bad
//! part in its target: `roleDefinitionId` or a path under `properties`.
//! An accepted role has a non-blank name of at most 512 characters, at least one assignable
//! scope, none of them the root, at most one management group and then no data actions, and
//! four string lists per permission block; written back as a body, it parses to itself.
//! The id changes nothing but the id check and the parsed id.
//! Role definition bodies carry no conditions (only role assignments do), so the condition
//! parser is not involved; the `condition` target fuzzes it.
//! It does not check what needs a store: that the scopes exist, the caller's rights, names and
//! limits within the tenant.

#![no_main]

use leitstand_api::body::Body;
use leitstand_api::error::ApiError;
use leitstand_api::handlers::role_body::{
    custom_role_id, parse_role_definition, ParsedRoleDefinition,
};
use leitstand_core::resource_id::Scope;
use leitstand_core::ErrorCode;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

/// A custom role id, in upper case so that its canonical form differs.
const ID: &str = "11111111-AAAA-4BBB-8CCC-000000000001";

/// The four action lists of a permission block, as stored.
const LISTS: [&str; 4] = ["actions", "notActions", "dataActions", "notDataActions"];

/// Checks a refusal: a 4xx, with a target once the body is a JSON object.
fn check_refusal(error: &ApiError, id: &str) {
    let status = error.code.http_status();
    assert!((400..500).contains(&status), "{status}: {error:?}");
    assert!(!error.message.is_empty(), "{error:?}");
    if error.code == ErrorCode::BadRequest {
        assert!(
            leitstand_rbac::builtin_role_by_id(&id.to_ascii_lowercase()).is_some(),
            "only a built-in role's id is a BadRequest: {error:?}"
        );
    }
    let Some(target) = error.target.as_deref() else {
        panic!("refusal without a target: {error:?}");
    };
    let names_the_body = target == "properties" || target.starts_with("properties.");
    assert!(
        names_the_body || target == "roleDefinitionId",
        "refusal names `{target}`: {error:?}"
    );
    let expected_codes: &[ErrorCode] = if names_the_body {
        &[
            ErrorCode::InvalidRoleDefinition,
            ErrorCode::InvalidRequestContent,
            ErrorCode::RoleDefinitionWithSameNameExists,
        ]
    } else {
        &[ErrorCode::InvalidParameter, ErrorCode::BadRequest]
    };
    assert!(expected_codes.contains(&error.code), "{error:?}");
}

/// Checks an accepted role against the rules, and that it parses to itself again.
fn check_accepted(role: &ParsedRoleDefinition) {
    assert!(!role.role_name.trim().is_empty(), "{role:?}");
    assert!(role.role_name.chars().count() <= 512, "{role:?}");
    assert!(!role.assignable_scopes.is_empty(), "{role:?}");
    assert!(!role.assignable_scopes.contains(&Scope::Root), "{role:?}");
    let n_groups = role
        .assignable_scopes
        .iter()
        .filter(|scope| matches!(scope, Scope::ManagementGroup(_)))
        .count();
    assert!(n_groups <= 1, "{role:?}");
    assert!(!role.permissions.is_empty(), "{role:?}");
    let mut has_data_actions = false;
    for block in &role.permissions {
        let Some(block) = block.as_object() else {
            panic!("a permission block is not an object: {role:?}");
        };
        assert_eq!(block.len(), LISTS.len(), "{block:?}");
        for name in LISTS {
            let Some(Value::Array(list)) = block.get(name) else {
                panic!("`{name}` is not a list: {block:?}");
            };
            assert!(list.iter().all(Value::is_string), "{block:?}");
            has_data_actions |= name == "dataActions" && !list.is_empty();
        }
    }
    assert!(
        n_groups == 0 || !has_data_actions,
        "data actions at a management group: {role:?}"
    );
    for warning in &role.warnings {
        assert!(warning.starts_with("`properties.permissions["), "{warning}");
    }
    // What the handler stores, written back as a body, is accepted as it is.
    let scopes: Vec<String> = role
        .assignable_scopes
        .iter()
        .map(Scope::to_string)
        .collect();
    let stored = json!({ "properties": {
        "roleName": role.role_name, "description": role.description, "type": "CustomRole",
        "permissions": role.permissions, "assignableScopes": scopes,
    }});
    let body = Body::parse(stored.to_string().as_bytes())
        .unwrap_or_else(|error| panic!("{stored}: {error:?}"));
    match parse_role_definition(&role.id, &body) {
        Ok(again) => assert_eq!(&again, role, "{stored}"),
        Err(error) => panic!("the stored form {stored} is refused: {error:?}"),
    }
}

/// Checks that parsing for `id` differs from parsing for [`ID`] only in the id.
fn check_other_id(id: &str, body: &Body, for_fixed_id: &Result<ParsedRoleDefinition, ApiError>) {
    let res = parse_role_definition(id, body);
    if let Err(error) = &res {
        check_refusal(error, id);
    }
    match (custom_role_id(id), res, for_fixed_id) {
        (Err(expected), Err(error), _) => {
            assert_eq!(
                (error.code, &error.target, &error.message),
                (expected.code, &expected.target, &expected.message),
                "`{id}`"
            );
        }
        (Err(expected), Ok(role), _) => {
            panic!("`{id}` is refused ({expected:?}) but parsed {role:?}")
        }
        (Ok(guid), Ok(role), Ok(fixed)) => {
            assert_eq!(role.id, guid, "`{id}`");
            assert_eq!(
                ParsedRoleDefinition {
                    id: fixed.id.clone(),
                    ..role
                },
                *fixed,
                "`{id}`"
            );
        }
        (Ok(_), Err(error), Err(fixed)) => {
            assert_eq!(
                (error.code, &error.target, &error.message),
                (fixed.code, &fixed.target, &fixed.message),
                "`{id}`"
            );
        }
        (Ok(_), res, fixed) => panic!("`{id}` gave {res:?}, the fixed id {fixed:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let body = match Body::parse(data) {
        Ok(body) => body,
        Err(error) => {
            let status = error.code.http_status();
            assert!((400..500).contains(&status), "{status}: {error:?}");
            return;
        }
    };
    let for_fixed_id = parse_role_definition(ID, &body);
    match &for_fixed_id {
        Ok(role) => {
            assert_eq!(role.id, ID.to_ascii_lowercase());
            check_accepted(role);
        }
        Err(error) => check_refusal(error, ID),
    }
    if let Some(Value::String(id)) = body.0.get("name") {
        check_other_id(id, &body, &for_fixed_id);
    }
});
