//! Tests of the embedded provider operation catalogue and of [`crate::unknown_actions`].

use std::collections::HashSet;

use crate::operations::parse_operations;
use crate::{
    builtin_role_by_name, operations, operations_matching, try_operations, unknown_actions,
};

const BLOB_READ: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read";

#[test]
fn embedded_catalogue_loads() {
    // Note on panic safety: this test is what guarantees that `operations()` never falls back to an empty slice.
    let operations = try_operations().unwrap();
    assert_eq!(operations.len(), 22_520);
    assert_eq!(
        operations
            .iter()
            .filter(|operation| operation.is_data_action)
            .count(),
        4_257
    );
}

#[test]
fn catalogue_is_sorted_and_without_duplicates() {
    let keys: Vec<(String, bool)> = operations()
        .iter()
        .map(|operation| {
            (
                operation.name.to_ascii_lowercase(),
                operation.is_data_action,
            )
        })
        .collect();
    assert!(keys.windows(2).all(|pair| pair[0] < pair[1]));
    // Some names are both a control-plane action and a data action.
    let names: HashSet<&str> = keys.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(keys.len() - names.len(), 23);
}

#[test]
fn management_group_write_is_known() {
    let found: Vec<_> =
        operations_matching("microsoft.management/managementgroups/WRITE", false).collect();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].name, "Microsoft.Management/managementGroups/write");
    assert_eq!(found[0].display_name.as_deref(), Some("Create or Update"));
    assert!(!found[0].is_data_action);
    assert_eq!(
        operations_matching("Microsoft.Management/managementGroups/write", true).count(),
        0
    );
}

#[test]
fn wildcards_expand_over_the_catalogue() {
    let reads: Vec<&str> = operations_matching("*/read", false)
        .map(|operation| operation.name.as_str())
        .collect();
    assert_eq!(reads.len(), 7_692);
    assert!(reads.contains(&"Microsoft.Management/managementGroups/read"));
    assert!(reads
        .iter()
        .all(|name| name.to_ascii_lowercase().ends_with("/read")));
    assert_eq!(
        operations_matching("Microsoft.Management/managementGroups/*", false).count(),
        10
    );
}

/// Checks which of `patterns` are reported unknown for one kind of action.
fn check(patterns: &[&str], is_data_action: bool, expected_unknown: &[&str]) {
    assert_eq!(
        unknown_actions(patterns, is_data_action),
        expected_unknown,
        "{patterns:?}, is_data_action: {is_data_action}"
    );
}

#[test]
fn unknown_actions_are_reported() {
    check(
        &[
            "Microsoft.Management/managementGroups/write",
            "Microsoft.Nothing/foo/read",
            "*/read",
            "*",
            BLOB_READ,
            "Microsoft.Nothing/*",
        ],
        false,
        &[
            "Microsoft.Nothing/foo/read",
            BLOB_READ,
            "Microsoft.Nothing/*",
        ],
    );
    check(
        &[
            BLOB_READ,
            "Microsoft.Storage/*",
            "Microsoft.Management/managementGroups/write",
        ],
        true,
        &["Microsoft.Management/managementGroups/write"],
    );
    check(&[], false, &[]);
    check(&[""], false, &[""]);
    let owned = vec!["Microsoft.Nothing/foo/read".to_owned()];
    assert_eq!(unknown_actions(&owned, false), owned);
}

#[test]
fn the_table_roles_use_only_known_operations() {
    for name in [
        "Owner",
        "Contributor",
        "Management Group Contributor",
        "Reader",
        "Management Group Reader",
        "Resource Policy Contributor",
        "User Access Administrator",
        "Storage Blob Data Reader",
    ] {
        let role = builtin_role_by_name(name).unwrap();
        for permission in &role.permissions {
            assert_eq!(
                unknown_actions(&permission.actions, false),
                Vec::<String>::new(),
                "{name}"
            );
            assert_eq!(
                unknown_actions(&permission.not_actions, false),
                Vec::<String>::new(),
                "{name}"
            );
            assert_eq!(
                unknown_actions(&permission.data_actions, true),
                Vec::<String>::new(),
                "{name}"
            );
            assert_eq!(
                unknown_actions(&permission.not_data_actions, true),
                Vec::<String>::new(),
                "{name}"
            );
        }
    }
}

#[test]
fn bad_catalogue_is_refused_without_panicking() {
    assert_eq!(
        parse_operations(r#"[["A/b/read",null,false],["A/b/write","Write",true]]"#)
            .unwrap()
            .len(),
        2
    );
    for bad in [
        "",
        "[",
        r#"[["A/b/read"]]"#,
        r#"[{"name":"A/b/read"}]"#,
        r#"[["A/b/read",null,"yes"]]"#,
    ] {
        match parse_operations(bad) {
            Ok(operations) => panic!("accepted `{bad}`: {operations:?}"),
            Err(error) => assert_eq!(
                error.to_string(),
                "embedded provider operation catalogue cannot be parsed"
            ),
        }
    }
}
