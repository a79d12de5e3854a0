//! The table of roles against management-group actions from issue 4 (after Microsoft's management-group page), derived from the built-in role definitions.
//!
//! The expected table is pasted as the issue prints it; [`check`] renders the same table from the definitions and compares the text, so a failure shows the whole table as the definitions give it.

use crate::builtin_role_by_name;

/// The control-plane action each column of the table stands for.
const COLUMN_ACTIONS: &[(&str, &str)] = &[
    ("create", "Microsoft.Management/managementGroups/write"),
    ("rename", "Microsoft.Management/managementGroups/write"),
    ("move", "Microsoft.Management/managementGroups/write"),
    ("delete", "Microsoft.Management/managementGroups/delete"),
    (
        "assign access",
        "Microsoft.Authorization/roleAssignments/write",
    ),
    (
        "assign policy",
        "Microsoft.Authorization/policyAssignments/write",
    ),
    ("read", "Microsoft.Management/managementGroups/read"),
];

/// Checks a Markdown table (header row, separator row, one row per role) against the built-in role definitions.
///
/// A cell is `X` where the role's definition grants the column's action.
fn check(expected: &str) {
    let mut lines = expected.trim().lines().map(str::trim);
    let header = lines.next().unwrap();
    let separator = lines.next().unwrap();
    let columns: Vec<&str> = cells(header).into_iter().skip(1).collect();
    let mut actual = vec![header.to_owned(), separator.to_owned()];
    for line in lines {
        let role_name = cells(line)[0];
        let role = builtin_role_by_name(role_name)
            .unwrap_or_else(|| panic!("no built-in role `{role_name}`"));
        let row: Vec<&str> = columns
            .iter()
            .map(|column| {
                let (_, action) = COLUMN_ACTIONS
                    .iter()
                    .find(|(name, _)| name == column)
                    .unwrap_or_else(|| panic!("no action for column `{column}`"));
                if role.allows(action, false) {
                    "X"
                } else {
                    ""
                }
            })
            .collect();
        actual.push(render_row(role_name, &row));
    }
    assert_eq!(
        actual.join("\n"),
        expected
            .trim()
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Returns the trimmed cells of a Markdown table row.
fn cells(line: &str) -> Vec<&str> {
    line.trim()
        .trim_start_matches('|')
        .trim_end_matches('|')
        .split('|')
        .map(str::trim)
        .collect()
}

/// Renders a row the way the issue writes it: `| role | X | | … |`.
fn render_row(role_name: &str, row: &[&str]) -> String {
    let mut line = format!("| {role_name} |");
    for cell in row {
        line.push_str(if cell.is_empty() { " |" } else { " X |" });
    }
    line
}

#[test]
fn management_group_role_table() {
    check(
        "
        | role | create | rename | move | delete | assign access | assign policy | read |
        |---|---|---|---|---|---|---|---|
        | Owner | X | X | X | X | X | X | X |
        | Contributor | X | X | X | X | | | X |
        | Management Group Contributor | X | X | X | X | | | X |
        | Reader | | | | | | | X |
        | Management Group Reader | | | | | | | X |
        | Resource Policy Contributor | | | | | | X | X |
        | User Access Administrator | | | | | X | X | X |
        ",
    );
}
