//! Tests of the frontier's byte encoding and its agreement with the reference root on fixed sizes.
//!
//! Random sizes are covered in `properties`.

use crate::tests::leaves;
use crate::{empty_root, merkle_root, AuditError, Frontier};

fn frontier_of(n: usize) -> Frontier {
    let mut frontier = Frontier::new();
    for leaf in leaves(n, 1) {
        frontier.append(leaf).unwrap();
    }
    frontier
}

#[test]
fn empty_frontier_has_the_empty_root() {
    let frontier = Frontier::new();
    assert_eq!(frontier.size(), 0);
    assert_eq!(frontier.root(), empty_root());
    assert_eq!(frontier.to_bytes(), vec![0; 8]);
}

#[test]
fn root_matches_reference_for_sizes_around_powers_of_two() {
    for n in [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65] {
        assert_eq!(
            frontier_of(n).root(),
            merkle_root(&leaves(n, 1)),
            "size {n}"
        );
    }
}

#[test]
fn encoding_is_size_then_subtree_roots_largest_first() {
    let leaf_hashes = leaves(7, 1);
    let bytes = frontier_of(7).to_bytes();
    let mut expected = 7u64.to_be_bytes().to_vec();
    expected.extend_from_slice(&merkle_root(&leaf_hashes[..4]).0);
    expected.extend_from_slice(&merkle_root(&leaf_hashes[4..6]).0);
    expected.extend_from_slice(&leaf_hashes[6].0);
    assert_eq!(bytes, expected);
    assert_eq!(Frontier::from_bytes(&bytes), Ok(frontier_of(7)));
}

#[test]
fn decoding_rejects_wrong_lengths() {
    assert_eq!(
        Frontier::from_bytes(&[0; 7]),
        Err(AuditError::FrontierTooShort { found: 7 })
    );
    let mut bytes = frontier_of(5).to_bytes();
    bytes.push(0);
    assert_eq!(
        Frontier::from_bytes(&bytes).unwrap_err().to_string(),
        "frontier encoding for tree size 5 must be 72 bytes, found 73"
    );
    bytes.truncate(40);
    assert_eq!(
        Frontier::from_bytes(&bytes),
        Err(AuditError::FrontierLength {
            size: 5,
            expected: 72,
            found: 40
        })
    );
    // The largest size needs 64 hashes; a bare size header must not panic or allocate.
    assert_eq!(
        Frontier::from_bytes(&u64::MAX.to_be_bytes()),
        Err(AuditError::FrontierLength {
            size: u64::MAX,
            expected: 8 + 64 * 32,
            found: 8
        })
    );
}

#[test]
fn a_full_frontier_refuses_to_append_and_stays_unchanged() {
    let mut bytes = u64::MAX.to_be_bytes().to_vec();
    bytes.extend(std::iter::repeat_n(0xab, 64 * 32));
    let mut frontier = Frontier::from_bytes(&bytes).unwrap();
    let before = frontier.clone();
    assert_eq!(frontier.append(empty_root()), Err(AuditError::LogFull));
    assert_eq!(frontier, before);
}
