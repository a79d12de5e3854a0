//! Unit and property tests for the audit engine, with the fixtures they share.
//!
//! Expected values are computed independently of the code under test where possible: hashes with a hand-rolled SHA-256 preimage, roots with the recursive reference [`merkle_root`].
//! The tests do no I/O and use a fixed signing key, so every run is deterministic apart from proptest's inputs.

mod checkpoint;
mod frontier;
mod merkle;
mod properties;
mod verify_log;

use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};

use crate::{leaf_hash, merkle_root, AuditRecord, Checkpoint, Hash, SignedCheckpoint};

/// Returns `SHA-256` of the concatenation of `parts`, without going through the crate's hash functions.
fn sha256(parts: &[&[u8]]) -> Hash {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    Hash(hasher.finalize().into())
}

/// Returns `n` distinct leaf hashes, varied by `salt`.
fn leaves(n: usize, salt: u64) -> Vec<Hash> {
    (0..n as u64)
        .map(|i| leaf_hash(format!("event-{salt}-{i}").as_bytes()))
        .collect()
}

/// Returns the fixed key that signs test checkpoints.
fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

/// Returns a correctly stored log of `contents`, with roots from the reference [`merkle_root`].
fn build_log(contents: &[Vec<u8>]) -> Vec<AuditRecord> {
    let leaf_hashes: Vec<Hash> = contents.iter().map(|content| leaf_hash(content)).collect();
    contents
        .iter()
        .enumerate()
        .map(|(i, content)| AuditRecord {
            seq: i as u64 + 1,
            content: content.clone(),
            stored_leaf: leaf_hashes[i],
            stored_root: merkle_root(&leaf_hashes[..=i]),
        })
        .collect()
}

/// Returns a checkpoint of `size` and `root` for tenant `tenant-1`, signed with [`signing_key`].
fn signed_checkpoint(size: u64, root: Hash) -> SignedCheckpoint {
    let key = signing_key();
    let checkpoint = Checkpoint {
        log_id: "tenant-1".to_owned(),
        size,
        root,
    };
    SignedCheckpoint {
        signature: checkpoint.sign(&key).to_vec(),
        checkpoint,
        key: key.verifying_key(),
    }
}

/// Returns a checkpoint over the whole of `records`.
fn checkpoint_of(records: &[AuditRecord]) -> SignedCheckpoint {
    let leaf_hashes: Vec<Hash> = records.iter().map(|record| record.stored_leaf).collect();
    signed_checkpoint(records.len() as u64, merkle_root(&leaf_hashes))
}
