//! Verification of a whole tenant log against its stored hashes and, optionally, a signed checkpoint.
//!
//! [`verify_log`] replays the log in storage order, recomputes every leaf hash and every root, and stops at the first discrepancy.
//! The result names the first bad event by its sequence number: everything before it verified.
//!
//! What each check catches:
//!
//! - Altered content: the recomputed leaf hash differs from the stored one ([`VerifyFailureKind::LeafMismatch`]).
//! - Altered content whose stored leaf hash and root were rewritten to match: the next event's stored root differs from the recomputed one ([`VerifyFailureKind::RootMismatch`]), or, for the last event, the checkpoint's root does.
//! - Removed, inserted, duplicated or reordered events: the sequence numbers stop being consecutive ([`VerifyFailureKind::SequenceGap`], [`VerifyFailureKind::SequenceRepeat`]); if they were renumbered to hide that, the roots diverge.
//! - A truncated or extended tail, or a rewritten chain: only a signed checkpoint shows these ([`VerifyFailureKind::Truncated`], [`VerifyFailureKind::Extended`], [`VerifyFailureKind::CheckpointRootMismatch`]).
//! - A forged checkpoint: its signature does not verify ([`VerifyFailureKind::CheckpointSignatureInvalid`]).
//!
//! Without a checkpoint, removing events from the end of the log, or rewriting the log from some event on together with all later stored hashes, is undetectable; that is what checkpoints are for.
//! This module does not check that the checkpoint's `log_id` is the tenant being verified, nor choose the trusted key: the caller does both.

use std::fmt;

use crate::checkpoint::{Checkpoint, SignedCheckpoint};
use crate::frontier::Frontier;
use crate::hash::{leaf_hash, Hash};

/// One stored event as the storage layer returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// The event's sequence number: 1-based and consecutive within a log.
    pub seq: u64,
    /// The event's canonical bytes.
    pub content: Vec<u8>,
    /// The leaf hash stored with the event.
    pub stored_leaf: Hash,
    /// The tree root after this event, stored with it.
    pub stored_root: Hash,
}

/// The state of a log that verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifiedLog {
    /// The number of events.
    pub size: u64,
    /// The Merkle tree hash over all events.
    pub root: Hash,
}

/// Names the first problem [`verify_log`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyFailure {
    /// The sequence number of the first bad event: the event that is altered, missing or out of place.
    /// All events before it verified.
    /// `None` when the problem is not tied to one event (a forged checkpoint, or a checkpoint root that differs although every stored hash matched).
    pub seq: Option<u64>,
    /// What is wrong.
    pub kind: VerifyFailureKind,
}

/// What [`verify_log`] found wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyFailureKind {
    /// The checkpoint's signature does not verify with the given key.
    CheckpointSignatureInvalid,
    /// The event at this position carries a later sequence number: events were removed or reordered.
    SequenceGap {
        /// The sequence number found where the expected event should be.
        found: u64,
    },
    /// The event at this position carries an earlier sequence number: an event was duplicated or reordered.
    SequenceRepeat {
        /// The sequence number found where the expected event should be.
        found: u64,
    },
    /// The event's content does not hash to its stored leaf hash.
    LeafMismatch,
    /// The root stored with the event differs from the root recomputed from the log.
    RootMismatch,
    /// The log's root at the checkpoint's size differs from the checkpoint's root.
    CheckpointRootMismatch {
        /// The size the checkpoint signs.
        checkpoint_size: u64,
    },
    /// The log ends before the checkpoint's size.
    Truncated {
        /// The number of events in the log.
        log_size: u64,
        /// The size the checkpoint signs.
        checkpoint_size: u64,
    },
    /// The log continues past the checkpoint's size.
    Extended {
        /// The size the checkpoint signs.
        checkpoint_size: u64,
    },
    /// The log holds more events than a `u64` sequence number can count.
    TooManyEvents,
}

impl fmt::Display for VerifyFailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyFailureKind::CheckpointSignatureInvalid => {
                f.write_str("checkpoint signature does not verify")
            }
            VerifyFailureKind::SequenceGap { found } => write!(
                f,
                "missing or out of order, found event {found} in its place"
            ),
            VerifyFailureKind::SequenceRepeat { found } => write!(
                f,
                "missing or out of order, found event {found} in its place"
            ),
            VerifyFailureKind::LeafMismatch => {
                f.write_str("content does not match the stored leaf hash")
            }
            VerifyFailureKind::RootMismatch => {
                f.write_str("stored root does not match the root recomputed from the log")
            }
            VerifyFailureKind::CheckpointRootMismatch { checkpoint_size } => write!(
                f,
                "log root at size {checkpoint_size} does not match the signed checkpoint"
            ),
            VerifyFailureKind::Truncated {
                log_size,
                checkpoint_size,
            } => write!(
                f,
                "missing, the log ends at size {log_size} but the signed checkpoint has size {checkpoint_size}"
            ),
            VerifyFailureKind::Extended { checkpoint_size } => write!(
                f,
                "beyond the signed checkpoint of size {checkpoint_size}"
            ),
            VerifyFailureKind::TooManyEvents => {
                f.write_str("log holds more events than a sequence number can count")
            }
        }
    }
}

