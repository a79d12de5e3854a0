//! Tests of the checkpoint's signing bytes and of signing and verifying them.
//!
//! The signing bytes are a stable format: the exact-bytes test must only change together with the version in `CHECKPOINT_DOMAIN`.

use ed25519_dalek::SigningKey;

use crate::checkpoint::CHECKPOINT_DOMAIN;
use crate::tests::{signed_checkpoint, signing_key};
use crate::{Checkpoint, Hash};

fn checkpoint() -> Checkpoint {
    Checkpoint {
        log_id: "tenant-1".to_owned(),
        size: 3,
        root: Hash::from_hex("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77")
            .unwrap(),
    }
}

#[test]
fn signing_bytes_are_the_documented_text() {
    assert_eq!(CHECKPOINT_DOMAIN, b"leitstand-audit-checkpoint-v1\n");
    assert_eq!(
        String::from_utf8(checkpoint().signing_bytes()).unwrap(),
        "leitstand-audit-checkpoint-v1\n\
         tenant-1\n\
         3\n\
         aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"
    );
}

#[test]
fn signing_bytes_separate_every_field() {
    let base = checkpoint();
    let variants = [
        Checkpoint {
            log_id: "tenant-2".to_owned(),
            ..base.clone()
        },
        Checkpoint {
            size: 4,
            ..base.clone()
        },
        Checkpoint {
            root: Hash([0; 32]),
            ..base.clone()
        },
        // A newline in the log id cannot make two checkpoints collide.
        Checkpoint {
            log_id: "tenant-1\n3".to_owned(),
            size: 3,
            ..base.clone()
        },
    ];
    for variant in variants {
        assert_ne!(variant.signing_bytes(), base.signing_bytes(), "{variant:?}");
    }
}

#[test]
fn signature_verifies_only_for_the_same_checkpoint_and_key() {
    let key = signing_key();
    let checkpoint = checkpoint();
    let signature = checkpoint.sign(&key);
    assert!(checkpoint.verify(&key.verifying_key(), &signature));

    let other_key = SigningKey::from_bytes(&[8; 32]).verifying_key();
    assert!(!checkpoint.verify(&other_key, &signature));

    let grown = Checkpoint {
        size: 4,
        ..checkpoint.clone()
    };
    assert!(!grown.verify(&key.verifying_key(), &signature));

    let mut flipped = signature;
    flipped[10] ^= 1;
    assert!(!checkpoint.verify(&key.verifying_key(), &flipped));
    assert!(!checkpoint.verify(&key.verifying_key(), &signature[..63]));
    assert!(!checkpoint.verify(&key.verifying_key(), &[]));
    assert!(!checkpoint.verify(&key.verifying_key(), &[0; 64]));
}

#[test]
fn signed_checkpoint_checks_its_own_key() {
    let mut signed = signed_checkpoint(3, checkpoint().root);
    assert!(signed.verify());
    signed.key = SigningKey::from_bytes(&[8; 32]).verifying_key();
    assert!(!signed.verify());
}
