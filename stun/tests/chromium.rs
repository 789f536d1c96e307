//! STUN messages a real Chromium sent to the example peer
//! (`tests/data/chromium/checks.txt`, captured with tshark by
//! `interop/chromium.py --save-test-data`): every one parses, carries a
//! good FINGERPRINT, verifies with the ICE password that keys it (and not
//! with another), has the ICE attributes of its class, and is written back
//! byte for byte.

#![allow(clippy::indexing_slicing)]

use std::path::Path;

use sansrtc_stun::attribute::AttributeType;
use sansrtc_stun::{Attribute, Class, IntegrityError, Message, Method};

struct Captured {
    case: String,
    class: String,
    password: String,
    bytes: Vec<u8>,
}

fn hex(text: &str) -> Vec<u8> {
    assert!(text.len() % 2 == 0 && text.bytes().all(|c| c.is_ascii_hexdigit()));
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn captured() -> Vec<Captured> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/chromium/checks.txt");
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            assert_eq!(fields.len(), 4, "{line}");
            Captured {
                case: fields[0].to_owned(),
                class: fields[1].to_owned(),
                password: fields[2].to_owned(),
                bytes: hex(fields[3]),
            }
        })
        .collect()
}

#[test]
fn every_captured_message_parses_and_verifies() {
    let messages = captured();
    assert!(messages.len() >= 6, "only {} messages", messages.len());
    for (index, captured) in messages.iter().enumerate() {
        let what = format!("message {index} ({} {})", captured.case, captured.class);
        let message = Message::parse(&captured.bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(message.method(), Method::BINDING, "{what}");
        let class = match captured.class.as_str() {
            "request" => Class::Request,
            "success" => Class::SuccessResponse,
            other => panic!("{what}: unexpected class {other}"),
        };
        assert_eq!(message.class(), class, "{what}");
        assert_eq!(message.verify_fingerprint(), Ok(()), "{what}");
        message
            .verify_message_integrity(captured.password.as_bytes())
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            matches!(
                message.verify_message_integrity(b"not the ICE password of either side"),
                Err(IntegrityError::Mismatch(_))
            ),
            "{what}"
        );
        let mut buf = [0u8; 1024];
        let len = message.write_to(&mut buf).unwrap();
        assert_eq!(&buf[..len], captured.bytes.as_slice(), "{what}");
        match message.class() {
            Class::Request => {
                // USERNAME is "our ufrag:Chromium's ufrag" (RFC 8445 §7.2.2).
                let username = message.username().unwrap();
                let (ours, theirs) = username.split_once(':').unwrap();
                assert!(ours.len() >= 4 && theirs.len() >= 4, "{what}: {username}");
                assert!(message.priority().is_some(), "{what}");
                let controlling = message.ice_controlling().is_some();
                assert_ne!(controlling, message.ice_controlled().is_some(), "{what}");
                // Chromium controls when it offered.
                assert_eq!(controlling, captured.case == "chromium-offers", "{what}");
                // GOOG-NETWORK-INFO (0xc057), comprehension-optional, is
                // kept as an unknown attribute.
                assert!(
                    message.attributes().any(|a| matches!(
                        a,
                        Attribute::Unknown { kind, .. } if kind == AttributeType(0xc057)
                    )),
                    "{what}"
                );
                assert_eq!(message.unknown_comprehension_required().count(), 0);
            }
            _ => {
                let mapped = message.xor_mapped_address().unwrap();
                assert!(mapped.ip().is_loopback(), "{what}: {mapped}");
            }
        }
    }
}

#[test]
fn chromium_nominates_when_it_controls() {
    let messages = captured();
    let nominations = messages
        .iter()
        .filter(|c| c.case == "chromium-offers" && c.class == "request")
        .filter(|c| Message::parse(&c.bytes).unwrap().use_candidate())
        .count();
    assert!(nominations >= 1);
    // As the controlled side it never sends USE-CANDIDATE.
    assert!(
        messages
            .iter()
            .filter(|c| c.case == "sansrtc-offers" && c.class == "request")
            .all(|c| !Message::parse(&c.bytes).unwrap().use_candidate())
    );
    for class in ["request", "success"] {
        for case in ["chromium-offers", "sansrtc-offers"] {
            assert!(
                messages.iter().any(|c| c.case == case && c.class == class),
                "no {class} in {case}"
            );
        }
    }
}
