//! Randomness for ICE, from a seed.
//!
//! ICE needs randomness for transaction ids, tie-breakers, credentials and
//! the consent-check interval (RFC 7675 §5.1). None of it needs to be
//! cryptographically strong against a peer that can already read the
//! signaling, but all of it must be reproducible in tests: the caller seeds
//! the generator through [`Config::seed`](crate::Config::seed). Callers that
//! want unpredictable values seed it from their operating system's RNG. The
//! generator is `sansrtc-stun`'s SplitMix64, shared by every sansrtc state
//! machine.

use alloc::string::String;

pub use sansrtc_stun::rng::Rng;

/// A string of `len` characters from the ICE alphabet
/// (`ALPHA / DIGIT / "+" / "/"`, RFC 8839 §5.4), as used for `ice-ufrag`
/// and `ice-pwd`.
pub(crate) fn ice_string(rng: &mut Rng, len: usize) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..len)
        .map(|_| {
            let index = (rng.next_u64() >> 58) as usize;
            ALPHABET.get(index).copied().map_or('A', char::from)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ice_strings_use_the_alphabet_and_follow_the_seed() {
        let s = ice_string(&mut Rng::new(7), 24);
        assert_eq!(s.len(), 24);
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        );
        assert_eq!(s, ice_string(&mut Rng::new(7), 24));
        assert_ne!(s, ice_string(&mut Rng::new(8), 24));
    }
}
