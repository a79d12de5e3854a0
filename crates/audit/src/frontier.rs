//! The compact right border of the audit Merkle tree: enough state to append a leaf and compute the root in O(log n).
//!
//! A tree of size `n` decomposes into one perfect subtree per set bit of `n`, largest first.
//! [`Frontier`] keeps only the roots of those subtrees, at most 64 hashes, so the storage layer can append an event without reading the log.
//! It has a stable byte encoding for the tenant row: the 8-byte big-endian tree size followed by the subtree roots, largest first.
//! It cannot produce proofs (those need the leaves, see [`crate::merkle`]) and cannot tell whether stored bytes describe the real log: [`crate::verify_log`] checks that.

use crate::error::AuditError;
use crate::hash::{empty_root, node_hash, Hash, HASH_LEN};

/// The length of the tree size at the start of the byte encoding.
const SIZE_LEN: usize = 8;

/// The roots of the perfect subtrees that make up a tree, largest (leftmost) first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    // INVARIANT (frontier-shape): `subtree_roots.len() == size.count_ones()`, and the i-th entry is the root of the subtree for the i-th set bit of `size`, counted from the most significant bit.
    subtree_roots: Vec<Hash>,
}

impl Frontier {
    /// Returns the frontier of the empty tree.
    pub fn new() -> Frontier {
        Frontier::default()
    }

    /// Returns the number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Returns the Merkle tree hash of all leaves appended so far, equal to [`crate::merkle_root`] over them.
    pub fn root(&self) -> Hash {
        let mut from_right = self.subtree_roots.iter().rev();
        let Some(smallest) = from_right.next() else {
            return empty_root();
        };
        from_right.fold(*smallest, |right, left| node_hash(left, &right))
    }

    /// Appends a leaf hash, merging the perfect subtrees it completes.
    ///
    /// Fails only if the tree already has `u64::MAX` leaves; the frontier is then unchanged.
    pub fn append(&mut self, leaf: Hash) -> Result<(), AuditError> {
        let new_size = self.size.checked_add(1).ok_or(AuditError::LogFull)?;
        // Each trailing one bit of the old size is a perfect subtree as high as the one `leaf` is completing.
        let mut carry = leaf;
        for _ in 0..self.size.trailing_ones() {
            match self.subtree_roots.pop() {
                Some(left) => carry = node_hash(&left, &carry),
                None => break,
            }
        }
        self.subtree_roots.push(carry);
        self.size = new_size;
        debug_assert_eq!(
            self.subtree_roots.len(),
            self.size.count_ones() as usize,
            "frontier-shape"
        );
        Ok(())
    }

    /// Returns the stable encoding: the 8-byte big-endian size, then each subtree root's 32 bytes, largest subtree first.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(encoded_len(self.size));
        bytes.extend_from_slice(&self.size.to_be_bytes());
        for subtree_root in &self.subtree_roots {
            bytes.extend_from_slice(subtree_root.as_bytes());
        }
        bytes
    }

    /// Parses the encoding written by [`Frontier::to_bytes`].
    ///
    /// Rejects any input whose length is not 8 bytes plus 32 for each set bit of the size.
    pub fn from_bytes(bytes: &[u8]) -> Result<Frontier, AuditError> {
        let Some((size_bytes, hash_bytes)) = bytes.split_first_chunk::<SIZE_LEN>() else {
            return Err(AuditError::FrontierTooShort { found: bytes.len() });
        };
        let size = u64::from_be_bytes(*size_bytes);
        let wrong_length = || AuditError::FrontierLength {
            size,
            expected: encoded_len(size),
            found: bytes.len(),
        };
        if bytes.len() != encoded_len(size) {
            return Err(wrong_length());
        }
        let subtree_roots = hash_bytes
            .chunks_exact(HASH_LEN)
            .map(|chunk| <[u8; HASH_LEN]>::try_from(chunk).map(Hash))
            .collect::<Result<Vec<Hash>, _>>()
            .map_err(|_| wrong_length())?;
        // INVARIANT (frontier-shape): the length check above leaves exactly one hash per set bit of `size`.
        debug_assert_eq!(
            subtree_roots.len(),
            size.count_ones() as usize,
            "frontier-shape"
        );
        Ok(Frontier {
            size,
            subtree_roots,
        })
    }
}

/// Returns the length of the encoding of a frontier of `size` leaves.
fn encoded_len(size: u64) -> usize {
    // At most 8 + 64 * 32 bytes, so this cannot overflow.
    let n_subtrees = size.count_ones() as usize;
    SIZE_LEN.saturating_add(n_subtrees.saturating_mul(HASH_LEN))
}
