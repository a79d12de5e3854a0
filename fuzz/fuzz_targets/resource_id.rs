//! Fuzzes `Scope::parse`, the parser of ARM scopes and resource ids, on arbitrary UTF-8.
//!
//! Checks that an accepted id has a canonical spelling that starts with `/`, parses back to an
//! equal scope and is a fixed point, that keywords and names compare case-insensitively, and
//! that only over-long ids are refused as too long.
//! It does not check which ids ARM itself would accept; the unit tests in `resource_id.rs` do.

#![no_main]

use leitstand_core::resource_id::{ResourceIdError, Scope, MAX_RESOURCE_ID_LEN};
use libfuzzer_sys::{fuzz_target, Corpus};

fuzz_target!(|data: &[u8]| -> Corpus {
    let Ok(id) = std::str::from_utf8(data) else {
        return Corpus::Reject;
    };
    let parsed = Scope::parse(id);

    // Only the length check may report `TooLong`, and it must report every over-long id.
    assert_eq!(
        matches!(parsed, Err(ResourceIdError::TooLong { .. })),
        id.len() > MAX_RESOURCE_ID_LEN,
        "length verdict for an id of {} bytes: {parsed:?}",
        id.len()
    );

    // ARM compares keywords and names case-insensitively, so ASCII case never decides.
    let lowercase = id.to_ascii_lowercase();
    let parsed_lowercase = Scope::parse(&lowercase);
    assert_eq!(
        parsed.is_ok(),
        parsed_lowercase.is_ok(),
        "`{id}` -> {parsed:?} but `{lowercase}` -> {parsed_lowercase:?}"
    );

    let Ok(scope) = parsed else {
        return Corpus::Keep;
    };
    let canonical = scope.to_string();
    assert!(
        canonical.starts_with('/'),
        "canonical form `{canonical}` of `{id}`"
    );
    let reparsed = match Scope::parse(&canonical) {
        Ok(reparsed) => reparsed,
        Err(e) => panic!("canonical form `{canonical}` of `{id}` does not parse: {e}"),
    };
    assert_eq!(reparsed, scope, "`{id}` -> `{canonical}`");
    assert_eq!(
        reparsed.to_string(),
        canonical,
        "canonical form is not a fixed point"
    );

    if let Some(subscription) = scope.subscription() {
        let prefix = format!("/subscriptions/{subscription}");
        assert!(
            canonical.starts_with(&prefix),
            "`{canonical}` does not start with `{prefix}`"
        );
    }

    let Ok(scope_lowercase) = parsed_lowercase else {
        unreachable!("checked above");
    };
    match (&scope, &scope_lowercase) {
        // Resource type spellings are kept as written, so compare them ignoring case.
        (Scope::Resource(a), Scope::Resource(b)) => {
            assert_eq!(a.subscription, b.subscription);
            assert_eq!(a.resource_group, b.resource_group);
            assert!(a.namespace.eq_ignore_ascii_case(&b.namespace));
            assert_eq!(a.segments.len(), b.segments.len());
            for ((type_a, name_a), (type_b, name_b)) in a.segments.iter().zip(&b.segments) {
                assert!(type_a.eq_ignore_ascii_case(type_b));
                assert_eq!(name_a, name_b, "resource names compare case-insensitively");
            }
        }
        _ => assert_eq!(scope, scope_lowercase, "`{id}` and `{lowercase}`"),
    }
    Corpus::Keep
});
