//! Two endpoints over a simulated link with a virtual clock: latency,
//! jitter (which reorders datagrams) and loss from a seeded generator.

#![allow(dead_code)]

use core::time::Duration;
use std::time::Instant;

use sansrtc_dtls::{Certificate, Config, ConfigBuilder, DtlsRole, Endpoint, Event, Fingerprint};

/// SplitMix64: small, seeded, good enough to drop and delay datagrams.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// True with probability `percent` / 100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }
}

/// A one-way-per-direction link: each datagram is lost with `loss_percent`
/// or arrives after `latency` plus up to `jitter` (so later datagrams can
/// overtake earlier ones).
pub(crate) struct Link {
    rng: Rng,
    pub(crate) loss_percent: u64,
    pub(crate) latency: Duration,
    pub(crate) jitter: Duration,
    /// (arrival, destination index, datagram)
    in_flight: Vec<(Instant, usize, Vec<u8>)>,
    pub(crate) sent: usize,
    pub(crate) lost: usize,
}

impl Link {
    pub(crate) fn new(seed: u64, loss_percent: u64) -> Self {
        Self {
            rng: Rng::new(seed),
            loss_percent,
            latency: Duration::from_millis(10),
            jitter: Duration::from_millis(30),
            in_flight: Vec::new(),
            sent: 0,
            lost: 0,
        }
    }

    pub(crate) fn lossless() -> Self {
        let mut link = Self::new(0, 0);
        link.jitter = Duration::ZERO;
        link
    }

    pub(crate) fn send(&mut self, now: Instant, to: usize, datagram: &[u8]) {
        self.sent += 1;
        if self.rng.chance(self.loss_percent) {
            self.lost += 1;
            return;
        }
        let jitter = self.rng.below(self.jitter.as_micros() as u64 + 1);
        let arrival = now + self.latency + Duration::from_micros(jitter);
        self.in_flight.push((arrival, to, datagram.to_vec()));
    }

    pub(crate) fn next_arrival(&self) -> Option<Instant> {
        self.in_flight.iter().map(|(at, _, _)| *at).min()
    }

    /// The datagrams that have arrived by `now`, in order of arrival.
    pub(crate) fn arrivals(&mut self, now: Instant) -> Vec<(usize, Vec<u8>)> {
        let mut due: Vec<_> = Vec::new();
        let mut index = 0;
        while index < self.in_flight.len() {
            if self.in_flight[index].0 <= now {
                due.push(self.in_flight.swap_remove(index));
            } else {
                index += 1;
            }
        }
        due.sort_by_key(|(at, _, _)| *at);
        due.into_iter().map(|(_, to, bytes)| (to, bytes)).collect()
    }
}

/// Two endpoints, the link between them, and everything each side saw.
pub(crate) struct Pair {
    pub(crate) now: Instant,
    pub(crate) endpoints: [Endpoint; 2],
    pub(crate) link: Link,
    pub(crate) events: [Vec<Event>; 2],
}

pub(crate) fn config(certificate: &Certificate) -> ConfigBuilder {
    Config::builder(certificate.clone())
}

impl Pair {
    /// Endpoints 0 and 1 with fresh certificates, each knowing the other's
    /// fingerprint, started in `roles`.
    pub(crate) fn new(
        builders: [ConfigBuilder; 2],
        roles: [DtlsRole; 2],
        link: Link,
    ) -> (Self, [Certificate; 2]) {
        let now = Instant::now();
        let configs = builders.map(|b| b.build().expect("config"));
        let certificates = [
            configs[0].certificate().clone(),
            configs[1].certificate().clone(),
        ];
        let mut endpoints = configs.map(|c| Endpoint::new(c, now));
        for i in 0..2 {
            endpoints[i]
                .set_remote_fingerprints([certificates[1 - i].fingerprint().clone()])
                .unwrap();
        }
        let mut pair = Self {
            now,
            endpoints,
            link,
            events: [Vec::new(), Vec::new()],
        };
        for (endpoint, role) in pair.endpoints.iter_mut().zip(roles) {
            endpoint.start(now, role).unwrap();
        }
        pair.flush();
        (pair, certificates)
    }

    /// Endpoints made but not started, nor given fingerprints.
    pub(crate) fn unstarted(builders: [ConfigBuilder; 2], link: Link) -> Self {
        let now = Instant::now();
        let endpoints = builders.map(|b| Endpoint::new(b.build().expect("config"), now));
        Self {
            now,
            endpoints,
            link,
            events: [Vec::new(), Vec::new()],
        }
    }

    /// Moves transmits onto the link and events into `events`.
    pub(crate) fn flush(&mut self) {
        for i in 0..2 {
            while let Some(datagram) = self.endpoints[i].poll_transmit() {
                let datagram = datagram.to_vec();
                self.link.send(self.now, 1 - i, &datagram);
            }
            while let Some(event) = self.endpoints[i].poll_event() {
                self.events[i].push(event);
            }
        }
    }

    /// One step: to the earliest of the endpoints' timers and the next
    /// arrival; delivers what arrived, runs the timers, flushes. False when
    /// there is nothing left to wait for.
    pub(crate) fn step(&mut self) -> bool {
        let next = self
            .endpoints
            .iter()
            .filter_map(Endpoint::poll_timeout)
            .chain(self.link.next_arrival())
            .min();
        let Some(next) = next else {
            return false;
        };
        self.now = self.now.max(next);
        for (to, datagram) in self.link.arrivals(self.now) {
            let _ = self.endpoints[to].handle_receive(self.now, &datagram);
            self.flush();
        }
        for endpoint in &mut self.endpoints {
            endpoint.handle_timeout(self.now);
        }
        self.flush();
        true
    }

    /// Steps until `done` holds or nothing is left (at most `limit` steps).
    pub(crate) fn run_until(&mut self, limit: usize, mut done: impl FnMut(&Self) -> bool) -> bool {
        for _ in 0..limit {
            if done(self) {
                return true;
            }
            if !self.step() {
                return done(self);
            }
        }
        done(self)
    }

    pub(crate) fn connected(&self, i: usize) -> Option<&sansrtc_dtls::Connected> {
        self.events[i].iter().find_map(|event| match event {
            Event::Connected(connected) => Some(connected),
            _ => None,
        })
    }

    pub(crate) fn failure(&self, i: usize) -> Option<sansrtc_dtls::Failure> {
        self.events[i].iter().find_map(|event| match event {
            Event::Failed(failure) => Some(*failure),
            _ => None,
        })
    }

    pub(crate) fn both_connected(&self) -> bool {
        self.connected(0).is_some() && self.connected(1).is_some()
    }

    pub(crate) fn data(&self, i: usize) -> Vec<Vec<u8>> {
        self.events[i]
            .iter()
            .filter_map(|event| match event {
                Event::ApplicationData(data) => Some(data.clone()),
                _ => None,
            })
            .collect()
    }
}

/// A fingerprint of the right shape that matches no certificate.
pub(crate) fn wrong_fingerprint(certificate: &Certificate) -> Fingerprint {
    let mut fingerprint = certificate.fingerprint().clone();
    fingerprint.bytes[0] ^= 0x01;
    fingerprint
}
