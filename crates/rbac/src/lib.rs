//! Azure role-based access control for Leitstand: role definitions, the built-in roles and the operation catalogue, and action matching.
//!
//! - [`matching`]: [`action_matches`], Azure's case-insensitive `*` wildcard match of an action pattern against an action.
//! - [`definition`]: [`RoleDefinition`] and its permission blocks ([`Permission`]), and whether they grant an action.
//! - [`builtin`]: the 928 Azure built-in role definitions, embedded ([`builtin_roles`], [`builtin_role_by_name`], [`builtin_role_by_id`]).
//! - [`operations`](mod@operations): the provider operation catalogue, embedded ([`operations`](fn@operations)), and [`unknown_actions`] for warning about patterns that match no known operation.
//! - [`error`]: [`EmbeddedDataError`], the one way the embedded data could fail to load.
//!
//! The crate is pure: it does no I/O at run time (the data is compiled in from `data/`), spawns no tasks and reads no clock.
//! It does not yet know role assignments, deny assignments, scopes or the hierarchy, and it does not evaluate ABAC conditions: a permission block's [`Condition`] is carried, not checked.
//! JSON shapes of the wire belong to `leitstand-proto`; the serde types here only read the embedded data and stay private.

// STYLE.md section 2 asks library crates to deny indexing and slicing that can panic; the workspace lint table does not, so this crate does.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

pub mod access;
pub mod builtin;
pub mod definition;
pub mod error;
pub mod matching;
pub mod operations;

#[cfg(test)]
mod tests;

pub use crate::access::{decide, Decision, Deny, Grant, Request};
pub use crate::builtin::{
    builtin_role_by_id, builtin_role_by_name, builtin_roles, try_builtin_roles,
};
pub use crate::definition::{Condition, Permission, RoleDefinition, RoleType};
pub use crate::error::EmbeddedDataError;
pub use crate::matching::action_matches;
pub use crate::operations::{
    operations, operations_matching, try_operations, unknown_actions, Operation,
};
