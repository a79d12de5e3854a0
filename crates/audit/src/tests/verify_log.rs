//! Tests of `verify_log` on a fixed five-event log, one per kind of tampering, with the exact message each produces.
//!
//! `check` is the only caller of `verify_log` here; random logs and mutations are covered in `properties`.

use ed25519_dalek::SigningKey;

use crate::tests::{build_log, checkpoint_of, signed_checkpoint};
use crate::{
    leaf_hash, merkle_root, verify_log, AuditRecord, Hash, SignedCheckpoint, VerifyFailure,
    VerifyFailureKind,
};

/// Returns `ok <size> <root>` or the failure's message.
fn check(records: &[AuditRecord], checkpoint: Option<SignedCheckpoint>) -> String {
    match verify_log(records.to_vec(), checkpoint) {
        Ok(verified) => format!("ok {} {}", verified.size, verified.root),
        Err(failure) => failure.to_string(),
    }
}

fn five_events() -> Vec<AuditRecord> {
    build_log(
        &(1..=5)
            .map(|i| format!("event {i}").into_bytes())
            .collect::<Vec<_>>(),
    )
}

#[test]
fn intact_log_verifies_with_and_without_checkpoint() {
    let log = five_events();
    let root = merkle_root(&log.iter().map(|r| r.stored_leaf).collect::<Vec<_>>());
    let expected = format!("ok 5 {root}");
    assert_eq!(check(&log, None), expected);
    assert_eq!(check(&log, Some(checkpoint_of(&log))), expected);
}

#[test]
fn empty_log_verifies_against_an_empty_checkpoint() {
    let expected = format!("ok 0 {}", crate::empty_root());
    assert_eq!(check(&[], None), expected);
    assert_eq!(check(&[], Some(checkpoint_of(&[]))), expected);
    assert_eq!(
        check(&[], Some(signed_checkpoint(0, Hash([1; 32])))),
        "log root at size 0 does not match the signed checkpoint"
    );
    assert_eq!(
        check(&[], Some(checkpoint_of(&five_events()))),
        "event 1: missing, the log ends at size 0 but the signed checkpoint has size 5"
    );
}

#[test]
fn altered_content_names_the_event() {
    let mut log = five_events();
    log[2].content[0] ^= 1;
    assert_eq!(
        check(&log, None),
        "event 3: content does not match the stored leaf hash"
    );
    let failure = verify_log(log, None).unwrap_err();
    assert_eq!(
        failure,
        VerifyFailure {
            seq: Some(3),
            kind: VerifyFailureKind::LeafMismatch
        }
    );
}

#[test]
fn consistently_rewritten_event_shows_at_the_next_event() {
    let original = five_events();
    let mut log = original.clone();
    log[2].content = b"forged".to_vec();
    log[2].stored_leaf = leaf_hash(&log[2].content);
    let leaf_hashes: Vec<Hash> = log.iter().map(|r| r.stored_leaf).collect();
    log[2].stored_root = merkle_root(&leaf_hashes[..3]);
    // Event 3 is the forged one, but its own hashes are consistent, so the first visible break is event 4's stored root.
    // No verifier can do better without the original leaf hash.
    assert_eq!(
        check(&log, None),
        "event 4: stored root does not match the root recomputed from the log"
    );
    // Rewriting every later root too leaves only the checkpoint to notice.
    for i in 3..5 {
        log[i].stored_root = merkle_root(&leaf_hashes[..=i]);
    }
    assert_eq!(
        check(&log, None),
        format!("ok 5 {}", merkle_root(&leaf_hashes))
    );
    assert_eq!(
        check(&log, Some(checkpoint_of(&original))),
        "log root at size 5 does not match the signed checkpoint"
    );
}

#[test]
fn removed_or_reordered_events_name_the_first_missing_one() {
    let mut log = five_events();
    log.remove(1);
    assert_eq!(
        check(&log, None),
        "event 2: missing or out of order, found event 3 in its place"
    );

    let mut log = five_events();
    log.swap(1, 3);
    assert_eq!(
        check(&log, None),
        "event 2: missing or out of order, found event 4 in its place"
    );

    let mut log = five_events();
    log.insert(3, log[1].clone());
    assert_eq!(
        check(&log, None),
        "event 4: missing or out of order, found event 2 in its place"
    );
}

#[test]
fn renumbered_removal_shows_as_a_root_mismatch() {
    let mut log = five_events();
    log.remove(1);
    for (i, record) in log.iter_mut().enumerate() {
        record.seq = i as u64 + 1;
    }
    assert_eq!(
        check(&log, None),
        "event 2: stored root does not match the root recomputed from the log"
    );
}

#[test]
fn truncated_or_extended_tail_needs_the_checkpoint() {
    let log = five_events();
    let checkpoint = checkpoint_of(&log);

    let truncated = &log[..3];
    // Without a checkpoint, a shorter log is indistinguishable from an older one.
    assert!(check(truncated, None).starts_with("ok 3 "));
    assert_eq!(
        check(truncated, Some(checkpoint.clone())),
        "event 4: missing, the log ends at size 3 but the signed checkpoint has size 5"
    );

    let mut extended = log.clone();
    let mut contents: Vec<Vec<u8>> = log.iter().map(|r| r.content.clone()).collect();
    contents.push(b"event 6".to_vec());
    extended.push(build_log(&contents)[5].clone());
    assert!(check(&extended, None).starts_with("ok 6 "));
    assert_eq!(
        check(&extended, Some(checkpoint)),
        "event 6: beyond the signed checkpoint of size 5"
    );
}

#[test]
fn forged_checkpoint_is_rejected_before_the_log_is_read() {
    let log = five_events();
    let mut forged = checkpoint_of(&log[..3]);
    forged.checkpoint.size = 5;
    forged.checkpoint.root = checkpoint_of(&log).checkpoint.root;
    assert_eq!(
        check(&log, Some(forged)),
        "checkpoint signature does not verify"
    );

    let mut wrong_key = checkpoint_of(&log);
    wrong_key.key = SigningKey::from_bytes(&[8; 32]).verifying_key();
    let failure = verify_log(log, Some(wrong_key)).unwrap_err();
    assert_eq!(failure.seq, None);
    assert_eq!(failure.kind, VerifyFailureKind::CheckpointSignatureInvalid);
}

#[test]
fn log_must_start_at_sequence_number_one() {
    let mut log = five_events();
    for record in &mut log {
        record.seq -= 1;
    }
    assert_eq!(
        check(&log, None),
        "event 1: missing or out of order, found event 0 in its place"
    );
    for record in &mut log {
        record.seq += 2;
    }
    assert_eq!(
        check(&log, None),
        "event 1: missing or out of order, found event 2 in its place"
    );
}
