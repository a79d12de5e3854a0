//! The error type of the audit engine's fallible operations.
//!
//! [`AuditError`] covers malformed input (hash strings, stored frontier bytes) and out-of-range proof requests.
//! It deliberately does not cover a log that fails verification: that is an expected outcome, reported as a [`crate::VerifyFailure`].

/// Describes why an audit operation could not be carried out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// A hash string is not exactly 64 hex digits.
    #[error("invalid hash `{input}`: expected 64 hex digits")]
    InvalidHash {
        /// The rejected input.
        input: String,
    },
    /// Stored frontier bytes are too short to hold the 8-byte tree size.
    #[error("frontier encoding is {found} bytes, too short for the 8-byte tree size")]
    FrontierTooShort {
        /// The length of the rejected encoding.
        found: usize,
    },
    /// Stored frontier bytes do not hold one hash per set bit of the tree size.
    #[error("frontier encoding for tree size {size} must be {expected} bytes, found {found}")]
    FrontierLength {
        /// The tree size read from the encoding.
        size: u64,
        /// The length that tree size requires.
        expected: usize,
        /// The length of the rejected encoding.
        found: usize,
    },
    /// An inclusion proof was requested for a leaf the tree does not have.
    #[error("leaf index {index} is out of range for a tree of size {tree_size}")]
    LeafIndexOutOfRange {
        /// The requested 0-based leaf index.
        index: u64,
        /// The number of leaves in the tree.
        tree_size: u64,
    },
    /// A consistency proof was requested from a tree size larger than the tree.
    #[error("old tree size {old_size} is larger than the tree size {tree_size}")]
    OldSizeOutOfRange {
        /// The requested old tree size.
        old_size: u64,
        /// The number of leaves in the tree.
        tree_size: u64,
    },
    /// The log already holds `u64::MAX` events.
    #[error("log is full: it already holds the maximum number of events")]
    LogFull,
}
