//! The `arbitrary` and `proptest` features: every generated message writes,
//! parses back to the attributes it was made of, verifies with its keys,
//! and writes back byte for byte; every near-valid message is refused.
//!
//! Run with `cargo test -p sansrtc-stun --features arbitrary,proptest`.

#![allow(clippy::indexing_slicing, clippy::std_instead_of_alloc)]

mod roundtrip;

use arbitrary::{Arbitrary, Unstructured};
use proptest::prelude::*;
use sansrtc_stun::arbitrary::{AttributeSpec, MAX_GENERATED_ATTRIBUTES, MessageSpec};
use sansrtc_stun::strategy::{Defect, near_valid_message, signed_message};
use sansrtc_stun::{Attribute, AttributeType, Message, ParseError};

/// Writes `spec` and checks what parses back.
fn check_spec(spec: &MessageSpec) -> Result<(), TestCaseError> {
    let bytes = spec.to_bytes().expect("a generated spec writes");
    prop_assert_eq!(bytes.len(), spec.encoded_len());
    let message = Message::parse(&bytes).expect("a written spec parses");
    prop_assert_eq!(message.class(), spec.class);
    prop_assert_eq!(message.method(), spec.method);
    prop_assert_eq!(message.transaction_id(), spec.transaction_id);
    let parsed: Vec<Attribute<'_>> = message.attributes().collect();
    prop_assert!(parsed.len() >= spec.attributes.len());
    for (attribute, expected) in parsed.iter().zip(&spec.attributes) {
        expected.with_attribute(|expected| assert_eq!(attribute, expected));
    }
    let mut trailing = parsed[spec.attributes.len()..].iter().map(Attribute::kind);
    if let Some(key) = &spec.message_integrity {
        prop_assert_eq!(trailing.next(), Some(AttributeType::MESSAGE_INTEGRITY));
        prop_assert_eq!(message.verify_message_integrity(key), Ok(()));
    }
    if let Some(sha256) = &spec.message_integrity_sha256 {
        prop_assert_eq!(
            trailing.next(),
            Some(AttributeType::MESSAGE_INTEGRITY_SHA256)
        );
        prop_assert_eq!(message.verify_message_integrity_sha256(&sha256.key), Ok(()));
    }
    if spec.fingerprint {
        prop_assert_eq!(trailing.next(), Some(AttributeType::FINGERPRINT));
        prop_assert_eq!(message.verify_fingerprint(), Ok(()));
    }
    prop_assert_eq!(trailing.next(), None);
    roundtrip::check_message(&bytes);
    roundtrip::check_framing(&bytes);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn proptest_specs_round_trip(spec in any::<MessageSpec>()) {
        check_spec(&spec)?;
    }

    #[test]
    fn signed_specs_verify(spec in signed_message(b"VOkJxbRl1RmTxUk/WvJxBt".to_vec())) {
        check_spec(&spec)?;
        let bytes = spec.to_bytes().unwrap();
        let message = Message::parse(&bytes).unwrap();
        prop_assert!(message.verify_message_integrity(b"other").is_err());
    }

    #[test]
    fn arbitrary_specs_round_trip(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let mut u = Unstructured::new(&data);
        let spec = MessageSpec::arbitrary(&mut u).expect("any input makes a spec");
        prop_assert!(spec.attributes.len() <= MAX_GENERATED_ATTRIBUTES);
        check_spec(&spec)?;
        // So does a spec taken from the rest of the input.
        let spec = MessageSpec::arbitrary_take_rest(u).expect("any input makes a spec");
        check_spec(&spec)?;
    }

    #[test]
    fn arbitrary_attributes_write_alone(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut u = Unstructured::new(&data);
        while !u.is_empty() {
            let attribute = AttributeSpec::arbitrary(&mut u).unwrap();
            let spec = MessageSpec {
                attributes: vec![attribute],
                ..MessageSpec::arbitrary(&mut Unstructured::new(&[])).unwrap()
            };
            check_spec(&spec)?;
        }
    }

    #[test]
    fn near_valid_messages_are_refused(near in near_valid_message()) {
        let error = Message::parse(&near.bytes).expect_err("a defect is refused");
        let expected = match &near.defect {
            Defect::Truncated(len) if *len < 20 => matches!(error, ParseError::Truncated { .. }),
            Defect::Truncated(_) | Defect::Padded(_) | Defect::LengthField(_) => matches!(
                error,
                ParseError::LengthMismatch { .. } | ParseError::UnalignedLength(_)
            ),
            Defect::MagicCookie(_) => error == ParseError::Rfc3489,
            Defect::LeadingBits(_) => error == ParseError::NotStun,
            Defect::BadAttribute { kind, .. } => {
                matches!(error, ParseError::BadAttribute { kind: k, .. } if k == kind.0)
            }
            other => panic!("a defect this test does not know: {other:?}"),
        };
        prop_assert!(expected, "{:?} gave {:?}", near.defect, error);
    }
}

/// Generated specs are not all alike: over a few hundred random inputs,
/// every class and most attribute types appear.
#[test]
fn arbitrary_specs_vary() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut kinds = std::collections::BTreeSet::new();
    let mut classes = std::collections::BTreeSet::new();
    let (mut signed, mut fingerprinted) = (0, 0);
    for _ in 0..300 {
        let data: Vec<u8> = (0..1024)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let spec = MessageSpec::arbitrary(&mut Unstructured::new(&data)).unwrap();
        classes.insert(format!("{:?}", spec.class));
        kinds.extend(spec.attributes.iter().map(|a| a.kind().0));
        signed += usize::from(spec.message_integrity.is_some());
        fingerprinted += usize::from(spec.fingerprint);
    }
    assert_eq!(classes.len(), 4);
    assert!(kinds.len() >= 38, "{} attribute types", kinds.len());
    assert!((50..250).contains(&signed), "{signed} signed");
    assert!(
        (50..250).contains(&fingerprinted),
        "{fingerprinted} with FINGERPRINT"
    );
}

/// Empty input still makes a spec (every choice takes its first option).
#[test]
fn empty_input_makes_a_spec() {
    let spec = MessageSpec::arbitrary(&mut Unstructured::new(&[])).unwrap();
    assert!(spec.attributes.is_empty());
    check_spec(&spec).unwrap();
}
