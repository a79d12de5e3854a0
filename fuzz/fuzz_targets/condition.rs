//! Fuzzes the ABAC condition parser `leitstand_rbac::condition::parse` and the evaluator on
//! arbitrary UTF-8.
//!
//! Parsing never panics; an accepted condition prints as canonical text that parses back to the
//! same tree and prints the same again, and it evaluates to the same result either way; a refusal
//! names a position inside the input, on a character boundary, in a one-line lowercase message.
//! It does not check evaluation against a reference model; the unit tests in
//! `crates/rbac/src/tests/condition.rs` do that on documented examples.

#![no_main]

use leitstand_rbac::condition::{evaluate, parse, AttributeValue, Context, Source};
use libfuzzer_sys::{fuzz_target, Corpus};

/// A fixed request: a role-assignment write with string, GUID, number and list attributes.
struct FixedContext;

impl Context for FixedContext {
    fn action(&self) -> &str {
        "Microsoft.Authorization/roleAssignments/write"
    }

    fn sub_operation(&self) -> Option<&str> {
        Some("Blob.List")
    }

    fn attribute(&self, source: Source, name: &str) -> Option<AttributeValue> {
        match (source, name) {
            (Source::Request, "x") => Some(AttributeValue::String("abc".to_owned())),
            (Source::Request, "n") => Some(AttributeValue::Number(7)),
            (Source::Resource, "tags") => Some(AttributeValue::Strings(vec![
                "a".to_owned(),
                "b".to_owned(),
            ])),
            (Source::Request, _) => Some(AttributeValue::Guid(
                "acdd72a7-3385-48ef-bd42-f606fba81ae7".to_owned(),
            )),
            _ => None,
        }
    }
}

fuzz_target!(|data: &[u8]| -> Corpus {
    let Ok(text) = std::str::from_utf8(data) else {
        return Corpus::Reject;
    };
    match parse(text) {
        Ok(condition) => {
            let printed = condition.to_string();
            let reparsed = parse(&printed)
                .unwrap_or_else(|error| panic!("canonical text `{printed}` of `{text}`: {error}"));
            assert_eq!(
                reparsed, condition,
                "canonical text `{printed}` of `{text}`"
            );
            assert_eq!(reparsed.to_string(), printed);
            let evaluation = evaluate(&condition, &FixedContext);
            assert_eq!(evaluate(&reparsed, &FixedContext), evaluation);
        }
        Err(error) => {
            assert!(error.offset <= text.len(), "{error:?} in `{text}`");
            assert!(text.is_char_boundary(error.offset), "{error:?} in `{text}`");
            assert!(error.line >= 1 && error.column >= 1, "{error:?}");
            let message = error.to_string();
            assert!(!message.contains('\n'), "`{message}`");
            assert!(!message.ends_with('.'), "`{message}`");
            assert!(message.starts_with("invalid role assignment condition at line "));
        }
    }
    Corpus::Keep
});
