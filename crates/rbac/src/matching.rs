//! Matching an action pattern of a role definition against an action, as Azure RBAC documents it.
//!
//! A pattern such as `Microsoft.Compute/*/read` is compared with an action such as `Microsoft.Compute/virtualMachines/read`:
//! case-insensitively (ASCII case folding, which covers every built-in pattern and catalogued operation), with `*` matching any sequence of characters, `/` included, and every other character matching itself.
//! So `*/read` matches every read action, and `Microsoft.Storage/storageAccounts/*` matches everything below storage accounts but not `Microsoft.Storage/storageAccountsX/read`.
//!
//! This module does not know which list a pattern came from (Actions or DataActions) or how NotActions subtract: that is [`crate::Permission::allows`].
//! It does not trim whitespace or validate patterns; a pattern that matches no known operation is reported by [`crate::unknown_actions`].

/// Returns whether the action pattern `pattern` matches `action`.
///
/// The comparison is ASCII case-insensitive, and `*` matches any sequence of characters, including the empty one and `/`.
/// It runs without allocating, in O(pattern length × action length) time at worst and close to linear time for the patterns roles use.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    // Byte-wise matching is the same as character-wise matching here: `*` is ASCII, case folding is ASCII, and a literal that is valid UTF-8 can only line up with whole characters of the action.
    glob_matches(pattern.as_bytes(), action.as_bytes())
}

/// Returns whether `pattern` matches all of `text`, with `*` as the only wildcard, ignoring ASCII case.
///
/// The classic greedy algorithm: on a mismatch, only the most recent `*` needs to take one more byte, because any match the earlier stars could find, the later one can too.
fn glob_matches(pattern: &[u8], text: &[u8]) -> bool {
    let mut pattern_idx = 0;
    let mut text_idx = 0;
    // The pattern index just after the most recent `*`, and the text index where that star's match currently ends.
    let mut backtrack: Option<(usize, usize)> = None;
    loop {
        match pattern.get(pattern_idx) {
            Some(b'*') => {
                pattern_idx += 1;
                backtrack = Some((pattern_idx, text_idx));
                continue;
            }
            Some(pattern_byte) => {
                if let Some(text_byte) = text.get(text_idx) {
                    if pattern_byte.eq_ignore_ascii_case(text_byte) {
                        pattern_idx += 1;
                        text_idx += 1;
                        continue;
                    }
                }
            }
            None => {
                if text_idx == text.len() {
                    return true;
                }
            }
        }
        // A mismatch: let the most recent star swallow one more byte, or fail if there is none left.
        match backtrack {
            Some((after_star, star_end)) if star_end < text.len() => {
                backtrack = Some((after_star, star_end + 1));
                pattern_idx = after_star;
                text_idx = star_end + 1;
            }
            _ => return false,
        }
    }
}
