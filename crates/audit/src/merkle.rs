//! Merkle tree roots, inclusion proofs and consistency proofs (RFC 6962 section 2.1, RFC 9162 section 2.1).
//!
//! The generators take the full list of leaf hashes and follow RFC 6962's recursive definitions (`MTH`, `PATH`, `PROOF`) directly.
//! That makes them the plain reference model: [`merkle_root`] costs O(n), so the write path uses [`crate::Frontier`] instead.
//! The verifiers follow RFC 9162 sections 2.1.3.2 and 2.1.4.2 step by step and never panic on hostile input: a bad proof is `false`.
//! Leaf indices are 0-based, tree sizes count leaves.
//! This module does not fetch leaves from anywhere and does not sign anything.

use crate::error::AuditError;
use crate::hash::{empty_root, node_hash, Hash};

/// Splits `leaves` at the largest power of two smaller than its length (RFC 6962 section 2.1).
///
/// Returns `None` for fewer than two leaves, which are not split.
fn split(leaves: &[Hash]) -> Option<(&[Hash], &[Hash])> {
    let n = leaves.len();
    if n < 2 {
        return None;
    }
    // For n >= 2, 2^floor(log2(n - 1)) is the largest power of two below n.
    let k = n.checked_sub(1)?.checked_ilog2()?;
    leaves.split_at_checked(1usize.checked_shl(k)?)
}

/// Returns the Merkle tree hash (`MTH`) of a list of leaf hashes.
pub fn merkle_root(leaves: &[Hash]) -> Hash {
    match split(leaves) {
        Some((left, right)) => node_hash(&merkle_root(left), &merkle_root(right)),
        None => match leaves {
            [only] => *only,
            _ => empty_root(),
        },
    }
}

/// Returns the audit path (`PATH`) proving that leaf `index` is in the tree over `leaves`.
///
/// The path lists sibling hashes from the leaf up to the root, as [`verify_inclusion`] expects.
pub fn inclusion_proof(leaves: &[Hash], index: u64) -> Result<Vec<Hash>, AuditError> {
    let out_of_range = || AuditError::LeafIndexOutOfRange {
        index,
        tree_size: tree_size(leaves),
    };
    let position = usize::try_from(index).map_err(|_| out_of_range())?;
    if position >= leaves.len() {
        return Err(out_of_range());
    }
    let mut proof = Vec::new();
    push_path(position, leaves, &mut proof);
    Ok(proof)
}

/// Appends `PATH(position, leaves)` to `proof`, deepest sibling first.
fn push_path(position: usize, leaves: &[Hash], proof: &mut Vec<Hash>) {
    let Some((left, right)) = split(leaves) else {
        return;
    };
    match position.checked_sub(left.len()) {
        None => {
            push_path(position, left, proof);
            proof.push(merkle_root(right));
        }
        Some(position_in_right) => {
            push_path(position_in_right, right, proof);
            proof.push(merkle_root(left));
        }
    }
}

/// Returns the consistency proof (`PROOF`) that the tree over the first `old_size` leaves is a prefix of the tree over `leaves`.
///
/// The proof is empty when `old_size` is 0 or equals the tree size.
pub fn consistency_proof(leaves: &[Hash], old_size: u64) -> Result<Vec<Hash>, AuditError> {
    let out_of_range = || AuditError::OldSizeOutOfRange {
        old_size,
        tree_size: tree_size(leaves),
    };
    let old_len = usize::try_from(old_size).map_err(|_| out_of_range())?;
    if old_len > leaves.len() {
        return Err(out_of_range());
    }
    let mut proof = Vec::new();
    if old_len > 0 {
        push_subproof(old_len, leaves, true, &mut proof);
    }
    Ok(proof)
}

/// Appends `SUBPROOF(old_len, leaves, complete)` to `proof`.
///
/// `complete` is RFC 6962's `b`: whether the subtree over the first `old_len` leaves is one the verifier already knows the hash of.
fn push_subproof(old_len: usize, leaves: &[Hash], complete: bool, proof: &mut Vec<Hash>) {
    if old_len == leaves.len() {
        if !complete {
            proof.push(merkle_root(leaves));
        }
        return;
    }
    let Some((left, right)) = split(leaves) else {
        return;
    };
    match old_len.checked_sub(left.len()) {
        Some(old_len_in_right) if old_len_in_right > 0 => {
            push_subproof(old_len_in_right, right, false, proof);
            proof.push(merkle_root(left));
        }
        _ => {
            push_subproof(old_len, left, complete, proof);
            proof.push(merkle_root(right));
        }
    }
}

/// Returns whether `proof` shows that `leaf` is leaf `index` of the tree of `tree_size` leaves with root `root` (RFC 9162 section 2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    tree_size: u64,
    proof: &[Hash],
    root: &Hash,
) -> bool {
    if index >= tree_size {
        return false;
    }
    let mut node_index = index;
    let Some(mut last_index) = tree_size.checked_sub(1) else {
        return false;
    };
    let mut computed = *leaf;
    for sibling in proof {
        if last_index == 0 {
            return false;
        }
        if is_odd(node_index) || node_index == last_index {
            computed = node_hash(sibling, &computed);
            // A left child at the right border has no sibling on some levels: skip them.
            while !is_odd(node_index) && node_index != 0 {
                node_index >>= 1;
                last_index >>= 1;
            }
        } else {
            computed = node_hash(&computed, sibling);
        }
        node_index >>= 1;
        last_index >>= 1;
    }
    last_index == 0 && computed == *root
}

/// Returns whether `proof` shows that the tree of `old_size` leaves with root `old_root` is a prefix of the tree of `new_size` leaves with root `new_root` (RFC 9162 section 2.1.4.2).
///
/// Equal sizes need an empty proof and equal roots.
/// An old size of 0 needs an empty proof and the empty tree's root as `old_root`.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    if old_size == 0 {
        return proof.is_empty() && *old_root == empty_root();
    }
    // From here on 0 < old_size < new_size, so the proof cannot be empty.
    let mut path = proof.iter();
    let first = if old_size.is_power_of_two() {
        // The old tree is a complete subtree: its root is the proof's implicit first element.
        if proof.is_empty() {
            return false;
        }
        *old_root
    } else {
        match path.next() {
            Some(first) => *first,
            None => return false,
        }
    };
    let (Some(mut old_index), Some(mut new_index)) =
        (old_size.checked_sub(1), new_size.checked_sub(1))
    else {
        return false;
    };
    while is_odd(old_index) {
        old_index >>= 1;
        new_index >>= 1;
    }
    let mut old_computed = first;
    let mut new_computed = first;
    for node in path {
        if new_index == 0 {
            return false;
        }
        if is_odd(old_index) || old_index == new_index {
            old_computed = node_hash(node, &old_computed);
            new_computed = node_hash(node, &new_computed);
            while !is_odd(old_index) && old_index != 0 {
                old_index >>= 1;
                new_index >>= 1;
            }
        } else {
            new_computed = node_hash(&new_computed, node);
        }
        old_index >>= 1;
        new_index >>= 1;
    }
    old_computed == *old_root && new_computed == *new_root && new_index == 0
}

/// Returns whether the least significant bit is set.
fn is_odd(n: u64) -> bool {
    n & 1 == 1
}

/// Returns the number of leaves as a tree size.
fn tree_size(leaves: &[Hash]) -> u64 {
    u64::try_from(leaves.len()).unwrap_or(u64::MAX)
}
