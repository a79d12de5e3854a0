//! The access decision: data-driven cases, and the property that a deny always wins.

use proptest::prelude::*;

use crate::access::{decide, Decision, Deny, Grant, Request};
use crate::definition::{Permission, RoleDefinition, RoleType};
use crate::{builtin_role_by_name, RoleDefinition as Role};

fn role(name: &str) -> &'static Role {
    builtin_role_by_name(name).expect("built-in role")
}

fn check(action: &str, roles: &[(&str, bool)], deny: Option<&[&str]>, expect: &str) {
    let grants: Vec<Grant<'_>> = roles
        .iter()
        .map(|(name, holds)| Grant {
            assignment: name,
            role: role(name),
            condition_holds: *holds,
        })
        .collect();
    let deny_permissions = deny.map(|actions| {
        vec![Permission {
            actions: actions.iter().map(|a| a.to_string()).collect(),
            ..Permission::default()
        }]
    });
    let denies: Vec<Deny<'_>> = deny_permissions
        .iter()
        .map(|p| Deny {
            id: "deny-1",
            permissions: p,
        })
        .collect();
    let decision = decide(
        &Request {
            action,
            is_data_action: false,
        },
        &grants,
        &denies,
    );
    let got = match &decision {
        Decision::Allowed { role, .. } => format!("allowed by {role}"),
        Decision::Denied { deny_assignment } => format!("denied by {deny_assignment}"),
        Decision::NotGranted => "not granted".to_owned(),
    };
    assert_eq!(got, expect, "{action} with {roles:?} and deny {deny:?}");
}

#[test]
fn decisions() {
    check(
        "Microsoft.Compute/virtualMachines/read",
        &[("Reader", true)],
        None,
        "allowed by Reader",
    );
    check(
        "Microsoft.Compute/virtualMachines/write",
        &[("Reader", true)],
        None,
        "not granted",
    );
    check(
        "Microsoft.Compute/virtualMachines/write",
        &[("Reader", true), ("Contributor", true)],
        None,
        "allowed by Contributor",
    );
    check(
        "Microsoft.Authorization/roleAssignments/write",
        &[("Contributor", true)],
        None,
        "not granted",
    );
    check(
        "Microsoft.Authorization/roleAssignments/write",
        &[("Owner", true)],
        None,
        "allowed by Owner",
    );
    check(
        "Microsoft.Compute/virtualMachines/read",
        &[("Owner", false)],
        None,
        "not granted",
    );
    check(
        "Microsoft.Storage/storageAccounts/listKeys/action",
        &[("Owner", true)],
        Some(&["Microsoft.Storage/*"]),
        "denied by deny-1",
    );
    check(
        "Microsoft.Compute/virtualMachines/read",
        &[("Owner", true)],
        Some(&["Microsoft.Storage/*"]),
        "allowed by Owner",
    );
}

fn permission_strategy() -> impl Strategy<Value = Permission> {
    let pattern = prop::sample::select(vec![
        "*",
        "*/read",
        "Microsoft.Compute/*",
        "Microsoft.Storage/*",
        "Microsoft.Compute/virtualMachines/read",
        "Microsoft.Storage/storageAccounts/write",
    ]);
    (
        prop::collection::vec(pattern.clone(), 0..3),
        prop::collection::vec(pattern, 0..2),
    )
        .prop_map(|(actions, not_actions)| Permission {
            actions: actions.into_iter().map(str::to_owned).collect(),
            not_actions: not_actions.into_iter().map(str::to_owned).collect(),
            ..Permission::default()
        })
}

proptest! {
    /// Whatever the grants, a deny that matches the action refuses it; without denies, the
    /// decision allows exactly when some granted block allows.
    #[test]
    fn a_deny_always_wins(
        grant_blocks in prop::collection::vec(permission_strategy(), 0..4),
        deny_blocks in prop::collection::vec(permission_strategy(), 0..3),
        action in prop::sample::select(vec!["Microsoft.Compute/virtualMachines/read", "Microsoft.Compute/virtualMachines/write", "Microsoft.Storage/storageAccounts/write", "Microsoft.Web/sites/read"]),
    ) {
        let role = RoleDefinition { id: "r".into(), role_name: "R".into(), description: String::new(), role_type: RoleType::Custom, permissions: grant_blocks.clone(), assignable_scopes: vec![] };
        let grants = [Grant { assignment: "a", role: &role, condition_holds: true }];
        let denies = [Deny { id: "d", permissions: &deny_blocks }];
        let request = Request { action, is_data_action: false };
        let decision = decide(&request, &grants, &denies);
        let denied = deny_blocks.iter().any(|p| p.allows(action, false));
        let granted = grant_blocks.iter().any(|p| p.allows(action, false));
        prop_assert_eq!(decision.is_allowed(), granted && !denied);
        if denied {
            let is_denied = matches!(decision, Decision::Denied { .. });
            prop_assert!(is_denied, "a matching deny must refuse");
        }
    }
}
