#![no_main]
//! The jitter buffer under any packet sequence: reordered, duplicated,
//! lost, malformed, with jumps in sequence numbers and time. It must never
//! panic, and whatever happens its packets, bytes and events stay under
//! their caps.

use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sansrtc_rtp::jitter::{
    JitterBuffer, JitterConfig, MAX_BUFFERED_BYTES, MAX_EVENTS, MAX_PACKETS,
};
use sansrtc_rtp::payload::Codec;
use sansrtc_rtp::rtp::{Builder, Packet};

#[derive(Debug, Arbitrary)]
enum Step {
    Packet {
        /// Added to the previous sequence number.
        sequence_step: i16,
        timestamp_step: u16,
        marker: bool,
        payload: Vec<u8>,
    },
    /// Resends the packet this many steps back.
    Repeat(u8),
    Advance(u16),
    Timeout,
    SetRtt(u16),
    Drain,
}

#[derive(Debug, Arbitrary)]
struct Input {
    codec: u8,
    max_packets: u16,
    steps: Vec<Step>,
}

#[allow(clippy::disallowed_methods)]
fn start() -> Instant {
    Instant::now()
}

fuzz_target!(|input: Input| {
    let codec = Codec::ALL[usize::from(input.codec) % Codec::ALL.len()];
    let config = JitterConfig {
        max_packets: usize::from(input.max_packets),
        ..JitterConfig::default()
    };
    let t0 = start();
    let mut now = t0;
    let mut jitter = JitterBuffer::new(codec.depacketizer(), config, now);
    let mut seq = 0u16;
    let mut timestamp = 0u32;
    let mut sent: Vec<Vec<u8>> = Vec::new();
    for step in input.steps {
        match step {
            Step::Packet {
                sequence_step,
                timestamp_step,
                marker,
                payload,
            } => {
                seq = seq.wrapping_add_signed(sequence_step);
                timestamp = timestamp.wrapping_add(u32::from(timestamp_step));
                let builder = Builder::new()
                    .payload_type(96)
                    .sequence_number(seq)
                    .timestamp(timestamp)
                    .marker(marker)
                    .payload(&payload);
                let mut bytes = vec![0u8; builder.encoded_len()];
                builder.write_to(&mut bytes).unwrap();
                let _ = jitter.handle_packet(now, &Packet::parse(&bytes).unwrap());
                sent.push(bytes);
            }
            Step::Repeat(back) => {
                if let Some(bytes) = sent.iter().rev().nth(usize::from(back)) {
                    let _ = jitter.handle_packet(now, &Packet::parse(bytes).unwrap());
                }
            }
            Step::Advance(ms) => now += Duration::from_millis(u64::from(ms)),
            Step::Timeout => {
                if let Some(deadline) = jitter.poll_timeout() {
                    assert!(deadline >= t0);
                    now = now.max(deadline);
                    jitter.handle_timeout(now);
                }
            }
            Step::SetRtt(ms) => jitter.set_rtt(Duration::from_millis(u64::from(ms))),
            Step::Drain => {
                while let Some(frame) = jitter.poll_frame() {
                    assert!(!frame.data.is_empty() || codec == Codec::Av1);
                }
                while jitter.poll_event().is_some() {}
            }
        }
        assert!(jitter.buffered_packets() <= MAX_PACKETS);
        assert!(jitter.buffered_packets() <= usize::from(input.max_packets).max(1));
        assert!(jitter.buffered_bytes() <= MAX_BUFFERED_BYTES);
        let wait = jitter.wait();
        assert!(wait >= JitterConfig::default().min_wait && wait <= JitterConfig::default().max_wait);
        if sent.len() > 256 {
            sent.drain(..128);
        }
    }
    let mut events = 0;
    while jitter.poll_event().is_some() {
        events += 1;
    }
    assert!(events <= MAX_EVENTS);
    while jitter.poll_frame().is_some() {}
});
