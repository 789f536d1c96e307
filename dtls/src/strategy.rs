//! [proptest](https://docs.rs/proptest) strategies for `a=fingerprint`
//! (feature `proptest`): fingerprints with the digest length of their hash
//! function, and near-valid text (one defect each) with the error
//! [`Fingerprint`]'s parser gives it.
//!
//! ```
//! use proptest::prelude::*;
//! use sansrtc_dtls::Fingerprint;
//! use sansrtc_dtls::strategy::{fingerprint, near_valid_fingerprint};
//!
//! proptest!(|(fingerprint in fingerprint())| {
//!     prop_assert_eq!(fingerprint.to_string().parse::<Fingerprint>(), Ok(fingerprint));
//! });
//! // Your parser, like ours, must refuse each of these.
//! proptest!(|(near in near_valid_fingerprint())| {
//!     prop_assert_eq!(near.text.parse::<Fingerprint>(), Err(near.expected), "{:?}", near.defect);
//! });
//! ```

use alloc::string::String;

use proptest::collection::vec;
use proptest::prelude::*;

use crate::arbitrary::{digest_len, function};
use crate::certificate::{Fingerprint, FingerprintError, HashFunction, MAX_FINGERPRINT_LEN};
use crate::setup::Setup;

/// A hash function: SHA-256, SHA-384 or SHA-512 mostly, now and then
/// another registered name (`sha-1`, `sha-224`, `md5`, `md2`).
pub fn hash_function() -> impl Strategy<Value = HashFunction> {
    any::<u8>().prop_map(function)
}

/// A fingerprint with the digest length of its hash function.
pub fn fingerprint() -> impl Strategy<Value = Fingerprint> {
    hash_function().prop_flat_map(|hash_function| {
        let len = digest_len(&hash_function).unwrap_or(32);
        vec(any::<u8>(), len).prop_map(move |bytes| Fingerprint::new(hash_function.clone(), bytes))
    })
}

/// Any `a=setup` value.
pub fn setup() -> impl Strategy<Value = Setup> {
    prop_oneof![
        Just(Setup::Active),
        Just(Setup::Passive),
        Just(Setup::ActPass),
        Just(Setup::HoldConn),
    ]
}

impl Arbitrary for Fingerprint {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;

    fn arbitrary_with((): ()) -> Self::Strategy {
        fingerprint().boxed()
    }
}

/// What is wrong with a [`NearValidFingerprint`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FingerprintDefect {
    /// A digest of this many bytes for SHA-256, SHA-384 or SHA-512, not
    /// the function's length.
    Length(usize),
    /// The hex digit at this position (counted over the digits) replaced
    /// by this character, which is not a hex digit.
    BadHex(usize, char),
    /// The `:` after this byte replaced by this character.
    Separator(usize, char),
    /// This character, which no token may hold, put in the hash
    /// function's name (an algorithm that cannot be named).
    HashFunctionName(char),
    /// A digest of this many bytes, more than [`MAX_FINGERPRINT_LEN`].
    TooLong(usize),
}

/// An `a=fingerprint` value that is right but for one
/// [`FingerprintDefect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearValidFingerprint {
    /// The fingerprint it was made from (with the digest of the wrong
    /// length for [`FingerprintDefect::Length`] and
    /// [`FingerprintDefect::TooLong`]).
    pub fingerprint: Fingerprint,
    /// What was changed.
    pub defect: FingerprintDefect,
    /// The text with the defect.
    pub text: String,
    /// The error parsing it gives.
    pub expected: FingerprintError,
}

fn usable(function: &HashFunction) -> (&'static str, usize) {
    match function {
        HashFunction::Sha384 => ("sha-384", 48),
        HashFunction::Sha512 => ("sha-512", 64),
        _ => ("sha-256", 32),
    }
}

