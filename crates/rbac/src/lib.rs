//! Azure role-based access control for Leitstand: role definitions, the built-in roles and the operation catalogue, and action matching.
//!
//! - [`matching`]: [`action_matches`], Azure's case-insensitive `*` wildcard match of an action pattern against an action.
//! - [`definition`]: [`RoleDefinition`] and its permission blocks ([`Permission`]), and whether they grant an action.
//! - [`builtin`]: the 928 Azure built-in role definitions, embedded ([`builtin_roles`], [`builtin_role_by_name`], [`builtin_role_by_id`]).
//! - [`operations`](mod@operations): the provider operation catalogue, embedded ([`operations`](fn@operations)), and [`unknown_actions`] for warning about patterns that match no known operation.
//! - [`error`]: [`EmbeddedDataError`], the one way the embedded data could fail to load.
//! - [`condition`]: Azure's role-assignment condition language (version 2.0): `condition::parse` and `condition::evaluate`.
//! - [`access`]: the access decision for one request ([`decide`]): a deny always wins, a condition that does not hold grants nothing.
//!
//! The crate is pure: it does no I/O at run time (the data is compiled in from `data/`), spawns no tasks and reads no clock.
//! It does not know where assignments live, scopes or the hierarchy: the caller works out which assignments apply and evaluates their conditions with [`condition::evaluate`].
//! JSON shapes of the wire belong to the API; the serde types here only read the embedded data and stay private.

// STYLE.md section 2 asks library crates to deny indexing and slicing that can panic; the workspace lint table does not, so this crate does.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

pub mod access;
pub mod builtin;
pub mod condition;
pub mod definition;
pub mod engine;
pub mod error;
pub mod matching;
pub mod operations;

#[cfg(test)]
mod tests;

pub use crate::access::{decide, Decision, Deny, Grant, Request};
pub use crate::builtin::{
    builtin_role_by_id, builtin_role_by_name, builtin_roles, try_builtin_roles,
};
pub use crate::condition::ConditionError;
pub use crate::definition::{Condition, Permission, RoleDefinition, RoleType};
pub use crate::error::EmbeddedDataError;
pub use crate::matching::action_matches;
pub use crate::operations::{
    operations, operations_matching, try_operations, unknown_actions, Operation,
};
