//! Property tests: the frontier against the reference root, proofs against their verifiers, and `verify_log` against single mutations of random logs.
//!
//! Each property also checks that a wrong input is rejected, so a verifier that always says yes cannot pass.

use proptest::prelude::*;
use proptest::sample::Index;

use crate::tests::{build_log, checkpoint_of, leaves};
use crate::{
    consistency_proof, inclusion_proof, leaf_hash, merkle_root, verify_consistency,
    verify_inclusion, verify_log, AuditRecord, Frontier, Hash, VerifyFailure, VerifyFailureKind,
};

/// Returns `hash` with one bit flipped.
fn flip(hash: Hash, pick: &Index) -> Hash {
    let mut bytes = hash.0;
    bytes[pick.index(bytes.len())] ^= 1;
    Hash(bytes)
}

proptest! {
    #[test]
    fn frontier_root_equals_merkle_root(
        n in 0usize..300,
        salt in any::<u64>(),
        reload_at in any::<Index>(),
    ) {
        let leaf_hashes = leaves(n, salt);
        let reload_at = reload_at.index(n + 1);
        let mut frontier = Frontier::new();
        for (i, leaf) in leaf_hashes.iter().enumerate() {
            if i == reload_at {
                // The storage layer reloads the frontier from the tenant row between appends.
                frontier = Frontier::from_bytes(&frontier.to_bytes()).unwrap();
                prop_assert_eq!(frontier.root(), merkle_root(&leaf_hashes[..i]));
            }
            frontier.append(*leaf).unwrap();
        }
        prop_assert_eq!(frontier.size(), n as u64);
        prop_assert_eq!(frontier.root(), merkle_root(&leaf_hashes));
        prop_assert_eq!(Frontier::from_bytes(&frontier.to_bytes()).unwrap(), frontier);
    }

    #[test]
    fn inclusion_proofs_verify_and_wrong_ones_do_not(
        (n, index) in (1usize..300).prop_flat_map(|n| (Just(n), 0..n)),
        salt in any::<u64>(),
        other in any::<Index>(),
        pick in any::<Index>(),
    ) {
        let leaf_hashes = leaves(n, salt);
        let root = merkle_root(&leaf_hashes);
        let leaf = leaf_hashes[index];
        let (index, size) = (index as u64, n as u64);
        let proof = inclusion_proof(&leaf_hashes, index).unwrap();
        prop_assert!(verify_inclusion(&leaf, index, size, &proof, &root));

        let other = other.index(n) as u64;
        if other != index {
            prop_assert!(!verify_inclusion(&leaf, other, size, &proof, &root));
        }
        prop_assert!(!verify_inclusion(&leaf_hash(b"not in the log"), index, size, &proof, &root));
        prop_assert!(!verify_inclusion(&leaf, index, size, &proof, &flip(root, &pick)));
        if !proof.is_empty() {
            let mut tampered = proof.clone();
            let at = pick.index(tampered.len());
            tampered[at] = flip(tampered[at], &pick);
            prop_assert!(!verify_inclusion(&leaf, index, size, &tampered, &root));
            prop_assert!(!verify_inclusion(&leaf, index, size, &proof[..proof.len() - 1], &root));
        }
        let mut extended = proof.clone();
        extended.push(root);
        prop_assert!(!verify_inclusion(&leaf, index, size, &extended, &root));
    }

    #[test]
    fn consistency_proofs_verify_and_wrong_ones_do_not(
        (new_size, old_size) in (1usize..300).prop_flat_map(|n| (Just(n), 0..=n)),
        salt in any::<u64>(),
        pick in any::<Index>(),
    ) {
        let leaf_hashes = leaves(new_size, salt);
        let old_root = merkle_root(&leaf_hashes[..old_size]);
        let new_root = merkle_root(&leaf_hashes);
        let proof = consistency_proof(&leaf_hashes, old_size as u64).unwrap();
        let (old, new) = (old_size as u64, new_size as u64);
        prop_assert!(verify_consistency(old, new, &old_root, &new_root, &proof));

        prop_assert!(!verify_consistency(old, new, &flip(old_root, &pick), &new_root, &proof));
        // Every tree extends the empty tree, so only a non-empty old tree constrains the new root.
        if old_size > 0 {
            prop_assert!(!verify_consistency(old, new, &old_root, &flip(new_root, &pick), &proof));
            // A log that rewrote its last event is not consistent with an old one that already contained it or one before it.
            let mut rewritten = leaf_hashes.clone();
            *rewritten.last_mut().unwrap() = leaf_hash(b"rewritten");
            prop_assert!(!verify_consistency(old, new, &old_root, &merkle_root(&rewritten), &proof));
        }
        if old_size < new_size {
            prop_assert!(!verify_consistency(old + 1, new, &old_root, &new_root, &proof));
        }
        if old_size > 0 {
            prop_assert!(!verify_consistency(old - 1, new, &old_root, &new_root, &proof));
        }
        if !proof.is_empty() {
            let mut tampered = proof.clone();
            let at = pick.index(tampered.len());
            tampered[at] = flip(tampered[at], &pick);
            prop_assert!(!verify_consistency(old, new, &old_root, &new_root, &tampered));
            prop_assert!(!verify_consistency(old, new, &old_root, &new_root, &proof[..proof.len() - 1]));
        }
        let mut extended = proof.clone();
        extended.push(new_root);
        prop_assert!(!verify_consistency(old, new, &old_root, &new_root, &extended));
    }

    #[test]
    fn intact_logs_verify(contents in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..24), 0..40)) {
        let log = build_log(&contents);
        let leaf_hashes: Vec<Hash> = contents.iter().map(|content| leaf_hash(content)).collect();
        let checkpoint = checkpoint_of(&log);
        let verified = verify_log(log.clone(), Some(checkpoint)).unwrap();
        prop_assert_eq!(verified.size, contents.len() as u64);
        prop_assert_eq!(verified.root, merkle_root(&leaf_hashes));
        prop_assert_eq!(verify_log(log, None).unwrap(), verified);
    }

    #[test]
    fn any_single_mutation_names_the_first_bad_event(
        contents in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..24), 1..40),
        mutation in mutation(),
    ) {
        let mut log = build_log(&contents);
        let checkpoint = checkpoint_of(&log);
        let expected = apply(&mut log, &mutation);
        let result = verify_log(log.clone(), Some(checkpoint));
        match expected {
            None => prop_assert!(result.is_ok()),
            Some(expected) => {
                prop_assert_eq!(result, Err(expected.clone()));
                // Mutations inside the log are found without a checkpoint too.
                if !matches!(
                    expected.kind,
                    VerifyFailureKind::Truncated { .. } | VerifyFailureKind::Extended { .. }
                ) {
                    prop_assert_eq!(verify_log(log, None), Err(expected));
                }
            }
        }
    }
}

