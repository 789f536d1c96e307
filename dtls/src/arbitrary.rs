//! `a=fingerprint` and `a=setup` values for fuzzing and property testing
//! (features `arbitrary` and `proptest`).
//!
//! With the `arbitrary` feature, [`Fingerprint`], [`HashFunction`] and
//! [`Setup`] implement [`arbitrary::Arbitrary`]: every generated
//! fingerprint has the digest length of its hash function (SHA-256,
//! SHA-384 or SHA-512 mostly, and now and then another registered name
//! such as `sha-1` with its own length), so its text form parses back to
//! it. With the `proptest` feature, [`strategy`](crate::strategy)
//! generates the same values, and near-valid text.
//!
//! ```
//! # #[cfg(feature = "arbitrary")] {
//! use arbitrary::{Arbitrary, Unstructured};
//! use sansrtc_dtls::Fingerprint;
//!
//! // In a `cargo fuzz` target, `data` is libFuzzer's input.
//! let data = [0x17; 128];
//! let fingerprint = Fingerprint::arbitrary(&mut Unstructured::new(&data))?;
//! let text = fingerprint.to_string();
//! assert_eq!(text.parse::<Fingerprint>(), Ok(fingerprint));
//! # }
//! # Ok::<(), arbitrary::Error>(())
//! ```
//!
//! [`Fingerprint`]: crate::Fingerprint
//! [`HashFunction`]: crate::HashFunction
//! [`Setup`]: crate::Setup

use alloc::string::ToString;

use crate::certificate::HashFunction;

/// Hash functions of IANA's registry other than the usable three, with
/// their digest lengths.
pub(crate) const OTHER_FUNCTIONS: [(&str, usize); 4] =
    [("sha-1", 20), ("sha-224", 28), ("md5", 16), ("md2", 16)];

/// The digest length of `function` (for [`HashFunction::Other`], the
/// registered one, or `None` for a name outside [`OTHER_FUNCTIONS`]).
pub(crate) fn digest_len(function: &HashFunction) -> Option<usize> {
    match function {
        HashFunction::Sha256 => Some(32),
        HashFunction::Sha384 => Some(48),
        HashFunction::Sha512 => Some(64),
        HashFunction::Other(name) => OTHER_FUNCTIONS
            .iter()
            .find(|(other, _)| other == name)
            .map(|(_, len)| *len),
    }
}

/// The hash function `choice` picks: each of the usable three twice as
/// often as each of the others.
pub(crate) fn function(choice: u8) -> HashFunction {
    match choice % 10 {
        0 | 1 => HashFunction::Sha256,
        2 | 3 => HashFunction::Sha384,
        4 | 5 => HashFunction::Sha512,
        other => OTHER_FUNCTIONS
            .get(usize::from(other - 6))
            .map_or(HashFunction::Sha256, |(name, _)| {
                HashFunction::Other(name.to_string())
            }),
    }
}

#[cfg(feature = "arbitrary")]
mod generate {
    //! The [`Arbitrary`] implementations.

    use alloc::vec::Vec;

    use arbitrary::{Arbitrary, Result, Unstructured};

    use super::{digest_len, function};
    use crate::certificate::{Fingerprint, HashFunction};
    use crate::setup::Setup;

    impl<'a> Arbitrary<'a> for HashFunction {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(function(u.arbitrary()?))
        }
    }

    impl<'a> Arbitrary<'a> for Fingerprint {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let hash_function: HashFunction = u.arbitrary()?;
            let len = digest_len(&hash_function).unwrap_or(32);
            let bytes = (0..len)
                .map(|_| u.arbitrary())
                .collect::<Result<Vec<u8>>>()?;
            Ok(Self::new(hash_function, bytes))
        }
    }

    impl<'a> Arbitrary<'a> for Setup {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(*u.choose(&[Self::Active, Self::Passive, Self::ActPass, Self::HoldConn])?)
        }
    }
}
