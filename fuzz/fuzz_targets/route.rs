//! Fuzzes `Operation::parse`, the router from method and path to an ARM operation, with each
//! of GET, PUT, PATCH, DELETE, POST and HEAD on arbitrary UTF-8 paths.
//!
//! Checks that every operation names an RBAC action whose verb fits the method (a GET or
//! HEAD never needs more than read, a PUT, PATCH or DELETE is a write that needs write or
//! delete), has api-versions, carries a resource id that round-trips, and that the path is
//! matched without regard to ASCII case.
//! It does not check that the router knows every ARM route; the HTTP tests do.

#![no_main]

use http::Method;
use leitstand_api::error::ApiError;
use leitstand_api::ops::Operation;
use leitstand_core::resource_id::Scope;
use leitstand_core::ErrorCode;
use libfuzzer_sys::{fuzz_target, Corpus};

const METHODS: [Method; 6] = [
    Method::GET,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::POST,
    Method::HEAD,
];

/// Returns what the router decided, in a form that does not depend on the path's spelling.
fn outcome(res: &Result<Option<Operation>, ApiError>) -> Result<Option<&'static str>, ErrorCode> {
    match res {
        Ok(op) => Ok(op.as_ref().map(Operation::label)),
        Err(e) => Err(e.code),
    }
}

fn check_operation(method: &Method, path: &str, op: &Operation) {
    let action = op.action();
    assert!(!action.is_empty(), "{method} `{path}`: {op:?}");
    assert!(!op.label().is_empty());
    let family = op.family();
    assert!(!family.versions().is_empty(), "{op:?} has no api-versions");
    assert!(family.versions().iter().all(|v| !v.is_empty()));
    assert!(!family.resource_type().is_empty());

    let verb = action.rsplit('/').next().unwrap_or_default();
    assert!(
        action.contains('/') && matches!(verb, "read" | "write" | "delete" | "action"),
        "{method} `{path}`: {op:?} has the action `{action}`"
    );
    match *method {
        Method::GET | Method::HEAD => {
            assert_eq!(verb, "read", "{method} `{path}`: {op:?} needs `{action}`");
            assert!(!op.is_write(), "{method} `{path}`: {op:?} is a write");
        }
        Method::PUT | Method::PATCH | Method::DELETE => {
            assert!(
                matches!(verb, "write" | "delete"),
                "{method} `{path}`: {op:?} needs `{action}`"
            );
            assert!(op.is_write(), "{method} `{path}`: {op:?} is not a write");
        }
        _ => {}
    }

    use Operation::*;
    if let GetResource(r) | CheckResource(r) | PutResource(r) | PatchResource(r)
    | DeleteResource(r) = op
    {
        assert!(action.starts_with(&r.resource_type()), "{op:?}: `{action}`");
        let scope = Scope::Resource(r.clone());
        let id = scope.to_string();
        match Scope::parse(&id) {
            Ok(reparsed) => assert_eq!(reparsed, scope, "`{path}` -> `{id}`"),
            Err(e) => panic!("resource id `{id}` from `{path}` does not parse: {e}"),
        }
    }
}

fuzz_target!(|data: &[u8]| -> Corpus {
    let Ok(path) = std::str::from_utf8(data) else {
        return Corpus::Reject;
    };
    let upper = path.to_ascii_uppercase();
    for method in &METHODS {
        let res = Operation::parse(method, path);
        match &res {
            Ok(Some(op)) => check_operation(method, path, op),
            Ok(None) => {}
            Err(e) => {
                assert!(
                    matches!(
                        e.code,
                        ErrorCode::InvalidResourceName
                            | ErrorCode::InvalidSubscriptionId
                            | ErrorCode::InvalidResourceGroupName
                            | ErrorCode::InvalidResourceId
                            | ErrorCode::MethodNotAllowed
                    ),
                    "{method} `{path}`: {e:?}"
                );
                assert!(
                    e.code == ErrorCode::MethodNotAllowed || e.target.is_some(),
                    "{method} `{path}`: {e:?} names no parameter"
                );
            }
        }
        // ARM matches paths case-insensitively; percent-escapes decode the same either way.
        let res_upper = Operation::parse(method, &upper);
        assert_eq!(
            outcome(&res),
            outcome(&res_upper),
            "{method} `{path}` and `{upper}`"
        );
    }
    Corpus::Keep
});
