//! The `arbitrary` and `proptest` features: every generated fingerprint's
//! text parses back to it and writes back byte for byte; every near-valid
//! text is refused with the expected error.
//!
//! Run with `cargo test -p sansrtc-dtls --features arbitrary,proptest`.

use arbitrary::{Arbitrary, Unstructured};
use proptest::prelude::*;
use sansrtc_dtls::strategy::{fingerprint, near_valid_fingerprint, setup};
use sansrtc_dtls::{Fingerprint, HashFunction, Setup};

fn check(fingerprint: &Fingerprint) -> Result<(), TestCaseError> {
    let text = fingerprint.to_string();
    let parsed: Fingerprint = text
        .parse()
        .map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
    prop_assert_eq!(&parsed, fingerprint);
    prop_assert_eq!(parsed.to_string(), text);
    Ok(())
}

#[test]
fn arbitrary_fingerprints_and_setups_round_trip() {
    let mut usable = 0;
    for seed in 0u32..300 {
        let data: Vec<u8> = (0..256u32)
            .map(|i| (i.wrapping_mul(seed * 2 + 1) ^ (i >> 2)).to_le_bytes()[0])
            .collect();
        let mut u = Unstructured::new(&data);
        let fingerprint = Fingerprint::arbitrary(&mut u).unwrap();
        check(&fingerprint).unwrap();
        usable += usize::from(fingerprint.hash_function.is_usable());
        let setup = Setup::arbitrary(&mut u).unwrap();
        assert_eq!(setup.to_string().parse::<Setup>(), Ok(setup));
    }
    assert!(usable > 100, "only {usable} usable fingerprints");
    let empty = Fingerprint::arbitrary(&mut Unstructured::new(&[])).unwrap();
    assert_eq!(empty.hash_function, HashFunction::Sha256);
    check(&empty).unwrap();
}

proptest! {
    #[test]
    fn generated_fingerprints_round_trip(fingerprint in fingerprint()) {
        check(&fingerprint)?;
    }

    #[test]
    fn generated_setups_round_trip(setup in setup()) {
        prop_assert_eq!(setup.to_string().parse::<Setup>(), Ok(setup));
    }

    #[test]
    fn near_valid_fingerprints_are_refused(near in near_valid_fingerprint()) {
        prop_assert_eq!(near.text.parse::<Fingerprint>(), Err(near.expected), "{:?}", near.defect);
    }
}

#[test]
fn every_defect_is_generated() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use sansrtc_dtls::strategy::FingerprintDefect;

    let mut runner = TestRunner::deterministic();
    let strategy = near_valid_fingerprint();
    let mut seen = [false; 5];
    for _ in 0..400 {
        let near = strategy.new_tree(&mut runner).unwrap().current();
        let kind = match near.defect {
            FingerprintDefect::Length(_) => 0,
            FingerprintDefect::BadHex(..) => 1,
            FingerprintDefect::Separator(..) => 2,
            FingerprintDefect::HashFunctionName(_) => 3,
            FingerprintDefect::TooLong(_) => 4,
            _ => continue,
        };
        seen[kind] = true;
    }
    assert_eq!(seen, [true; 5]);
}
