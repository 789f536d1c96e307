//! sansrtc measured side by side against the other Rust crates for the same
//! protocols.
//!
//! Every comparison is a [`Case`]: one operation of one crate on one input.
//! Cases with the same [`Case::group`] run the same input through sansrtc,
//! each peer and the floor (the least work any implementation must do), so
//! their medians come from the same criterion run and their ratios mean
//! something. The criterion benchmark (`benches/compare.rs`) times them; the
//! `report` binary counts their heap allocations and writes `RESULTS.md`.
//!
//! A decode case returns a checksum over the fields it read; within a
//! group, every crate reads the same fields, so the tests can assert that
//! each peer really decoded the input (and not merely accepted it).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod datachannel;
pub mod dtls;
pub mod ice;
pub mod inputs;
pub mod payload;
pub mod peer;
pub mod peer_data;
pub mod rtcp;
pub mod rtp;
pub mod sdp;
pub mod srtp;
pub mod stun;

/// Which side of a comparison a case is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The sansrtc crate under test.
    Sansrtc,
    /// Another crate doing the same job.
    Peer,
    /// The least work the operation implies (copying the bytes, the
    /// HMAC and CRC, a UTF-8 check and line split).
    Floor,
}

/// One operation of one crate on one input.
pub struct Case {
    /// The group: the same input and operation for every case in it.
    pub group: &'static str,
    /// The crate (or floor) that runs it, as shown in the results.
    pub name: &'static str,
    /// Which side of the comparison this is.
    pub role: Role,
    /// Whether the returned value is a checksum over the decoded fields
    /// that must agree with the other checksum cases of the group.
    pub checksum: bool,
    /// Where a peer reads the input differently from sansrtc (a field it
    /// does not decode), what it misses; the tests check that it still
    /// does, and the results show it.
    pub deviation: Option<&'static str>,
    /// What the results should say about how this case does its job (for
    /// example a check the crate leaves out).
    pub note: Option<&'static str>,
    /// Runs the operation once; returns a value the optimiser cannot drop.
    pub run: Box<dyn FnMut() -> u64>,
    /// For an operation that consumes its input (protecting or
    /// unprotecting a packet in place, where a packet is accepted once
    /// only): makes the next input, outside the timing. `run` is then
    /// unused; the benchmark calls `prepare` and [`Case::run_on`].
    pub prepare: Option<Prepare>,
    /// The operation on a prepared input.
    pub run_on: Option<RunOn>,
    /// For a throughput case: the bytes one run moves (criterion then
    /// reports bytes per second, and the results MB/s).
    pub bytes: Option<u64>,
}

/// Makes the next input of a prepared case.
pub type Prepare = Box<dyn FnMut(&mut Buffer)>;

/// Runs a prepared case on its input.
pub type RunOn = Box<dyn FnMut(&mut Buffer) -> u64>;

/// A packet buffer a prepared case works on: the packet is
/// `bytes[..len]`, with room after it.
#[derive(Clone)]
pub struct Buffer {
    /// The bytes.
    pub bytes: [u8; 2048],
    /// The packet's length.
    pub len: usize,
}

impl Default for Buffer {
    fn default() -> Self {
        Self {
            bytes: [0; 2048],
            len: 0,
        }
    }
}

impl Buffer {
    /// The packet.
    pub fn packet(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Replaces the packet with `packet`.
    pub fn set(&mut self, packet: &[u8]) {
        self.bytes[..packet.len()].copy_from_slice(packet);
        self.len = packet.len();
    }
}

impl Case {
    /// A case whose return value is only there to keep the work alive.
    pub fn new(
        group: &'static str,
        name: &'static str,
        role: Role,
        run: impl FnMut() -> u64 + 'static,
    ) -> Self {
        Self {
            group,
            name,
            role,
            checksum: false,
            deviation: None,
            note: None,
            run: Box::new(run),
            prepare: None,
            run_on: None,
            bytes: None,
        }
    }

    /// A case whose input is made afresh, outside the timing, before each
    /// run: `prepare` writes it, `run` consumes it.
    pub fn prepared(
        group: &'static str,
        name: &'static str,
        role: Role,
        prepare: impl FnMut(&mut Buffer) + 'static,
        run: impl FnMut(&mut Buffer) -> u64 + 'static,
    ) -> Self {
        Self {
            prepare: Some(Box::new(prepare)),
            run_on: Some(Box::new(run)),
            ..Self::new(group, name, role, || 0)
        }
    }

