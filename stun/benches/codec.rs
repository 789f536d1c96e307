//! Codec benchmarks on an ICE connectivity check like the ones Chromium
//! sends: USERNAME, ICE-CONTROLLING, PRIORITY, USE-CANDIDATE,
//! MESSAGE-INTEGRITY and FINGERPRINT.
//!
//! - `decode`: parse and read every attribute an ICE agent reads.
//! - `decode_verify`: the same, then check MESSAGE-INTEGRITY and FINGERPRINT.
//! - `encode`: build the request with both.
//! - `floor/*`: only the HMAC-SHA1 and CRC-32 that verification (or the
//!   builder) computes, over the same byte ranges, called directly on the
//!   `hmac`, `sha1` and `crc32fast` crates. The codec's overhead is the gap
//!   between a benchmark and its floor.
//!
//! Every benchmark takes the key through `black_box`, as a real caller's
//! key is not a constant the compiler could fold into the HMAC.

#![allow(clippy::indexing_slicing)]

use core::hint::black_box;

use criterion::{Criterion, Throughput, criterion_main};
use hmac::{Hmac, Mac};
use sansrtc_stun::{
    Attribute, Class, FINGERPRINT_LEN, FINGERPRINT_XOR, HEADER_LEN, MESSAGE_INTEGRITY_LEN, Message,
    MessageBuilder, Method, TransactionId,
};
use sha1::Sha1;

/// The remote ICE password: 24 characters, as browsers generate them.
const PASSWORD: &[u8] = b"x9cml/YzichV2+XlhiMu8g1k";
const USERNAME: &str = "Ds0I:4bQ3";
const TIE_BREAKER: u64 = 0x7c63_8a5f_0e1d_2b94;
const PRIORITY: u32 = 1_853_817_087;
const TRANSACTION_ID: TransactionId = TransactionId::new(*b"J3b8yQ1pXz4k");

fn encode(key: &[u8], buf: &mut [u8]) -> usize {
    let mut builder =
        MessageBuilder::new(buf, Class::Request, Method::BINDING, TRANSACTION_ID).unwrap();
    builder
        .add(&Attribute::Username(USERNAME))
        .unwrap()
        .add(&Attribute::IceControlling(TIE_BREAKER))
        .unwrap()
        .add(&Attribute::Priority(PRIORITY))
        .unwrap()
        .add(&Attribute::UseCandidate)
        .unwrap();
    builder.add_message_integrity(key).unwrap();
    builder.add_fingerprint().unwrap();
    builder.finish()
}

/// What an ICE agent reads from a check.
fn read(message: &Message<'_>) -> (usize, u64, u32, bool) {
    (
        message.username().map_or(0, str::len),
        message.ice_controlling().unwrap_or(0),
        message.priority().unwrap_or(0),
        message.use_candidate(),
    )
}

/// HMAC-SHA1 and CRC-32 exactly as verification computes them: over the
/// message type and the length field rewritten to end after the attribute,
/// then the rest of the message before the attribute.
fn floor_verify(key: &[u8], bytes: &[u8], mi_offset: usize, fp_offset: usize) -> ([u8; 20], u32) {
    let [l0, l1] = ((mi_offset + MESSAGE_INTEGRITY_LEN - HEADER_LEN) as u16).to_be_bytes();
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).unwrap();
    mac.update(&[bytes[0], bytes[1], l0, l1]);
    mac.update(&bytes[4..mi_offset]);
    let mac: [u8; 20] = mac.finalize().into_bytes().into();
    let [l0, l1] = ((fp_offset + FINGERPRINT_LEN - HEADER_LEN) as u16).to_be_bytes();
    let mut crc = crc32fast::Hasher::new();
    crc.update(&[bytes[0], bytes[1], l0, l1]);
    crc.update(&bytes[4..fp_offset]);
    (mac, crc.finalize() ^ FINGERPRINT_XOR)
}

/// HMAC-SHA1 and CRC-32 as the builder computes them: each over the
/// message written so far, whose length field already covers the attribute
/// being added (so the MESSAGE-INTEGRITY input is a snapshot taken before
/// FINGERPRINT changed the length field).
fn floor_encode(key: &[u8], mi_input: &[u8], fp_input: &[u8]) -> ([u8; 20], u32) {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).unwrap();
    mac.update(mi_input);
    let mac: [u8; 20] = mac.finalize().into_bytes().into();
    (mac, crc32fast::hash(fp_input) ^ FINGERPRINT_XOR)
}

fn benches(c: &mut Criterion) {
    let mut buf = [0u8; 256];
    let len = encode(PASSWORD, &mut buf);
    let bytes = buf[..len].to_vec();
    let fp_offset = len - FINGERPRINT_LEN;
    let mi_offset = fp_offset - MESSAGE_INTEGRITY_LEN;

    // The floors compute what the codec computes.
    let message = Message::parse(&bytes).unwrap();
    message.verify_message_integrity(PASSWORD).unwrap();
    message.verify_fingerprint().unwrap();
    let (mac, crc) = floor_verify(PASSWORD, &bytes, mi_offset, fp_offset);
    assert_eq!(&bytes[mi_offset + 4..fp_offset], &mac);
    assert_eq!(bytes[fp_offset + 4..], crc.to_be_bytes());
    let mut mi_input = bytes[..mi_offset].to_vec();
    let mi_length = (mi_offset + MESSAGE_INTEGRITY_LEN - HEADER_LEN) as u16;
    mi_input[2..4].copy_from_slice(&mi_length.to_be_bytes());
    let fp_input = &bytes[..fp_offset];
    assert_eq!(floor_encode(PASSWORD, &mi_input, fp_input), (mac, crc));
    assert_eq!(
        read(&message),
        (USERNAME.len(), TIE_BREAKER, PRIORITY, true)
    );

    let mut group = c.benchmark_group("ice_binding_request");
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode", |b| {
        b.iter(|| {
            let message = Message::parse(black_box(&bytes)).unwrap();
            read(&message)
        });
    });
    group.bench_function("decode_verify", |b| {
        b.iter(|| {
            let message = Message::parse(black_box(&bytes)).unwrap();
            let fields = read(&message);
            message
                .verify_message_integrity(black_box(PASSWORD))
                .unwrap();
            message.verify_fingerprint().unwrap();
            fields
        });
    });
    group.bench_function("floor/verify", |b| {
        b.iter(|| {
            floor_verify(
                black_box(PASSWORD),
                black_box(&bytes),
                black_box(mi_offset),
                black_box(fp_offset),
            )
        });
    });
    group.bench_function("encode", |b| {
        let mut out = [0u8; 256];
        b.iter(|| encode(black_box(PASSWORD), black_box(&mut out)));
    });
    group.bench_function("floor/encode", |b| {
        b.iter(|| {
            floor_encode(
                black_box(PASSWORD),
                black_box(&mi_input),
                black_box(fp_input),
            )
        });
    });
    group.finish();
}

mod group {
    //! The criterion group (a module so that its generated items may go
    //! undocumented).
    #![allow(missing_docs)]
    criterion::criterion_group!(codec, super::benches);
}
criterion_main!(group::codec);
