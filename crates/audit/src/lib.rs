//! Tamper evidence for Leitstand's activity log, after Certificate Transparency (RFC 6962, RFC 9162).
//!
//! Each tenant has an append-only log of events.
//! The event with sequence number `seq` (1-based) is leaf `seq - 1` of a Merkle tree whose leaf hash is `SHA-256(0x00 || canonical event bytes)`.
//! This crate computes and checks everything that makes tampering with such a log visible:
//!
//! - [`hash`]: the [`Hash`](struct@Hash) newtype and the leaf, interior-node and empty-tree hashes.
//! - [`merkle`]: tree roots, inclusion proofs and consistency proofs over a full list of leaf hashes.
//! - [`frontier`]: the O(log n) state ([`Frontier`]) that lets the storage layer append an event and compute the new root without reading the log.
//! - [`checkpoint`]: the signed statement "log `log_id` has `size` events and root `root`" ([`Checkpoint`], [`SignedCheckpoint`]).
//! - [`verify`]: [`verify_log`], which replays a whole log against its stored hashes and a signed checkpoint and names the first bad event.
//!
//! The crate is pure: it does no I/O, spawns no tasks, reads no clock and holds no keys.
//! It does not know how events are canonicalized, where the log, the frontier bytes or the signing key are stored, or how checkpoints reach a client.
//! Those belong to the storage layer and the API.

// STYLE.md section 2 asks library crates to deny indexing and slicing that can panic; the workspace lint table does not, so this crate does.
// Arithmetic is denied too, because sizes and indices come from stored bytes and network requests.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)
)]

pub mod checkpoint;
pub mod error;
pub mod frontier;
pub mod hash;
pub mod merkle;
pub mod verify;

#[cfg(test)]
mod tests;

pub use crate::checkpoint::{Checkpoint, SignedCheckpoint};
pub use crate::error::AuditError;
pub use crate::frontier::Frontier;
pub use crate::hash::{empty_root, leaf_hash, node_hash, Hash};
pub use crate::merkle::{
    consistency_proof, inclusion_proof, merkle_root, verify_consistency, verify_inclusion,
};
pub use crate::verify::{verify_log, AuditRecord, VerifiedLog, VerifyFailure, VerifyFailureKind};
