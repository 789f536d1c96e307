//! Two associations joined by a simulated link: virtual time, latency,
//! jitter (which reorders packets) and loss, all from a seeded generator.
//! Each step delivers what is due, drains both sides and jumps to the next
//! deadline, as str0m's and quinn-proto's test pairs do.

#![allow(dead_code, unreachable_pub, clippy::disallowed_methods)]

use alloc::collections::BTreeMap;
use core::time::Duration;
use std::time::Instant;

use bytes::Bytes;
use sansrtc_datachannel::{Association, Config, DtlsRole, Event};
use sansrtc_stun::rng::Rng;

/// One direction of the link.
pub struct Link {
    /// Packets lost, in parts per thousand.
    pub loss_per_mille: u64,
    /// Fixed one-way delay.
    pub delay: Duration,
    /// Extra random delay, up to this much (reorders packets).
    pub jitter: Duration,
    /// While true, everything is lost.
    pub down: bool,
    in_flight: BTreeMap<(Instant, u64), Bytes>,
    sequence: u64,
    /// Packets sent into the link.
    pub sent: u64,
    /// Packets the link lost.
    pub lost: u64,
    /// Largest packet seen.
    pub largest: usize,
}

impl Link {
    pub fn new(loss_per_mille: u64, delay: Duration, jitter: Duration) -> Self {
        Self {
            loss_per_mille,
            delay,
            jitter,
            down: false,
            in_flight: BTreeMap::new(),
            sequence: 0,
            sent: 0,
            lost: 0,
            largest: 0,
        }
    }

    pub fn perfect() -> Self {
        Self::new(0, Duration::from_millis(10), Duration::ZERO)
    }

    fn send(&mut self, rng: &mut Rng, now: Instant, packet: Bytes) {
        self.sent += 1;
        self.largest = self.largest.max(packet.len());
        if self.down || rng.below(1000) < self.loss_per_mille {
            self.lost += 1;
            return;
        }
        let jitter_us = self.jitter.as_micros() as u64;
        let extra = Duration::from_micros(if jitter_us == 0 {
            0
        } else {
            rng.below(jitter_us)
        });
        self.sequence += 1;
        self.in_flight
            .insert((now + self.delay + extra, self.sequence), packet);
    }

    fn next_arrival(&self) -> Option<Instant> {
        self.in_flight.keys().next().map(|(at, _)| *at)
    }

    fn take_due(&mut self, now: Instant) -> Vec<Bytes> {
        let mut due = Vec::new();
        while let Some(entry) = self.in_flight.first_entry() {
            if entry.key().0 > now {
                break;
            }
            due.push(entry.remove());
        }
        due
    }
}

/// A client (DTLS client) and a server joined by two links.
pub struct Pair {
    pub now: Instant,
    pub start: Instant,
    pub client: Association,
    pub server: Association,
    /// Client to server.
    pub forward: Link,
    /// Server to client.
    pub backward: Link,
    pub client_events: Vec<Event>,
    pub server_events: Vec<Event>,
    /// When false, the server's events are left in its queue (an
    /// application that stopped reading).
    pub drain_server_events: bool,
    rng: Rng,
}

impl Pair {
    pub fn new(seed: u64, client: Config, server: Config, forward: Link, backward: Link) -> Self {
        let now = Instant::now();
        Self {
            now,
            start: now,
            client: Association::new(client, now),
            server: Association::new(server, now),
            forward,
            backward,
            client_events: Vec::new(),
            server_events: Vec::new(),
            drain_server_events: true,
            rng: Rng::from_u64(seed),
        }
    }

    /// Default configurations over `link` both ways.
    pub fn with_link(seed: u64, forward: Link, backward: Link) -> Self {
        Self::new(
            seed,
            Config::new(DtlsRole::Client),
            Config::new(DtlsRole::Server),
            forward,
            backward,
        )
    }

    /// Drains both sides' packets into the links and their events into
    /// the event lists.
    pub fn drain(&mut self) {
        loop {
            let mut any = false;
            while let Some(packet) = self.client.poll_transmit() {
                any = true;
                self.forward.send(&mut self.rng, self.now, packet);
            }
            while let Some(packet) = self.server.poll_transmit() {
                any = true;
                self.backward.send(&mut self.rng, self.now, packet);
            }
            while let Some(event) = self.client.poll_event() {
                any = true;
                self.client_events.push(event);
            }
            while self.drain_server_events {
                let Some(event) = self.server.poll_event() else {
                    break;
                };
                any = true;
                self.server_events.push(event);
            }
            if !any {
                break;
            }
        }
    }

    /// Delivers what is due, runs due timers, drains.
    pub fn process(&mut self) {
        for packet in self.forward.take_due(self.now) {
            self.server
                .handle_receive(self.now, &packet)
                .expect("a packet the client made");
        }
        for packet in self.backward.take_due(self.now) {
            self.client
                .handle_receive(self.now, &packet)
                .expect("a packet the server made");
        }
        if self.client.poll_timeout().is_some_and(|t| t <= self.now) {
            self.client.handle_timeout(self.now);
        }
        if self.server.poll_timeout().is_some_and(|t| t <= self.now) {
            self.server.handle_timeout(self.now);
        }
        self.drain();
    }

    /// When the next thing happens.
    pub fn next_time(&self) -> Option<Instant> {
        [
            self.client.poll_timeout(),
            self.server.poll_timeout(),
            self.forward.next_arrival(),
            self.backward.next_arrival(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// [`process`](Self::process), then moves the clock to the next thing
    /// that will happen. False when nothing will.
    pub fn step(&mut self) -> bool {
        self.process();
        match self.next_time() {
            Some(next) => {
                self.now = self.now.max(next);
                true
            }
            None => false,
        }
    }

    /// Steps until `done` holds (checked after each step), at most `steps`
    /// times; panics if it never does.
    pub fn run_until(&mut self, steps: usize, mut done: impl FnMut(&mut Self) -> bool) {
        for _ in 0..steps {
            if done(self) {
                return;
            }
            if !self.step() {
                // Nothing scheduled: let the caller's condition act once
                // more (it may send), then give up if nothing moves.
                if done(self) {
                    return;
                }
                self.drain();
                if !self.step() && !done(self) {
                    panic!("stalled at {:?}", self.now - self.start);
                }
            }
        }
        panic!("not done after {steps} steps ({:?})", self.now - self.start);
    }

    /// Connects the client and runs until both sides are established.
    pub fn connect(&mut self) {
        self.client.connect(self.now).expect("connect");
        self.run_until(10_000, |pair| {
            pair.client_events.contains(&Event::AssociationEstablished)
                && pair.server_events.contains(&Event::AssociationEstablished)
        });
    }

    /// Moves the clock forward by `duration`, handling everything that
    /// happens meanwhile.
    pub fn advance(&mut self, duration: Duration) {
        let end = self.now + duration;
        loop {
            self.process();
            match self.next_time() {
                Some(next) if next <= end => self.now = self.now.max(next),
                _ => {
                    self.now = end;
                    self.process();
                    return;
                }
            }
        }
    }
}
