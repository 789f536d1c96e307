//! The suite's one random source: ChaCha20 used as a CSPRNG
//! ([`rand_chacha`]), seeded by the operating system unless the caller asks
//! for determinism.
//!
//! Every value an attacker must not guess comes from here: STUN transaction
//! ids (RFC 8489 §6 asks for them to be uniformly and cryptographically
//! random), ICE tie-breakers and credentials (RFC 8445 §5.3: at least 128
//! bits of randomness in the password), TURN transaction ids, RTP SSRCs.
//!
//! Each state machine takes a [`Seed`] option in its configuration:
//!
//! - `None` (the default): [`Rng::from_os`] seeds the generator with 256
//!   bits from the operating system (`getrandom`). Nobody can predict the
//!   values, not even another machine built with the same configuration.
//! - `Some(seed)`: the same seed and the same inputs give the same outputs,
//!   byte for byte. For tests, simulations and fuzzing only.
//!
//! ```
//! use sansrtc_stun::rng::Rng;
//!
//! // Deterministic: the same seed, the same ids.
//! let mut a = Rng::from_seed([7; 32]);
//! let mut b = Rng::from_seed([7; 32]);
//! assert_eq!(a.transaction_id(), b.transaction_id());
//!
//! // Seeded by the operating system (the default of every configuration).
//! # #[cfg(feature = "getrandom")] {
//! let mut c = Rng::new(None);
//! let mut d = Rng::new(None);
//! assert_ne!(c.transaction_id(), d.transaction_id());
//! # }
//! ```

use core::fmt;

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

use crate::message::TransactionId;

/// 256 bits that fix everything a [`Rng`] will produce.
pub type Seed = [u8; 32];

/// A full seed made from a 64-bit number, for tests and simulations that
/// name their runs by a number.
pub fn seed_from_u64(value: u64) -> Seed {
    Rng::from_u64(value).next_seed()
}

/// A cryptographically secure generator (ChaCha20).
///
/// `Debug` does not show its state.
#[derive(Clone)]
pub struct Rng {
    inner: ChaCha20Rng,
}

impl Rng {
    /// A generator seeded with `seed`, or by the operating system when
    /// `seed` is `None` (see [`from_os`](Self::from_os)).
    #[cfg(feature = "getrandom")]
    pub fn new(seed: Option<Seed>) -> Self {
        seed.map_or_else(Self::from_os, Self::from_seed)
    }

    /// A generator whose whole output follows from `seed`: for tests,
    /// simulations and fuzzing. Never use a fixed seed for a real
    /// connection.
    pub fn from_seed(seed: Seed) -> Self {
        Self {
            inner: ChaCha20Rng::from_seed(seed),
        }
    }

    /// A deterministic generator from a 64-bit number, expanded to a full
    /// seed (for tests and simulations that name their runs by a number).
    pub fn from_u64(seed: u64) -> Self {
        Self {
            inner: ChaCha20Rng::seed_from_u64(seed),
        }
    }

    /// A generator seeded with 256 bits from the operating system.
    ///
    /// # Panics
    ///
    /// If the operating system cannot provide random bytes. Nothing a peer
    /// does can cause this, and continuing with predictable secrets would
    /// be worse than stopping.
    #[cfg(feature = "getrandom")]
    pub fn from_os() -> Self {
        let mut seed = [0u8; 32];
        #[allow(clippy::expect_used)]
        getrandom::fill(&mut seed).expect("the operating system's random source failed");
        Self::from_seed(seed)
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        self.inner.next_u32()
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// A value in `0..bound` (0 when `bound` is 0), by multiply-shift.
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// Fills `bytes` with random bytes.
    pub fn fill(&mut self, bytes: &mut [u8]) {
        self.inner.fill_bytes(bytes);
    }

    /// A transaction id made of 96 random bits.
    pub fn transaction_id(&mut self) -> TransactionId {
        let mut id = [0u8; 12];
        self.fill(&mut id);
        TransactionId::new(id)
    }

    /// A seed for another generator (a machine this one creates, such as
    /// the TURN clients of an ICE agent): random when this generator is,
    /// reproducible when it is.
    pub fn next_seed(&mut self) -> Seed {
        let mut seed = [0u8; 32];
        self.fill(&mut seed);
        seed
    }
}

impl fmt::Debug for Rng {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rng").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_different_seed_different_sequence() {
        let mut a = Rng::from_seed([1; 32]);
        let mut b = Rng::from_seed([1; 32]);
        let mut c = Rng::from_seed([2; 32]);
        let first = a.transaction_id();
        assert_eq!(first, b.transaction_id());
        assert_ne!(first, c.transaction_id());
        assert_ne!(first, a.transaction_id());
        assert_eq!(Rng::from_u64(9).next_u64(), Rng::from_u64(9).next_u64());
        assert_ne!(Rng::from_u64(9).next_u64(), Rng::from_u64(10).next_u64());
    }

    #[test]
    fn it_is_chacha20() {
        // RFC 8439 §2.3.2's block function with an all-zero key and nonce
        // and counter 0 starts 76 b8 e0 ad a0 f1 3d 90 (the RFC 7539 A.1
        // test vector #1), which rand_chacha's ChaCha20 reproduces.
        let mut rng = Rng::from_seed([0; 32]);
        let mut bytes = [0u8; 8];
        rng.fill(&mut bytes);
        assert_eq!(bytes, [0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90]);
    }

    #[test]
    fn below_stays_in_range_and_fill_fills() {
        let mut rng = Rng::from_u64(7);
        for bound in [1, 2, 3, 1000, u64::MAX] {
            for _ in 0..100 {
                assert!(rng.below(bound) < bound);
            }
        }
        assert_eq!(rng.below(0), 0);
        let mut bytes = [0u8; 13];
        rng.fill(&mut bytes);
        assert!(bytes.iter().any(|&b| b != 0));
    }

    #[cfg(feature = "getrandom")]
    #[test]
    fn os_seeded_generators_differ_and_debug_hides_the_state() {
        let mut a = Rng::new(None);
        let mut b = Rng::new(None);
        assert_ne!(a.next_seed(), b.next_seed());
        assert_eq!(std::format!("{a:?}"), "Rng { .. }");
    }

    #[test]
    fn child_seeds_follow_the_parent() {
        let mut a = Rng::from_seed([3; 32]);
        let mut b = Rng::from_seed([3; 32]);
        assert_eq!(a.next_seed(), b.next_seed());
        assert_ne!(a.next_seed(), Rng::from_seed([3; 32]).next_seed());
    }
}
