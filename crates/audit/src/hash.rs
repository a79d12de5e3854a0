//! The hash type and the domain-separated hash functions of the audit Merkle tree (RFC 6962 section 2.1).
//!
//! A leaf hash is `SHA-256(0x00 || data)`, an interior node is `SHA-256(0x01 || left || right)` and the empty tree's root is `SHA-256("")`.
//! The two prefixes keep a leaf from ever being mistaken for an interior node (second-preimage resistance).
//! This module knows nothing about tree shapes, proofs or events: see [`crate::merkle`] and [`crate::frontier`].

use std::fmt;

use sha2::{Digest, Sha256};

use crate::error::AuditError;

/// The length of a [`Hash`](struct@Hash) in bytes.
pub const HASH_LEN: usize = 32;

/// The prefix of a leaf hash's preimage.
const LEAF_PREFIX: u8 = 0x00;

/// The prefix of an interior node hash's preimage.
const NODE_PREFIX: u8 = 0x01;

/// A SHA-256 digest: a leaf hash, an interior node hash or a tree root.
///
/// `Debug` and `Display` print lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hash(pub [u8; HASH_LEN]);

impl Hash {
    /// Returns the raw digest bytes.
    pub const fn as_bytes(&self) -> &[u8; HASH_LEN] {
        &self.0
    }

    /// Returns the digest as 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits (either case).
    pub fn from_hex(input: &str) -> Result<Hash, AuditError> {
        let mut bytes = [0u8; HASH_LEN];
        hex::decode_to_slice(input, &mut bytes).map_err(|_| AuditError::InvalidHash {
            input: input.to_owned(),
        })?;
        Ok(Hash(bytes))
    }
}

impl From<[u8; HASH_LEN]> for Hash {
    fn from(bytes: [u8; HASH_LEN]) -> Hash {
        Hash(bytes)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Returns the leaf hash of an event's canonical bytes: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([LEAF_PREFIX]);
    hasher.update(data);
    Hash(hasher.finalize().into())
}

/// Returns the hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([NODE_PREFIX]);
    hasher.update(left.0);
    hasher.update(right.0);
    Hash(hasher.finalize().into())
}

/// Returns the root of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
}
