#![no_main]
//! Structure-aware STUN: a well-formed message generated with the crate's
//! `arbitrary` feature (`MessageSpec`, signed and fingerprinted when the
//! input says so), written by the builder, then edited by libFuzzer.
//!
//! - The message as written parses to the attributes it was made of, its
//!   integrity and fingerprint verify, and it writes back byte for byte.
//! - After the edits, whatever parses writes back to the same bytes (the
//!   round-trip checks of `stun_parse`), and MESSAGE-INTEGRITY and
//!   MESSAGE-INTEGRITY-SHA256 verify if and only if the bytes they cover
//!   are untouched; FINGERPRINT verifies when untouched and fails after a
//!   one-byte change.

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use sansrtc_stun::arbitrary::MessageSpec;
use sansrtc_stun::{HEADER_LEN, MESSAGE_INTEGRITY_LEN};

include!("../../stun/tests/roundtrip/mod.rs");

#[path = "common/edit.rs"]
mod edit;

#[derive(Arbitrary, Debug)]
struct Input {
    spec: MessageSpec,
    edits: Vec<edit::Edit>,
    /// Rewrite the length field after the edits, to get past the length
    /// check.
    fix_length: bool,
}

/// Whether `a` and `b` agree on the first `end` bytes, the length field
/// (bytes 2 and 3, which the MACs see adjusted) aside.
fn untouched(a: &[u8], b: &[u8], end: usize) -> bool {
    match (a.get(..end), b.get(..end)) {
        (Some(a), Some(b)) => a[..2] == b[..2] && a[4..] == b[4..],
        _ => false,
    }
}

fn run(input: Input) {
    let Input {
        spec,
        edits,
        fix_length,
    } = input;
    let bytes = spec.to_bytes().expect("a generated spec writes");
    assert_eq!(bytes.len(), spec.encoded_len());
    let message = Message::parse(&bytes).expect("a written spec parses");
    let mut parsed = message.attributes();
    for expected in &spec.attributes {
        let attribute = parsed.next().expect("every attribute parses back");
        expected.with_attribute(|expected| assert_eq!(&attribute, expected));
    }
    if let Some(key) = &spec.message_integrity {
        message
            .verify_message_integrity(key)
            .expect("signed with the key");
    }
    if let Some(sha256) = &spec.message_integrity_sha256 {
        message
            .verify_message_integrity_sha256(&sha256.key)
            .expect("signed with the key");
    }
    if spec.fingerprint {
        message.verify_fingerprint().expect("fingerprinted");
    }
    check_message(&bytes);

    // Where each computed attribute ends.
    let attributes_end = HEADER_LEN
        + spec
            .attributes
            .iter()
            .map(|a| a.encoded_len())
            .sum::<usize>();
    let integrity_end = attributes_end
        + spec
            .message_integrity
            .as_ref()
            .map_or(0, |_| MESSAGE_INTEGRITY_LEN);
    let sha256_end = integrity_end
        + spec
            .message_integrity_sha256
            .as_ref()
            .map_or(0, |s| 4 + s.len);

    let mut mutated = edit::edited(&bytes, &edits);
    if fix_length && mutated.len() >= HEADER_LEN {
        let length = u16::try_from(mutated.len() - HEADER_LEN).unwrap_or(u16::MAX);
        mutated[2..4].copy_from_slice(&length.to_be_bytes());
    }
    check_message(&mutated);
    check_framing(&mutated);
    let Ok(edited) = Message::parse(&mutated) else {
        return;
    };
    if let (Some(key), true) = (
        &spec.message_integrity,
        edited.has(AttributeType::MESSAGE_INTEGRITY),
    ) {
        assert_eq!(
            edited.verify_message_integrity(key).is_ok(),
            untouched(&bytes, &mutated, integrity_end),
            "MESSAGE-INTEGRITY verifies if and only if what it covers is untouched"
        );
    }
    if let (Some(sha256), true) = (
        &spec.message_integrity_sha256,
        edited.has(AttributeType::MESSAGE_INTEGRITY_SHA256),
    ) {
        assert_eq!(
            edited.verify_message_integrity_sha256(&sha256.key).is_ok(),
            untouched(&bytes, &mutated, sha256_end),
            "MESSAGE-INTEGRITY-SHA256 verifies if and only if what it covers is untouched"
        );
    }
    if spec.fingerprint && edited.has_fingerprint() {
        let intact = untouched(&bytes, &mutated, bytes.len());
        if intact {
            assert!(
                edited.verify_fingerprint().is_ok(),
                "an untouched fingerprint verifies"
            );
        } else if edits.len() == 1 && edits[0].is_single_byte() && mutated.len() == bytes.len() {
            // CRC-32 detects every change of one byte.
            assert!(
                edited.verify_fingerprint().is_err(),
                "a changed byte fails the fingerprint"
            );
        }
    }
}

fuzz_target!(|input: Input| run(input));
