//! Known-answer tests for hashing, roots and proofs: hand-computed preimages and the Certificate Transparency reference vectors.
//!
//! Random sizes are covered in `properties`; these pin the exact bytes so that the tree agrees with every other RFC 6962 implementation.

use crate::tests::{leaves, sha256};
use crate::{
    consistency_proof, empty_root, inclusion_proof, leaf_hash, merkle_root, node_hash,
    verify_consistency, verify_inclusion, AuditError, Hash,
};

/// The Certificate Transparency test leaves (certificate-transparency `merkle_tree_test.cc`).
const CT_LEAF_DATA: [&[u8]; 8] = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
];

/// The roots of the first 0 to 8 CT test leaves.
const CT_ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn h(hex: &str) -> Hash {
    Hash::from_hex(hex).unwrap()
}

fn ct_leaves() -> Vec<Hash> {
    CT_LEAF_DATA.iter().map(|data| leaf_hash(data)).collect()
}

#[test]
fn hashes_use_the_rfc_6962_prefixes() {
    assert_eq!(empty_root(), sha256(&[]));
    assert_eq!(leaf_hash(b"abc"), sha256(&[&[0x00], b"abc"]));
    let (left, right) = (leaf_hash(b"l"), leaf_hash(b"r"));
    assert_eq!(
        node_hash(&left, &right),
        sha256(&[&[0x01], &left.0, &right.0])
    );
    assert_ne!(node_hash(&left, &right), node_hash(&right, &left));
}

#[test]
fn roots_of_small_trees_equal_the_explicit_formula() {
    let data: Vec<Vec<u8>> = (0u8..7).map(|i| vec![b'e', i]).collect();
    let l: Vec<Hash> = data.iter().map(|d| sha256(&[&[0x00], d])).collect();
    let node = |a: Hash, b: Hash| sha256(&[&[0x01], &a.0, &b.0]);
    let leaf_hashes: Vec<Hash> = data.iter().map(|d| leaf_hash(d)).collect();
    assert_eq!(leaf_hashes, l);

    assert_eq!(merkle_root(&[]), sha256(&[]));
    assert_eq!(merkle_root(&leaf_hashes[..1]), l[0]);
    assert_eq!(merkle_root(&leaf_hashes[..2]), node(l[0], l[1]));
    assert_eq!(merkle_root(&leaf_hashes[..3]), node(node(l[0], l[1]), l[2]));
    assert_eq!(
        merkle_root(&leaf_hashes[..7]),
        node(
            node(node(l[0], l[1]), node(l[2], l[3])),
            node(node(l[4], l[5]), l[6])
        )
    );
}

#[test]
fn roots_match_the_certificate_transparency_vectors() {
    let leaf_hashes = ct_leaves();
    for (size, expected) in CT_ROOTS.iter().enumerate() {
        assert_eq!(
            merkle_root(&leaf_hashes[..size]).to_hex(),
            *expected,
            "size {size}"
        );
    }
}

#[test]
fn inclusion_proofs_match_the_certificate_transparency_vectors() {
    let leaf_hashes = ct_leaves();
    let cases: [(u64, [&str; 3]); 2] = [
        (
            0,
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            [
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];
    let root = h(CT_ROOTS[8]);
    for (index, expected) in cases {
        let expected: Vec<Hash> = expected.iter().map(|hex| h(hex)).collect();
        assert_eq!(inclusion_proof(&leaf_hashes, index).unwrap(), expected);
        let leaf = leaf_hashes[index as usize];
        assert!(verify_inclusion(&leaf, index, 8, &expected, &root));
    }
}

#[test]
fn consistency_proofs_match_the_certificate_transparency_vectors() {
    let leaf_hashes = ct_leaves();
    let cases: [(u64, &[&str]); 4] = [
        (
            1,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            2,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (8, &[]),
    ];
    for (old_size, expected) in cases {
        let expected: Vec<Hash> = expected.iter().map(|hex| h(hex)).collect();
        assert_eq!(
            consistency_proof(&leaf_hashes, old_size).unwrap(),
            expected,
            "old size {old_size}"
        );
        let old_root = h(CT_ROOTS[old_size as usize]);
        assert!(verify_consistency(
            old_size,
            8,
            &old_root,
            &h(CT_ROOTS[8]),
            &expected
        ));
    }
}

#[test]
fn consistency_with_equal_or_empty_old_tree() {
    let leaf_hashes = leaves(5, 0);
    let root = merkle_root(&leaf_hashes);
    let other = merkle_root(&leaf_hashes[..4]);
    assert!(consistency_proof(&leaf_hashes, 0).unwrap().is_empty());
    assert!(verify_consistency(5, 5, &root, &root, &[]));
    assert!(!verify_consistency(5, 5, &root, &other, &[]));
    assert!(!verify_consistency(5, 5, &root, &root, &[root]));
    assert!(verify_consistency(0, 5, &empty_root(), &root, &[]));
    assert!(!verify_consistency(0, 5, &other, &root, &[]));
    assert!(!verify_consistency(0, 5, &empty_root(), &root, &[root]));
    assert!(!verify_consistency(5, 4, &root, &other, &[]));
    // A non-trivial old size needs a non-empty proof, even when the old tree is complete.
    assert!(!verify_consistency(4, 5, &other, &root, &[]));
}

#[test]
fn verifiers_reject_out_of_range_sizes() {
    let leaf_hashes = leaves(3, 0);
    let root = merkle_root(&leaf_hashes);
    let proof = inclusion_proof(&leaf_hashes, 2).unwrap();
    assert!(verify_inclusion(&leaf_hashes[2], 2, 3, &proof, &root));
    assert!(!verify_inclusion(&leaf_hashes[2], 3, 3, &proof, &root));
    assert!(!verify_inclusion(&leaf_hashes[2], 0, 0, &[], &root));
    assert!(!verify_inclusion(
        &leaf_hashes[2],
        u64::MAX,
        u64::MAX,
        &proof,
        &root
    ));
    assert!(!verify_consistency(
        u64::MAX - 1,
        u64::MAX,
        &root,
        &root,
        &proof
    ));
}

#[test]
fn proof_generators_reject_out_of_range_input() {
    let leaf_hashes = leaves(3, 0);
    assert_eq!(
        inclusion_proof(&leaf_hashes, 3),
        Err(AuditError::LeafIndexOutOfRange {
            index: 3,
            tree_size: 3
        })
    );
    assert_eq!(
        inclusion_proof(&[], 0).unwrap_err().to_string(),
        "leaf index 0 is out of range for a tree of size 0"
    );
    assert_eq!(
        consistency_proof(&leaf_hashes, 4).unwrap_err().to_string(),
        "old tree size 4 is larger than the tree size 3"
    );
}

#[test]
fn hash_hex_round_trips_and_rejects_bad_input() {
    let hash = leaf_hash(b"x");
    assert_eq!(Hash::from_hex(&hash.to_hex()), Ok(hash));
    assert_eq!(Hash::from_hex(&hash.to_hex().to_uppercase()), Ok(hash));
    assert_eq!(format!("{hash:?}"), format!("Hash({})", hash.to_hex()));
    assert_eq!(format!("{hash}"), hash.to_hex());
    assert_eq!(
        Hash::from_hex("abc").unwrap_err().to_string(),
        "invalid hash `abc`: expected 64 hex digits"
    );
    assert!(Hash::from_hex(&"zz".repeat(32)).is_err());
    assert!(Hash::from_hex(&"00".repeat(33)).is_err());
}
