//! The error type of loading the embedded role data.
//!
//! [`EmbeddedDataError`] says why the compiled-in built-in roles or operation catalogue could not be loaded.
//! The tests load both, so a released binary never meets it; it exists so that loading needs no panic.
//! It deliberately does not cover access decisions: matching and [`crate::RoleDefinition::allows`] never fail.

/// Describes why embedded role data could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedDataError {
    /// The embedded built-in role definitions are not the expected JSON.
    #[error("embedded built-in role definitions cannot be parsed")]
    BuiltinRolesJson {
        /// The JSON parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// The embedded provider operation catalogue is not the expected JSON.
    #[error("embedded provider operation catalogue cannot be parsed")]
    OperationsJson {
        /// The JSON parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A built-in role definition's id is not a lowercase GUID.
    #[error("built-in role definition id `{id}` is not a lowercase GUID")]
    InvalidRoleId {
        /// The rejected id.
        id: String,
    },
    /// Two built-in role definitions have the same id.
    #[error("built-in role definition id `{id}` occurs more than once")]
    DuplicateRoleId {
        /// The repeated id.
        id: String,
    },
    /// Two built-in role definitions have the same name, compared case-insensitively.
    #[error("built-in role name `{role_name}` occurs more than once")]
    DuplicateRoleName {
        /// The second spelling of the repeated name.
        role_name: String,
    },
}
