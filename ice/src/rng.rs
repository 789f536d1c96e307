//! Randomness for ICE: transaction ids, tie-breakers, credentials and the
//! consent-check interval (RFC 7675 §5.1).
//!
//! The generator is the suite's one CSPRNG, `sansrtc-stun`'s ChaCha20
//! [`Rng`], seeded by the operating system unless
//! [`Config::seed`](crate::Config::seed) asks for a reproducible run. An
//! off-path attacker who could predict transaction ids or the password
//! (RFC 8445 §5.3 asks for at least 128 bits of randomness in it) could
//! forge checks and responses.

use alloc::string::String;

pub use sansrtc_stun::rng::{Rng, Seed, seed_from_u64};

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
        let s = ice_string(&mut Rng::from_u64(7), 24);
        assert_eq!(s.len(), 24);
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        );
        assert_eq!(s, ice_string(&mut Rng::from_u64(7), 24));
        assert_ne!(s, ice_string(&mut Rng::from_u64(8), 24));
    }
}
