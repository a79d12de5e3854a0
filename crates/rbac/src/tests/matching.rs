//! Tests of [`crate::action_matches`]: Microsoft's documented examples, then random patterns against the reference matcher.

use proptest::prelude::*;

use crate::action_matches;
use crate::tests::reference_matches_str;

/// Checks every `(pattern, action, expected)` case against both the matcher and the reference model.
fn check(cases: &[(&str, &str, bool)]) {
    for &(pattern, action, expected) in cases {
        assert_eq!(
            action_matches(pattern, action),
            expected,
            "action_matches(`{pattern}`, `{action}`)"
        );
        assert_eq!(
            reference_matches_str(pattern, action),
            expected,
            "reference model on (`{pattern}`, `{action}`)"
        );
    }
}

#[test]
fn documented_examples() {
    // Microsoft's "Azure role definitions" page, section Actions, and the built-in roles' own patterns.
    check(&[
        // `*`: everything.
        ("*", "Microsoft.Compute/virtualMachines/read", true),
        ("*", "", true),
        // `Microsoft.Compute/*`: all operations of all resource types of the provider.
        (
            "Microsoft.Compute/*",
            "Microsoft.Compute/virtualMachines/read",
            true,
        ),
        (
            "Microsoft.Compute/*",
            "Microsoft.Compute/virtualMachines/extensions/write",
            true,
        ),
        (
            "Microsoft.Compute/*",
            "Microsoft.ComputeSchedule/register/action",
            false,
        ),
        (
            "Microsoft.Compute/*",
            "Microsoft.Network/virtualNetworks/read",
            false,
        ),
        // `Microsoft.Network/*/read`: read operations of all resource types of the provider.
        (
            "Microsoft.Network/*/read",
            "Microsoft.Network/virtualNetworks/read",
            true,
        ),
        (
            "Microsoft.Network/*/read",
            "Microsoft.Network/virtualNetworks/subnets/read",
            true,
        ),
        (
            "Microsoft.Network/*/read",
            "Microsoft.Network/virtualNetworks/write",
            false,
        ),
        (
            "Microsoft.Network/*/read",
            "Microsoft.Compute/virtualMachines/read",
            false,
        ),
        // `Microsoft.Compute/virtualMachines/*`: all operations of virtual machines and their child resource types.
        (
            "Microsoft.Compute/virtualMachines/*",
            "Microsoft.Compute/virtualMachines/start/action",
            true,
        ),
        (
            "Microsoft.Compute/virtualMachines/*",
            "Microsoft.Compute/virtualMachines/extensions/read",
            true,
        ),
        (
            "Microsoft.Compute/virtualMachines/*",
            "Microsoft.Compute/virtualMachineScaleSets/read",
            false,
        ),
        // `microsoft.web/sites/restart/Action`: one action, spelled in mixed case as the page spells it.
        (
            "microsoft.web/sites/restart/Action",
            "Microsoft.Web/sites/restart/action",
            true,
        ),
        (
            "microsoft.web/sites/restart/Action",
            "Microsoft.Web/sites/restart/actions",
            false,
        ),
        // Reader's `*/read`: every read, in any provider, at any depth, but nothing else.
        ("*/read", "Microsoft.Storage/storageAccounts/read", true),
        ("*/read", "Microsoft.Management/managementGroups/read", true),
        ("*/read", "Microsoft.Storage/storageAccounts/write", false),
        (
            "*/read",
            "Microsoft.Storage/storageAccounts/listKeys/action",
            false,
        ),
        ("*/read", "Microsoft.Storage/storageAccounts/readers", false),
        // `*` after a `/` keeps the literal prefix, slash included.
        (
            "Microsoft.Storage/storageAccounts/*",
            "Microsoft.Storage/storageAccounts/read",
            true,
        ),
        (
            "Microsoft.Storage/storageAccounts/*",
            "Microsoft.Storage/storageAccounts/blobServices/containers/read",
            true,
        ),
        (
            "Microsoft.Storage/storageAccounts/*",
            "Microsoft.Storage/storageAccountsX/read",
            false,
        ),
        (
            "Microsoft.Storage/storageAccounts/*",
            "Microsoft.Storage/storageAccounts",
            false,
        ),
        // Contributor's NotActions pattern, with its capital `Write`.
        (
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/roleAssignments/write",
            true,
        ),
        (
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/policyAssignments/write",
            true,
        ),
        (
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/roleAssignments/read",
            false,
        ),
        // Case-insensitive on both sides.
        (
            "MICROSOFT.MANAGEMENT/MANAGEMENTGROUPS/WRITE",
            "microsoft.management/managementgroups/write",
            true,
        ),
        // No trimming: the archive's `Microsoft.Network/virtualNetworks/read ` (with a trailing space) matches only itself.
        (
            "Microsoft.Network/virtualNetworks/read ",
            "Microsoft.Network/virtualNetworks/read",
            false,
        ),
        // Only `*` is special.
        (
            "Microsoft.Compute/?/read",
            "Microsoft.Compute/x/read",
            false,
        ),
        (
            "Microsoft.Compute/virtualMachines/read",
            "Microsoft.Compute/virtualMachines/read",
            true,
        ),
        ("", "", true),
        ("", "x", false),
        ("**", "a/b", true),
        ("a*b*c", "a/x/b/y/c", true),
        ("a*b*c", "a/x/c/y/b", false),
    ]);
}