impl fmt::Display for VerifyFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.seq {
            Some(seq) => write!(f, "event {seq}: {}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl std::error::Error for VerifyFailure {}

impl VerifyFailure {
    fn at(seq: u64, kind: VerifyFailureKind) -> VerifyFailure {
        VerifyFailure {
            seq: Some(seq),
            kind,
        }
    }

    fn unplaced(kind: VerifyFailureKind) -> VerifyFailure {
        VerifyFailure { seq: None, kind }
    }
}

/// Verifies a whole log, in storage order, and returns its size and root.
///
/// For each record, in this order: the sequence number must be the next one, the content must hash to the stored leaf, and the stored root must equal the root recomputed over all leaves so far.
/// With a checkpoint, its signature is checked first; then the log must reach exactly the checkpoint's size, and its root at that size must be the checkpoint's root.
/// The log must not continue past the checkpoint, so pass the latest checkpoint, or only the records it covers.
///
/// Records are consumed one at a time, so the log can be streamed; memory use is O(log n).
pub fn verify_log(
    records: impl IntoIterator<Item = AuditRecord>,
    checkpoint: Option<SignedCheckpoint>,
) -> Result<VerifiedLog, VerifyFailure> {
    let checkpoint = match checkpoint {
        Some(signed) if !signed.verify() => {
            return Err(VerifyFailure::unplaced(
                VerifyFailureKind::CheckpointSignatureInvalid,
            ))
        }
        Some(signed) => Some(signed.checkpoint),
        None => None,
    };
    let mut frontier = Frontier::new();
    check_checkpoint_root(checkpoint.as_ref(), &frontier)?;
    for record in records {
        let Some(expected) = frontier.size().checked_add(1) else {
            return Err(VerifyFailure::unplaced(VerifyFailureKind::TooManyEvents));
        };
        if record.seq > expected {
            return Err(VerifyFailure::at(
                expected,
                VerifyFailureKind::SequenceGap { found: record.seq },
            ));
        }
        if record.seq < expected {
            return Err(VerifyFailure::at(
                expected,
                VerifyFailureKind::SequenceRepeat { found: record.seq },
            ));
        }
        if let Some(checkpoint) = &checkpoint {
            if frontier.size() == checkpoint.size {
                return Err(VerifyFailure::at(
                    expected,
                    VerifyFailureKind::Extended {
                        checkpoint_size: checkpoint.size,
                    },
                ));
            }
        }
        let leaf = leaf_hash(&record.content);
        if leaf != record.stored_leaf {
            return Err(VerifyFailure::at(expected, VerifyFailureKind::LeafMismatch));
        }
        frontier
            .append(leaf)
            .map_err(|_| VerifyFailure::unplaced(VerifyFailureKind::TooManyEvents))?;
        if frontier.root() != record.stored_root {
            return Err(VerifyFailure::at(expected, VerifyFailureKind::RootMismatch));
        }
        check_checkpoint_root(checkpoint.as_ref(), &frontier)?;
    }
    if let Some(checkpoint) = &checkpoint {
        if frontier.size() < checkpoint.size {
            return Err(VerifyFailure::at(
                frontier.size().saturating_add(1),
                VerifyFailureKind::Truncated {
                    log_size: frontier.size(),
                    checkpoint_size: checkpoint.size,
                },
            ));
        }
    }
    Ok(VerifiedLog {
        size: frontier.size(),
        root: frontier.root(),
    })
}

/// Fails if the frontier has reached the checkpoint's size with a different root.
fn check_checkpoint_root(
    checkpoint: Option<&Checkpoint>,
    frontier: &Frontier,
) -> Result<(), VerifyFailure> {
    match checkpoint {
        Some(checkpoint)
            if checkpoint.size == frontier.size() && checkpoint.root != frontier.root() =>
        {
            Err(VerifyFailure::unplaced(
                VerifyFailureKind::CheckpointRootMismatch {
                    checkpoint_size: checkpoint.size,
                },
            ))
        }
        _ => Ok(()),
    }
}
