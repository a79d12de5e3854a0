//! Fuzzes `Body::parse`, the reader of ARM request bodies, and the typed lookups on the
//! property paths the handlers read, on arbitrary bytes.
//!
//! Checks that a body is refused only with `InvalidRequestContent`, that a parsed body is an
//! object, that lookups agree with each other, and that every refusal names the path asked
//! (or, when a step on the way is not an object, that step's dotted prefix of it).
//! It does not check handler semantics such as whether a display name may be empty.

#![no_main]

use leitstand_api::body::Body;
use leitstand_api::error::ApiError;
use leitstand_core::ids::{check_tag, MAX_TAGS};
use leitstand_core::ErrorCode;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// String properties the handlers read.
const STRING_PATHS: &[&str] = &[
    "properties.displayName",
    "properties.details.parent.id",
    "properties.defaultManagementGroup",
    "location",
    "managedBy",
];
/// Object properties the handlers read.
const OBJECT_PATHS: &[&str] = &[
    "properties",
    "properties.details",
    "properties.details.parent",
];
/// Boolean properties the handlers read.
const BOOL_PATHS: &[&str] = &["properties.requireAuthorizationForGroupCreation"];
/// Tag maps the handlers read.
const TAG_PATHS: &[&str] = &["tags", "properties.tags"];

/// Returns the target of a refused lookup, after checking that it names `path` or the step
/// on the way to it that was not an object.
fn checked_target<'a>(path: &str, error: &'a ApiError) -> &'a str {
    let target = match error.target.as_deref() {
        Some(target) => target,
        None => panic!("refusal of `{path}` has no target: {error:?}"),
    };
    let is_path_or_prefix = target == path
        || path
            .strip_prefix(target)
            .is_some_and(|rest| rest.starts_with('.'));
    assert!(
        is_path_or_prefix,
        "refusal of `{path}` names `{target}`: {error:?}"
    );
    target
}

/// Checks `get` and returns what it found, `None` when it refused the path.
fn checked_get<'a>(body: &'a Body, path: &str) -> Option<Option<&'a Value>> {
    match body.get(path) {
        Ok(found) => {
            assert!(!matches!(found, Some(Value::Null)), "`{path}` gave null");
            Some(found)
        }
        Err(e) => {
            assert_eq!(e.code, ErrorCode::InvalidRequestContent, "{e:?}");
            let target = checked_target(path, &e);
            assert_ne!(target, path, "`get` refuses only a non-object on the way");
            None
        }
    }
}

/// Checks that a typed lookup agrees with `get`: absent values stay absent, a value of the
/// right kind is returned as is, and a value of the wrong kind is refused at `path` itself.
fn check_typed<'a, T: std::fmt::Debug + PartialEq>(
    path: &str,
    found: Option<Option<&'a Value>>,
    typed: Result<Option<T>, ApiError>,
    extract: impl Fn(&'a Value) -> Option<T>,
) {
    match (found, typed) {
        (None, Err(e)) => {
            checked_target(path, &e);
        }
        (None, Ok(v)) => panic!("`get` refused `{path}` but the typed lookup gave {v:?}"),
        (Some(None), res) => assert!(matches!(res, Ok(None)), "`{path}`: {res:?}"),
        (Some(Some(value)), res) => match (extract(value), res) {
            (Some(expected), Ok(Some(got))) => assert_eq!(expected, got, "`{path}`"),
            (None, Err(e)) => {
                assert_eq!(e.code, ErrorCode::InvalidRequestContent, "{e:?}");
                assert_eq!(e.target.as_deref(), Some(path), "type error at `{path}`");
            }
            (expected, res) => panic!("`{path}` holds {expected:?} but gave {res:?}"),
        },
    }
}

fuzz_target!(|data: &[u8]| {
    let body = match Body::parse(data) {
        Ok(body) => body,
        Err(e) => {
            assert_eq!(e.code, ErrorCode::InvalidRequestContent, "{e:?}");
            assert!(matches!(e.target.as_deref(), None | Some("$")), "{e:?}");
            return;
        }
    };
    let Value::Object(root) = &body.0 else {
        panic!("a parsed body is not an object: {body:?}");
    };
    if data.iter().all(u8::is_ascii_whitespace) {
        assert!(root.is_empty(), "an empty body parsed as {root:?}");
    }

    for &path in STRING_PATHS {
        let found = checked_get(&body, path);
        check_typed(path, found, body.str(path), |v| {
            v.as_str().map(str::to_owned)
        });
    }
    for &path in BOOL_PATHS {
        let found = checked_get(&body, path);
        check_typed(path, found, body.bool(path), Value::as_bool);
    }
    for &path in OBJECT_PATHS {
        let found = checked_get(&body, path);
        check_typed(path, found, body.object(path), Value::as_object);
    }
    for &path in TAG_PATHS {
        match body.tags(path) {
            Ok(None) => {}
            Ok(Some(tags)) => {
                assert!(tags.len() <= MAX_TAGS, "{} tags at `{path}`", tags.len());
                for (name, value) in &tags {
                    let Some(value) = value.as_str() else {
                        panic!("tag `{name}` at `{path}` is not a string: {value:?}");
                    };
                    assert!(check_tag(name, value).is_ok(), "tag `{name}`: `{value}`");
                }
            }
            Err(e) => {
                assert!(
                    matches!(
                        e.code,
                        ErrorCode::InvalidRequestContent | ErrorCode::InvalidParameter
                    ),
                    "{e:?}"
                );
                let Some(target) = e.target.as_deref() else {
                    panic!("refusal of tags at `{path}` has no target: {e:?}");
                };
                // A refused tag is named `{path}.{tag name}`; tag names may contain dots.
                let names_a_tag = target
                    .strip_prefix(path)
                    .is_some_and(|rest| rest.starts_with('.'));
                if !names_a_tag {
                    checked_target(path, &e);
                }
            }
        }
    }
});