    /// Runs the case once (preparing its input first if it has one).
    pub fn run_once(&mut self) -> u64 {
        match (&mut self.prepare, &mut self.run_on) {
            (Some(prepare), Some(run)) => {
                let mut buffer = Buffer::default();
                prepare(&mut buffer);
                run(&mut buffer)
            }
            _ => (self.run)(),
        }
    }

    /// Marks a throughput case: one run moves `bytes`.
    #[must_use]
    pub fn moving(self, bytes: u64) -> Self {
        Self {
            bytes: Some(bytes),
            ..self
        }
    }

    /// Adds a note for the results.
    #[must_use]
    pub fn noted(self, note: &'static str) -> Self {
        Self {
            note: Some(note),
            ..self
        }
    }

    /// Records that this peer reads the input differently from sansrtc.
    #[must_use]
    pub fn deviating(self, deviation: &'static str) -> Self {
        Self {
            deviation: Some(deviation),
            ..self
        }
    }

    /// A decode case whose return value is a checksum over the fields read.
    pub fn decode(
        group: &'static str,
        name: &'static str,
        role: Role,
        run: impl FnMut() -> u64 + 'static,
    ) -> Self {
        Self {
            checksum: true,
            ..Self::new(group, name, role, run)
        }
    }
}

/// Every case, grouped in the order the results show them.
pub fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(rtp::cases());
    all.extend(payload::cases());
    all.extend(rtcp::cases());
    all.extend(stun::cases());
    all.extend(sdp::cases());
    all.extend(ice::cases());
    all.extend(dtls::cases());
    all.extend(peer::cases());
    all.extend(srtp::cases());
    all.extend(datachannel::cases());
    all.extend(peer_data::cases());
    all
}

/// Peers that were left out of the comparison, and why.
pub const EXCLUDED: &[(&str, &str)] = &[];

/// Sums a list of values into a checksum (wrapping).
pub fn sum(values: impl IntoIterator<Item = u64>) -> u64 {
    values.into_iter().fold(0u64, u64::wrapping_add)
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::collections::BTreeMap;

    /// Every case runs (so every peer accepts its input: a rejection is an
    /// `unwrap` that panics) and, within a group, every checksum agrees
    /// with sansrtc's (so every peer read the same field values), except
    /// where a deviation is recorded, which must still be one.
    #[test]
    fn every_peer_decodes_every_input() {
        type Sums<'a> = Vec<(&'a str, Role, Option<&'a str>, u64)>;
        let mut sums: BTreeMap<&str, Sums<'_>> = BTreeMap::new();
        for mut case in cases() {
            let value = case.run_once();
            assert_eq!(
                value,
                case.run_once(),
                "{}/{} is not repeatable",
                case.group,
                case.name
            );
            if case.checksum {
                sums.entry(case.group).or_default().push((
                    case.name,
                    case.role,
                    case.deviation,
                    value,
                ));
            }
        }
        assert!(!sums.is_empty());
        for (group, values) in sums {
            assert!(values.len() >= 2, "{group}: nothing to compare with");
            let ours = values
                .iter()
                .find(|(_, role, _, _)| *role == Role::Sansrtc)
                .map(|(_, _, _, value)| *value)
                .expect("a sansrtc case");
            for (name, _, deviation, value) in &values {
                match deviation {
                    None => assert_eq!(*value, ours, "{group}: {name} read other values"),
                    Some(note) => assert_ne!(
                        *value, ours,
                        "{group}: {name} now reads the same values; drop the note {note:?}"
                    ),
                }
            }
        }
    }

    /// Every group has sansrtc and at least one other case.
    #[test]
    fn every_group_compares() {
        let mut groups: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for case in cases() {
            let entry = groups.entry(case.group).or_default();
            match case.role {
                Role::Sansrtc => entry.0 += 1,
                Role::Peer | Role::Floor => entry.1 += 1,
            }
        }
        for (group, (ours, others)) in groups {
            assert_eq!(ours, 1, "{group}");
            assert!(others >= 1, "{group}");
        }
    }
}