fn wrong_length() -> impl Strategy<Value = NearValidFingerprint> {
    (
        prop_oneof![
            Just(HashFunction::Sha256),
            Just(HashFunction::Sha384),
            Just(HashFunction::Sha512),
        ],
        vec(any::<u8>(), 1..=MAX_FINGERPRINT_LEN),
    )
        .prop_filter_map("another length", |(hash_function, bytes)| {
            let (function, expected) = usable(&hash_function);
            let got = bytes.len();
            (got != expected).then(|| {
                let fingerprint = Fingerprint::new(hash_function, bytes);
                NearValidFingerprint {
                    text: fingerprint.to_string(),
                    fingerprint,
                    defect: FingerprintDefect::Length(got),
                    expected: FingerprintError::Length {
                        function,
                        expected,
                        got,
                    },
                }
            })
        })
}

fn too_long() -> impl Strategy<Value = NearValidFingerprint> {
    (
        hash_function(),
        vec(
            any::<u8>(),
            MAX_FINGERPRINT_LEN + 1..=MAX_FINGERPRINT_LEN + 16,
        ),
    )
        .prop_map(|(hash_function, bytes)| {
            let len = bytes.len();
            let fingerprint = Fingerprint::new(hash_function, bytes);
            NearValidFingerprint {
                text: fingerprint.to_string(),
                fingerprint,
                defect: FingerprintDefect::TooLong(len),
                expected: FingerprintError::TooLong,
            }
        })
}

/// Replaces the character at byte `at` of `text` (ASCII) with `with`.
fn replace(text: &str, at: usize, with: char) -> String {
    text.char_indices()
        .map(|(i, c)| if i == at { with } else { c })
        .collect()
}

fn changed_text() -> impl Strategy<Value = NearValidFingerprint> {
    (
        fingerprint(),
        any::<prop::sample::Index>(),
        prop::sample::select(&['g', 'G', 'z', 'x', '-', '+', '.', ';'][..]),
        prop::sample::select(&['(', ')', '"', ',', '/', '@', '[', ']', ';', '='][..]),
        0u8..3,
    )
        .prop_map(|(fingerprint, index, other, not_token, which)| {
            let text = fingerprint.to_string();
            let name_len = fingerprint.hash_function.name().len();
            let bytes = fingerprint.bytes.len();
            let (defect, text, expected) = match which {
                0 => {
                    let digit = index.index(2 * bytes);
                    let at = name_len + 1 + 3 * (digit / 2) + digit % 2;
                    (
                        FingerprintDefect::BadHex(digit, other),
                        replace(&text, at, other),
                        FingerprintError::Hex,
                    )
                }
                1 if bytes > 1 => {
                    let byte = index.index(bytes - 1);
                    let at = name_len + 1 + 3 * byte + 2;
                    (
                        FingerprintDefect::Separator(byte, other),
                        replace(&text, at, other),
                        FingerprintError::Hex,
                    )
                }
                _ => {
                    let at = index.index(name_len);
                    (
                        FingerprintDefect::HashFunctionName(not_token),
                        replace(&text, at, not_token),
                        FingerprintError::HashFunction,
                    )
                }
            };
            NearValidFingerprint {
                fingerprint,
                defect,
                text,
                expected,
            }
        })
}

/// `a=fingerprint` text with one [`FingerprintDefect`]: a digest of the
/// wrong length for its hash function, a character that is not a hex
/// digit, a separator that is not `:`, a hash function name that is not
/// a token, a digest longer than [`MAX_FINGERPRINT_LEN`]. Parsing it as a
/// [`Fingerprint`] gives [`expected`](NearValidFingerprint::expected).
///
/// A name that is a token but no known hash function (`sha-1`, `foo`) is
/// not a defect: such fingerprints parse, and are never used to accept a
/// certificate ([`HashFunction::is_usable`]).
pub fn near_valid_fingerprint() -> impl Strategy<Value = NearValidFingerprint> {
    prop_oneof![
        1 => wrong_length(),
        3 => changed_text(),
        1 => too_long(),
    ]
}
