//! The `arbitrary` and `proptest` features: every generated session and
//! packets protect into datagrams that a receiver of the same session
//! unprotects back to the plain bytes; every near-valid datagram is
//! refused with the expected error and leaves the receiver as it was.
//!
//! Run with `cargo test -p sansrtc-srtp --features arbitrary,proptest`.

#![allow(clippy::indexing_slicing)]

use arbitrary::{Arbitrary, Unstructured};
use proptest::prelude::*;
use sansrtc_srtp::arbitrary::{Plain, ProtectedSpec, SessionSpec};
use sansrtc_srtp::strategy::{Defect, near_valid_protected, protected, session};
use sansrtc_srtp::{MasterKey, Session, UnprotectError};

/// Unprotects `datagram` as SRTP or SRTCP, as `packet` is.
fn unprotect(
    receiver: &mut Session,
    packet: &Plain,
    datagram: &mut [u8],
) -> Result<usize, UnprotectError> {
    match packet {
        Plain::Rtp(_) => receiver.unprotect_rtp(datagram),
        Plain::Rtcp(_) => receiver.unprotect_rtcp(datagram),
    }
}

/// Checks that the session is valid and the datagrams unprotect in order.
fn check_protected(spec: &ProtectedSpec) -> Result<(), TestCaseError> {
    check_session(&spec.session)?;
    let datagrams = spec.protect();
    let plain = spec.plain();
    prop_assert_eq!(datagrams.len(), spec.packets.len());
    let mut receiver = spec.session.session();
    for ((mut datagram, plain), packet) in datagrams.into_iter().zip(plain).zip(&spec.packets) {
        prop_assert!(!plain.is_empty());
        prop_assert!(datagram.len() > plain.len());
        let len = unprotect(&mut receiver, packet, &mut datagram);
        prop_assert_eq!(len, Ok(plain.len()), "{:?}", packet);
        prop_assert_eq!(&datagram[..plain.len()], &plain[..]);
    }
    Ok(())
}

/// Checks that a session spec is valid as it is (nothing to cut or clamp).
fn check_session(spec: &SessionSpec) -> Result<(), TestCaseError> {
    let key = MasterKey::new(spec.profile, &spec.key, &spec.salt);
    prop_assert_eq!(key.as_ref(), Ok(&spec.master_key()));
    let config = spec.config();
    prop_assert_eq!(config.replay_window, spec.replay_window);
    prop_assert_eq!(&config.mki, &spec.mki);
    prop_assert!(Session::new(&spec.master_key(), config).is_ok());
    Ok(())
}

#[test]
fn arbitrary_protected_packets_unprotect_to_the_plain_ones() {
    // Deterministic inputs of every length and fill.
    let mut seen = 0;
    for seed in 0u32..400 {
        let data: Vec<u8> = (0..2048u32)
            .map(|i| (i.wrapping_mul(seed * 2 + 1) ^ (i >> 3)).to_le_bytes()[0])
            .collect();
        let mut u = Unstructured::new(&data[..(seed as usize * 5) % data.len()]);
        let Ok(spec) = ProtectedSpec::arbitrary(&mut u) else {
            continue;
        };
        check_protected(&spec).unwrap_or_else(|e| panic!("{spec:?}: {e}"));
        seen += 1;
    }
    assert!(seen > 300, "only {seen} specs generated");
}

#[test]
fn an_arbitrary_session_is_valid_from_little_input() {
    let spec = SessionSpec::arbitrary(&mut Unstructured::new(&[])).unwrap();
    check_session(&spec).unwrap();
}

#[test]
fn a_changed_session_spec_is_brought_in_range() {
    let mut spec = SessionSpec::new(
        sansrtc_srtp::ProtectionProfile::AeadAes256Gcm,
        &[1; 40],
        &[2; 3],
    );
    spec.replay_window = 0;
    spec.mki = Some(Vec::new());
    let key = spec.master_key();
    assert_eq!(key.key(), &[1; 32]);
    assert_eq!(key.salt(), &[2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(spec.config().replay_window, 1);
    assert_eq!(spec.config().mki, None);
    assert!(Session::new(&key, spec.config()).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn generated_sessions_are_valid(spec in session()) {
        check_session(&spec)?;
    }

    #[test]
    fn generated_protected_packets_unprotect_to_the_plain_ones(spec in protected()) {
        check_protected(&spec)?;
    }

    #[test]
    fn near_valid_datagrams_are_refused_and_change_nothing(near in near_valid_protected()) {
        let mut receiver = near.spec.session.session();
        near.receive_before(&mut receiver).unwrap();
        let streams = receiver.stream_count();
        let mut bytes = near.bytes.clone();
        prop_assert_eq!(
            near.unprotect(&mut receiver, &mut bytes),
            Err(near.expected),
            "{:?}",
            near.defect
        );
        prop_assert_eq!(receiver.stream_count(), streams);
        // The session is as it was: the valid datagram still unprotects.
        let plain = near.spec.packets.last().unwrap().to_bytes();
        prop_assert_eq!(near.receive_last(&mut receiver), Ok(plain));
        if near.defect == Defect::Replayed {
            prop_assert!(near.spec.packets.len() > 1);
        }
    }
}

#[test]
fn every_defect_is_generated() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = near_valid_protected();
    let mut seen = [false; 5];
    for _ in 0..400 {
        let near = strategy.new_tree(&mut runner).unwrap().current();
        let kind = match near.defect {
            Defect::TagBit(_) => 0,
            Defect::PayloadBit(_) => 1,
            Defect::TruncatedTag(_) => 2,
            Defect::Replayed => 3,
            Defect::NoSsrc(_) => 4,
            _ => continue,
        };
        seen[kind] = true;
    }
    assert_eq!(seen, [true; 5]);
}
