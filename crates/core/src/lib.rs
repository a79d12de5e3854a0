//! Leitstand's domain core: identifiers, ARM resource ids and scopes, the management-group
//! hierarchy with Azure's rules, the table of error codes, and the clock.
//!
//! This crate does no I/O and knows no wire format: it never depends on sqlx, axum or serde.

pub mod clock;
pub mod error;
pub mod ids;
pub mod resource_id;
pub mod tree;

pub use clock::{Clock, SystemClock};
pub use error::ErrorCode;