/// Returns `text` with the ASCII letters at the positions `flips` selects switched to the other case.
fn flip_case(text: &str, flips: &[bool]) -> String {
    text.chars()
        .zip(flips.iter().chain(std::iter::repeat(&false)))
        .map(|(c, &flip)| {
            if !flip {
                c
            } else if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

proptest! {
    /// On a small alphabet, so that random patterns and actions often nearly match, the matcher agrees with the reference model.
    #[test]
    fn agrees_with_reference(pattern in "[abAB/*]{0,10}", action in "[abAB/]{0,12}") {
        prop_assert_eq!(action_matches(&pattern, &action), reference_matches_str(&pattern, &action));
    }

    /// The same over realistic characters, with stars placed at segment boundaries as roles write them and inside segments.
    #[test]
    fn agrees_with_reference_on_action_like_strings(
        pattern in "(\\*|[A-Za-z.]{0,4})(/(\\*|[a-zA-Z]{0,3}\\*?[a-z]{0,2})){0,4}",
        action in "[A-Za-z.]{0,4}(/[a-zA-Z]{0,4}){0,5}",
    ) {
        prop_assert_eq!(action_matches(&pattern, &action), reference_matches_str(&pattern, &action));
    }

    /// An action made by filling every star of a pattern with any text, in any letter case, is matched by that pattern.
    #[test]
    fn filled_in_pattern_matches(
        literals in prop::collection::vec("[a-zA-Z./]{0,6}", 1..5),
        fillings in prop::collection::vec("[a-zA-Z./*]{0,6}", 4),
        flips in prop::collection::vec(any::<bool>(), 40),
    ) {
        let pattern = literals.join("*");
        let mut action = String::new();
        for (idx, literal) in literals.iter().enumerate() {
            if idx > 0 {
                action.push_str(&fillings[idx - 1]);
            }
            action.push_str(literal);
        }
        let action = flip_case(&action, &flips);
        prop_assert!(action_matches(&pattern, &action), "`{}` should match `{}`", pattern, action);
    }

    /// A pattern without stars matches exactly the strings equal to it ignoring ASCII case.
    #[test]
    fn literal_pattern_is_case_insensitive_equality(pattern in "[a-zA-Z./]{0,10}", action in "[a-zA-Z./]{0,10}") {
        prop_assert_eq!(action_matches(&pattern, &action), pattern.eq_ignore_ascii_case(&action));
    }

    /// Changing the letter case of either side never changes the answer.
    #[test]
    fn case_does_not_matter(
        pattern in "[abAB/*]{0,10}",
        action in "[abAB/]{0,12}",
        flips in prop::collection::vec(any::<bool>(), 24),
    ) {
        let expected = action_matches(&pattern, &action);
        prop_assert_eq!(action_matches(&flip_case(&pattern, &flips), &action), expected);
        prop_assert_eq!(action_matches(&pattern, &flip_case(&action, &flips[12..])), expected);
    }

    /// Arbitrary Unicode never panics and agrees with the reference model.
    #[test]
    fn arbitrary_text_agrees_with_reference(pattern in "\\PC{0,8}", action in "\\PC{0,8}") {
        prop_assert_eq!(action_matches(&pattern, &action), reference_matches_str(&pattern, &action));
    }
}
