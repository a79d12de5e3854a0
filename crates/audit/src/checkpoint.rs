//! Signed checkpoints: a log's size and root, signed with Ed25519 so that a later rewrite of the log is visible.
//!
//! [`Checkpoint::signing_bytes`] is a fixed, domain-separated text encoding, versioned so that it can change without old signatures becoming ambiguous.
//! This module signs and verifies only.
//! It does not generate, store or rotate keys, and it does not decide which key is trusted for a tenant: the caller passes the trusted key.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::hash::Hash;

/// The first line of every checkpoint's signing bytes, which keeps checkpoint signatures apart from anything else signed with the same key.
pub const CHECKPOINT_DOMAIN: &[u8] = b"leitstand-audit-checkpoint-v1\n";

/// The statement "log `log_id` has `size` events and Merkle root `root`".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's id: the tenant id.
    pub log_id: String,
    /// The number of events in the log.
    pub size: u64,
    /// The Merkle tree hash of the log's first `size` events.
    pub root: Hash,
}

impl Checkpoint {
    /// Returns the bytes that are signed.
    ///
    /// The encoding is [`CHECKPOINT_DOMAIN`], then `log_id`, `\n`, `size` in decimal, `\n` and `root` as 64 lowercase hex digits, with no trailing newline:
    ///
    /// ```text
    /// leitstand-audit-checkpoint-v1
    /// tenant-1
    /// 3
    /// aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77
    /// ```
    ///
    /// The encoding stays unambiguous even if `log_id` contains a newline, because the last two lines never do.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let size = self.size.to_string();
        let root = self.root.to_hex();
        let mut bytes = Vec::with_capacity(
            CHECKPOINT_DOMAIN
                .len()
                .saturating_add(self.log_id.len())
                .saturating_add(size.len())
                .saturating_add(root.len())
                .saturating_add(2),
        );
        bytes.extend_from_slice(CHECKPOINT_DOMAIN);
        bytes.extend_from_slice(self.log_id.as_bytes());
        bytes.push(b'\n');
        bytes.extend_from_slice(size.as_bytes());
        bytes.push(b'\n');
        bytes.extend_from_slice(root.as_bytes());
        bytes
    }

    /// Returns the Ed25519 signature over [`Checkpoint::signing_bytes`].
    pub fn sign(&self, key: &SigningKey) -> [u8; 64] {
        key.sign(&self.signing_bytes()).to_bytes()
    }

    /// Returns whether `signature` is a valid Ed25519 signature by `key` over [`Checkpoint::signing_bytes`].
    ///
    /// Uses strict verification (no small-order keys, no malleable signatures); a signature of the wrong length is `false`.
    pub fn verify(&self, key: &VerifyingKey, signature: &[u8]) -> bool {
        let Ok(signature) = Signature::from_slice(signature) else {
            return false;
        };
        key.verify_strict(&self.signing_bytes(), &signature).is_ok()
    }
}

/// A checkpoint together with its signature and the key that is trusted to have made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The signed statement.
    pub checkpoint: Checkpoint,
    /// The Ed25519 signature, 64 bytes when well formed.
    pub signature: Vec<u8>,
    /// The trusted key of the log; the caller is responsible for choosing it, not the party that stored the checkpoint.
    pub key: VerifyingKey,
}

impl SignedCheckpoint {
    /// Returns whether the signature is valid for the checkpoint and key.
    pub fn verify(&self) -> bool {
        self.checkpoint.verify(&self.key, &self.signature)
    }
}
