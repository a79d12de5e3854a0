//! Tests of the embedded built-in role definitions: count, uniqueness, well-known roles, lookups, and how bad data is refused.

use std::collections::HashSet;

use crate::builtin::BuiltinRoles;
use crate::{
    builtin_role_by_id, builtin_role_by_name, builtin_roles, try_builtin_roles, EmbeddedDataError,
    RoleDefinition, RoleType,
};

const OWNER_ID: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const CONTRIBUTOR_ID: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const READER_ID: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

fn role(name: &str) -> &'static RoleDefinition {
    builtin_role_by_name(name).unwrap_or_else(|| panic!("no built-in role `{name}`"))
}

#[test]
fn embedded_roles_load() {
    // Note on panic safety: this test is what guarantees that `builtin_roles()` never falls back to an empty slice.
    let roles = try_builtin_roles().unwrap();
    assert_eq!(roles.len(), 928);
    assert_eq!(builtin_roles().len(), 928);
}

#[test]
fn ids_and_names_are_unique() {
    let roles = builtin_roles();
    let ids: HashSet<&str> = roles.iter().map(|role| role.id.as_str()).collect();
    let names: HashSet<String> = roles
        .iter()
        .map(|role| role.role_name.to_ascii_lowercase())
        .collect();
    assert_eq!(ids.len(), roles.len());
    assert_eq!(names.len(), roles.len());
}

#[test]
fn every_role_is_built_in_assignable_everywhere_and_found_by_its_keys() {
    for role in builtin_roles() {
        assert_eq!(role.role_type, RoleType::BuiltIn, "{}", role.role_name);
        assert_eq!(role.assignable_scopes, ["/"], "{}", role.role_name);
        assert_eq!(builtin_role_by_name(&role.role_name), Some(role));
        assert_eq!(builtin_role_by_id(&role.id), Some(role));
    }
}

#[test]
fn roles_are_sorted_by_lowercased_name() {
    let names: Vec<String> = builtin_roles()
        .iter()
        .map(|role| role.role_name.to_ascii_lowercase())
        .collect();
    assert!(names.windows(2).all(|pair| pair[0] < pair[1]));
}

#[test]
fn owner_reader_and_contributor() {
    let owner = role("Owner");
    assert_eq!(owner.id, OWNER_ID);
    assert_eq!(owner.permissions.len(), 1);
    assert_eq!(owner.permissions[0].actions, ["*"]);
    assert!(owner.permissions[0].not_actions.is_empty());
    assert!(owner
        .description
        .starts_with("Grants full access to manage all resources"));

    let reader = role("Reader");
    assert_eq!(reader.id, READER_ID);
    assert_eq!(reader.permissions.len(), 1);
    assert_eq!(reader.permissions[0].actions, ["*/read"]);

    let contributor = role("Contributor");
    assert_eq!(contributor.id, CONTRIBUTOR_ID);
    assert_eq!(contributor.permissions[0].actions, ["*"]);
    for not_action in [
        "Microsoft.Authorization/*/Delete",
        "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action",
    ] {
        assert!(
            contributor.permissions[0]
                .not_actions
                .iter()
                .any(|it| it == not_action),
            "{not_action}"
        );
    }
}

#[test]
fn lookups_ignore_case() {
    assert_eq!(
        builtin_role_by_name("reader").map(|role| role.id.as_str()),
        Some(READER_ID)
    );
    assert_eq!(
        builtin_role_by_name("OWNER").map(|role| role.id.as_str()),
        Some(OWNER_ID)
    );
    assert_eq!(
        builtin_role_by_id(&CONTRIBUTOR_ID.to_ascii_uppercase())
            .map(|role| role.role_name.as_str()),
        Some("Contributor")
    );
    assert_eq!(builtin_role_by_name("Nobody"), None);
    assert_eq!(builtin_role_by_name(""), None);
    assert_eq!(
        builtin_role_by_id("00000000-0000-0000-0000-000000000000"),
        None
    );
    // Only the bare GUID is an id here, not the role definition's resource id.
    assert_eq!(
        builtin_role_by_id(&format!(
            "/providers/Microsoft.Authorization/roleDefinitions/{OWNER_ID}"
        )),
        None
    );
}

#[test]
fn owner_has_no_data_access_and_blob_reader_has_only_data_access() {
    let blob_read = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read";
    assert!(role("Owner").allows(blob_read, false));
    assert!(!role("Owner").allows(blob_read, true));
    let blob_reader = role("Storage Blob Data Reader");
    assert!(blob_reader.allows(blob_read, true));
    assert!(!blob_reader.allows(blob_read, false));
    assert!(blob_reader.allows(
        "Microsoft.Storage/storageAccounts/blobServices/containers/read",
        false
    ));
}

#[test]
fn conditions_are_kept() {
    let conditional: Vec<&str> = builtin_roles()
        .iter()
        .filter(|role| {
            role.permissions
                .iter()
                .any(|permission| permission.condition.is_some())
        })
        .map(|role| role.role_name.as_str())
        .collect();
    assert_eq!(conditional.len(), 29, "{conditional:?}");
    let condition = role("Key Vault Data Access Administrator").permissions[0]
        .condition
        .as_ref()
        .unwrap();
    assert_eq!(condition.version, "2.0");
    assert!(condition
        .expression
        .contains("ActionMatches{'Microsoft.Authorization/roleAssignments/write'}"));
}

/// Checks that `json` is refused with the error message `expected`.
fn check_refused(json: &str, expected: &str) {
    match BuiltinRoles::parse(json) {
        Ok(roles) => panic!("accepted {json}: {roles:?}"),
        Err(error) => assert_eq!(error.to_string(), expected),
    }
}

fn record(id: &str, role_name: &str) -> String {
    format!(
        r#"{{"id":"{id}","roleName":"{role_name}","description":"","assignableScopes":["/"],"permissions":[{{"actions":["*"],"notActions":[],"dataActions":[],"notDataActions":[]}}]}}"#
    )
}

#[test]
fn bad_data_is_refused_without_panicking() {
    let a = "00000000-0000-0000-0000-00000000000a";
    let b = "00000000-0000-0000-0000-00000000000b";
    assert_eq!(
        BuiltinRoles::parse(&format!("[{},{}]", record(a, "A"), record(b, "B")))
            .unwrap()
            .roles
            .len(),
        2
    );
    check_refused("[", "embedded built-in role definitions cannot be parsed");
    check_refused(
        r#"[{"id":"x"}]"#,
        "embedded built-in role definitions cannot be parsed",
    );
    check_refused(&format!("[{}]", record("00000000-0000-0000-0000-00000000000A", "A")), "built-in role definition id `00000000-0000-0000-0000-00000000000A` is not a lowercase GUID");
    check_refused(
        &format!("[{}]", record("00000000-0000-0000-0000-0000000000", "A")),
        "built-in role definition id `00000000-0000-0000-0000-0000000000` is not a lowercase GUID",
    );
    check_refused(
        &format!("[{},{}]", record(a, "A"), record(a, "B")),
        "built-in role definition id `00000000-0000-0000-0000-00000000000a` occurs more than once",
    );
    check_refused(
        &format!("[{},{}]", record(a, "Reader"), record(b, "READER")),
        "built-in role name `READER` occurs more than once",
    );
    assert!(matches!(
        BuiltinRoles::parse("{}"),
        Err(EmbeddedDataError::BuiltinRolesJson { .. })
    ));
}
