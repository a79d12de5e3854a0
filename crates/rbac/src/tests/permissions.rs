//! Tests of [`crate::Permission::allows`] and [`crate::RoleDefinition::allows`]: block-local NotActions, Actions and DataActions kept apart, conditions, and random blocks against a reference model.

use proptest::prelude::*;

use crate::tests::reference_matches_str;
use crate::{Condition, Permission, RoleDefinition, RoleType};

fn strings(patterns: &[&str]) -> Vec<String> {
    patterns
        .iter()
        .map(|pattern| (*pattern).to_owned())
        .collect()
}

fn block(
    actions: &[&str],
    not_actions: &[&str],
    data_actions: &[&str],
    not_data_actions: &[&str],
) -> Permission {
    Permission {
        actions: strings(actions),
        not_actions: strings(not_actions),
        data_actions: strings(data_actions),
        not_data_actions: strings(not_data_actions),
        condition: None,
    }
}

fn role(permissions: Vec<Permission>) -> RoleDefinition {
    RoleDefinition {
        id: "00000000-0000-0000-0000-000000000001".to_owned(),
        role_name: "Test Role".to_owned(),
        description: String::new(),
        role_type: RoleType::Custom,
        permissions,
        assignable_scopes: vec!["/".to_owned()],
    }
}

/// Checks `(action, is_data_action, expected)` cases against `role`.
fn check(role: &RoleDefinition, cases: &[(&str, bool, bool)]) {
    for &(action, is_data_action, expected) in cases {
        assert_eq!(
            role.allows(action, is_data_action),
            expected,
            "allows(`{action}`, is_data_action: {is_data_action})"
        );
    }
}

#[test]
fn not_actions_subtract_inside_their_block() {
    let role = role(vec![block(
        &["Microsoft.Compute/*"],
        &[
            "Microsoft.Compute/virtualMachines/delete",
            "Microsoft.Compute/*/write",
        ],
        &[],
        &[],
    )]);
    check(
        &role,
        &[
            ("Microsoft.Compute/virtualMachines/read", false, true),
            ("Microsoft.Compute/virtualMachines/delete", false, false),
            ("Microsoft.Compute/disks/write", false, false),
            ("microsoft.compute/DISKS/WRITE", false, false),
            ("Microsoft.Network/virtualNetworks/read", false, false),
        ],
    );
}

#[test]
fn not_actions_do_not_subtract_from_other_blocks() {
    let role = role(vec![
        block(&["*"], &["Microsoft.Authorization/*/Write"], &[], &[]),
        block(
            &["Microsoft.Authorization/roleAssignments/write"],
            &[],
            &[],
            &[],
        ),
    ]);
    check(
        &role,
        &[
            ("Microsoft.Authorization/roleAssignments/write", false, true),
            (
                "Microsoft.Authorization/policyAssignments/write",
                false,
                false,
            ),
            ("Microsoft.Compute/virtualMachines/write", false, true),
        ],
    );
}

#[test]
fn actions_and_data_actions_are_kept_apart() {
    let blob_read = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read";
    check(
        &role(vec![block(&["*"], &[], &[], &[])]),
        &[(blob_read, false, true), (blob_read, true, false)],
    );
    check(
        &role(vec![block(&[], &[], &["*"], &[])]),
        &[(blob_read, false, false), (blob_read, true, true)],
    );
    // A NotDataActions pattern does not subtract from Actions, nor a NotActions pattern from DataActions.
    check(
        &role(vec![block(&["*"], &[], &["*"], &["*"])]),
        &[(blob_read, false, true), (blob_read, true, false)],
    );
    check(
        &role(vec![block(&["*"], &["*"], &["*"], &[])]),
        &[(blob_read, false, false), (blob_read, true, true)],
    );
}

#[test]
fn a_role_without_blocks_allows_nothing() {
    check(
        &role(Vec::new()),
        &[
            ("", false, false),
            ("Microsoft.Compute/virtualMachines/read", false, false),
        ],
    );
}

#[test]
fn conditions_are_carried_not_evaluated() {
    let mut conditional = block(
        &["Microsoft.Authorization/roleAssignments/write"],
        &[],
        &[],
        &[],
    );
    conditional.condition = Some(Condition {
        expression: "(!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'}))"
            .to_owned(),
        version: "2.0".to_owned(),
    });
    let role = role(vec![conditional, block(&["*/read"], &[], &[], &[])]);
    assert!(role.allows("Microsoft.Authorization/roleAssignments/write", false));
    assert!(!role.allows_unconditionally("Microsoft.Authorization/roleAssignments/write", false));
    assert!(role.allows_unconditionally("Microsoft.Authorization/roleAssignments/read", false));
}

/// The reference model of a block: the lists that apply to the kind of action, matched plainly.
fn reference_allows(permission: &Permission, action: &str, is_data_action: bool) -> bool {
    let (granted, subtracted) = if is_data_action {
        (&permission.data_actions, &permission.not_data_actions)
    } else {
        (&permission.actions, &permission.not_actions)
    };
    granted
        .iter()
        .any(|pattern| reference_matches_str(pattern, action))
        && !subtracted
            .iter()
            .any(|pattern| reference_matches_str(pattern, action))
}

fn patterns() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[ab*]{1,3}(/[ab*]{1,3}){0,2}", 0..3)
}

fn permission() -> impl Strategy<Value = Permission> {
    (patterns(), patterns(), patterns(), patterns()).prop_map(
        |(actions, not_actions, data_actions, not_data_actions)| Permission {
            actions,
            not_actions,
            data_actions,
            not_data_actions,
            condition: None,
        },
    )
}

proptest! {
    /// A role allows an action exactly when some block does by the reference model.
    #[test]
    fn role_agrees_with_reference(
        permissions in prop::collection::vec(permission(), 0..4),
        action in "[abAB]{1,3}(/[abAB]{1,3}){0,2}",
        is_data_action in any::<bool>(),
    ) {
        let expected = permissions.iter().any(|permission| reference_allows(permission, &action, is_data_action));
        for permission in &permissions {
            prop_assert_eq!(permission.allows(&action, is_data_action), reference_allows(permission, &action, is_data_action));
        }
        let role = role(permissions);
        prop_assert_eq!(role.allows(&action, is_data_action), expected);
        prop_assert_eq!(role.allows_unconditionally(&action, is_data_action), expected);
    }
}
