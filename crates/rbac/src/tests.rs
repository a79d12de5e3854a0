//! Unit and property tests for the RBAC crate.
//!
//! - `matching`: Microsoft's documented wildcard examples as a table, and [`crate::action_matches`] against a plain recursive reference matcher on random inputs.
//! - `permissions`: NotActions subtracting only inside their block, Actions and DataActions kept apart, and [`crate::Permission::allows`] against a reference model.
//! - `condition`: Microsoft's documented ABAC conditions parse, the MSP delegation case evaluates, errors name their position, and parse and display round-trip.
//! - `builtin_roles`: the embedded role data (count, uniqueness, well-known roles, lookups, load errors).
//! - `management_groups`: the table of roles against management-group actions, derived from the built-in definitions.
//! - `operations`: the embedded operation catalogue and [`crate::unknown_actions`].
//! - `access`: the access decision, and the property that a deny always wins.
//! - `engine`: the access engine against a plain reference model on random worlds and random edit sequences, and worked examples.
//! - `engine_tables`: the engine's lookup tables, closures and bulk builder on larger worlds (many principals, big nested groups, many assignments at one scope), kept in step through many edits.
//!
//! The tests do no I/O beyond the data compiled into the crate.

mod access;
mod builtin_roles;
mod condition;
mod engine;
mod engine_tables;
mod management_groups;
mod matching;
mod operations;
mod permissions;

/// Returns whether `pattern` matches `action`, written as plainly as possible to serve as the reference model.
///
/// It recurses over characters: a `*` tries every split of the rest of the action, any other character must equal the next one ignoring ASCII case.
/// It is exponential in the number of stars, which is fine for the short inputs the property tests use.
fn reference_matches(pattern: &[char], action: &[char]) -> bool {
    match pattern.split_first() {
        None => action.is_empty(),
        Some(('*', pattern_rest)) => {
            (0..=action.len()).any(|taken| reference_matches(pattern_rest, &action[taken..]))
        }
        Some((pattern_char, pattern_rest)) => match action.split_first() {
            Some((action_char, action_rest)) => {
                pattern_char.eq_ignore_ascii_case(action_char)
                    && reference_matches(pattern_rest, action_rest)
            }
            None => false,
        },
    }
}

/// Returns [`reference_matches`] on two strings.
fn reference_matches_str(pattern: &str, action: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let action: Vec<char> = action.chars().collect();
    reference_matches(&pattern, &action)
}