/// One way of tampering with a stored log.
#[derive(Clone, Debug)]
enum Mutation {
    AlterByte { record: Index, byte: Index, xor: u8 },
    Delete { record: Index },
    Swap { first: Index, second: Index },
    Duplicate { record: Index },
    Truncate { keep: Index },
    Extend { content: Vec<u8> },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), any::<Index>(), 1u8..=255)
            .prop_map(|(record, byte, xor)| Mutation::AlterByte { record, byte, xor }),
        any::<Index>().prop_map(|record| Mutation::Delete { record }),
        (any::<Index>(), any::<Index>())
            .prop_map(|(first, second)| Mutation::Swap { first, second }),
        any::<Index>().prop_map(|record| Mutation::Duplicate { record }),
        any::<Index>().prop_map(|keep| Mutation::Truncate { keep }),
        prop::collection::vec(any::<u8>(), 0..24).prop_map(|content| Mutation::Extend { content }),
    ]
}

/// Applies `mutation` to a log of at least one record and returns the failure `verify_log` must report with a checkpoint over the original log.
fn apply(log: &mut Vec<AuditRecord>, mutation: &Mutation) -> Option<VerifyFailure> {
    let n = log.len();
    let size = n as u64;
    let at = |seq: usize, kind| {
        Some(VerifyFailure {
            seq: Some(seq as u64),
            kind,
        })
    };
    match mutation {
        Mutation::AlterByte { record, byte, xor } => {
            let i = record.index(n);
            let content = &mut log[i].content;
            if content.is_empty() {
                content.push(*xor);
            } else {
                let b = byte.index(content.len());
                content[b] ^= xor;
            }
            at(i + 1, VerifyFailureKind::LeafMismatch)
        }
        Mutation::Delete { record } => {
            let i = record.index(n);
            log.remove(i);
            if i + 1 < n {
                at(
                    i + 1,
                    VerifyFailureKind::SequenceGap {
                        found: i as u64 + 2,
                    },
                )
            } else {
                at(
                    n,
                    VerifyFailureKind::Truncated {
                        log_size: size - 1,
                        checkpoint_size: size,
                    },
                )
            }
        }
        Mutation::Swap { first, second } => {
            let (i, j) = (first.index(n), second.index(n));
            let (i, j) = (i.min(j), i.max(j));
            if i == j {
                return None;
            }
            log.swap(i, j);
            at(
                i + 1,
                VerifyFailureKind::SequenceGap {
                    found: j as u64 + 1,
                },
            )
        }
        Mutation::Duplicate { record } => {
            let i = record.index(n);
            log.insert(i + 1, log[i].clone());
            at(
                i + 2,
                VerifyFailureKind::SequenceRepeat {
                    found: i as u64 + 1,
                },
            )
        }
        Mutation::Truncate { keep } => {
            let keep = keep.index(n);
            log.truncate(keep);
            at(
                keep + 1,
                VerifyFailureKind::Truncated {
                    log_size: keep as u64,
                    checkpoint_size: size,
                },
            )
        }
        Mutation::Extend { content } => {
            let mut contents: Vec<Vec<u8>> = log.iter().map(|r| r.content.clone()).collect();
            contents.push(content.clone());
            log.push(build_log(&contents)[n].clone());
            at(
                n + 1,
                VerifyFailureKind::Extended {
                    checkpoint_size: size,
                },
            )
        }
    }
}
